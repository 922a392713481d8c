"""What a composition session asks of the music tools: realise one section of the plan.

The session graph depends on this protocol only; `NeuralSectionTools` (in
`tools.music.neural_sections`) implements it with the piano model and the harmoniser, and tests
implement it with small deterministic writers. A request may ask for a variation of an earlier
section's material; writers that derive from `SectionWriter` get variations for free
(`tools.music.variations`), built from their own `write` and `arrange`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

from pydantic import BaseModel, Field, model_validator

from ontology.music import Bar, Cadence, ChordEvent, VariationDistance
from ontology.music_drafts import MAX_SECTION_BARS
from ontology.music_styles import Motion, Reach, Style
from tools.music.styles.density import piece_density

TUNE_DESCRIPTION = ("the melody as the realiser was given it, a bar each, before the figures it sang on it (a "
                    "chorale soprano's passing eighths, overshoots and suspensions); empty where the first voice of "
                    "`right` is the tune itself")
"""Why a section carries its tune apart from its notes: a variation re-arranges the tune, and the
figures read back as tune would be harmonised as tune and decorated again (figures on figures)."""


def sung_as_tune(right: list[Bar], tune: list[Bar]) -> list[Bar]:
    """The upper staff with its first voice the tune (`SectionMaterial.tune`) where one is given: what a
    writer reads as the melody to arrange or continue. The realiser's figures on the tune are not
    tune; read back as tune they would be harmonised as such and decorated again."""
    if not tune:
        return right
    return [bar.model_copy(update={"voices": [sung.voices[0], *bar.voices[1:]]}) for bar, sung in zip(right, tune,
                                                                                                      strict=True)]


class VariationSource(BaseModel):
    """The earlier section a requested section varies, with the notes it was realised with."""

    section: str = Field(description="the source section's id (for the log)")
    key: str = Field(description="the key the source's notes are in")
    distance: VariationDistance
    right: list[Bar] = Field(min_length=1)
    left: list[Bar] = Field(description="empty for a style written on one staff (a jig's single line)")
    tune: list[Bar] = Field(default_factory=list, description=TUNE_DESCRIPTION)


class SectionRequest(BaseModel):
    bars: int = Field(ge=1, le=MAX_SECTION_BARS)
    key: str
    meter: str
    style: Style = Style.FREE_PIANO
    cadence: Cadence | None = None
    seed: int = 0
    piece_seed: int | None = Field(None, description="the piece's seed, which draws what its sections share: a "
                                                     "chorale's liveliness, a melody's leap budget, an "
                                                     "accompaniment's left-hand figure, a nocturne's run rate; "
                                                     "None: the section's seed draws them")
    temperature: float = Field(1.0, gt=0, le=2)
    motion: Motion | None = Field(None, description="how the section moves, as its character's words or the "
                                                     "request's ask (`ontology.music_styles.section_motion`): "
                                                     "held to its last bar where the style's data says how")
    reach: Reach | None = Field(None, description="how far the piece's line ranges, as the request's words ask "
                                                  "(`ontology.music_styles.reach_named_in`): the lower or upper part "
                                                  "of its style's compass and climax; the same in every section")
    previous_right: list[Bar] = Field(default_factory=list, description="the bars just before, for continuity")
    previous_left: list[Bar] = Field(default_factory=list)
    continues_phrase: bool = Field(False, description="the section's first bar goes on with a phrase "
                                                      "`previous_right` began (a variation's new bars after its "
                                                      "source's first ones): its first note leaps as inside a "
                                                      "phrase, not as into a new one")
    variation: VariationSource | None = Field(None, description="write a variation of this earlier material")
    leads_to: list[int] = Field(default_factory=list, description="the top notes the next section may begin on "
                                "where it returns to earlier, written material (each octave its restatement may "
                                "be moved to, `tools.music.variations.opening_notes`): the section's last phrase "
                                "closes near the nearest; empty: no return follows")
    leads_back: bool = Field(False, description="the next section restates this one's opening (a strain's "
                                                "repeat, a middle varying the opening just played), whose notes "
                                                "are not yet written: the section's last phrase closes in the "
                                                "register its first began in")
    place: tuple[float, float] = Field((0.0, 1.0), description="where the section lies in the piece: its start "
                                                               "and end as shares of the piece's bars (where its "
                                                               "melody sits: `tools.music.styles.register_plan`)")
    register_windows: list[tuple[int, int]] = Field(
        default_factory=list, description="the melody's register window (lowest, highest pitch) in each bar where "
                                          "the caller fixes it (a restatement's new bars keep the windows of their "
                                          "section's plan); empty: drawn from the style's plan at `place`")

    @property
    def shared_seed(self) -> int:
        """The seed that draws what the piece's sections share (`piece_seed`, or the section's own
        seed when the section stands alone)."""
        return self.seed if self.piece_seed is None else self.piece_seed

    @property
    def density(self) -> float:
        """The piece's density (`tools.music.styles.density`): drawn from `shared_seed`, bounded by the
        request's `reach`."""
        return piece_density(self.shared_seed, self.reach)

    @model_validator(mode="after")
    def _a_window_a_bar(self) -> SectionRequest:
        if self.register_windows and len(self.register_windows) != self.bars:
            raise ValueError(f"a section of {self.bars} bars takes one register window a bar, not "
                             f"{len(self.register_windows)}")
        return self


class ToolCall(BaseModel):
    """One logged call of a tool inside a session."""

    tool: str
    arguments: dict[str, object]
    seconds: float
    summary: str


class SectionMaterial(BaseModel):
    """The notes of one section (bar numbers of the harmony count from the section's first bar)."""

    right: list[Bar]
    left: list[Bar]
    harmony: list[ChordEvent]
    tune: list[Bar] = Field(default_factory=list, description=TUNE_DESCRIPTION)
    calls: list[ToolCall] = Field(default_factory=list)


class SectionTools(Protocol):
    def realise(self, request: SectionRequest) -> SectionMaterial:
        """Write the section's two staves and the harmony that sounds in them (a variation of
        `request.variation` when it is set)."""
        ...


class SectionWriter(ABC):
    """A section writer that honours variation requests with the shared variation search.

    A writer supplies `write` (new material) and, where it can, `arrange` (its own finishing of
    given notes); variations are then assembled from both and chosen on a SOM, the same way for
    every writer, so a test writer exercises exactly the path the neural one takes.
    """

    @abstractmethod
    def write(self, request: SectionRequest) -> SectionMaterial:
        """New material for a request without a variation, continuing `previous_*`."""

    def arrange(self, request: SectionRequest, right: list[Bar], left: list[Bar]) -> SectionMaterial | None:
        """Given notes finished as this writer would finish its own: the cadence the request plans,
        written by construction, and harmony that names what sounds. None: this writer cannot."""
        return None

    def realise(self, request: SectionRequest) -> SectionMaterial:
        if request.variation is None:
            return self.write(request)
        # Imported on use: `tools.music.variations` builds on this module, and it loads the SOM
        # tools, which sessions without variations never need.
        from tools.music.variations import realise_variation

        return realise_variation(self, request)
