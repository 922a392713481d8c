"""Measures of a harmonisation: against a reference, and reference-free (progression, fit, rhythm).

Chords are vocabulary indices, one per beat of the piece's grid (a quarter note, or a dotted
quarter in compound meters); melodies are `MelodyNote`s on the same beat clock. The
reference-free metrics follow the melody-harmonisation literature the FF paper (arXiv 2601.16150)
evaluates with (Yeh et al. 2021 for CHE, CC, CTD, CTnCTR, PCS, MCTD):

- chord histogram entropy (CHE, natural log) and chord coverage (CC, distinct labels);
- chord tonal distance (CTD): mean distance between the tonal centroids (Harte et al. 2006) of
  consecutive distinct chords, a measure of how far a progression moves;
- chord-tone to non-chord-tone ratio (CTnCTR): (n_c + n_p) / (n_c + n_n), counting each melody
  note under the chord at its onset: n_c chord tones, n_n non-chord tones, n_p non-chord tones that
  step (1 or 2 semitones) to a following chord tone;
- pitch consistency score (PCS): over every (melody note, chord tone) pair, +1 for a consonant
  interval class (unison/octave, thirds, fifth, sixths), 0 for a fourth, -1 otherwise, averaged
  with the time the note sounds under the chord as weight;
- melody-chord tonal distance (MCTD): time-weighted tonal-centroid distance between each melody
  note and the chord under it;
- pitch-class agreement: the share of melody time whose pitch class is in the chord under it;
- harmonic rhythm: chord changes per bar, mean chord duration in beats, the entropy (HRHE) and
  the number of distinct values (HRC) of the chord durations, and the share of chord changes that
  land on a downbeat.

"N.C." counts as a chord that holds no melody note (a non-chord tone in CTnCTR and agreement); the
interval metrics (PCS, MCTD, CTD) skip it. An undefined value (no notes, one chord) is NaN and
is left out of averages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import cache

import numpy as np

from tools.music.harmony.chords import NO_CHORD, chord_pitch_classes
from tools.music.harmony.data import MelodyNote, Piece

CONSONANT_INTERVALS = frozenset({0, 3, 4, 7, 8, 9})
PERFECT_FOURTH = 5


def chord_accuracy(predicted: Sequence[int], reference: Sequence[int]) -> float:
    """Share of beats whose predicted chord equals the reference."""
    if len(predicted) != len(reference):
        raise ValueError(f"{len(predicted)} predicted chords for {len(reference)} reference beats")
    if not reference:
        return math.nan
    return sum(p == r for p, r in zip(predicted, reference, strict=True)) / len(reference)


def chord_histogram_entropy(chords: Sequence[int]) -> float:
    """Entropy (nats) of the beat-wise chord histogram."""
    return _entropy(Counter(chords))


def chord_coverage(chords: Sequence[int]) -> int:
    """Number of distinct chord labels used."""
    return len(set(chords))


@cache
def tonal_centroid(pitch_classes: frozenset[int]) -> np.ndarray:
    """Harte et al.'s 6-d tonal centroid of a pitch-class set (fifths, minor and major thirds circles)."""
    if not pitch_classes:
        return np.zeros(6)
    angles = np.array([7 * math.pi / 6, 3 * math.pi / 2, 2 * math.pi / 3])
    radii = np.array([1.0, 1.0, 0.5])
    vectors = []
    for pc in pitch_classes:
        phases = pc * angles
        vectors.append(np.ravel(np.column_stack([radii * np.sin(phases), radii * np.cos(phases)])))
    return np.mean(vectors, axis=0)


def chord_tonal_distance(chords: Sequence[int]) -> float:
    """Mean tonal-centroid distance between consecutive distinct chords ("N.C." left out)."""
    runs = [chord for chord, _ in chord_runs(chords) if chord != NO_CHORD]
    steps = [
        float(np.linalg.norm(tonal_centroid(chord_pitch_classes(a)) - tonal_centroid(chord_pitch_classes(b))))
        for a, b in zip(runs, runs[1:], strict=False)
        if a != b
    ]
    return float(np.mean(steps)) if steps else math.nan


def chord_tone_ratio(notes: Sequence[MelodyNote], chords: Sequence[int]) -> float:
    """CTnCTR = (n_c + n_p) / (n_c + n_n) with each note judged against the chord at its onset."""
    judged = [(note, _is_chord_tone(note, chords)) for note in notes]
    tones = [(note, tone) for note, tone in judged if tone is not None]
    chord_tones = sum(1 for _, tone in tones if tone)
    proper = sum(
        1
        for (note, tone), (following, following_tone) in zip(tones, tones[1:], strict=False)
        if not tone and following_tone and 1 <= abs(following.pitch - note.pitch) <= 2
    )
    return (chord_tones + proper) / len(tones) if tones else math.nan


def pitch_consistency(notes: Sequence[MelodyNote], chords: Sequence[int]) -> float:
    """PCS: time-weighted mean interval score between melody notes and the chord tones under them."""
    total = weight_sum = 0.0
    for pc, chord, weight in _note_chord_overlaps(notes, chords):
        if chord == NO_CHORD:
            continue
        scores = [_interval_score((pc - tone) % 12) for tone in chord_pitch_classes(chord)]
        total += weight * float(np.mean(scores))
        weight_sum += weight
    return total / weight_sum if weight_sum else math.nan


def melody_chord_tonal_distance(notes: Sequence[MelodyNote], chords: Sequence[int]) -> float:
    """MCTD: time-weighted tonal-centroid distance between each melody note and its chord."""
    total = weight_sum = 0.0
    for pc, chord, weight in _note_chord_overlaps(notes, chords):
        if chord == NO_CHORD:
            continue
        distance = np.linalg.norm(tonal_centroid(frozenset({pc})) - tonal_centroid(chord_pitch_classes(chord)))
        total += weight * float(distance)
        weight_sum += weight
    return total / weight_sum if weight_sum else math.nan


def pitch_class_agreement(notes: Sequence[MelodyNote], chords: Sequence[int]) -> float:
    """Share of sounding melody time whose pitch class belongs to the chord under it."""
    inside = total = 0.0
    for pc, chord, weight in _note_chord_overlaps(notes, chords):
        inside += weight * (pc in chord_pitch_classes(chord))
        total += weight
    return inside / total if total else math.nan


def harmonic_rhythm(chords: Sequence[int], bar_starts: Sequence[int]) -> dict[str, float]:
    """Chord changes per bar, mean chord duration (beats), HRHE, HRC and the downbeat share of changes."""
    if not chords:
        return dict.fromkeys(("changes_per_bar", "mean_chord_duration", "hrhe", "hrc", "downbeat_changes"), math.nan)
    changes = [beat for beat in range(1, len(chords)) if chords[beat] != chords[beat - 1]]
    durations = [length for _, length in chord_runs(chords)]
    downbeats = set(bar_starts)
    return {
        "changes_per_bar": len(changes) / max(len(bar_starts), 1),
        "mean_chord_duration": float(np.mean(durations)),
        "hrhe": _entropy(Counter(durations)),
        "hrc": float(len(set(durations))),
        "downbeat_changes": sum(beat in downbeats for beat in changes) / len(changes) if changes else math.nan,
    }


def harmonisation_metrics(
    piece: Piece, chords: Sequence[int], reference: Sequence[int] | None = None
) -> dict[str, float]:
    """Every metric of one harmonised piece; `accuracy` only when a reference is given."""
    if len(chords) != piece.n_beats:
        raise ValueError(f"{len(chords)} chords for a piece of {piece.n_beats} beats")
    values: dict[str, float] = {}
    if reference is not None:
        values["accuracy"] = chord_accuracy(chords, reference)
    values |= {
        "che": chord_histogram_entropy(chords),
        "cc": float(chord_coverage(chords)),
        "ctd": chord_tonal_distance(chords),
        "ctnctr": chord_tone_ratio(piece.notes, chords),
        "pcs": pitch_consistency(piece.notes, chords),
        "mctd": melody_chord_tonal_distance(piece.notes, chords),
        "pc_agreement": pitch_class_agreement(piece.notes, chords),
    }
    return values | harmonic_rhythm(chords, piece.bar_starts)


def average(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per metric, the mean over pieces of its defined (non-NaN) values."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    means = {}
    for key in keys:
        values = [row[key] for row in rows if key in row and not math.isnan(row[key])]
        means[key] = float(np.mean(values)) if values else math.nan
    return means


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    if not total:
        return math.nan
    return float(-sum((count / total) * math.log(count / total) for count in counts.values()))


def chord_runs(chords: Sequence[int]) -> list[tuple[int, int]]:
    """(chord, length in beats) of each maximal run of equal consecutive chords."""
    runs: list[tuple[int, int]] = []
    for chord in chords:
        if runs and runs[-1][0] == chord:
            runs[-1] = (chord, runs[-1][1] + 1)
        else:
            runs.append((chord, 1))
    return runs


def _chord_at(time: float, chords: Sequence[int]) -> int | None:
    beat = int(math.floor(time + 1e-9))
    return chords[beat] if 0 <= beat < len(chords) else None


def _is_chord_tone(note: MelodyNote, chords: Sequence[int]) -> bool | None:
    chord = _chord_at(note.onset, chords)
    return None if chord is None else (note.pitch % 12) in chord_pitch_classes(chord)


def _note_chord_overlaps(notes: Sequence[MelodyNote], chords: Sequence[int]) -> Iterator[tuple[int, int, float]]:
    """(melody pitch class, chord, time in beats) for every part of a note that sounds in a beat."""
    for note in notes:
        end = note.onset + note.duration
        beat = int(math.floor(note.onset + 1e-9))
        while beat < len(chords) and beat < end:
            overlap = min(end, beat + 1) - max(note.onset, beat)
            if overlap > 0 and beat >= 0:
                yield note.pitch % 12, chords[beat], overlap
            beat += 1


def _interval_score(interval: int) -> int:
    if interval in CONSONANT_INTERVALS:
        return 1
    return 0 if interval == PERFECT_FOURTH else -1
