"""A passage in bare octaves: the left hand doubling the right hand's line, as Beethoven's sonatas do.

Beethoven states a figure now and then with both hands in octaves (a unison opening, a transition
run, a development's outburst), and in those bars the outer voices move in parallel octaves at every
note: most of his movements have no parallel fifths or octaves between the outer voices, a few
have one or two a bar (the Beethoven reference set: 19 of 32 none, 5 from 0.8 to 2.0 a bar). The
piano model's two hands seldom double each other, so a free piano is written without such a
passage unless it is planned. Whether a piece has one, where it lies and how long it lasts are drawn
from the piece's seed (`BassRules.octaves`), so every section of the piece agrees, and only the
section that holds the drawn point writes it, in bars its cadence does not need.
"""

from __future__ import annotations

import random

from ontology.music import Bar, Event
from ontology.music_styles import BassRules

CADENCE_BARS = 2
"""A section's last bars that close on a cadence (`close_on_cadence` writes its chords there)."""
SPACINGS = (12, 24)
"""How far below the right hand the doubling lies: an octave or two."""


def octave_bars(bass: BassRules, bars: int, place: tuple[float, float], piece_seed: int,
                closes: bool) -> range:
    """The section's bars (0-based) that its piece's octave passage covers: none unless the piece
    draws one (`BassRules.octaves`: its chance, its place in the piece, its length in bars) and it
    falls in this section (`place`: its start and end as shares of the piece), before the bars of
    the section's cadence where it `closes` on one."""
    chance, (earliest, latest), (shortest, longest) = bass.octaves.chance, bass.octaves.place, bass.octaves.bars
    draw = random.Random(f"octaves {piece_seed}")
    if draw.random() >= chance:
        return range(0)
    at, length = draw.uniform(earliest, latest), draw.randint(shortest, longest)
    start, end = place
    if not start <= at < end:
        return range(0)
    last = bars - (CADENCE_BARS if closes else 0)  # the passage ends before these
    first = max(0, min(int((at - start) / (end - start) * bars), last - length))
    return range(first, max(first, min(first + length, last)))


def doubled(right: Bar, bass: BassRules) -> Bar | None:
    """A left-hand bar that doubles the right hand's line (its first voice's top notes, rests and all)
    an octave or two lower, whichever sits nearest the middle of the bass register and inside it
    (None where neither fits, or the right hand is silent)."""
    line = right.voices[0]
    pitches = [max(event.pitches) for event in line if event.pitches]
    fitting = [gap for gap in SPACINGS if pitches and bass.lowest <= min(pitches) - gap
               and max(pitches) - gap <= bass.highest]
    if not fitting:
        return None
    middle, mean = (bass.lowest + bass.highest) / 2, sum(pitches) / len(pitches)
    gap = min(fitting, key=lambda g: abs(mean - g - middle))
    return Bar(voices=[[Event(pitches=[max(event.pitches) - gap] if event.pitches else [], duration=event.duration)
                        for event in line]])


def in_octaves(right: list[Bar], left: list[Bar], passage: range, bass: BassRules) -> list[Bar]:
    """The left hand with the `passage`'s bars doubling the right hand in octaves (as written where
    the line does not fit the bass register an octave or two down)."""
    return [(doubled(right[number], bass) if number in passage else None) or bar for number, bar in enumerate(left)]

