"""The training corpus: Beethoven's 32 piano sonatas (103 movements) in Humdrum **kern, as token segments.

The files are not part of this repository. Point the code at a copy with the environment variable
`GO_BEETHOVEN_DIR` (default `<repo>/../shared/data/beethoven-piano-sonatas`) or with the training
command's `--data-dir`. The folder holds one `.krn` file per movement, as in the Humdrum edition
(`sonata01-1.krn` ... `sonata32-2.krn`): in each, the `**kern` spine marked `*staff1` is the right
hand and the one marked `*staff2` the left hand.

Parsing all movements with music21 takes minutes, so the tokenised corpus is cached as JSON under
`<cache_dir>/piano/`, keyed by the names and sizes of the files and the tokeniser version; the
second run reads the cache in a second.

Each movement becomes segments of bars with one meter and one key (`tokens.Segment`). Keys come
from the file's key designations (`*f:`); a key signature changed without one is read as the
relative major or minor whose Krumhansl-Kessler profile fits the section's notes better.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tools.base import ToolInputError
from tools.files import write_atomically
from tools.music.piano.tokens import (
    METERS,
    TICKS_PER_QUARTER,
    Hand,
    Note,
    Segment,
    fit_to_piano,
    normalise_bar,
    quantise_duration,
    transposition_to_reference,
)

if TYPE_CHECKING:
    from music21.stream import Stream

log = logging.getLogger(__name__)

TOKENISER_VERSION = 1
"""Bump when the tokenisation changes, so caches of the old one are not read."""
STAFF_HANDS = {"*staff1": Hand.RIGHT, "*staff2": Hand.LEFT}
SPLIT_PITCH = 60
"""In a score with one part, notes from middle C up are taken as the right hand's."""
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
"""Krumhansl-Kessler key profiles, tonic first."""


class PianoDataError(ToolInputError):
    """The Beethoven corpus folder is missing, empty or unreadable."""


@dataclass(frozen=True)
class KeyLabel:
    """A key as the score states it: a tonic and mode, or only a key signature (mode unknown)."""

    sharps: int
    tonic: int | None = None  # pitch class
    mode: str | None = None


def kern_files(data_dir: Path) -> list[Path]:
    """The corpus's movement files, or a `PianoDataError` that says how to point at them."""
    hint = "Set GO_BEETHOVEN_DIR or pass --data-dir to a folder of the sonatas' **kern files (sonata01-1.krn ...)."
    if not data_dir.is_dir():
        raise PianoDataError(f"The Beethoven sonata folder {data_dir} does not exist. {hint}")
    files = sorted(data_dir.glob("*.krn"))
    if not files:
        raise PianoDataError(f"{data_dir} holds no .krn files. {hint}")
    return files


def corpus_key(files: Sequence[Path]) -> str:
    """A short hash of the file names and sizes and the tokeniser version: the cache's name."""
    digest = hashlib.sha256(f"v{TOKENISER_VERSION}".encode())
    for path in files:
        digest.update(f"{path.name}:{path.stat().st_size};".encode())
    return digest.hexdigest()[:16]


def load_corpus(
    data_dir: Path, cache_dir: Path | None = None, on_movement: Callable[[str], None] | None = None
) -> list[Segment]:
    """All movements' segments, from the cache when it matches the files, else parsed (and cached).

    `on_movement` is called with each file name as it is parsed, for progress display.
    """
    files = kern_files(data_dir)
    cache = cache_dir / "piano" / f"corpus-{corpus_key(files)}.json" if cache_dir else None
    if cache and cache.is_file():
        log.info("Reading the tokenised corpus from %s", cache)
        return segments_from_json(json.loads(cache.read_text()))
    segments: list[Segment] = []
    for path in files:
        segments += movement_segments(path)
        if on_movement:
            on_movement(path.name)
    if cache:
        write_atomically(cache.parent, {cache.name: json.dumps(segments_to_json(segments))})
        log.info("Cached the tokenised corpus in %s", cache)
    return segments


def movement_segments(path: Path) -> list[Segment]:
    """One movement's bars, cut where the meter or key changes and transposed to C major / A minor."""
    import music21

    hands = spine_hands(path)
    with contextlib.redirect_stderr(io.StringIO()):  # music21 warns on every **dynam token it skips
        score = music21.converter.parse(str(path))
    if not isinstance(score, music21.stream.Score):
        raise PianoDataError(f"{path.name}: expected one score with a part per **kern spine.")
    parts = {}
    for part in score.parts:
        spine = int(str(part.id).removeprefix("spine_")) if str(part.id).startswith("spine_") else -1
        if spine in hands:
            parts[hands[spine]] = part
    if set(parts) != set(Hand):
        raise PianoDataError(f"{path.name}: expected a *staff1 and a *staff2 **kern spine.")
    hand_parts = [(parts[Hand.RIGHT], Hand.RIGHT), (parts[Hand.LEFT], Hand.LEFT)]
    return segments_from_parts(hand_parts, name=path.stem, keys=key_labels(parts[Hand.RIGHT]))


def spine_hands(path: Path) -> dict[int, Hand]:
    """Which hand each spine plays, from the file's `*staff` interpretation line."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split("\t")
        if any(field in STAFF_HANDS for field in fields):
            return {index: STAFF_HANDS[field] for index, field in enumerate(fields) if field in STAFF_HANDS}
    return {}


def key_labels(part) -> list[tuple[float, KeyLabel]]:
    """The part's key designations and key signatures in time order; a designation beats a signature."""
    import music21

    labels: dict[float, KeyLabel] = {}
    for element in part.recurse().getElementsByClass(music21.key.KeySignature):
        offset = float(element.getOffsetInHierarchy(part))
        if isinstance(element, music21.key.Key):
            labels[offset] = KeyLabel(element.sharps, element.tonic.pitchClass, element.mode)
        elif labels.get(offset) is None or labels[offset].mode is None:
            labels[offset] = KeyLabel(element.sharps)
    return sorted(labels.items())


def segments_from_parts(
    parts: Sequence[tuple[Stream, Hand | None]],
    *,
    name: str,
    keys: Sequence[tuple[float, KeyLabel]],
    meter: str | None = None,
) -> list[Segment]:
    """Segments of a score's (part, hand) pairs, measures matched by index; a part with hand None is
    split at middle C. `keys` are (offset, label) pairs in time order; `meter` overrides the time
    signatures, so the whole score is read in one meter."""
    import music21

    measures = []
    for part, _ in parts:
        part.stripTies(inPlace=True)
        found = list(part.getElementsByClass(music21.stream.Measure))
        measures.append(found or list(part.makeMeasures().getElementsByClass(music21.stream.Measure)))
    runs: list[tuple[str, KeyLabel, list[list[Note]]]] = []
    current_meter, key_index, label, interrupted = meter, 0, KeyLabel(0), False
    for index in range(min(len(found) for found in measures)):
        measure = measures[0][index]
        if meter is None and measure.timeSignature is not None:
            current_meter = measure.timeSignature.ratioString
        while key_index < len(keys) and keys[key_index][0] <= measure.offset + 1e-6:
            label = keys[key_index][1]
            key_index += 1
        if current_meter not in METERS:
            interrupted = True  # bars in a meter the model does not know are left out
            continue
        if interrupted or not runs or runs[-1][:2] != (current_meter, label):
            runs.append((current_meter, label, []))
            interrupted = False
        notes = [
            note for (_, hand), found in zip(parts, measures, strict=True) for note in measure_notes(found[index], hand)
        ]
        runs[-1][2].append(notes)
    return [segment_in_reference_key(meter, label, bars, name) for meter, label, bars in runs if bars]


def measure_notes(measure, hand: Hand | None) -> list[Note]:
    """The sounding notes of one measure (grace notes left out), in ticks from the bar's start."""
    notes = []
    padding = float(measure.paddingLeft or 0.0)
    for element in measure.flatten().notes:
        if element.duration.isGrace or element.quarterLength <= 0:
            continue
        position = round((float(element.offset) + padding) * TICKS_PER_QUARTER)
        duration = quantise_duration(float(element.quarterLength) * TICKS_PER_QUARTER)
        for pitch in element.pitches:
            played_by = hand if hand is not None else Hand.RIGHT if pitch.midi >= SPLIT_PITCH else Hand.LEFT
            notes.append(Note(position, played_by, pitch.midi, duration))
    return notes


def segment_in_reference_key(meter: str, label: KeyLabel, bars: list[list[Note]], name: str) -> Segment:
    """The bars transposed so the key's tonic becomes C (major) or A (minor)."""
    tonic, mode = (
        (label.tonic, label.mode)
        if label.tonic is not None and label.mode in ("major", "minor")
        else mode_from_signature(label.sharps, (note for bar in bars for note in bar))
    )
    shift = transposition_to_reference(tonic, mode)
    moved = [
        normalise_bar((Note(n.position, n.hand, fit_to_piano(n.pitch + shift), n.duration) for n in bar), meter)
        for bar in bars
    ]
    return Segment(meter=meter, mode=mode, bars=moved, shift=shift, movement=name)


def mode_from_signature(sharps: int, notes: Iterable[Note]) -> tuple[int, str]:
    """The relative major or minor of a key signature whose key profile fits the notes better."""
    weights = np.zeros(12)
    for note in notes:
        weights[note.pitch % 12] += note.duration
    major_tonic = (7 * sharps) % 12
    minor_tonic = (major_tonic + 9) % 12
    if not weights.any():
        return major_tonic, "major"
    major_fit = np.corrcoef(np.roll(weights, -major_tonic), MAJOR_PROFILE)[0, 1]
    minor_fit = np.corrcoef(np.roll(weights, -minor_tonic), MINOR_PROFILE)[0, 1]
    return (major_tonic, "major") if major_fit >= minor_fit else (minor_tonic, "minor")


def split_by_movement(segments: Sequence[Segment], fraction: float, seed: int) -> tuple[list[Segment], list[Segment]]:
    """(train, validation): whole movements held out, about `fraction` of them, chosen by `seed`."""
    movements = sorted({segment.movement for segment in segments})
    held_out_count = max(1, round(len(movements) * fraction))
    order = np.random.default_rng(seed).permutation(len(movements))
    held_out = {movements[index] for index in order[:held_out_count]}
    return (
        [segment for segment in segments if segment.movement not in held_out],
        [segment for segment in segments if segment.movement in held_out],
    )


def segments_to_json(segments: Iterable[Segment]) -> list[dict]:
    return [
        {
            "meter": segment.meter,
            "mode": segment.mode,
            "shift": segment.shift,
            "movement": segment.movement,
            "bars": [[[n.position, int(n.hand), n.pitch, n.duration] for n in bar] for bar in segment.bars],
        }
        for segment in segments
    ]


def segments_from_json(items: Iterable[dict]) -> list[Segment]:
    return [
        Segment(
            meter=item["meter"],
            mode=item["mode"],
            shift=item["shift"],
            movement=item["movement"],
            bars=[[Note(p, Hand(h), pitch, d) for p, h, pitch, d in bar] for bar in item["bars"]],
        )
        for item in items
    ]
