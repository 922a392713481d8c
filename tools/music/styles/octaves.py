"""A passage in bare octaves: the left hand doubling the right hand's line, as Beethoven's sonatas do.

Beethoven states a figure now and then with both hands in octaves (a unison opening, a transition
run, a development's outburst), and in those bars the outer voices move in parallel octaves at every
note: most of his movements have no parallel fifths or octaves between the outer voices, a few
have one or two a bar (the Beethoven reference set: 19 of 32 none, 5 from 0.8 to 2.0 a bar; his
movements in 3/4 and 3/8, the waltz's reference, 16 of 24 none, 8 from 0.06 to 0.8). Neither the
piano model's two hands nor a waltz's oom-pah-pah double the tune, so a piece is written without
such a passage unless it is planned. Whether a piece has one, where it lies and how long it lasts
are drawn from the piece's seed (`StyleSpec.octaves`), so every section of the piece agrees, and
only the section that holds the drawn point writes it, in bars none of its phrases' cadences need.
"""

from __future__ import annotations

import random
from collections.abc import Collection

from ontology.music import Bar, Event
from ontology.music_styles import OctavePassage
from tools.music.styles.phrases import cadence_bars

SPACINGS = (12, 24)
"""How far below the right hand the doubling lies: an octave or two."""


def octave_bars(octaves: OctavePassage, bars: int, place: tuple[float, float], piece_seed: int,
                ends: Collection[int]) -> range:
    """The section's bars (0-based) that its piece's octave passage covers: none unless the piece
    draws one (`octaves`: its chance, its place in the piece, its length in bars) and it falls in
    this section (`place`: its start and end as shares of the piece), clear of the cadence bars of
    the section's phrases, which end at `ends`: the run of that many free bars nearest the drawn
    bar (the earlier on a tie), or the longest shorter one where none is long enough."""
    chance, (earliest, latest), (shortest, longest) = octaves.chance, octaves.place, octaves.bars
    draw = random.Random(f"octaves {piece_seed}")
    if draw.random() >= chance:
        return range(0)
    at, length = draw.uniform(earliest, latest), draw.randint(shortest, longest)
    start, end = place
    if not start <= at < end:
        return range(0)
    wanted = int((at - start) / (end - start) * bars)
    cadence = cadence_bars(ends)
    for size in range(length, 0, -1):
        free = [first for first in range(bars - size + 1) if cadence.isdisjoint(range(first, first + size))]
        if free:
            first = min(free, key=lambda bar: (abs(bar - wanted), bar))
            return range(first, first + size)
    return range(0)


def doubled(right: Bar, register: tuple[int, int]) -> Bar | None:
    """A left-hand bar that doubles the right hand's line (its first voice's top notes, rests and all)
    an octave or two lower, whichever sits nearest the middle of the left hand's `register` (lowest,
    highest pitch) and inside it (None where neither fits, or the line strikes fewer than two notes in
    the bar: a held note doubled is no passage, and a waltz's bar of one note struck for a beat went
    silent in both hands for two beats, eighteen bars in sixty fixed-plan waltzes and the example's bar
    6 in session 49, where the accompaniment keeps the dance going under it)."""
    lowest, highest = register
    line = right.voices[0]
    pitches = [max(event.pitches) for event in line if event.pitches]
    if len(pitches) < 2:
        return None
    fitting = [gap for gap in SPACINGS if lowest <= min(pitches) - gap and max(pitches) - gap <= highest]
    if not fitting:
        return None
    middle, mean = (lowest + highest) / 2, sum(pitches) / len(pitches)
    gap = min(fitting, key=lambda g: abs(mean - g - middle))
    return Bar(voices=[[Event(pitches=[max(event.pitches) - gap] if event.pitches else [], duration=event.duration)
                        for event in line]])


def in_octaves(right: list[Bar], left: list[Bar], passage: range, register: tuple[int, int]) -> list[Bar]:
    """The left hand with the `passage`'s bars doubling the right hand in octaves inside the hand's
    `register` (as written where the line does not fit it an octave or two down)."""
    return [(doubled(right[number], register) if number in passage else None) or bar
            for number, bar in enumerate(left)]
