"""Harmony rocking between two chords (i V i V) found in a harmonisation, to be chosen again.

The FF harmoniser, greedy about the likeliest chord, swings between two chords wherever a tune
lingers near their tones: sixty fixed-plan chorales alternated two chords over four changes (X Y X Y)
64 times in 100 minor bars and 28 in 100 major ones, nearly all of it tonic and dominant, where
Bach's chorales do 12 and 9 (Riemenschneider 1-30, chords read from music21's chordify on the beat;
session 52), and their inner voices rocked with them (D C# D C# in the tenor). So a chord that rocks
is asked of the harmoniser again, one at a time from the left, with the chords around it barred
there (`harmonise_pieces`' `banned`): its next choice in that context, kept only where it holds the
melody's note on the chord's first beat. Where the tune itself rocks (C# D C# D), no other chord
may hold it, and the rock stays.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from tools.music.harmony.chords import NO_CHORD, VOCABULARY_SIZE, chord_pitch_classes, chord_root_quality
from tools.music.harmony.data import MelodyNote

NEARBY_RUNS = 2
"""A rock's chord chosen again takes none of the roots of the runs this many either side of it (its
own two neighbours' and the runs beyond them): X Y X Y becomes X Z X Y, never W X W X."""


def root_runs(chords: Sequence[int]) -> list[range]:
    """The beats of each run of chords on one root (a triad and its seventh are one run)."""
    runs: list[range] = []
    for beat, chord in enumerate(chords):
        if runs and _root(chords[runs[-1].start]) == _root(chord):
            runs[-1] = range(runs[-1].start, beat + 1)
        else:
            runs.append(range(beat, beat + 1))
    return runs


def rocking_run(chords: Sequence[int], given: Collection[int], tried: Collection[int]) -> range | None:
    """The first run that rocks: between two runs on one root, with the run two before or two after it
    on its own root (X Y X Y), none of its beats `given` and its first beat not `tried`; else None."""
    runs = root_runs(chords)
    roots = [_root(chords[run.start]) for run in runs]
    for index in range(1, len(runs) - 1):
        run = runs[index]
        if run.start in tried or any(beat in given for beat in run) or roots[index - 1] != roots[index + 1]:
            continue
        if (index >= 2 and roots[index - 2] == roots[index]) or (index + 2 < len(runs)
                                                                and roots[index + 2] == roots[index]):
            return run
    return None


def barred_around(chords: Sequence[int], run: range) -> frozenset[int]:
    """The chords a rocking `run` may not take when chosen again: every chord on its own root or a
    root of the runs `NEARBY_RUNS` either side, and no chord at all."""
    runs = root_runs(chords)
    index = next(number for number, other in enumerate(runs) if other.start == run.start)
    nearby = {_root(chords[other.start]) for other in runs[max(index - NEARBY_RUNS, 0):index + NEARBY_RUNS + 1]}
    return frozenset(chord for chord in range(VOCABULARY_SIZE) if chord == NO_CHORD or _root(chord) in nearby)


def holds_the_melody(chord: int, melody: Sequence[MelodyNote], beat: int) -> bool:
    """Whether `chord` holds the melody note sounding at `beat` (in the melody's beats), or none sounds."""
    sounding = next((note.pitch for note in melody if note.onset <= beat < note.onset + note.duration), None)
    return sounding is None or sounding % 12 in chord_pitch_classes(chord)


def _root(chord: int) -> int | None:
    parts = chord_root_quality(chord)
    return None if parts is None else parts[0]
