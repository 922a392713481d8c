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

A sonata allegro's left hand detaches too: its chords and bass notes are struck for an eighth or a
quarter and released. Beethoven's first movements (their first 16 bars) rest in 15% of the left
hand's events and 9% of the right's, almost all eighth and quarter rests after an eighth or a quarter;
the piano model trained on a GPU writes its left hand legato, resting in 5-6% (`detach_struck`, drawn
per piece from `BassRules.detached`; only the left hand, whose silences leave the tune on top, where
a silent right hand would hand the top voice to the bass two octaves down).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import replace
from fractions import Fraction

from ontology.music import Bar, Event
from ontology.music_theory import exact_quarters
from tools.music.harmony.data import MelodyNote


def detached_share(bounds: tuple[float, float], piece_seed: int, *, hand: str = "") -> float:
    """The share of a piece's notes a hand detaches, drawn from `bounds` by the piece's seed (each
    `hand` named draws its own)."""
    return random.Random(f"detached {hand} {piece_seed}" if hand else f"detached {piece_seed}").uniform(*bounds)


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


def detach_struck(bars: Sequence[Bar], *, beat: Fraction, keep: Collection[int], share: float,
                  seed: int) -> list[Bar]:
    """`bars` with each event of their first voice that sounds for one or two beats and runs straight
    into a struck event (the voice's next, or the next bar's first) struck short at `share` (chosen by
    `seed`), the rest of its length a rest: half of it in simple meter (a quarter becomes an eighth and an
    eighth rest), a third in compound (a dotted quarter a quarter and an eighth rest). The bars in `keep`
    (0-based: a phrase's close) and the other voices stay as they are."""
    if share <= 0:
        return list(bars)
    rest_part = Fraction(1, 3) if beat.numerator % 3 == 0 else Fraction(1, 2)
    draw = random.Random(f"detach struck {seed}")
    result = []
    for number, bar in enumerate(bars):
        if number in keep or not bar.voices:
            result.append(bar)
            continue
        following = bars[number + 1].voices[0][:1] if number + 1 < len(bars) and bars[number + 1].voices else []
        events = bar.voices[0]
        voice: list[Event] = []
        for index, event in enumerate(events):
            after = events[index + 1:index + 2] or following
            length = exact_quarters(event.duration)
            legato = bool(event.pitches) and bool(after) and bool(after[0].pitches)
            if legato and length in (beat, 2 * beat) and draw.random() < share:
                silent = length * rest_part
                voice += [event.model_copy(update={"duration": float(length - silent)}),
                          Event(duration=float(silent))]
            else:
                voice.append(event)
        result.append(bar.model_copy(update={"voices": [voice, *bar.voices[1:]]}))
    return result
