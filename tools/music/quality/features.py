"""The features issue 13 compares between generated and real music, each measured on a `Timeline`.

Numeric features (`NUMERIC_FEATURES`) are compared as distributions over pieces; the stated key
being the one music21 hears and the cadence that ends the piece are categorical and compared as
rates. Lines are the outer voices of the whole texture, so a chorale's soprano and bass and a
piano piece's top and bottom notes are read alike.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, Field

from ontology.music_theory import OCTAVE, STEP_SEMITONES, Key, Mode, neighbour_return
from tools.music.analysis import KeyEstimate, key_of_weights, parallel_perfects
from tools.music.harmony.chords import chord_pitch_classes, chord_root_quality, label_pitch_classes
from tools.music.quality.timeline import Timeline

DIMINISHED_QUALITIES = {"dim", "dim7", "hdim7"}
"""A leading-tone chord of these qualities stands in for the dominant in an authentic cadence."""

Chord = tuple[int, str]
"""A chord as (root pitch class, quality) in the harmoniser's templates."""


class Cadence(StrEnum):
    """How the piece ends, read from its last two different chords in the stated key."""

    AUTHENTIC = "authentic"  # V (or vii°) -> I
    PLAGAL = "plagal"  # IV -> I
    HALF = "half"  # ends on V
    OTHER = "other"


class PieceFeatures(BaseModel):
    """The measured features of one piece (definitions in the functions that compute them)."""

    name: str
    tuplet_share: float = Field(description="share of events whose length is not a power-of-two fraction of a quarter")
    duration_entropy: float = Field(description="Shannon entropy (bits) of the events' lengths")
    leap_share: float = Field(description="share of top-voice intervals larger than an octave")
    step_share: float = Field(description="share of top-voice intervals of one or two semitones")
    neighbour_returns: float = Field(description="share of the top voice's turns that return off a neighbour note")
    top_range: float = Field(description="highest minus lowest top-voice pitch, in semitones")
    out_of_key_share: float = Field(description="share of struck pitches outside the key's scale")
    notes_per_bar: float = Field(description="struck pitches per bar")
    rest_share: float = Field(description="share of events that are rests")
    parallels_per_bar: float = Field(description="parallel fifths/octaves between the outer voices per bar")
    heard_key: str | None = Field(description="the key music21 hears in the notes")
    key_established: bool | None = Field(description="the heard key is the stated one (None: no key stated)")
    cadence: Cadence


NUMERIC_FEATURES: dict[str, str] = {
    "tuplet_share": "tuplet share",
    "duration_entropy": "duration entropy (bits)",
    "leap_share": "leaps > octave (top voice)",
    "step_share": "stepwise share (top voice)",
    "neighbour_returns": "neighbour returns (top voice)",
    "top_range": "top-voice range (semitones)",
    "out_of_key_share": "out-of-key share",
    "notes_per_bar": "notes per bar",
    "rest_share": "rest share",
    "parallels_per_bar": "parallel 5ths/8ves per bar",
}
"""The distribution-compared features, field name -> label in tables."""


def is_tuplet(duration: Fraction) -> bool:
    """A length outside the binary grid (1/3, 2/3, 1/5, 4/3 ... of a quarter); dotted notes are on it."""
    denominator = duration.denominator
    return denominator & (denominator - 1) != 0


def tuplet_share(timeline: Timeline) -> float:
    """Share of events (notes, chords, rests) whose length has an odd factor in its denominator."""
    events = timeline.events
    return sum(is_tuplet(event.duration) for event in events) / len(events) if events else 0.0


def duration_entropy(timeline: Timeline) -> float:
    """Shannon entropy in bits of the distribution of event lengths (0 when every event is as long)."""
    counts = Counter(event.duration for event in timeline.events)
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def outer_voice(timeline: Timeline, highest: bool) -> list[tuple[Fraction, int]]:
    """The top (or bottom) voice as (onset, pitch): at each onset the highest (lowest) pitch struck,
    unless a higher (lower) note struck earlier still sounds; then the onset belongs to an inner voice.
    This keeps a held melody note from being followed by the accompaniment's notes under it."""
    struck: defaultdict[Fraction, list[tuple[Fraction, int]]] = defaultdict(list)
    for start, end, pitch in timeline.sounding():
        struck[start].append((end, pitch))
    line: list[tuple[Fraction, int]] = []
    held: list[tuple[Fraction, int]] = []
    for onset in sorted(struck):
        held = [(end, pitch) for end, pitch in held if end > onset]
        pitches = [pitch for _, pitch in struck[onset]]
        candidate = max(pitches) if highest else min(pitches)
        if not any((pitch > candidate) if highest else (pitch < candidate) for _, pitch in held):
            line.append((onset, candidate))
        held += struck[onset]
    return line


def _intervals(line: list[tuple[Fraction, int]]) -> list[int]:
    return [abs(b - a) for (_, a), (_, b) in zip(line, line[1:], strict=False)]


def leap_share(line: list[tuple[Fraction, int]]) -> float:
    """Share of successive intervals of the line larger than an octave (0 for fewer than two notes)."""
    intervals = _intervals(line)
    return sum(step > OCTAVE for step in intervals) / len(intervals) if intervals else 0.0


def step_share(line: list[tuple[Fraction, int]]) -> float:
    """Share of successive intervals of the line that are seconds (1 or 2 semitones)."""
    intervals = _intervals(line)
    return sum(step in STEP_SEMITONES for step in intervals) / len(intervals) if intervals else 0.0


def neighbour_returns(line: list[tuple[Fraction, int]]) -> float:
    """Share of the line's turns (three notes, the first two different) whose third note returns to the
    first from a step away (A G A): how much a line circles instead of going somewhere. Bach's chorale
    sopranos return in a fifth of their turns, Beethoven's top voices in under a tenth (0 for fewer
    than three notes)."""
    pitches = [pitch for _, pitch in line]
    turns = [end for end in range(2, len(pitches)) if pitches[end - 2] != pitches[end - 1]]
    return sum(neighbour_return(pitches, end) is not None for end in turns) / len(turns) if turns else 0.0


def pitch_range(line: list[tuple[Fraction, int]]) -> int:
    """Highest minus lowest pitch of the line, in semitones."""
    pitches = [pitch for _, pitch in line]
    return max(pitches) - min(pitches) if pitches else 0


def heard_key(timeline: Timeline) -> KeyEstimate | None:
    """music21's key analysis (`analyze('key')`, Krumhansl-Schmuckler profiles) of the duration-weighted
    pitch classes of all notes, as `tools.music.analysis.estimate_key` reads a `Piece`."""
    weights: defaultdict[int, Fraction] = defaultdict(Fraction)
    for start, end, pitch in timeline.sounding():
        weights[pitch % 12] += end - start
    return key_of_weights(weights)


def out_of_key_share(timeline: Timeline, key: Key) -> float:
    """Share of struck pitches (every pitch of every chord) outside the key's scale; a minor key's
    scale includes the raised sixth and seventh."""
    pitches = [pitch for _, _, pitch in timeline.sounding()]
    scale = key.scale()
    return sum(pitch % 12 not in scale for pitch in pitches) / len(pitches) if pitches else 0.0


def notes_per_bar(timeline: Timeline) -> float:
    """Struck pitches (a four-note chord counts four) per bar of music."""
    bars = timeline.length_bars
    return sum(len(event.pitches) for event in timeline.events) / bars if bars else 0.0


def rest_share(timeline: Timeline) -> float:
    """Share of events, over all voices, that are rests."""
    events = timeline.events
    return sum(not event.pitches for event in events) / len(events) if events else 0.0


def parallels_per_bar(timeline: Timeline, key: Key) -> float:
    """Parallel fifths and octaves between the outer voices (`outer_voice`), as
    `tools.music.analysis.parallel_perfects` finds them (similar motion only), per bar of music.
    The bass takes only notes below the top voice's: where one note sounds alone (a single line,
    a melody note over a rest) there is one voice, not two in unison."""
    top = outer_voice(timeline, highest=True)
    top_at = dict(top)
    bottom = [(onset, pitch) for onset, pitch in outer_voice(timeline, highest=False)
              if pitch < top_at.get(onset, pitch + 1)]
    bars = timeline.length_bars
    return len(parallel_perfects(top, bottom, timeline.bar_length, key)) / bars if bars else 0.0


def _beat_chord(timeline: Timeline, lo: Fraction, hi: Fraction) -> Chord | None:
    """(root, quality) of the harmoniser's chord template that best explains what sounds in [lo, hi).

    The templates break ties towards a chord on the bass, which misreads a bare major third with its
    upper tone lowest (a tune's B under D in G major) as an augmented triad on that tone: the third
    ties with the major triad it is the root and third of. An augmented triad is heard only when all
    three of its tones sound; where one is missing the tie goes to the triad the third belongs to."""
    weights: defaultdict[int, float] = defaultdict(float)
    bass: int | None = None
    for start, end, pitch in timeline.sounding():
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            weights[pitch % 12] += float(overlap)
            bass = pitch if bass is None or pitch < bass else bass
    if not weights:
        return None
    chord = chord_root_quality(label := label_pitch_classes(weights, bass))
    if chord is not None and chord[1] == "aug" and not chord_pitch_classes(label) <= weights.keys():
        chord = chord_root_quality(label_pitch_classes(weights))
    return chord


def closing_chords(timeline: Timeline) -> tuple[Chord | None, Chord | None]:
    """(the chord before the final one, the final chord) of the timeline. Chords are labelled per
    beat (counted from the bar lines) by the harmoniser's templates; the final chord is the one of
    the beat where the last note is struck, the chord before it the nearest earlier beat's chord on
    another root (G minor to G major is one harmony, differently coloured by passing notes). A
    single line is labelled from its own notes, so a tune's chords are the harmony it implies."""
    onsets = [event.onset for event in timeline.events if event.pitches]
    if not onsets:
        return None, None
    beat, downbeat = timeline.beat_length, timeline.downbeat
    index = math.floor((max(onsets) - downbeat) / beat)
    final = _beat_chord(timeline, downbeat + index * beat, downbeat + (index + 1) * beat)
    if final is None:
        return None, None
    first_index = math.floor(-downbeat / beat)
    for earlier in range(index - 1, first_index - 1, -1):
        chord = _beat_chord(timeline, downbeat + earlier * beat, downbeat + (earlier + 1) * beat)
        if chord is not None and chord[0] != final[0]:
            return chord, final
    return None, final


def cadence_of(before: Chord | None, final: Chord | None, key: Key) -> Cadence:
    """The cadence two closing chords make in `key`: final I after V or a diminished vii is
    authentic, final I after IV plagal, a final V half, anything else other."""
    if final is None:
        return Cadence.OTHER
    tonic, dominant, subdominant = key.tonic, key.degree_root(5), key.degree_root(4)
    if final[0] == dominant:
        return Cadence.HALF
    if final[0] != tonic or before is None:
        return Cadence.OTHER
    leading_tone = (tonic - 1) % 12
    if before[0] == dominant or (before[0] == leading_tone and before[1] in DIMINISHED_QUALITIES):
        return Cadence.AUTHENTIC
    return Cadence.PLAGAL if before[0] == subdominant else Cadence.OTHER


def final_cadence(timeline: Timeline, key: Key) -> Cadence:
    """The cadence that ends the piece (`closing_chords` read by `cadence_of`)."""
    return cadence_of(*closing_chords(timeline), key)


def measure(timeline: Timeline) -> PieceFeatures:
    """Every feature of one piece. Key-relative features use the stated key, or the heard key when
    the piece states none (C major for a piece without notes)."""
    heard = heard_key(timeline)
    key = timeline.key or (Key(heard.tonic, Mode(heard.mode)) if heard else Key(0, Mode.MAJOR))
    top = outer_voice(timeline, highest=True)
    return PieceFeatures(
        name=timeline.name,
        tuplet_share=tuplet_share(timeline),
        duration_entropy=duration_entropy(timeline),
        leap_share=leap_share(top),
        step_share=step_share(top),
        neighbour_returns=neighbour_returns(top),
        top_range=pitch_range(top),
        out_of_key_share=out_of_key_share(timeline, key),
        notes_per_bar=notes_per_bar(timeline),
        rest_share=rest_share(timeline),
        parallels_per_bar=parallels_per_bar(timeline, key),
        heard_key=heard.name if heard else None,
        key_established=None if timeline.key is None or heard is None else heard.matches(timeline.key),
        cadence=final_cadence(timeline, key),
    )

