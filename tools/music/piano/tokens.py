"""The piano model's event vocabulary: bars, positions, durations, and notes that carry (pitch, hand).

A movement is cut into segments of bars that share one meter and one key. Each segment is
transposed so that its tonic is C (major) or A (minor) and opens with a meter token and a mode
token, so the model is conditioned on both and its output can be transposed into any key:

    METER_3/4 MODE_minor BAR POS_0 NOTE(A4,right) DUR_12 NOTE(A2,left) DUR_36 POS_12 ... BAR ...

Time is counted in ticks, `TICKS_PER_QUARTER` to the quarter note (enough for sixteenths,
triplet eighths and triplet sixteenths). Within an onset the notes come in one fixed order (right
hand first, then from low to high pitch), so a chord has a single spelling and the sampler can
forbid duplicates. `SequenceGrammar` says which tokens may come next, so sampling always yields
well-formed bars and always ends.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from fractions import Fraction

import numpy as np

TICKS_PER_QUARTER = 12
DURATIONS = (1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 30, 36, 42, 48, 60, 72, 96)
"""Note lengths in ticks that the model can write; others are rounded to the nearest (in log time)."""
METERS = ("2/4", "3/4", "4/4", "2/2", "6/4", "3/8", "6/8", "9/8", "12/8", "9/16", "12/16")
"""The meters of the Beethoven sonatas that the model knows (rarer ones, such as cadenza bars, are left out)."""
MODES = ("major", "minor")
REFERENCE_TONIC = {"major": 0, "minor": 9}
"""Pitch class every segment is transposed to: C major or A minor (same key signature)."""
LOWEST_PITCH, HIGHEST_PITCH = 21, 108  # the piano's A0 .. C8, as MIDI numbers
NUM_PITCHES = HIGHEST_PITCH - LOWEST_PITCH + 1
MAX_NOTES_PER_ONSET = 12
MAX_TOKENS_PER_BAR = 200
"""Longer bars are cut (the data's densest bars are well under this); it also bounds sampling."""


class Hand(IntEnum):
    RIGHT = 0
    LEFT = 1


def bar_ticks(meter: str) -> int:
    """The length of one bar of `meter` in ticks."""
    numerator, denominator = (int(part) for part in meter.split("/"))
    return int(Fraction(4 * numerator, denominator) * TICKS_PER_QUARTER)


MAX_BAR_TICKS = max(bar_ticks(meter) for meter in METERS)


def quantise_duration(ticks: float) -> int:
    """The nearest writable duration (in log time) to a length in ticks."""
    ticks = max(ticks, DURATIONS[0])
    return min(DURATIONS, key=lambda candidate: abs(math.log(candidate / ticks)))


@dataclass(frozen=True, order=True)
class Note:
    """One note of a bar; the field order is the order notes are written in."""

    position: int  # ticks from the start of the bar
    hand: Hand
    pitch: int  # MIDI number
    duration: int  # ticks, one of DURATIONS


@dataclass
class Segment:
    """Consecutive bars with one meter and one key, already transposed to C major / A minor."""

    meter: str
    mode: str
    bars: list[list[Note]]
    shift: int = 0
    """Semitones that were added to the original pitches to reach the reference key."""
    movement: str = ""

    def notes(self) -> Iterable[Note]:
        for bar in self.bars:
            yield from bar


def transposition_to_reference(tonic_pitch_class: int, mode: str) -> int:
    """Semitones (-5..+6) that move a key with this tonic onto C major or A minor."""
    shift = (REFERENCE_TONIC[mode] - tonic_pitch_class) % 12
    return shift - 12 if shift > 6 else shift


def fit_into(pitch: int, lowest: int, highest: int) -> int:
    """`pitch` moved by octaves into [lowest, highest] (a register narrower than an octave keeps the
    octave at or above `lowest` nearest it)."""
    while pitch < lowest:
        pitch += 12
    while pitch > highest and pitch - 12 >= lowest:
        pitch -= 12
    return pitch


def fit_to_piano(pitch: int) -> int:
    """The pitch moved by octaves into the piano's range."""
    return fit_into(pitch, LOWEST_PITCH, HIGHEST_PITCH)


def normalise_bar(notes: Iterable[Note], meter: str) -> list[Note]:
    """A bar's notes as the grammar allows them, in token order: inside the bar, one note per
    (onset, hand, pitch), at most `MAX_NOTES_PER_ONSET` per onset and `MAX_TOKENS_PER_BAR` tokens."""
    length = bar_ticks(meter)
    kept: list[Note] = []
    onset_sizes: Counter[int] = Counter()
    tokens = 1  # the BAR token
    for note in sorted(notes):
        if not 0 <= note.position < length or onset_sizes[note.position] >= MAX_NOTES_PER_ONSET:
            continue
        if kept and (kept[-1].position, kept[-1].hand, kept[-1].pitch) == (note.position, note.hand, note.pitch):
            continue
        if tokens + 2 >= MAX_TOKENS_PER_BAR:
            break
        tokens += 2 + (onset_sizes[note.position] == 0)
        onset_sizes[note.position] += 1
        kept.append(note)
    return kept


class Vocabulary:
    """Token ids: event tokens (padding, bar, positions, durations, meters, modes), then one token per
    (pitch, hand) pair. The joint model embeds every id; the factorised model embeds the event tokens
    and builds a note's vector from a pitch part and a hand part."""

    def __init__(self) -> None:
        names = ["PAD", "BAR"]
        names += [f"POS_{tick}" for tick in range(MAX_BAR_TICKS)]
        names += [f"DUR_{ticks}" for ticks in DURATIONS]
        names += [f"METER_{meter}" for meter in METERS]
        names += [f"MODE_{mode}" for mode in MODES]
        self.event_names = tuple(names)
        self._ids = {name: index for index, name in enumerate(names)}
        self.num_events = len(names)
        self.size = self.num_events + len(Hand) * NUM_PITCHES
        self.pad = self._ids["PAD"]
        self.bar = self._ids["BAR"]

    def position(self, tick: int) -> int:
        return self._ids[f"POS_{tick}"]

    def duration(self, ticks: int) -> int:
        return self._ids[f"DUR_{ticks}"]

    def meter(self, meter: str) -> int:
        return self._ids[f"METER_{meter}"]

    def mode(self, mode: str) -> int:
        return self._ids[f"MODE_{mode}"]

    def note(self, pitch: int, hand: Hand) -> int:
        return self.num_events + int(hand) * NUM_PITCHES + pitch - LOWEST_PITCH

    def is_note(self, token: int) -> bool:
        return token >= self.num_events

    def pitch_and_hand(self, token: int) -> tuple[int, Hand]:
        index = token - self.num_events
        return LOWEST_PITCH + index % NUM_PITCHES, Hand(index // NUM_PITCHES)

    def value(self, token: int) -> str:
        """What follows the underscore of an event token's name: a tick, a meter, a mode."""
        return self.event_names[token].split("_", 1)[1]

    def kind(self, token: int) -> str:
        """NOTE, or the event family (PAD, BAR, POS, DUR, METER, MODE)."""
        return "NOTE" if self.is_note(token) else self.event_names[token].split("_", 1)[0]

    def family(self, kind: str) -> np.ndarray:
        """A boolean mask over the vocabulary of all tokens of one kind."""
        return np.array([self.kind(token) == kind for token in range(self.size)])


VOCAB = Vocabulary()


def encode_segment(segment: Segment) -> list[int]:
    """The tokens of a segment: its meter and mode, then each bar's onsets and notes."""
    tokens = [VOCAB.meter(segment.meter), VOCAB.mode(segment.mode)]
    for bar in segment.bars:
        tokens.append(VOCAB.bar)
        position = None
        for note in sorted(bar):
            if note.position != position:
                tokens.append(VOCAB.position(note.position))
                position = note.position
            tokens += [VOCAB.note(note.pitch, note.hand), VOCAB.duration(note.duration)]
    return tokens


def decode_tokens(tokens: Sequence[int]) -> Segment:
    """The segment a well-formed token sequence (as `SequenceGrammar` allows) describes."""
    if len(tokens) < 2 or VOCAB.kind(tokens[0]) != "METER" or VOCAB.kind(tokens[1]) != "MODE":
        raise ValueError("A piano token sequence starts with a meter token and a mode token.")
    segment = Segment(meter=VOCAB.value(tokens[0]), mode=VOCAB.value(tokens[1]), bars=[])
    position = pitch_and_hand = None
    for token in tokens[2:]:
        kind = VOCAB.kind(token)
        if kind == "BAR" and pitch_and_hand is None:  # a NOTE's DUR must come before the bar ends
            segment.bars.append([])
            position = None
        elif kind == "POS" and segment.bars and pitch_and_hand is None:
            position = int(VOCAB.value(token))
        elif kind == "NOTE" and position is not None:
            pitch_and_hand = VOCAB.pitch_and_hand(token)
        elif kind == "DUR" and pitch_and_hand is not None and position is not None:
            pitch, hand = pitch_and_hand
            segment.bars[-1].append(Note(position, hand, pitch, int(VOCAB.value(token))))
            pitch_and_hand = None
        else:
            raise ValueError(
                f"Token {VOCAB.event_names[token] if not VOCAB.is_note(token) else token} is out of place."
            )
    return segment


@dataclass
class SequenceGrammar:
    """Tracks a token sequence after its meter and mode and says which tokens may follow.

    A bar is BAR, then onsets in increasing position inside the bar, each a POS followed by one or
    more (NOTE, DUR) pairs in increasing note order. A bar that reaches `MAX_TOKENS_PER_BAR` or an
    onset that reaches `MAX_NOTES_PER_ONSET` is closed, so every sampled sequence ends.
    """

    meter: str
    state: str = "start"  # start, BAR, POS, NOTE, DUR: the kind of the last token
    last_position: int = -1
    last_note: int = -1
    notes_in_onset: int = 0
    tokens_in_bar: int = 0
    _masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.length = bar_ticks(self.meter)
        self._masks = {kind: VOCAB.family(kind) for kind in ("BAR", "POS", "NOTE", "DUR")}

    def allowed(self) -> np.ndarray:
        """A boolean mask over the vocabulary: True where the next token may be that token."""
        mask = np.zeros(VOCAB.size, dtype=bool)
        if self.state == "start":
            return self._masks["BAR"].copy()
        if self.state == "POS":
            return self._masks["NOTE"].copy()
        if self.state == "NOTE":
            return self._masks["DUR"].copy()
        mask |= self._masks["BAR"]
        if self.state == "DUR" and self.tokens_in_bar + 2 >= MAX_TOKENS_PER_BAR:
            return mask
        first_free = self.last_position + 1
        mask[VOCAB.position(0) + first_free : VOCAB.position(0) + self.length] = True
        if self.state == "DUR" and self.notes_in_onset < MAX_NOTES_PER_ONSET:
            mask[self.last_note + 1 : VOCAB.size] = True
        return mask

    def advance(self, token: int) -> None:
        """Consume one token; a token the grammar does not allow is a `ValueError`."""
        if not self.allowed()[token]:
            raise ValueError(f"Token {token} ({VOCAB.kind(token)}) cannot follow a {self.state} token here.")
        kind = VOCAB.kind(token)
        self.tokens_in_bar = 1 if kind == "BAR" else self.tokens_in_bar + 1
        if kind == "BAR":
            self.last_position = -1
        elif kind == "POS":
            self.last_position = int(VOCAB.value(token))
            self.last_note, self.notes_in_onset = -1, 0
        elif kind == "NOTE":
            self.last_note = token
            self.notes_in_onset += 1
        self.state = kind


def pitch_hand_nmi(pitches: Sequence[int], hands: Sequence[int]) -> float:
    """Normalised mutual information between pitch and hand: I(P;H) / mean(H(P), H(H)).

    0 when the hand tells nothing about the pitch, 1 when either determines the other. This is
    scikit-learn's `normalized_mutual_info_score` with its default (arithmetic) normalisation.
    """
    from sklearn.metrics import normalized_mutual_info_score

    if len(pitches) != len(hands) or not len(pitches):
        raise ValueError("NMI needs the same, non-zero number of pitches and hands.")
    return float(normalized_mutual_info_score(pitches, hands, average_method="arithmetic"))
