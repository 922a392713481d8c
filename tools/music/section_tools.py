"""What a composition session asks of the music tools: realise one section of the plan.

The session graph depends on this protocol only; `NeuralSectionTools` (in
`tools.music.neural_sections`) implements it with the piano model and the harmoniser, and tests
implement it with small deterministic writers.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

from ontology.music import Bar, Cadence, ChordEvent

Texture = Literal["piano", "melody_and_chords"]


class SectionRequest(BaseModel):
    bars: int = Field(ge=1, le=128)
    key: str
    meter: str
    texture: Texture
    cadence: Cadence | None = None
    seed: int = 0
    temperature: float = Field(1.0, gt=0, le=2)
    previous_right: list[Bar] = Field(default_factory=list, description="the bars just before, for continuity")
    previous_left: list[Bar] = Field(default_factory=list)


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
    calls: list[ToolCall] = Field(default_factory=list)


class SectionTools(Protocol):
    def realise(self, request: SectionRequest) -> SectionMaterial:
        """Write the section's two staves and the harmony that sounds in them."""
        ...
