"""The chord vocabulary and the labelling of sounding pitch classes as chords.

A chord is a root pitch class and a quality; the vocabulary is small on purpose (nine qualities
times twelve roots, plus "no chord") so that a few hundred chorales teach every label. Labelling
matches the duration-weighted pitch classes of a beat against each chord's template: sounding
notes inside the template count for it, sounding notes outside it and template notes that are not
sounding count against it, so passing notes shift the weights only a little.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np

from ontology.music_theory import CHORD_QUALITIES, NOTE_NAMES

ROOT_NAMES = NOTE_NAMES

_ONTOLOGY_SUFFIX = {"maj": "", "min": "m", "dim": "dim", "aug": "aug", "dom7": "7", "maj7": "maj7", "min7": "m7",
                    "hdim7": "m7b5", "dim7": "dim7"}
QUALITIES: dict[str, tuple[int, ...]] = {name: CHORD_QUALITIES[suffix] for name, suffix in _ONTOLOGY_SUFFIX.items()}
"""Interval templates above the root; the order breaks ties (triads before sevenths)."""

NO_CHORD = 0
NO_CHORD_SYMBOL = "N.C."
MISSING_TONE_PENALTY = 0.3
"""What a template tone that does not sound costs, in units of the beat's total note weight."""
SEVENTH_CHORD_COST = 0.25
"""What a four-note template costs: a passing note (an eighth in one of four voices) does not make a seventh chord."""


def chord_symbols() -> tuple[str, ...]:
    """Every label, index 0 being "N.C."; then roots in chromatic order, each with every quality."""
    return _symbols()


@cache
def _symbols() -> tuple[str, ...]:
    return (NO_CHORD_SYMBOL, *(f"{root}:{quality}" for root in ROOT_NAMES for quality in QUALITIES))


VOCABULARY_SIZE = 1 + len(ROOT_NAMES) * len(QUALITIES)


def chord_index(root: int, quality: str) -> int:
    """The vocabulary index of a chord given by root pitch class and quality name."""
    return 1 + (root % 12) * len(QUALITIES) + list(QUALITIES).index(quality)


def chord_root_quality(index: int) -> tuple[int, str] | None:
    """(root pitch class, quality) of a vocabulary index, None for "N.C."."""
    if index == NO_CHORD:
        return None
    root, quality = divmod(index - 1, len(QUALITIES))
    return root, list(QUALITIES)[quality]


@cache
def chord_pitch_classes(index: int) -> frozenset[int]:
    """The pitch classes a chord contains (empty for "N.C.")."""
    parts = chord_root_quality(index)
    if parts is None:
        return frozenset()
    root, quality = parts
    return frozenset((root + interval) % 12 for interval in QUALITIES[quality])


ACCOMPANIMENT_ROOT_MIDI = 48
"""C3: block chords are voiced upwards from their root in the octave above it."""


def block_chord(index: int) -> list[int]:
    """The MIDI pitches of a root-position block chord for accompaniment (empty for "N.C.")."""
    parts = chord_root_quality(index)
    if parts is None:
        return []
    root, quality = parts
    return [ACCOMPANIMENT_ROOT_MIDI + root + interval for interval in QUALITIES[quality]]


def symbol_to_index(symbol: str) -> int:
    """The index of a symbol such as "F#:min" or "N.C."; a `KeyError` names an unknown one."""
    try:
        return _symbols().index(symbol)
    except ValueError:
        raise KeyError(f"unknown chord symbol {symbol!r}") from None


def transpose_chord(index: int, semitones: int) -> int:
    """The same chord quality with the root moved by `semitones` ("N.C." stays)."""
    parts = chord_root_quality(index)
    if parts is None:
        return NO_CHORD
    root, quality = parts
    return chord_index(root + semitones, quality)


def label_pitch_classes(weights: Mapping[int, float], bass: int | None = None) -> int:
    """The chord index that best explains duration-weighted pitch classes sounding in one beat.

    Score = weight inside the template - weight outside it - MISSING_TONE_PENALTY per template tone
    that does not sound - SEVENTH_CHORD_COST for a four-note template (weights normalised to sum 1).
    Ties go to a chord whose root is the bass, then to the earlier quality in `QUALITIES` (a triad
    before a seventh chord).
    """
    vector = np.zeros(12)
    for pc, weight in weights.items():
        if weight > 0:
            vector[pc % 12] += weight
    total = vector.sum()
    if total <= 0:
        return NO_CHORD
    vector /= total
    templates = _templates()
    inside = templates @ vector
    missing = templates @ (vector == 0)
    sevenths = templates.sum(axis=1) > 3
    scores = np.round(2 * inside - 1 - MISSING_TONE_PENALTY * missing - SEVENTH_CHORD_COST * sevenths, 9)
    candidates = np.flatnonzero(scores == scores.max()) + 1  # vocabulary indices, in quality order per root
    if bass is not None:
        on_bass = [index for index in candidates if chord_root_quality(int(index))[0] == bass % 12]  # type: ignore[index]
        if on_bass:
            candidates = np.array(on_bass)
    return int(min(candidates, key=lambda index: ((index - 1) % len(QUALITIES), index)))


@cache
def _templates() -> np.ndarray:
    """One row per chord (N.C. excluded): 1 where the chord holds the pitch class."""
    rows = np.zeros((VOCABULARY_SIZE - 1, 12))
    for index in range(1, VOCABULARY_SIZE):
        rows[index - 1, list(chord_pitch_classes(index))] = 1
    return rows


def ontology_symbol(index: int) -> str | None:
    """The chord as the music ontology writes it ('F#m', 'G7', 'Bbmaj7'), None for "N.C."."""
    parts = chord_root_quality(index)
    if parts is None:
        return None
    root, quality = parts
    return ROOT_NAMES[root] + _ONTOLOGY_SUFFIX[quality]
