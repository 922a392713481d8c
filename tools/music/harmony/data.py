"""Melodies and their chords on a quarter-note grid, and the windows the model reads.

A `Piece` holds a melody (notes in quarter-note time, transposed so that a major key becomes C
major and a minor key A minor), the beats where bars start, and, where known, one chord label per
quarter note. Transposing every piece to the common key, rather than augmenting by transposition,
lets a few hundred chorales cover the vocabulary without the model having to learn twelve copies
of each progression; the tool transposes its input the same way and the chords back.

The Bach chorales come from music21's corpus (soprano = melody; chords labelled per beat from all
four voices); folk melodies (Essen collection, ABC) have no chords and serve out of domain. Parsing
the corpus takes minutes, so the processed pieces are cached as JSON under the cache folder.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tools.music.harmony.chords import label_pitch_classes

logger = logging.getLogger(__name__)

CACHE_VERSION = 2
REST_FEATURE = 12
BAR_FEATURE = 13
MELODY_FEATURES = 14
"""Melody input per position: 12 pitch classes sounding in the beat, a rest flag, a bar flag."""
MAX_BEAT_INDEX = 12
"""Beats within a bar are numbered 1.. and clamped here; 0 marks the bar token itself."""
MAX_BAR_BEATS = 12
LONG_BAR_SPLIT = 4
"""Bars longer than MAX_BAR_BEATS (unmetered folk songs) are read as bars of LONG_BAR_SPLIT beats."""


@dataclass(frozen=True)
class MelodyNote:
    """One melody note: onset and duration in quarter notes, MIDI pitch."""

    onset: float
    duration: float
    pitch: int


@dataclass
class Piece:
    """A melody on the quarter-note grid, optionally with one chord index per beat."""

    name: str
    notes: list[MelodyNote]
    n_beats: int
    bar_starts: list[int]
    transposition: int = 0
    """Semitones added to the source to reach C major / A minor."""
    chords: list[int] | None = None
    key: str = ""

    def melody_pitch_classes(self) -> list[frozenset[int]]:
        """The pitch classes sounding in each beat [q, q+1) (empty for a rest)."""
        beats: list[set[int]] = [set() for _ in range(self.n_beats)]
        for note in self.notes:
            first, last = int(math.floor(note.onset)), int(math.ceil(note.onset + note.duration)) - 1
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


def bar_starts_of(score, n_beats: int) -> list[int]:
    """Beat indices where the score's measures start (from its first part), snapped to whole beats.

    A score without measures is read as bars of its first time signature (4/4 when it has none);
    a bar longer than MAX_BAR_BEATS is split every LONG_BAR_SPLIT beats, so every window holds whole bars.
    """
    import music21

    parts = list(score.parts) if hasattr(score, "parts") and score.parts else [score]
    starts = {
        round(float(measure.getOffsetInHierarchy(score)))
        for measure in parts[0].getElementsByClass(music21.stream.Measure)
    }
    starts = {start for start in starts if 0 <= start < n_beats}
    if len(starts) <= 1:
        signatures = list(score.recurse().getElementsByClass(music21.meter.TimeSignature))
        length = max(1, round(float(signatures[0].barDuration.quarterLength))) if signatures else 4
        starts = set(range(0, n_beats, length))
    starts.add(0)
    ordered = sorted(starts)
    for start, end in zip(ordered, [*ordered[1:], n_beats], strict=True):
        if end - start > MAX_BAR_BEATS:
            starts.update(range(start, end, LONG_BAR_SPLIT))
    return sorted(starts)


def common_key_shift(stream) -> tuple[int, str]:
    """Semitones (-6..5) that move the stream's key to C major or A minor, and the key's name."""
    key = stream.analyze("key")
    target = 0 if key.mode == "major" else 9
    shift = (target - key.tonic.pitchClass) % 12
    return (shift - 12 if shift > 5 else shift), f"{key.tonic.name} {key.mode}"


def chord_labels(score, n_beats: int, shift: int) -> list[int]:
    """One chord index per beat from every note of every part, weighted by time sounding in the beat."""
    weights = np.zeros((n_beats, 12))
    bass = np.full(n_beats, 1000)
    for element in score.recurse().notes:
        onset = float(element.getOffsetInHierarchy(score))
        end = onset + float(element.duration.quarterLength)
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
    start = melody[0].onset if melody[0].onset < 0 else 0.0
    notes = [MelodyNote(n.onset - start, n.duration, n.pitch + shift) for n in melody]
    n_beats = max(1, math.ceil(max(n.onset + n.duration for n in notes) - 1e-6))
    return Piece(
        name=name,
        notes=notes,
        n_beats=n_beats,
        bar_starts=bar_starts_of(score, n_beats),
        transposition=shift,
        chords=chord_labels(score, n_beats, shift) if with_chords else None,
        key=key,
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
