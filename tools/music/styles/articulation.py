"""A dance tune's detached notes: a long note struck for a beat, then a rest for the rest of it.

A minuet's or a scherzo's tune is seldom legato throughout: a half note is often written as a
quarter and a quarter rest, and the beat of silence is what makes the dance step light. Beethoven's
minuets, scherzos and triple-time allegros (the waltz's reference movements) rest in 17% of their
events, most of them quarter rests in both hands; the waltzes sung legato but for a breath at each
phrase's end rested in 6% (`bench/compose_tools_quality.py --styles waltz -n 60`, session 34).

How often a tune detaches its long notes is the piece's (drawn once from its seed, `LineRules.detached`),
so some waltzes step lightly now and then and others at every long note; which notes is the section's
seed's. A note is left whole in a phrase's last bar (its close is sustained, then the tune breathes)
and in a section whose character asks for gentle motion, which sings. (A waltz's share is drawn from
0.3-1.0. From 0-0.8, sixty fixed-plan waltzes rested in 7.8% of their events on average, against the
reference's 16.8%, and ten of them drawn at a time matched its spread in 60% of draws; from 0.3-1.0,
8.9% and 75%: `bench/compose_tools_quality.py --styles waltz -n 60 --scores DIR`, then
`bench/compose_quality_ceiling.py --pieces DIR`, session 35.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

from ontology.music_styles import LineRules
from ontology.music_theory import exact_quarters
from tools.music.harmony.data import MelodyNote


def detached_share(line: LineRules, piece_seed: int) -> float:
    """The share of a piece's long notes it detaches, drawn from the line's range by the piece's seed."""
    return random.Random(f"detached {piece_seed}").uniform(*line.detached)


def detach(line: Sequence[MelodyNote], *, bar_length: Fraction, beat: Fraction, phrase_ends: Sequence[int],
           share: float, seed: int) -> list[MelodyNote]:
    """`line` (in quarters from the section's start) with each note of two beats or more that lies
    inside one bar, outside the bars in `phrase_ends` (0-based), struck for one beat instead, at
    `share` (the notes chosen by `seed`); its onsets and pitches stay."""
    if share <= 0:
        return list(line)
    closing = set(phrase_ends)
    draw = random.Random(f"detach {seed}")
    result = []
    for note in line:
        onset, length = exact_quarters(note.onset), exact_quarters(note.duration)
        bar = int(onset // bar_length)
        inside = onset + length <= bar_length * (bar + 1)
        if length >= 2 * beat and inside and bar not in closing and draw.random() < share:
            note = replace(note, duration=float(beat))
        result.append(note)
    return result
