"""A fiddle tune's harmonic rhythm: a chord a bar, a second one at the half bar only where the tune asks.

The harmoniser chooses a chord per slot (a beat: a dotted quarter in 6/8, a quarter in a reel's
4/4); left so, a jig's chords swing between I and V every half bar and a reel's change on every
quarter. Real jigs and reels hold one chord through the bar, or two, one a half: the chord of the
bar's downbeat is kept until the half bar, and kept after it where the note struck there is one
of its tones. Where it is not (the tune moves to another harmony) the half takes the harmoniser's
own chord. The slots the phrases' cadences fix keep their chords.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from ontology.music_theory import exact_quarters
from tools.music.harmony.chords import chord_pitch_classes
from tools.music.harmony.data import MelodyNote


def held_through_bars(chords: Sequence[int], line: Sequence[MelodyNote], slot: Fraction, bar_length: Fraction,
                      given: Mapping[int, int]) -> list[int]:
    """`chords` (one per `slot` quarters from the section's start) changing at most at each bar's
    half: a half takes the chord of its first slot; the second half the first half's chord again
    where the melody's note at the half bar (`line`, in quarters from the same start) is one of its
    tones. Slots in `given` keep their chords."""
    per_bar = int(bar_length / slot)
    per_half = max(per_bar // 2, 1)
    struck = {exact_quarters(note.onset): note.pitch % 12 for note in line}
    held = list(chords)
    for index in range(len(held)):
        if index in given:
            continue
        position = index % per_bar
        if position % per_half:
            held[index] = held[index - 1]
        elif position:
            bar_chord = held[index - position]
            note = struck.get(slot * index)
            if note is None or note in chord_pitch_classes(bar_chord):
                held[index] = bar_chord
    return held
