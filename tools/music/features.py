"""A section's notes as a fixed-length vector, so that "how close is this material to that one"
is a distance a SOM can lay out.

The vector describes what a listener recognises when material returns: which scale degrees the
melody and the accompaniment dwell on, the melody's intervals and its contour over the section,
where in the bar notes start, the register, and how busy each hand is. Everything except the
register group is measured from the key's tonic, so the same music moved with its key has the
same vector apart from register (as long as the tonic stays within the octave the contour is
measured from, F# below middle C to the F above), and a variation in another key is compared fairly.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from ontology.music import Bar
from ontology.music_theory import Key, exact_quarters
from tools.music.analysis import sounding_notes, top_line

CONTOUR_POINTS = 16
"""Samples of the melody's shape across the whole section (same count for any length)."""
ONSET_BINS = 8
"""Slots per bar for where notes start (eighths in 4/4)."""
INTERVAL_EDGES = (-4.5, -2.5, -0.5, 0.5, 2.5, 4.5)
"""Melodic intervals in semitones, binned: leaps down, thirds down, steps down, repeats, and up again."""

_GROUPS = (("melody_degrees", 12), ("accompaniment_degrees", 12), ("intervals", len(INTERVAL_EDGES) + 1),
           ("contour", CONTOUR_POINTS), ("onsets", ONSET_BINS), ("register", 3), ("density", 2))
FEATURE_SIZE = sum(size for _, size in _GROUPS)
"""Length of every feature vector."""


def _slices() -> dict[str, slice]:
    ends = np.cumsum([size for _, size in _GROUPS])
    return {name: slice(int(end - size), int(end)) for (name, size), end in zip(_GROUPS, ends, strict=True)}


FEATURE_SLICES = _slices()
"""Where each group sits in the vector (a test or a report can compare groups separately)."""

CONTOUR_WEIGHT = 0.5
"""The contour's 16 samples would otherwise outweigh the histograms (each sums to one) several times over."""
ACCOMPANIMENT_WEIGHT = 0.5
"""A tune is recognised by its melody more than by its chords: a re-harmonised return is still a return."""
CONTOUR_REFERENCE = 60
"""The melody's height is measured from the tonic nearest middle C (F#3 to F4)."""


def _histogram(weighted: Iterable[tuple[int, float]], size: int) -> np.ndarray:
    """A normalised histogram of (bin, weight) pairs; all zeros when nothing sounds."""
    counts = np.zeros(size)
    for index, weight in weighted:
        counts[index] += weight
    total = counts.sum()
    return counts / total if total > 0 else counts


def material_features(right: list[Bar], left: list[Bar], key: Key, bar_length: Fraction) -> np.ndarray:
    """The feature vector (`FEATURE_SIZE` floats, groups at `FEATURE_SLICES`) of a section's two staves."""
    bars = max(len(right), len(left), 1)
    length = float(bar_length * bars)
    beats = max(length, 1.0)
    line = top_line(right, bar_length)
    bass = sounding_notes(left, bar_length)
    pitches = np.array([note.pitch for note in line], dtype=float)

    melody_degrees = _histogram((((n.pitch - key.tonic) % 12, n.duration) for n in line), 12)
    accompaniment_degrees = ACCOMPANIMENT_WEIGHT * _histogram(
        (((p - key.tonic) % 12, float(end - start)) for start, end, p in bass), 12)
    steps = np.diff(pitches) if len(pitches) > 1 else np.zeros(0)
    intervals = _histogram(((int(np.searchsorted(INTERVAL_EDGES, step)), 1.0) for step in steps),
                           len(INTERVAL_EDGES) + 1)

    contour = np.zeros(CONTOUR_POINTS)
    if len(line):
        onsets = np.array([note.onset for note in line])
        times = (np.arange(CONTOUR_POINTS) + 0.5) * length / CONTOUR_POINTS
        sounding = np.clip(np.searchsorted(onsets, times, side="right") - 1, 0, len(line) - 1)
        # from the tonic, not from the line's mean: bars kept from a source keep their values exactly
        tonic = CONTOUR_REFERENCE + (key.tonic + 6) % 12 - 6
        contour = (pitches[sounding] - tonic) / 12 * CONTOUR_WEIGHT

    onsets_in_bar = _histogram(
        ((min(int(exact_quarters(n.onset) % bar_length / bar_length * ONSET_BINS), ONSET_BINS - 1),
          1.0) for n in line), ONSET_BINS)
    bass_pitches = [pitch for _, _, pitch in bass]
    register = np.array([
        (pitches.mean() - 60) / 24 if len(pitches) else 0.0,
        pitches.std() / 12 if len(pitches) else 0.0,
        (float(np.mean(bass_pitches)) - 48) / 24 if bass_pitches else 0.0,
    ])
    density = np.minimum([len(line) / beats / 4, len({start for start, _, _ in bass}) / beats / 4], 2.0)
    return np.concatenate([melody_degrees, accompaniment_degrees, intervals, contour, onsets_in_bar, register,
                           density])
