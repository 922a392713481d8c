"""Styles a composition is written in: a closed list the Composer chooses from, each a piece of data.

A style fixes what a small model cannot be trusted to keep: the meters it is written in, its
tempo range, its texture (four voices, a melody over an accompaniment, one line, free piano), the
instruments, how often the harmony changes, the grammar its melody is sampled under (register,
grid, note lengths, largest leap, a preference for steps, the note a phrase ends on) and the
limits the listening validators hold a draft to. The data lives in `music_styles.json` beside this
module; the realisers in `tools.music.styles` turn a style, a melody and chords into notes.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ontology.music_theory import Meter, parse_meter

STYLES_FILE = Path(__file__).with_name("music_styles.json")
PHRASE_BARS = 4
"""A phrase is four bars; sections are whole phrases where the piece's length allows."""


class Style(StrEnum):
    CHORALE = "chorale"
    WALTZ = "waltz"
    NOCTURNE = "nocturne"
    JIG = "jig"
    FREE_PIANO = "free piano"


class Motion(StrEnum):
    """How a section moves, as its character's words (or the request's) ask: a stormy section runs in
    short notes to its end, a gentle one holds long ones. The piano model does not read words, and left
    alone it settles into long notes after a phrase's held ending (session 30's stormy C minor piece:
    bars 9-16 in quarters and halves), so the motion becomes a length bias (`LineRules.motion_length_bias`)."""

    AGITATED = "agitated"
    GENTLE = "gentle"


class Reach(StrEnum):
    """How far a piece's line ranges, as the request's character asks: a gentle, quiet, tender or
    simple piece keeps to the lower part of its style's compass and climax, a brilliant, stormy or
    grand one reaches into the upper part (`RegisterPlan.character_share`). Session 31's "gentle
    waltz in G major" drew a compass of 42 semitones from the waltz's 26-43 and climbed to C#7 under
    an 8va line: the seed chose, not the request."""

    MODEST = "modest"
    WIDE = "wide"


class Shade(StrEnum):
    """The colour a contrasting section's words ask for against the home key, which picks the key it
    goes to (`ontology.music_forms.SHADED_KEYS`: a darker middle of a major piece in the tonic minor,
    Beethoven's minore). Measured: the small model planned every one of sixty middles in the relative
    key whatever it called them ("agitated, restless, urgent", "upbeat, rhythmic", "calm,
    reflective"), so its words say more about the contrast than its choice of key."""

    DARKER = "darker"
    BRIGHTER = "brighter"


StyleTexture = Literal["four_voices", "melody_and_accompaniment", "melody", "piano"]
Accompaniment = Literal["waltz", "nocturne", "block_chords"]


class RegisterPlan(BaseModel):
    """Where a line's phrases sit, so a tune has a shape: each phrase gets a register window drawn
    from the request's seed (a centre and a span, in real pitches), arching up to a peak bar and
    down to its cadence. The piece's first phrase sits at home, a contrasting section higher or
    lower, the phrase at `climax_at` (about two thirds through, or a waltz's middle section) higher
    still, and the last phrase back home for the final cadence. Pieces differ, some compact, some
    wide, as real ones do."""

    home: tuple[int, int] = Field(description="the range a section's home centre is drawn from (MIDI pitches)")
    span: tuple[int, int] = Field(description="the range a phrase window's span is drawn from (semitones)")
    contrast: int = Field(ge=0, le=12, description="the most a contrasting section's centre moves from home, "
                                                   "up or down (semitones)")
    climax: tuple[int, int] = Field(description="the range of how far the climax phrase's centre rises above "
                                                "home (semitones)")
    arch: int = Field(ge=0, le=12, description="semitones a phrase's window rises from its start to its peak bar "
                                               "and falls again to its cadence")
    pull: float = Field(gt=0, description="log-probability taken from a note per semitone it lies outside its "
                                          "bar's window: how firmly the line keeps to the plan")
    shift_bias: tuple[float, float] = Field((0.0, 0.0), description="the range a section's bias toward a leap of "
                                            "more than an octave into a phrase's first note, toward its window, "
                                            "is drawn from (log-probability): some pieces leap between phrases")
    climax_at: float = Field(2 / 3, gt=0, lt=1, description="where in the piece (a share of its bars) the phrase "
                                                          "holding the climax lies: two thirds through, or a "
                                                          "waltz's middle section, sung higher in its new key")
    compass: tuple[int, int] | None = Field(None, description="the range a piece's compass (semitones from its "
                                            "home phrase's floor to its climax's top) is drawn from by the "
                                            "piece's seed; the climax reaches it and every window keeps inside "
                                            "it (None: the climax rises by `climax` within the line's register)")
    foot_on_tonic: bool = Field(False, description="whether the compass starts on the tonic nearest where it "
                                "would start (within the register, its top cut to fit): a fiddle tune runs up from "
                                "the tonic it ends on rather than opening on the dominant below it")
    character_share: float = Field(0.5, gt=0, le=1, description="the share of the compass and climax ranges a "
                                   "request's character draws from (`Reach`): a modest piece the lowest part, "
                                   "a wide one the highest; a request naming neither, the whole range")

    @model_validator(mode="after")
    def _ordered(self) -> RegisterPlan:
        for name in ("home", "span", "climax", "shift_bias", "compass"):
            if getattr(self, name) is None:
                continue
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"a register plan's {name} range {low}-{high} must be ordered and not negative")
        return self


class Cantabile(BaseModel):
    """How a slow line is made to sing after it is sampled (`tools.music.styles.cantabile`): the piano
    model, asked for a nocturne, walks in even quarters bar after bar (a hymn's tune); a nocturne's
    line holds a long note and moves on in shorter ones, runs up or down into a note it would leap
    to, and breathes where a phrase ends. A setting it does not know (a misspelt or renamed one) is
    refused rather than silently left at its default."""

    model_config = ConfigDict(extra="forbid")

    rhythms: dict[str, list[list[float]]] = Field(
        description="by meter, the bar rhythms (quarters, long notes before shorter ones) an even bar (every "
                    "note as long, from the downbeat) of as many notes may take instead")
    run_rate: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's run rate is drawn from "
                                          "(by the piece's seed): the chance that a bar's last beat, before a leap "
                                          "of `run_leap` or more into the next bar, becomes a run of sixteenths "
                                          "into its note (some pieces plain, some florid)")
    run_leap: int = Field(5, ge=3, le=12, description="the smallest leap into a bar's first note a run fills")
    phrase_breath_quarters: float = Field(0.5, ge=0, description="the rest (quarters, at least) between a "
                                                                 "phrase's cadence note and the next phrase's "
                                                                 "upbeat inside a section (whether a line may "
                                                                 "rest at all is `LineRules.breath`)")

    @model_validator(mode="after")
    def _whole_bars(self) -> Cantabile:
        for meter, rhythms in self.rhythms.items():
            length = parse_meter(meter).bar_quarters
            for rhythm in rhythms:
                if len(rhythm) < 2 or sum(rhythm) != length or any(d <= 0 for d in rhythm):
                    raise ValueError(f"a cantabile rhythm {rhythm} in {meter} must fill its bar ({length} quarters) "
                                     "with two notes or more")
        low, high = self.run_rate
        if not 0 <= low <= high <= 1:
            raise ValueError(f"a cantabile run rate {low}-{high} is an ordered range of chances from 0 to 1")
        return self


def check_shares(owner: str, shares: dict[str, tuple[float, float]]) -> None:
    """Refuse a range of shares (`name` -> (low, high)) that is not ordered within 0 to 1, naming it."""
    for name, (low, high) in shares.items():
        if not 0 <= low <= high <= 1:
            raise ValueError(f"{owner} share of {name} {low}-{high} is an ordered range of shares from 0 to 1")


class LineRules(BaseModel):
    """The grammar a line is sampled under, in quarter notes and MIDI pitches."""

    lowest: int = Field(ge=21, le=108)
    highest: int = Field(ge=21, le=108)
    grid: float = Field(gt=0, description="onsets fall on multiples of this many quarters (no tuplets)")
    durations: list[float] = Field(min_length=1, description="the note lengths the line may use")
    max_leap: int = Field(ge=1, le=24, description="largest interval between successive notes, in semitones")
    step_bias: tuple[float, float] = Field(description="the range a piece's step bias is drawn from (by the piece's "
                                           "seed): the log-probability added to a note a step from the previous "
                                           "one. Beethoven's dances move by step in 11% to 73% of their top "
                                           "voice's intervals, some tunes running, others leaping through "
                                           "their chords")
    tonic_bias: float = Field(0.0, ge=0, description="log-probability added to a tonic-triad note on a beat")
    length_bias: dict[float, float] = Field(default_factory=dict,
                                            description="log-probability added to note lengths (quarters -> bias)")
    meter_length_bias: dict[str, dict[float, float]] = Field(
        default_factory=dict, description="the length bias in the meters named, in place of `length_bias` (a "
                                          "reel's running eighths in 4/4, where a jig's 6/8 lilt wants quarters)")
    motion_length_bias: dict[Motion, dict[float, float]] = Field(
        default_factory=dict, description="added to the note lengths of every hand the style samples (quarters -> "
                                          "log-probability) in a section whose character asks for that motion "
                                          "(`motion_named_in`), on top of `length_bias`; a motion not listed "
                                          "changes nothing")
    density_length_bias: dict[float, float] = Field(
        default_factory=dict, description="added to the note lengths of every hand the style samples (quarters -> "
                                          "log-probability), scaled from -1 in the lightest piece to +1 in the "
                                          "densest (the piece's density, `tools.music.styles.density`): a dense "
                                          "piece runs in short notes, a light one holds long ones; on top of a "
                                          "motion's bias")
    rests: bool = Field(description="whether the line may fall silent inside a bar")
    detached: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's share of detached long "
                                          "notes is drawn from: a note of two beats or more struck for a beat, "
                                          "then a rest (`tools.music.styles.articulation`)")
    ornament_rate: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's ornament rate is drawn "
                                               "from (by the piece's seed): the share of its long notes that take "
                                               "a turn in thirty-seconds or a dotted figure once the line is "
                                               "harmonised (`tools.music.styles.fioritura`)")
    second_voice: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's share of bars sung "
                                              "in two voices is taken from (at the piece's density): a third or a "
                                              "sixth under the tune's notes, above the accompaniment "
                                              "(`tools.music.styles.thirds`)")
    chordal_from: float | None = Field(None, ge=0, le=1, description="the piece density (`tools.music.styles."
                                                                      "density`) from which its bars in two voices "
                                                                      "sound a chord, a third voice under the "
                                                                      "second (None: never): the densest slow "
                                                                      "movements sing in chords over a running "
                                                                      "left hand")
    breath: bool = Field(False, description="whether a line without rests may fall silent after a phrase's "
                                            "last note (a rest to the bar's end, or before a pickup)")
    notes_per_onset: int = Field(1, ge=1, le=5, description="notes struck together (1: a single line)")
    phrase_end: float = Field(gt=0, description="the length of the note that ends a phrase")
    phrase_leap: int | None = Field(None, ge=1, le=24, description="largest interval into a phrase's first note "
                                                                  "(a register change between phrases; None: max_leap)")
    wide_leap: int | None = Field(None, ge=1, le=36, description="largest interval the leap budget allows anywhere "
                                                                "in the line (None: no budget, max_leap holds)")
    leap_budget: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's leap budget is drawn "
                                             "from: the share of the line's intervals that may exceed max_leap, "
                                             "up to wide_leap (Beethoven's first movements leap past the octave in "
                                             "0 to 16% of their top voice's intervals)")
    leap_bias: float = Field(0.0, ge=0, description="log-probability added to a leap the open budget allows (the "
                                                    "model seldom offers one on its own)")
    chromatic: bool = Field(False, description="whether the line may take a chromatic passing or neighbour note: "
                                               "outside the scale, approached by step and resolved by a semitone")
    chromatic_bias: float = Field(0.0, ge=0, description="log-probability added to such a chromatic note")
    tonicise: float = Field(0.0, ge=0, le=1, description="the share of phrases whose inner bars borrow a related "
                                                         "key's scale (`tools.music.styles.tonicisation`)")
    register_plan: RegisterPlan | None = Field(None, description="the phrases' register windows (None: the whole "
                                                                 "register throughout)")
    max_repeats: int | None = Field(None, ge=1, description="most notes in a row on one pitch (None: any; a "
                                                             "fiddle tune's repeated-note figures)")
    max_alternation: int | None = Field(None, ge=3, description="most notes in a row rocking between two pitches "
                                                                "(4: G A G A, not G A G A G; None: any)")
    hover: tuple[int, int] | None = Field(None, description="(notes, semitones): the most notes in a row the line may "
                                                           "keep within so many semitones ([8, 3]: the eighth note "
                                                           "leaves a minor third the seven before kept to; None: "
                                                           "any)")
    rock_spacing: int | None = Field(None, ge=1, description="fewest notes from a return off a neighbour note to the "
                                                             "next return on the same two pitches (6: A G A, then "
                                                             "A G A again six notes on at the earliest; None: any)")
    return_bias: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's return bias is drawn "
                                             "from (by the piece's seed): the log-probability subtracted from a "
                                             "note that returns off a neighbour note (A G A, any two pitches). "
                                             "Beethoven's first movements return in 0% to 15% of their top "
                                             "voice's turns, some built on neighbour figures, most moving on")
    max_even_span: float | None = Field(None, gt=0, description="the longest the line may run in notes of one "
                                                                "length, in quarters (4.0: a 4/4 bar of eighths, "
                                                                "then another length; None: any)")
    max_divided_beats: int | None = Field(None, ge=0, description="most beats of a bar the line divides into notes "
                                                                   "shorter than a beat (1: a chorale's soprano "
                                                                   "passes in eighths once a bar at most; None: any)")
    leading_tone_steps: bool = Field(False, description="whether the line leaves its leading tone by step only (up "
                                                       "to the tonic or down a step) inside a phrase: Bach's "
                                                       "sopranos leave it by leap 2 times in 56, sixty fixed-plan "
                                                       "chorales' 99 in 462 (session 51)")
    barred_leaps: list[int] = Field(default_factory=list, description="intervals in semitones (either way) the "
                                                                     "line never leaps where another note will do: "
                                                                     "a chorale soprano's tritone, [6]")
    melodic_minor: bool = Field(False, description="whether the line, in a minor key, steps through its sixth and "
                                                  "seventh by direction, as melodic minor does: the raised forms up "
                                                  "to the tonic, the natural ones down to the fifth, never an "
                                                  "augmented second (`tools.music.piano.grammar.MinorSteps`)")
    vary_figures: bool = Field(False, description="whether a freshly sampled line's bars that repeat the figure "
                                                  "before them are varied (sequence, inversion, a dotted rhythm) and "
                                                  "a second held bar in a row moves on: "
                                                  "`tools.music.styles.figures`")
    every_bar: bool = Field(False, description="whether the line strikes in every bar, however many rests it takes "
                                               "(a free piano's right hand does not fall silent for a whole bar)")
    outline_bias: float = Field(0.0, ge=0, description="log-probability added to a downbeat note that rises from "
                                                       "the last by a third to a sixth or an octave: a waltz tune "
                                                       "leaping through its chord")
    cantabile: Cantabile | None = Field(None, description="how a freshly sampled line is made to sing (None: as "
                                                          "sampled)")

    @model_validator(mode="after")
    def _ordered(self) -> LineRules:
        if self.lowest >= self.highest:
            raise ValueError(f"a line's lowest pitch {self.lowest} must be below its highest {self.highest}")
        if self.phrase_leap is not None and self.phrase_leap < self.max_leap:
            raise ValueError(f"a line's leap between phrases {self.phrase_leap} must be at least its max_leap "
                             f"{self.max_leap}")
        if self.wide_leap is not None and self.wide_leap < self.max_leap:
            raise ValueError(f"a line's budgeted leap {self.wide_leap} must be at least its max_leap {self.max_leap}")
        low, high = self.leap_budget
        if not 0 <= low <= high <= 1 or (high and self.wide_leap is None):
            raise ValueError(f"a line's leap budget {low}-{high} is an ordered range of shares from 0 to 1, with a "
                             "wide_leap for it to allow")
        for name, (low, high) in (("step bias", self.step_bias), ("return bias", self.return_bias)):
            if not 0 <= low <= high:
                raise ValueError(f"a line's {name} {low}-{high} is an ordered range from 0")
        check_shares("a line's", {"detached notes": self.detached, "ornamented notes": self.ornament_rate,
                                  "bars in two voices": self.second_voice})
        if self.hover is not None and (self.hover[0] < 3 or self.hover[1] < 0):
            raise ValueError(f"a line hovers over at least 3 notes within 0 or more semitones, not {self.hover}")
        for meter in self.meter_length_bias:
            parse_meter(meter)
        if self.register_plan is not None and not self.lowest <= self.register_plan.home[0] <= (
                self.register_plan.home[1]) <= self.highest:
            raise ValueError(f"a line's home centres {self.register_plan.home} must lie in its register "
                             f"{self.lowest}-{self.highest}")
        compass = self.register_plan and self.register_plan.compass
        if compass and compass[1] > self.highest - self.lowest:  # a wider draw is clipped: a pile-up at the width
            raise ValueError(f"a line's compass {compass[0]}-{compass[1]} must fit its register "
                             f"{self.lowest}-{self.highest} ({self.highest - self.lowest} semitones): narrow the "
                             "compass or widen the register")
        return self

    def in_meter(self, meter: str) -> LineRules:
        """These rules for a line in `meter`: the meter's own length bias where the data gives one."""
        if meter not in self.meter_length_bias:
            return self
        return self.model_copy(update={"length_bias": self.meter_length_bias[meter]})


class OctavePassage(BaseModel):
    """How often and where the left hand doubles the tune in octaves (`tools.music.styles.octaves`): a
    free piano's unison outburst, a waltz's tutti run; a style whose pieces never do has a chance of 0."""

    chance: float = Field(0.0, ge=0, le=1, description="the share of pieces with one passage in octaves")
    place: tuple[float, float] = Field((0.25, 0.75), description="where in the piece it may start, as shares "
                                                                 "of its bars")
    bars: tuple[int, int] = Field((1, 2), description="its fewest and most bars")

    @model_validator(mode="after")
    def _ordered(self) -> OctavePassage:
        if not 0 <= self.place[0] <= self.place[1] <= 1 or not 1 <= self.bars[0] <= self.bars[1]:
            raise ValueError(f"an octave passage starts in an ordered range of shares 0-1 ({self.place}) and lasts "
                             f"an ordered range of at least one bar ({self.bars})")
        return self


class BassRules(BaseModel):
    """The lower hand of a free piano texture, sampled with the melody."""

    lowest: int = Field(ge=21, le=108)
    highest: int = Field(ge=21, le=108)
    max_leap: int = Field(ge=1, le=24)
    notes_per_onset: int = Field(ge=1, le=5)
    chromatic: bool = Field(False, description="chromatic passing or neighbour notes in the bass, as in LineRules")
    every_bar: bool = Field(False, description="whether the hand strikes in every bar (a free piano's left hand "
                                               "does not drop out for a whole bar)")
    entry_bias: float = Field(0.0, ge=0, description="log-probability added to the hand's notes while it must "
                                                     "still sound in the bar (every_bar), joining the line's onset")
    detached: tuple[float, float] = Field((0.0, 0.0), description="the range a piece's share of the hand's legato "
                                          "notes of one or two beats struck short is drawn from, the rest of "
                                          "the note a rest (`tools.music.styles.articulation.detach_struck`)")

    @model_validator(mode="after")
    def _shares(self) -> BassRules:
        check_shares("a hand's", {"detached notes": self.detached})
        return self


class Sampling(BaseModel):
    temperature: float = Field(gt=0, le=2)
    top_p: float = Field(gt=0, le=1)


class ListeningLimits(BaseModel):
    """What a draft in this style must stay within, as the listening validators measure it."""

    max_leap: int = Field(description="largest top-voice interval, in semitones")
    max_tuplet_share: float
    max_rest_share: float = Field(description="largest share of events that are rests; no stricter than the "
                                              "style's real pieces (a nocturne's staccato bass, a sixteenth and "
                                              "a rest a pulse, as under Beethoven's op. 2 no. 2 Largo, rests in "
                                              "20-39% of a piece's events, and 5 of his 31 slow movements rest "
                                              "in more than 25%: a limit of 25% warned on 7 of sixty fixed-plan "
                                              "nocturnes and sent them to repairs no re-roll could make; the "
                                              "nocturne's is now 35%: 4 of the sixty)")
    max_top_range: int = Field(description="widest top-voice range, in semitones; for a line with a compass, at "
                                           "least the widest compass it draws (a range the plan asks for is no "
                                           "fault) and at most its register's width (no line sings wider)")
    min_step_share: float
    max_parallels_per_bar: float


GOLDEN_FRACTION = (5 ** 0.5 - 1) / 2
"""The golden ratio's fraction: successive multiples of it spread over [0, 1) as evenly as any sequence."""


class StyleSpec(BaseModel):
    style: Style
    description: str
    meters: list[str] = Field(min_length=1, description="the meters the style is written in; the first is the default")
    meter_shares: dict[str, float] = Field(
        default_factory=dict, description="how many of the style's reference pieces are in each of its meters; a "
                                          "request that names no meter is given one drawn in these shares "
                                          "(`drawn_meter`), since a small Composer picks the first meter every time "
                                          "(twenty chorales of twenty in 4/4, where 4 of Bach's 30 are in 3/4; "
                                          "the free piano's are Beethoven's 32 first movements', 2/2 counted as "
                                          "4/4 and 3/8 as 3/4; the nocturne's his 32 slow movements', duple and "
                                          "compound duple as 4/4, triple and compound triple as 3/4). Empty: the "
                                          "Composer's choice stands")
    tempo: tuple[int, int, int] = Field(description="slowest, fastest and usual quarter notes per minute")
    texture: StyleTexture
    accompaniment: Accompaniment | None = Field(None, description="the left hand under a melody_and_accompaniment")
    instruments: list[str] = Field(min_length=1, max_length=2, description="ids in ontology.music.INSTRUMENTS")
    harmonic_rhythm_beats: int = Field(ge=1, le=4, description="beats of the meter per chord")
    held_harmony: bool = Field(False, description="a chord is held through the bar, changing at the half bar "
                                                  "only where the melody's note there is not its tone (a fiddle "
                                                  "tune's one or two chords a bar)")
    vary_rocking: bool = Field(False, description="the harmoniser's tonic-dominant rocking (i V i V) is chosen again "
                                                 "with those chords barred where it rocks "
                                                 "(`tools.music.harmony.rocking`): a chorale's harmony moves on, "
                                                 "where a waltz's or a jig's may swing between I and V")
    tonic_opening_bar: bool = Field(False, description="a section's whole first bar is given its tonic, not only "
                                                       "its downbeat: a nocturne's left hand spreads the key's "
                                                       "chord under its first bar before the harmony moves")
    pickup: float = Field(0.0, ge=0, description="quarters before the first full bar (0: the style starts on "
                                                 "the downbeat); the last bar is shorter by as much")
    strain_lead: float | None = Field(None, gt=0, description="quarters of the run a strain's held close leads "
                                                              "back in where another strain follows (a jig's "
                                                              "'d3 ABc'), the tune's last strain leading in its "
                                                              "pickup; None: every strain leads in the pickup")
    picardy_third: bool = Field(False, description="a piece in minor closes on the major tonic where its tune ends "
                                                   "on the tonic or the fifth (Bach's minor chorales end on a major "
                                                   "chord, none on the minor tonic)")
    contrast_in_other_mode: bool = Field(True, description="a contrasting middle may go to the tonic's other "
                                                           "mode (the parallel key, three accidentals from home: a "
                                                           "nocturne's minore); False: it keeps to the closely "
                                                           "related keys, whose signatures differ from home's by one "
                                                           "accidental at most (`ontology.music_forms.contrast_key`)")
    melody: LineRules
    bass: BassRules | None = None
    octaves: OctavePassage = Field(default_factory=OctavePassage, description="a passage where the left hand "
                                                                             "doubles the tune in octaves")
    sampling: Sampling
    limits: ListeningLimits

    @model_validator(mode="after")
    def _consistent(self) -> StyleSpec:
        for meter in self.meters:
            parse_meter(meter)
        if set(self.meter_shares) - set(self.meters) or any(share <= 0 for share in self.meter_shares.values()):
            raise ValueError(f"{self.style}: meter_shares must give positive shares to meters in {self.meters}")
        slowest, fastest, usual = self.tempo
        if not slowest <= usual <= fastest:
            raise ValueError(f"{self.style}: the usual tempo {usual} is outside {slowest}-{fastest}")
        if (self.texture == "piano") != (self.bass is not None):
            raise ValueError(f"{self.style}: bass rules belong to the free piano texture only")
        if (self.texture == "melody_and_accompaniment") != (self.accompaniment is not None):
            raise ValueError(f"{self.style}: an accompaniment belongs to the melody_and_accompaniment texture only")
        if self.octaves.chance and self.texture not in ("piano", "melody_and_accompaniment"):
            raise ValueError(f"{self.style}: a passage in octaves needs a left hand to double the tune (the piano or "
                             "melody_and_accompaniment texture); set its chance to 0")
        compass = self.melody.register_plan and self.melody.register_plan.compass
        if compass and not compass[1] <= self.limits.max_top_range <= self.melody.highest - self.melody.lowest:
            raise ValueError(f"{self.style}: max_top_range {self.limits.max_top_range} must lie between the widest "
                             f"compass drawn ({compass[1]}) and the melody's register width "
                             f"({self.melody.highest - self.melody.lowest})")
        return self

    def default_tempo(self) -> int:
        return self.tempo[2]

    def drawn_meter(self, seed: int) -> str | None:
        """The meter for a session with `seed` whose request names none, in `meter_shares` (None where
        the style gives none). The seeds walk a golden-ratio sequence rather than a random one, so any
        run of consecutive seeds holds each meter in its share to within a piece (seeds 0-19 give
        two chorales in 3/4), and seed 0, every session's default, the first meter, the style's usual one."""
        if not self.meter_shares:
            return None
        point = seed * GOLDEN_FRACTION % 1.0
        total = sum(self.meter_shares.values())
        reached = 0.0
        for meter in self.meters:
            reached += self.meter_shares.get(meter, 0.0) / total
            if point < reached:
                return meter
        return next(meter for meter in reversed(self.meters) if meter in self.meter_shares)  # rounding at 1.0

    def lead(self, *, inner: bool, pickup: float) -> float:
        """Quarters of the run a section's held close leads on in (0: none): `strain_lead` where another
        section follows (`inner`), else the `pickup` (the tune's last strain leads round into its first bar)."""
        return self.strain_lead if self.strain_lead and inner else pickup

    def chord_slot(self, meter: Meter) -> Fraction:
        """Quarters per chord: the harmonic rhythm in the meter's beats, or one beat where that does
        not divide the bar (a nocturne's half-bar chords in 3/4)."""
        beat = meter.beat_quarters
        slot = beat * self.harmonic_rhythm_beats
        return slot if (meter.bar_quarters / slot).denominator == 1 else beat


class StyleDataError(ValueError):
    """`music_styles.json` does not describe every style correctly; the message names the fault."""


@cache
def style_specs() -> dict[Style, StyleSpec]:
    """Every style's data, read and checked once."""
    raw = json.loads(STYLES_FILE.read_text(encoding="utf-8"))
    specs = {Style(name): StyleSpec.model_validate({"style": name, **value}) for name, value in raw.items()}
    missing = set(Style) - set(specs)
    if missing:
        raise StyleDataError(f"{STYLES_FILE.name} lacks the styles {sorted(missing)}")
    return specs


def style_spec(style: Style | str) -> StyleSpec:
    return style_specs()[Style(style)]


STYLE_WORDS: dict[Style, tuple[str, ...]] = {
    Style.CHORALE: ("chorale", "hymn", "four-part", "four part", "satb"),
    Style.WALTZ: ("waltz", "valse"),
    Style.NOCTURNE: ("nocturne",),
    Style.JIG: ("jig", "reel", "fiddle tune"),
    Style.FREE_PIANO: ("piano piece", "piano sonata", "sonata", "prelude", "chorale prelude", "chorale-prelude",
                       "impromptu", "etude", "étude", "bagatelle", "fantasia"),
}
"""Words in a request that name a style; a request naming none leaves the choice to the Composer. A
"piano piece" asks for free piano writing, not for a dance the Composer might pick."""


def style_named_in(text: str) -> Style | None:
    """The style a request's words name (the earliest mention wins, the longest name where two start
    together: a "chorale prelude" is free piano, not a chorale), or None."""
    lowered = text.lower()
    found = [(match.start(), -len(word), style) for style, words in STYLE_WORDS.items() for word in words
             if (match := re.search(rf"\b{re.escape(word)}s?\b", lowered))]
    return min(found)[2] if found else None


MOTION_WORDS: dict[Motion, tuple[str, ...]] = {
    Motion.AGITATED: ("storm", "agitat", "restless", "urgen", "turbul", "tempest", "furi", "fiery", "frantic",
                      "frenz", "wild", "violen", "driving", "energetic", "lively", "vivace", "presto", "turmoil",
                      "chaotic", "feverish", "breathless", "relentless", "raging", "rage", "tumult", "impetuous"),
    Motion.GENTLE: ("gentl", "calm", "tranquil", "serene", "peace", "quiet", "tender", "lyric", "mellow", "dream",
                    "lullab", "soft", "slow", "placid", "hymn", "sooth", "restful", "meditat", "cantabile", "adagio",
                    "largo", "lento", "unhurried"),
}
"""The beginnings of the words that ask for a motion ("storm" for stormy and storms, "gentl" for
gentle and gently); a word right after a negation ("not", "no", "never", "less", "without") asks
for nothing."""
_NEGATIONS = {"not", "no", "never", "less", "without", "nor"}


Named = TypeVar("Named", Motion, Reach, Shade)


def _named_in(text: str, vocabulary: dict[Named, tuple[str, ...]]) -> Named | None:
    """The one choice of `vocabulary` whose words (their beginnings) `text` uses, not right after a
    negation; None where it uses none, or words of two."""
    words = re.findall(r"[a-z]+", text.lower())
    named = {choice for index, word in enumerate(words) for choice, stems in vocabulary.items()
             if word.startswith(stems) and (index == 0 or words[index - 1] not in _NEGATIONS)}
    return named.pop() if len(named) == 1 else None


def motion_named_in(text: str) -> Motion | None:
    """The motion `text`'s words ask for: the one whose words it uses, or None where it uses none, or
    words of both ("a calm opening before the storm" leaves the section to the plan's other words)."""
    return _named_in(text, MOTION_WORDS)


def section_motion(character: str, request: str) -> Motion | None:
    """A section's motion: its own character's words (the Composer's plan for it), else the request's
    (a stormy piece is stormy throughout unless a section's words say otherwise)."""
    return motion_named_in(character) or motion_named_in(request)


SHADE_WORDS: dict[Shade, tuple[str, ...]] = {
    Shade.DARKER: ("dark", "sad", "sorrow", "melanchol", "grief", "griev", "gloom", "somber", "sombre", "mourn",
                   "lament", "tragic", "bitter", "anguish", "despair", "storm", "agitat", "tense", "tension", "anxi",
                   "fear", "conflict", "anger", "angry", "rage", "raging", "fury", "furious", "dramatic", "turbul",
                   "menac", "ominous", "brood", "haunt", "troubl", "painful", "desolat", "tempest", "turmoil"),
    Shade.BRIGHTER: ("bright", "cheer", "joy", "happy", "hopeful", "sunny", "playful", "radiant", "uplift", "triumph",
                     "lively", "upbeat", "vibrant", "exuberan", "festive", "jubil", "consol", "carefree", "sparkl",
                     "merry", "gleam", "glow", "celebrat", "elat", "buoyant"),
}
"""The beginnings of the words that ask a contrasting section for a darker or a brighter key; a
negated word asks for nothing, and words of both for neither (the Composer's key stands)."""


def shade_named_in(character: str) -> Shade | None:
    """The shade a section's character asks for (`Shade`), or None where its words do not say."""
    return _named_in(character, SHADE_WORDS)


REACH_WORDS: dict[Reach, tuple[str, ...]] = {
    Reach.MODEST: ("gentl", "quiet", "tender", "simple", "simply", "calm", "soft", "intimate", "modest", "delicate",
                   "lullab", "innocen", "naive", "childlike", "serene", "tranquil", "peace", "dolce", "sweet"),
    Reach.WIDE: ("brillian", "storm", "grand", "virtuos", "bravura", "majest", "heroic", "dramatic", "sweeping",
                 "triumph", "tempest", "passionat", "spectacul", "dazzl", "showy", "flamboyan", "soaring", "epic"),
}
"""The beginnings of a request's words that ask how far its line ranges ("gentl" for gentle and
gently); as with a motion, a negated word asks for nothing, and words of both for neither."""


def reach_named_in(request: str) -> Reach | None:
    """How far the piece a request describes ranges (`Reach`), or None where its words do not say: the
    request's words alone, since the compass is the whole piece's (every section keeps to it)."""
    return _named_in(request, REACH_WORDS)
