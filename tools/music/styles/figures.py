"""A sampled line that says one thing over and over, varied the way a composer develops a figure.

The piano model, asked for a slow cantabile line, often finds one figure and keeps it: the
fixed-plan nocturnes sang the same descending four quarters (D C B A, C B B A, C B B D#) in almost
every bar of their A sections, and their B sections held one whole note a bar over the left hand's
repeated chords. Real slow movements develop a figure instead: they move it up or down the scale (a
sequence), turn it upside down (an inversion), or change its rhythm (a dotted pair in place of two
even notes); and a long note in a middle section moves on toward the next bar's note. This module
does that to a freshly sampled line, before its phrases are closed and it is harmonised, so the
harmony is chosen for the notes that sound:

- a bar that repeats the bar before it (or the one before that) in rhythm and contour (`repeats`)
  takes one of the three devices, in an order drawn from the section's seed: the first that keeps
  the line inside its register and within its largest leap of its neighbours and no longer repeats
  them (a sequence states the figure again, a step away: allowed once, not for a third bar);
- a third bar in a row in one rhythm (quarters, bar after bar) dots a pair of its even notes;
- a bar held on one note after a bar that also held one note keeps that note for its first half and
  moves on in quarters, by steps or thirds, to a note a step from the next bar's first note.

The bars where a phrase ends keep their notes (their first note is the cadence's).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction
from itertools import accumulate, product

from ontology.music_theory import Key, exact_quarters
from tools.music.harmony.data import MelodyNote

Bars = list[list[MelodyNote]]
Device = Callable[[list[MelodyNote]], list[MelodyNote]]


def split_bars(line: Sequence[MelodyNote], bar_length: Fraction, count: int) -> Bars:
    """The notes of `line` bar by bar (`count` bars; a note past them is left out)."""
    bars: Bars = [[] for _ in range(count)]
    for note in line:
        index = int(exact_quarters(note.onset) // bar_length)
        if 0 <= index < count:
            bars[index].append(note)
    return bars


def fits_between(split: Bars, index: int, notes: list[MelodyNote], register: tuple[int, int], max_leap: int) -> bool:
    """Whether `notes`, put in place of bar `index` of `split`, stay inside `register` and within `max_leap`
    semitones of each other and of the notes on either side: what a reshaped bar must keep."""
    before = next((bar[-1].pitch for bar in reversed(split[:index]) if bar), None)
    after = next((bar[0].pitch for bar in split[index + 1:] if bar), None)
    pitches = [p for p in (before, *(n.pitch for n in notes), after) if p is not None]
    inside = all(register[0] <= n.pitch <= register[1] for n in notes)
    return inside and all(abs(b - a) <= max_leap for a, b in zip(pitches, pitches[1:], strict=False))


def _contour(bar: list[MelodyNote]) -> list[int]:
    return [(b.pitch > a.pitch) - (b.pitch < a.pitch) for a, b in zip(bar, bar[1:], strict=False)]


def repeats(bar: list[MelodyNote], earlier: list[MelodyNote]) -> bool:
    """Whether `bar` says again what `earlier` said: the same rhythm, and the same rise and fall but
    for one of its intervals at most (D C B A, then C B B A, then C B B D#: one descending figure)."""
    if [n.duration for n in bar] != [n.duration for n in earlier]:
        return False
    return sum(a != b for a, b in zip(_contour(bar), _contour(earlier), strict=True)) <= 1


def _scale_pitches(key: Key, lowest: int, highest: int) -> list[int]:
    """The key's seven degrees (natural minor: a walk does not need the leading tone) in a register."""
    classes = {key.degree_root(degree) for degree in range(1, 8)}
    return [pitch for pitch in range(lowest, highest + 1) if pitch % 12 in classes]


def _degree(scale: list[int], pitch: int) -> int:
    """The index in `scale` of the scale pitch nearest `pitch` (a chromatic note counts as its neighbour)."""
    return min(range(len(scale)), key=lambda index: (abs(scale[index] - pitch), scale[index]))


def vary_figures(line: list[MelodyNote], key: Key, bar_length: Fraction, bars: int, register: tuple[int, int],
                 max_leap: int, phrase_ends: Sequence[int], seed: int) -> list[MelodyNote]:
    """`line` (`bars` bars of `bar_length` quarters) with each bar that repeats the figure of one of
    the two bars before it (`repeats`) varied, a third bar in one rhythm dotted, and each second held
    bar in a row moving on (module docstring);
    `phrase_ends` (0-based bars) are kept. Notes stay within `register` and within `max_leap`
    semitones of the notes on either side; a bar no device can vary so is kept."""
    draw = random.Random(f"figures {seed}")
    scale = _scale_pitches(key, *register)
    split = split_bars(line, bar_length, bars)

    def fits(index: int, notes: list[MelodyNote]) -> bool:
        return fits_between(split, index, notes, register, max_leap)

    def sequence(notes: list[MelodyNote]) -> list[MelodyNote]:
        step = draw.choice((-1, 1))
        return [replace(n, pitch=scale[min(max(_degree(scale, n.pitch) + step, 0), len(scale) - 1)]) for n in notes]

    def inversion(notes: list[MelodyNote]) -> list[MelodyNote]:
        first = _degree(scale, notes[0].pitch)
        mirrored = [min(max(2 * first - _degree(scale, n.pitch), 0), len(scale) - 1) for n in notes]
        return [replace(n, pitch=scale[degree]) for n, degree in zip(notes, mirrored, strict=True)]

    def rhythm(notes: list[MelodyNote]) -> list[MelodyNote]:
        pairs = [index for index, (a, b) in enumerate(zip(notes, notes[1:], strict=False))
                 if a.duration == b.duration and exact_quarters(a.duration) >= Fraction(1, 2)]
        if not pairs:
            return notes
        index = draw.choice(pairs)
        a, b = notes[index], notes[index + 1]
        longer = exact_quarters(a.duration) * Fraction(3, 2)
        dotted, short = replace(a, duration=float(longer)), replace(b, onset=float(exact_quarters(a.onset) + longer),
                                                                     duration=a.duration / 2)
        return [*notes[:index], dotted, short, *notes[index + 2:]]

    for index in range(1, bars):
        notes = split[index]
        if index in phrase_ends or not notes:
            continue
        earlier = [split[i] for i in (index - 1, index - 2) if i >= 0 and split[i]]
        rhythms = {tuple(n.duration for n in bar) for bar in [notes, *earlier]}
        if len(notes) >= 3 and len(earlier) == 2 and len(rhythms) == 1:  # a third bar in one rhythm: dot a pair
            varied = rhythm(notes)
            split[index] = varied if fits(index, varied) else notes
        elif len(notes) >= 3 and any(repeats(notes, bar) for bar in earlier):
            # a sequence states the figure again, a step away: once, not for a third bar in a row
            third = len(earlier) == 2 and repeats(earlier[0], earlier[1])
            devices: list[Device] = [inversion, rhythm] if third else [sequence, inversion, rhythm]
            for device in draw.sample(devices, len(devices)):
                varied = device(notes)
                new = [n.pitch for n in varied] != [n.pitch for n in earlier[0]] if device is sequence else \
                    not any(repeats(varied, bar) for bar in earlier)
                if new and fits(index, varied):
                    split[index] = varied
                    break
        elif len(notes) == 1 and earlier and len(earlier[0]) == 1 and exact_quarters(notes[0].duration) * 4 >= \
                bar_length * 3:
            moving = _moving_on(notes[0], split[index + 1][0].pitch if index + 1 < bars and split[index + 1]
                                else notes[0].pitch, scale, draw)
            if fits(index, moving):
                split[index] = moving
    return [note for bar in split for note in bar]


def _moving_on(held: MelodyNote, target: int, scale: list[int], draw: random.Random) -> list[MelodyNote]:
    """A held note kept for the first half of its length (whole beats), then quarters moving by
    steps or thirds through the scale to a note a step from `target` (the next bar's first note),
    the shortest such walk that does not start by striking the held note again."""
    length = exact_quarters(held.duration)
    if length.denominator != 1:  # a walk in quarters would leave the fraction silent
        return [held]
    kept = Fraction(math.ceil(length / 2))
    beats = int(length - kept)
    start, goal = _degree(scale, held.pitch), _degree(scale, target)
    walks = [list(accumulate(steps, initial=start))[1:] for steps in product((-2, -1, 1, 2), repeat=beats)]
    walks = [walk for walk in walks if abs(walk[-1] - goal) == 1 and all(0 <= d < len(scale) for d in walk)]
    if not beats or not walks:
        return [held]
    shortest = min(sum(abs(b - a) for a, b in zip([start, *walk], walk, strict=False)) for walk in walks)
    walk = draw.choice([w for w in walks if sum(abs(b - a) for a, b in zip([start, *w], w, strict=False)) == shortest])
    onset = exact_quarters(held.onset)
    return [replace(held, duration=float(kept)),
            *(MelodyNote(float(onset + kept + step), 1.0, scale[degree]) for step, degree in enumerate(walk))]
