"""The music ontology: a piece as sections, parts of bars of notes, and chord symbols per beat.

Like the game ontology it is a grammar for agents: a composer plans the form (sections with
their length, key and closing cadence), tools and agents fill the parts, and the validators in
`ontology.music_validators` check what types cannot (ranges, full bars, harmony against the key
plan, cadences where the form puts them). Pitches are MIDI numbers and durations quarter notes,
so a piece round-trips to MIDI and MusicXML without interpretation.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from ontology.core import Id
from ontology.music_styles import Style
from ontology.music_theory import Key, Meter, MusicTheoryError, exact_quarters, parse_chord, parse_key, parse_meter

MAX_BARS = 512
"""The longest piece a session may ask for; longer requests are refused before any work starts."""


def _canonical(parse: Callable[[str], Any], attribute: str) -> AfterValidator:
    """Accept what `parse` understands and store its canonical spelling ('dm' -> 'D minor')."""

    def check(text: str) -> str:
        try:
            canonical: str = getattr(parse(text), attribute)
            return canonical
        except MusicTheoryError as exc:
            raise ValueError(str(exc)) from exc

    return AfterValidator(check)


KeyName = Annotated[str, _canonical(parse_key, "name")]
MeterName = Annotated[str, _canonical(parse_meter, "name")]
ChordSymbol = Annotated[str, _canonical(parse_chord, "symbol")]
"""A chord symbol as written ('D#dim', 'Ebmaj7'); a `Piece` respells each root from its key."""


class Cadence(StrEnum):
    AUTHENTIC = "authentic"  # V -> I
    HALF = "half"  # ... -> V
    PLAGAL = "plagal"  # IV -> I
    DECEPTIVE = "deceptive"  # V -> vi


class VariationDistance(StrEnum):
    """How far a variation moves from its source: a closed list, so a plan or a critic can name it."""

    RESTATE = "restate"  # the source's material again, closed on this section's cadence (a recapitulation)
    NEAR = "near"  # recognisably the source, partly rewritten
    FAR = "far"  # the source as a starting point, mostly new material


class Variation(BaseModel):
    """A section made from an earlier section's material: how a form returns (A B A') or develops."""

    of: Id = Field(description="id of the earlier section whose material returns")
    distance: VariationDistance = Field(VariationDistance.NEAR, description="how far it moves from that material")


class Instrument(BaseModel):
    """A part's instrument and its playable (or singable) range."""

    id: Id
    name: str = Field(min_length=1, max_length=60)
    lowest: int = Field(ge=0, le=127, description="lowest MIDI pitch")
    highest: int = Field(ge=0, le=127, description="highest MIDI pitch")
    midi_program: int = Field(0, ge=0, le=127, description="General MIDI program (0 = acoustic grand piano)")
    clef: Literal["treble", "bass"] = Field("treble", description="the clef its part is written in")

    @model_validator(mode="after")
    def _ordered(self) -> Instrument:
        if self.lowest > self.highest:
            raise ValueError(f"instrument {self.id}: lowest pitch {self.lowest} is above highest {self.highest}")
        return self


INSTRUMENTS: dict[str, Instrument] = {
    instrument.id: instrument
    for instrument in (
        Instrument(id="piano_right", name="Piano (right hand)", lowest=21, highest=108),
        Instrument(id="piano_left", name="Piano (left hand)", lowest=21, highest=108, clef="bass"),
        Instrument(id="soprano", name="Soprano", lowest=60, highest=81, midi_program=52),
        Instrument(id="alto", name="Alto", lowest=53, highest=74, midi_program=52),
        Instrument(id="tenor", name="Tenor", lowest=48, highest=69, midi_program=52),
        Instrument(id="bass", name="Bass", lowest=40, highest=62, midi_program=52, clef="bass"),
        Instrument(id="choir_upper", name="Soprano and alto", lowest=53, highest=81, midi_program=52),
        Instrument(id="choir_lower", name="Tenor and bass", lowest=40, highest=69, midi_program=52, clef="bass"),
        Instrument(id="violin", name="Violin", lowest=55, highest=103, midi_program=40),
        Instrument(id="viola", name="Viola", lowest=48, highest=91, midi_program=41),
        Instrument(id="cello", name="Cello", lowest=36, highest=84, midi_program=42, clef="bass"),
        Instrument(id="flute", name="Flute", lowest=60, highest=96, midi_program=73),
        Instrument(id="clarinet", name="Clarinet in B-flat (sounding)", lowest=50, highest=94, midi_program=71),
    )
}
"""Common instruments with conventional ranges (choir voices use comfortable chorale ranges)."""


def pickup_grid(meter: Meter) -> Fraction:
    """The grid a pickup lies on: eighths in meters counted in halves or quarters (2/2, 3/4, 4/4),
    sixteenths in those counted in eighths (6/8), so a reel's one-eighth pickup and a jig's eighth
    or three eighths are on it, and a pickup of a fraction the meter never writes is not."""
    return Fraction(2, max(meter.denominator, 4))


Pitch = Annotated[int, Field(ge=0, le=127, description="MIDI pitch (60 = middle C)")]


MAX_EVENT_PITCHES = 10
"""The most pitches one event strikes: both hands' fingers. Tools that write notes keep within it
(the piano model's conversion allows five per hand, `tools.music.piano.notation.HAND_NOTES`)."""


class Event(BaseModel):
    """A note, a chord (several pitches struck together) or a rest (no pitches) in one voice."""

    pitches: list[Pitch] = Field(default_factory=list, max_length=MAX_EVENT_PITCHES, description="empty for a rest")
    duration: float = Field(gt=0, le=16, description="length in quarter notes (0.5 = an eighth)")


MAX_VOICES = 8
"""Simultaneous voices one bar may hold."""


class Bar(BaseModel):
    """One bar of a part: one or more simultaneous voices, each a sequence of events that fills the bar."""

    voices: list[list[Event]] = Field(min_length=1, max_length=MAX_VOICES)

    @classmethod
    def line(cls, *events: tuple[int | None, float]) -> Bar:
        """A one-voice bar from (pitch or None, duration) pairs."""
        return cls(voices=[[Event(pitches=[] if p is None else [p], duration=d) for p, d in events]])

    def pitches(self) -> list[int]:
        return [pitch for voice in self.voices for event in voice for pitch in event.pitches]


class Part(BaseModel):
    id: Id
    instrument: Id = Field(description="id of an instrument in the piece")
    bars: list[Bar] = Field(max_length=MAX_BARS)
    pickup_bar: Bar | None = Field(None, description="the notes before the first full bar, when the piece has a "
                                                     "pickup (its voices last `Piece.pickup` quarters)")


class ChordEvent(BaseModel):
    """A chord symbol sounding from `beat` of `bar` until the next event."""

    bar: int = Field(ge=1, le=MAX_BARS)
    beat: float = Field(ge=1, le=17, description="1-based beat in quarter notes from the bar's start")
    symbol: ChordSymbol = Field(description="root and quality, e.g. 'Dm', 'A7', 'Bbmaj7'; in a piece the root is "
                                            "spelled from the key of its section")
    borrowed: bool = Field(False, description="true for a chord deliberately taken from outside the key")

class Section(BaseModel):
    id: Id
    label: str = Field(min_length=1, max_length=40, description="e.g. 'A', 'B', 'coda'")
    bars: int = Field(ge=1, le=MAX_BARS)
    key: KeyName | None = Field(None, description="the section's key if it modulates, e.g. 'F major'")
    cadence: Cadence | None = Field(None, description="the cadence that closes the section")
    variation: Variation | None = Field(None, description="set when the section varies an earlier one")

class Piece(BaseModel):
    """One composition: the plan (form, key, meter, tempo) and its content (parts, harmony)."""

    title: str = Field(min_length=1, max_length=120)
    key: KeyName = Field(description="home key, e.g. 'D minor'")
    meter: MeterName = Field(description="time signature, e.g. '3/4'")
    style: Style = Field(Style.FREE_PIANO, description="the style the notes are written in (ontology.music_styles)")
    tempo_bpm: int = Field(ge=20, le=300, description="quarter-note beats per minute")
    instruments: list[Instrument] = Field(min_length=1, max_length=8)
    sections: list[Section] = Field(min_length=1, max_length=16)
    parts: list[Part] = Field(default_factory=list, max_length=8)
    harmony: list[ChordEvent] = Field(default_factory=list, max_length=4 * MAX_BARS)
    length_bars: int | None = Field(None, ge=1, le=MAX_BARS, description="the length the request asked for")
    pickup: float = Field(0.0, ge=0, description="quarters before the first full bar (an anacrusis; 0 = none); "
                                                 "the last bar is shorter by as much")

    @model_validator(mode="after")
    def _pickup_fits_the_meter(self) -> Piece:
        if self.pickup:
            meter = parse_meter(self.meter)
            grid = pickup_grid(meter)
            pickup = exact_quarters(self.pickup)
            if pickup >= meter.bar_quarters:
                raise ValueError(f"a pickup of {self.pickup:g} quarters is not shorter than a {self.meter} bar "
                                 f"({float(meter.bar_quarters):g}); use a shorter one or none")
            if pickup % grid:
                raise ValueError(f"a pickup of {self.pickup:g} quarters is off the {self.meter} grid; use a multiple "
                                 f"of {float(grid):g}")
        return self

    @model_validator(mode="after")
    def _chords_spelled_in_their_keys(self) -> Piece:
        self.harmony = self.spelled_harmony()
        return self

    def key_at(self, bar: int) -> Key:
        """The key of the section bar `bar` (1-based) is in; the home key outside every section."""
        for section, first, last in self.section_spans():
            if first <= bar <= last:
                return parse_key(section.key or self.key)
        return parse_key(self.key)

    def spelled_harmony(self) -> list[ChordEvent]:
        """The chord symbols with each root named as the key of its section writes it (`Chord.in_key`):
        D#dim, the leading-tone chord of E minor, not Ebdim; Ab, the borrowed bVI of C major, not G#.
        Whoever wrote a symbol (a harmoniser's one name per pitch class, an agent), the score reads in
        the key. A validated piece holds them so; writers ask again, as a copy made with new harmony
        (`model_copy`) is not validated. A diminished seventh is named on the leading tone of the chord after it."""
        chords = [parse_chord(event.symbol) for event in self.harmony]
        spelled = []
        for index, (event, chord) in enumerate(zip(self.harmony, chords, strict=True)):
            next_root = chords[index + 1].root if index + 1 < len(chords) else None
            symbol = chord.in_key(self.key_at(event.bar), next_root).symbol
            spelled.append(event if symbol == event.symbol else event.model_copy(update={"symbol": symbol}))
        return spelled

    def bar_start(self, index: int) -> Fraction:
        """Where bar `index` (0-based, in `Part.bars`) starts, in quarters from the piece's first note:
        after the pickup, one bar length apart (the pickup bar itself starts at 0)."""
        return exact_quarters(self.pickup) + parse_meter(self.meter).bar_quarters * index

    @property
    def total_bars(self) -> int:
        return sum(section.bars for section in self.sections)

    def section_spans(self) -> list[tuple[Section, int, int]]:
        """Each section with its first and last bar number (1-based, inclusive)."""
        spans, start = [], 1
        for section in self.sections:
            spans.append((section, start, start + section.bars - 1))
            start += section.bars
        return spans
