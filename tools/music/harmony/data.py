"""Melodies and their chords on a beat grid, and the windows the model reads.

A `Piece` holds a melody (notes in beats of its grid, transposed so that a major key becomes C
major and a minor key A minor), the beats where bars start, and, where known, one chord label per
beat. The beat follows the meter (`beat_quarters_of`): the quarter note in simple meters, the
dotted quarter in compound ones (6/8, 9/8, 12/8), so a jig gets two chord slots per bar and never a
chord change mid-beat. Slots are laid out from each bar line (`BeatGrid`), so a pickup, a short bar
before a repeat or an odd bar keeps its bar lines instead of being snapped to a global grid; a slot
cut short by a bar line is still one beat.

Transposing every piece to the common key, rather than augmenting by transposition, lets a few
hundred chorales cover the vocabulary without the model having to learn twelve copies of each
progression; the tool transposes its input the same way and the chords back.

The Bach chorales come from music21's corpus (soprano = melody; chords labelled per beat from all
four voices); folk melodies (Essen collection, ABC) have no chords and serve out of domain. Parsing
the corpus takes minutes, so the processed pieces are cached as JSON under the cache folder.
"""

from __future__ import annotations

import json
import logging
import math
import random
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ontology.music_theory import Meter
from tools.music.harmony.chords import label_pitch_classes

logger = logging.getLogger(__name__)

CACHE_VERSION = 3
REST_FEATURE = 12
BAR_FEATURE = 13
MELODY_FEATURES = 14
"""Melody input per position: 12 pitch classes sounding in the beat, a rest flag, a bar flag."""
MAX_BEAT_INDEX = 12
"""Beats within a bar are numbered 1.. and clamped here; 0 marks the bar token itself."""
MAX_BAR_BEATS = 12
LONG_BAR_SPLIT = 4
"""Bars longer than MAX_BAR_BEATS (unmetered folk songs) are read as bars of LONG_BAR_SPLIT beats."""
DEFAULT_METER = "4/4"
"""The meter of a score that states none."""


@dataclass(frozen=True)
class MelodyNote:
    """One melody note: onset and duration in beats (quarter notes unless a `Piece` grid says otherwise), MIDI pitch."""

    onset: float
    duration: float
    pitch: int


@dataclass
class Piece:
    """A melody on a beat grid, optionally with one chord index per beat."""

    name: str
    notes: list[MelodyNote]
    n_beats: int
    bar_starts: list[int]
    transposition: int = 0
    """Semitones added to the source to reach C major / A minor."""
    chords: list[int] | None = None
    key: str = ""
    slot_quarters: list[float] | None = None
    """Source time (quarter notes) where each beat starts, then where the last ends (n_beats + 1
    values); None when beat b is simply quarter note b."""

    def quarters(self, beat: float) -> float:
        """The source time, in quarter notes, of a time on the beat grid (inside a beat, proportionally)."""
        if self.slot_quarters is None:
            return beat
        slot = min(max(int(math.floor(beat + 1e-9)), 0), self.n_beats - 1)
        start, end = self.slot_quarters[slot], self.slot_quarters[slot + 1]
        return start + (beat - slot) * (end - start)

    def melody_pitch_classes(self) -> list[frozenset[int]]:
        """The pitch classes sounding in each beat [b, b+1) (empty for a rest)."""
        beats: list[set[int]] = [set() for _ in range(self.n_beats)]
        for note in self.notes:
            first = int(math.floor(note.onset + 1e-9))
            last = int(math.ceil(note.onset + note.duration - 1e-9)) - 1
            for beat in range(max(first, 0), min(last, self.n_beats - 1) + 1):
                beats[beat].add(note.pitch % 12)
        return [frozenset(beat) for beat in beats]

    def bars(self) -> list[tuple[int, int]]:
        """(first beat, end beat) of each bar."""
        ends = [*self.bar_starts[1:], self.n_beats]
        return list(zip(self.bar_starts, ends, strict=True))


@dataclass
class Window:
    """A run of whole bars laid out as the model's two aligned streams (melody, harmony).

    Both streams have one position per bar token and one per beat. `slot_beats` maps each beat
    position to its beat index in the piece (-1 on bar tokens).
    """

    melody: np.ndarray  # (N, MELODY_FEATURES) float32
    beat_in_bar: np.ndarray  # (N,) int64, 0 on bar tokens
    slot_beats: np.ndarray  # (N,) int64
    chords: np.ndarray  # (N,) int64 target chord per beat position, -1 on bar tokens or unknown
    first_bar: int = 0
    bar_count: int = 0

    @property
    def is_slot(self) -> np.ndarray:
        return self.slot_beats >= 0


def encode_window(piece: Piece, first_bar: int, max_positions: int) -> Window:
    """Whole bars from `first_bar` on, as many as fit in `max_positions` (at least one bar, cut if longer)."""
    pitch_classes = piece.melody_pitch_classes()
    melody: list[np.ndarray] = []
    beat_in_bar: list[int] = []
    slot_beats: list[int] = []
    chords: list[int] = []
    bars = piece.bars()
    count = 0
    for start, end in bars[first_bar:]:
        length = 1 + end - start
        if count and len(melody) + length > max_positions:
            break
        row = np.zeros(MELODY_FEATURES, dtype=np.float32)
        row[BAR_FEATURE] = 1
        melody.append(row)
        beat_in_bar.append(0)
        slot_beats.append(-1)
        chords.append(-1)
        for beat in range(start, end):
            if len(melody) >= max_positions:
                break
            row = np.zeros(MELODY_FEATURES, dtype=np.float32)
            if pitch_classes[beat]:
                row[list(pitch_classes[beat])] = 1
            else:
                row[REST_FEATURE] = 1
            melody.append(row)
            beat_in_bar.append(min(beat - start + 1, MAX_BEAT_INDEX))
            slot_beats.append(beat)
            chords.append(piece.chords[beat] if piece.chords is not None else -1)
        count += 1
    return Window(
        melody=np.stack(melody),
        beat_in_bar=np.asarray(beat_in_bar, dtype=np.int64),
        slot_beats=np.asarray(slot_beats, dtype=np.int64),
        chords=np.asarray(chords, dtype=np.int64),
        first_bar=first_bar,
        bar_count=count,
    )


def tile_windows(piece: Piece, max_positions: int) -> list[Window]:
    """Consecutive windows that cover every bar of the piece once (how long pieces are harmonised)."""
    windows, bar = [], 0
    while bar < len(piece.bar_starts):
        window = encode_window(piece, bar, max_positions)
        windows.append(window)
        bar += window.bar_count
    return windows


# ---------------------------------------------------------------------------------------------
# From music21 scores to pieces


def extract_melody(stream) -> list[MelodyNote]:
    """The top voice of a music21 stream: at each onset the highest pitch, cut at the next onset.

    A chord contributes its highest note; grace notes (no duration) are ignored; a tied note
    continues the previous one. On a monophonic part this returns its notes unchanged.
    """
    highest: dict[float, tuple[int, float, bool]] = {}
    for element in stream.recurse().notes:
        duration = float(element.duration.quarterLength)
        if duration <= 0:
            continue
        onset = float(element.getOffsetInHierarchy(stream))
        pitch = max(p.midi for p in element.pitches)
        tied = element.tie is not None and element.tie.type in ("stop", "continue")
        if onset not in highest or pitch > highest[onset][0]:
            highest[onset] = (pitch, duration, tied)
    onsets = sorted(highest)
    notes: list[MelodyNote] = []
    for position, onset in enumerate(onsets):
        pitch, duration, tied = highest[onset]
        if position + 1 < len(onsets):
            duration = min(duration, onsets[position + 1] - onset)
        previous = notes[-1] if notes else None
        if tied and previous and previous.pitch == pitch and abs(previous.onset + previous.duration - onset) < 1e-6:
            notes[-1] = MelodyNote(previous.onset, previous.duration + duration, pitch)
        else:
            notes.append(MelodyNote(onset=onset, duration=duration, pitch=pitch))
    return notes


@dataclass(frozen=True)
class BeatGrid:
    """Where each beat slot of a piece starts in source time (quarter notes, exact), and its bars.

    `boundaries` holds every slot's start and then the end of the last slot; `bar_starts` are the
    slots where bars begin. Mapping between quarter notes and beats is linear inside each slot.
    """

    boundaries: tuple[Fraction, ...]
    bar_starts: tuple[int, ...]

    @property
    def n_beats(self) -> int:
        return len(self.boundaries) - 1

    def beats(self, quarters: float | Fraction) -> float:
        """The time on the beat grid of a source time in quarter notes (clamped to the grid)."""
        time = Fraction(quarters)
        if time <= self.boundaries[0]:
            return 0.0
        if time >= self.boundaries[-1]:
            return float(self.n_beats)
        slot = bisect_right(self.boundaries, time) - 1
        start, end = self.boundaries[slot], self.boundaries[slot + 1]
        return float(slot + (time - start) / (end - start))


def beat_quarters_of(signature) -> Fraction:
    """The length of the grid's beat, in quarter notes, for a music21 time signature (`Meter.beat_quarters`)."""
    return Meter(signature.numerator, signature.denominator).beat_quarters


def bar_slots(bars: Sequence[tuple[Fraction, Fraction]], beat: Fraction, full_bar: Fraction, end: Fraction) -> BeatGrid:
    """Beat slots laid out bar by bar: `bars` are (start, stop) in quarter notes, in order and contiguous.

    Inside a bar, slots start on its bar line and last `beat`; the last one is cut by the next bar
    line. A short first bar (a pickup), or a short bar completing the short bar before it (a bar
    split by a repeat sign), is laid out backwards from its end instead, so its beats fall where
    the full bar's would. Slots starting at or after `end` (the melody's end) are left out. A bar
    of more than MAX_BAR_BEATS slots (an unmetered song) gets a bar line every LONG_BAR_SPLIT slots.
    """
    boundaries: list[Fraction] = []
    bar_starts: list[int] = []
    closing = end
    previous_length: Fraction | None = None
    for index, (start, stop) in enumerate(bars):
        if start >= end:
            break
        length = stop - start
        completes = previous_length is not None and previous_length < full_bar and previous_length + length <= full_bar
        count = math.ceil(length / beat)
        if length < full_bar and (index == 0 or completes):
            slots = [start, *[stop - beat * k for k in range(count - 1, 0, -1)]]
        else:
            slots = [start + beat * k for k in range(count)]
        sounding = [time for time in slots if time < end]
        closing = slots[len(sounding)] if len(sounding) < len(slots) else stop
        first = len(boundaries)
        boundaries.extend(sounding)
        bar_starts.extend(range(first, len(boundaries), LONG_BAR_SPLIT) if len(sounding) > MAX_BAR_BEATS else [first])
        previous_length = length
    boundaries.append(closing)
    return BeatGrid(tuple(boundaries), tuple(bar_starts))


def beat_grid_of(score, first_onset: float, end: float) -> BeatGrid:
    """The beat grid of a music21 score whose melody sounds from `first_onset` to `end` (quarter notes).

    Bars are the measures of its first part; a score without measures is read as bars of its first
    time signature (4/4 when it has none). The beat comes from that signature (`beat_quarters_of`).
    """
    import music21

    signatures = list(score.recurse().getElementsByClass(music21.meter.TimeSignature))
    signature = signatures[0] if signatures else music21.meter.TimeSignature(DEFAULT_METER)
    full_bar = Fraction(signature.barDuration.quarterLength)
    beat = beat_quarters_of(signature)
    melody_start, melody_end = Fraction(first_onset), Fraction(end)
    parts = list(score.parts) if hasattr(score, "parts") and score.parts else [score]
    measures = sorted(
        (Fraction(measure.getOffsetInHierarchy(score)), Fraction(measure.duration.quarterLength))
        for measure in parts[0].getElementsByClass(music21.stream.Measure)
    )
    starts = sorted({start for start, _ in measures if start < melody_end})
    if len(starts) <= 1:
        origin = min(melody_start, Fraction(0))
        starts = [origin + full_bar * k for k in range(math.ceil((melody_end - origin) / full_bar))]
        stop = starts[-1] + full_bar
    else:
        stop = max(start + length for start, length in measures)
        if melody_start < starts[0]:
            starts.insert(0, melody_start)
    stops = [*starts[1:], max(stop, melody_end)]
    return bar_slots(list(zip(starts, stops, strict=True)), beat, full_bar, melody_end)


def common_key_shift(stream) -> tuple[int, str]:
    """Semitones (-6..5) that move the stream's key to C major or A minor, and the key's name."""
    key = stream.analyze("key")
    target = 0 if key.mode == "major" else 9
    shift = (target - key.tonic.pitchClass) % 12
    return (shift - 12 if shift > 5 else shift), f"{key.tonic.name} {key.mode}"


def chord_labels(score, grid: BeatGrid, shift: int) -> list[int]:
    """One chord index per beat from every note of every part, weighted by time sounding in the beat."""
    n_beats = grid.n_beats
    weights = np.zeros((n_beats, 12))
    bass = np.full(n_beats, 1000)
    for element in score.recurse().notes:
        offset = Fraction(element.getOffsetInHierarchy(score))
        onset, end = grid.beats(offset), grid.beats(offset + Fraction(element.duration.quarterLength))
        for beat in range(max(int(math.floor(onset)), 0), min(int(math.ceil(end)), n_beats)):
            overlap = min(end, beat + 1) - max(onset, beat)
            if overlap <= 0:
                continue
            for pitch in element.pitches:
                weights[beat, (pitch.midi + shift) % 12] += overlap
                bass[beat] = min(bass[beat], pitch.midi + shift)
    return [
        label_pitch_classes(dict(enumerate(weights[beat])), None if bass[beat] == 1000 else int(bass[beat]) % 12)
        for beat in range(n_beats)
    ]


def piece_from_score(score, name: str, *, melody_stream=None, with_chords: bool = False) -> Piece:
    """A `Piece` in the common key from a music21 score; the melody is the top voice of `melody_stream`."""
    melody = extract_melody(melody_stream if melody_stream is not None else score)
    if not melody:
        return Piece(name=name, notes=[], n_beats=0, bar_starts=[])
    import music21

    melody_part = music21.stream.Part()
    for note in melody:
        melody_part.insert(note.onset, music21.note.Note(note.pitch, quarterLength=note.duration))
    shift, key = common_key_shift(melody_part if not with_chords else score)
    grid = beat_grid_of(score, melody[0].onset, max(n.onset + n.duration for n in melody))
    notes = []
    for note in melody:
        onset, end = grid.beats(note.onset), grid.beats(Fraction(note.onset) + Fraction(note.duration))
        notes.append(MelodyNote(onset, end - onset, note.pitch + shift))
    return Piece(
        name=name,
        notes=notes,
        n_beats=grid.n_beats,
        bar_starts=list(grid.bar_starts),
        transposition=shift,
        chords=chord_labels(score, grid, shift) if with_chords else None,
        key=key,
        slot_quarters=[float(time) for time in grid.boundaries],
    )


# ---------------------------------------------------------------------------------------------
# The corpora, parsed once and cached


def _cache_file(cache_dir: Path, name: str) -> Path:
    return cache_dir / "harmony" / f"{name}-v{CACHE_VERSION}.json"


def _save(path: Path, pieces: Sequence[Piece]) -> None:
    from tools.files import write_atomically

    write_atomically(path.parent, {path.name: json.dumps([asdict(piece) for piece in pieces])})


def _load(path: Path) -> list[Piece]:
    raw = json.loads(path.read_text())
    return [Piece(**{**item, "notes": [MelodyNote(**note) for note in item["notes"]]}) for item in raw]


def _cached(cache_dir: Path, name: str, build) -> list[Piece]:
    path = _cache_file(cache_dir, name)
    if path.is_file():
        return _load(path)
    pieces = build()
    _save(path, pieces)
    logger.info("cached %d pieces at %s", len(pieces), path)
    return pieces


def _with_progress(items: Sequence, description: str) -> Iterable:
    from rich.progress import track

    return track(items, description=description, transient=True)


def load_bach_chorales(cache_dir: Path) -> list[Piece]:
    """The Bach chorales of music21's corpus with soprano melody and per-beat chord labels."""

    def build() -> list[Piece]:
        from music21 import corpus

        pieces = []
        paths = list(corpus.chorales.Iterator(returnType="filename"))
        for path in _with_progress(paths, "parsing Bach chorales"):
            try:
                score = corpus.parse(path)
            except Exception as exc:  # a broken corpus file costs one chorale, not the run
                logger.warning("skipping %s: %s", path, exc)
                continue
            if len(score.parts) < 4:
                continue
            piece = piece_from_score(score, str(path), melody_stream=score.parts[0], with_chords=True)
            if piece.notes:
                pieces.append(piece)
        return pieces

    return _cached(cache_dir, "bach", build)


FOLK_BOOKS = ("essenFolksong/kinder0", "essenFolksong/erk10")
"""Essen collection books used out of domain: German children's songs and Erk's German folk songs."""


def load_folk_melodies(cache_dir: Path, count: int = 60) -> list[Piece]:
    """The first `count` tunes of `FOLK_BOOKS` as chord-less pieces (out-of-domain melodies)."""

    def build() -> list[Piece]:
        from music21 import corpus

        pieces: list[Piece] = []
        for book in FOLK_BOOKS:
            opus = corpus.parse(book)
            for position, score in enumerate(opus.scores):
                if len(pieces) >= count:
                    return pieces
                piece = piece_from_score(score, f"{book}#{position}")
                if piece.notes and len(piece.bar_starts) >= 2:
                    pieces.append(piece)
        return pieces

    return _cached(cache_dir, f"folk{count}", build)


def split_by_piece(
    pieces: Sequence[Piece], seed: int = 0, valid: float = 0.1, test: float = 0.1
) -> dict[str, list[Piece]]:
    """Train/valid/test lists, whole pieces per split, in a seeded shuffle of the names."""
    order = sorted(pieces, key=lambda piece: piece.name)
    random.Random(seed).shuffle(order)
    n_valid, n_test = round(len(order) * valid), round(len(order) * test)
    return {
        "test": order[:n_test],
        "valid": order[n_test : n_test + n_valid],
        "train": order[n_test + n_valid :],
    }
