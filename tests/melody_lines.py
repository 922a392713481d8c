"""Melody lines written bar by bar for the realisers' tests (4/4): the figure variations and the cantabile line
read and write the same shape."""

from __future__ import annotations

from tools.music.harmony.data import MelodyNote


def line_of(bars: list[list[tuple[float, int]]]) -> list[MelodyNote]:
    """Bars of (length, pitch) notes as one line, each bar from its downbeat (4/4)."""
    line = []
    for index, bar in enumerate(bars):
        onset = index * 4.0
        for length, pitch in bar:
            line.append(MelodyNote(onset, length, pitch))
            onset += length
    return line


def by_bar(line: list[MelodyNote], bars: int) -> list[list[MelodyNote]]:
    """`line` cut back into its first `bars` bars of 4/4."""
    return [[n for n in line if index * 4 <= n.onset < (index + 1) * 4] for index in range(bars)]
