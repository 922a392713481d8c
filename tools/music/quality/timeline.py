"""One representation for generated and real music, so the quality features measure both by the same code.

A generated piece is a `Piece` of bars; a reference is a music21 score (MusicXML chorales, ABC
tunes, **kern sonatas) with pickups, ties and voices. Both become a `Timeline`: every notated event
(note, chord or rest) of every voice at its onset in quarter notes from the start, the meter's bar
and beat lengths, and the key the piece states. Ties stay two events in both, because a `Piece`
cannot write a tie either.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ontology.music import Piece
from ontology.music_theory import Key, Meter, MusicTheoryError, exact_quarters, parse_key, parse_meter

MAJOR_LIKE_MODES = {"major", "ionian", "lydian", "mixolydian"}
"""Church modes a tune may state (ABC `K:Ador`) count as major or minor by their third."""


@dataclass(frozen=True)
class TimedEvent:
    """A note, chord or rest (no pitches) of one voice, in quarter notes from the piece's start."""

    onset: Fraction
    duration: Fraction
    pitches: tuple[int, ...]

    @property
    def end(self) -> Fraction:
        return self.onset + self.duration


@dataclass(frozen=True)
class Timeline:
    """A piece as timed events plus what the features need to read them (bar, beat, stated key)."""

    name: str
    events: tuple[TimedEvent, ...]
    bar_length: Fraction
    beat_length: Fraction
    key: Key | None
    """The key the piece states: asked of a generated piece, written in a reference (None if unstated)."""
    downbeat: Fraction = Fraction(0)
    """Where the first full bar starts: the pickup's length (beats are counted from bar lines)."""

    @property
    def length_bars(self) -> float:
        """How many bars of music the piece holds (fractional with a pickup or a short last bar)."""
        end = max((event.end for event in self.events), default=Fraction(0))
        return float(end / self.bar_length)

    def sounding(self) -> list[tuple[Fraction, Fraction, int]]:
        """(start, end, pitch) of every struck pitch, ordered by start."""
        return sorted((e.onset, e.end, pitch) for e in self.events for pitch in e.pitches)


def beat_length(meter: Meter) -> Fraction:
    """The felt beat in quarters: a dotted note in compound meters (6/8, 9/8, 12/8, 6/4), else the
    denominator's note (music21's `TimeSignature.beatDuration` agrees)."""
    unit = Fraction(4, meter.denominator)
    compound = meter.numerator % 3 == 0 and meter.numerator > 3
    return 3 * unit if compound else unit


def timeline_from_piece(piece: Piece, name: str = "") -> Timeline:
    """A generated piece's events: its pickup bar's from 0, then each bar a whole bar after the one
    before it, from the first full bar (the downbeat, after the pickup)."""
    meter = parse_meter(piece.meter)
    events = []
    for part in piece.parts:
        bars = [(Fraction(0), part.pickup_bar)] if part.pickup_bar is not None else []
        bars += [(piece.bar_start(number), bar) for number, bar in enumerate(part.bars)]
        for start, bar in bars:
            for voice in bar.voices:
                onset = start
                for event in voice:
                    duration = exact_quarters(event.duration)
                    events.append(TimedEvent(onset, duration, tuple(event.pitches)))
                    onset += duration
    return Timeline(name or piece.title, tuple(sorted(events, key=_order)), meter.bar_quarters, beat_length(meter),
                    parse_key(piece.key), piece.bar_start(0))


def ontology_key(stated) -> Key | None:  # stated: music21.key.Key
    """A music21 key as the ontology's; modes count by their third; None for keys it cannot write."""
    mode = "major" if stated.mode in MAJOR_LIKE_MODES else "minor"
    try:
        return parse_key(f"{stated.tonic.name.replace('-', 'b')} {mode}")
    except MusicTheoryError:
        return None


def timeline_from_score(score, name: str, max_bars: int | None = None) -> Timeline:  # score: music21 Score
    """A music21 score's events (grace notes, hidden rests and chord-symbol labels left out).

    The meter is the first time signature; the key the first `Key` the score writes (a bare key
    signature does not say major or minor, so it leaves the key unstated). `max_bars` keeps the
    events that start within the first that many bars after a pickup, so a long movement is
    measured on an opening as long as a generated piece.
    """
    from music21 import harmony, key, meter, stream

    signature = next(iter(score.recurse().getElementsByClass(meter.TimeSignature)), None)
    parsed_meter = parse_meter(signature.ratioString if signature is not None else "4/4")
    bar_length = parsed_meter.bar_quarters
    stated = next(iter(score.recurse().getElementsByClass(key.Key)), None)
    parts = list(score.parts) or [score]
    first = next(iter(parts[0].getElementsByClass(stream.Measure)), None)
    first_length = Fraction(first.duration.quarterLength) if first is not None else bar_length
    pickup = first_length if 0 < first_length < bar_length else Fraction(0)
    limit = None if max_bars is None else pickup + bar_length * max_bars
    events = []
    for part in parts:
        for element in part.recurse().notesAndRests:
            if isinstance(element, harmony.ChordSymbol) or element.duration.isGrace:
                continue
            if element.isRest and element.style.hideObjectOnPrint:
                continue
            duration = Fraction(element.duration.quarterLength)
            onset = Fraction(element.getOffsetInHierarchy(part))
            if duration <= 0 or (limit is not None and onset >= limit):
                continue
            pitches = () if element.isRest else tuple(int(p.midi) for p in element.pitches)
            events.append(TimedEvent(onset, duration, pitches))
    return Timeline(name, tuple(sorted(events, key=_order)), bar_length, beat_length(parsed_meter),
                    ontology_key(stated) if stated is not None else None, pickup)


def _order(event: TimedEvent) -> tuple[Fraction, Fraction, tuple[int, ...]]:
    return event.onset, event.duration, event.pitches
