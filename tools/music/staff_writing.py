"""Which clef, and whether an 8va line, each bar of a keyboard staff is written with.

A part is written where its notes sit, not where its hand's staff usually is: a melody on F6 in
treble clef hangs three ledger lines above the staff, a right hand running round G3 two below it.
A pianist's score writes the high passage under an 8va line and the low one in bass clef, and
changes only where a passage lasts (a clef for one note costs more reading than its ledger
lines). The choice is a shortest path over the bars: each bar costs its notes' ledger lines in a
writing, leaving the staff's own clef costs a little per bar, and each change costs a few ledger
lines' worth. Only the written form changes: the sounding pitches (MIDI, the bench) stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from ontology.music_theory import LETTERS, NOTE_NAMES, OCTAVE


class Writing(StrEnum):
    BASS = "bass"
    TREBLE = "treble"
    TREBLE_8VA = "treble 8va"  # written an octave below where it sounds, under an 8va line

    @property
    def clef(self) -> str:
        return "bass" if self is Writing.BASS else "treble"


_STAFF_LINES = {Writing.BASS: (18, 26), Writing.TREBLE: (30, 38), Writing.TREBLE_8VA: (37, 45)}
"""Bottom and top line of each writing, as the staff positions (`staff_position`) of the pitches
they stand for: bass G2-A3, treble E4-F5, and treble under 8va E5-F6."""
CLEF_CHANGE_COST = 3.5
"""A change of writing costs as much as three or four ledger lines: no clef change for one short
passage (the half keeps a tie between two writings from deciding by the order they are tried in)."""
AWAY_FROM_HOME_COST = 2.5
"""Each bar written in another clef than the staff's own (or under 8va) costs two or three ledger
lines: an 8va line that goes on over bars that sit on the staff anyway is read for nothing."""


def staff_position(midi: int) -> int:
    """Diatonic steps above C-1 (each line and each space one step), by the pitch's default name."""
    return (midi // OCTAVE - 1) * 7 + LETTERS.index(NOTE_NAMES[midi % OCTAVE][0])


def ledger_lines(midi: int, writing: Writing) -> int:
    """The ledger lines a note needs in `writing` (0 from a step below the bottom line to a step above the top)."""
    bottom, top = _STAFF_LINES[writing]
    position = staff_position(midi)
    return max(0, (bottom - position) // 2, (position - top) // 2)


def staff_writings(bars: Sequence[Sequence[int]], home: str) -> list[Writing]:
    """The writing of each bar of a staff whose own clef is `home` ("treble" or "bass"), given
    every bar's note heads (MIDI pitches): the sequence with the fewest ledger lines, counting
    `AWAY_FROM_HOME_COST` per bar away from the home clef and `CLEF_CHANGE_COST` per change."""
    writings = list(Writing)
    home_writing = Writing(home)

    def bar_cost(pitches: Sequence[int], writing: Writing) -> float:
        away = AWAY_FROM_HOME_COST if writing is not home_writing else 0.0
        return away + sum(ledger_lines(pitch, writing) for pitch in pitches)

    # cost[w]: the cheapest writing of the bars so far ending in w; the start counts as a change from home
    cost = {w: bar_cost(bars[0], w) + (CLEF_CHANGE_COST if w is not home_writing else 0.0)
            for w in writings} if bars else {}
    paths = {w: [w] for w in writings}
    for pitches in bars[1:]:
        step = {w: min(writings, key=lambda before: (cost[before] + (CLEF_CHANGE_COST if before is not w else 0.0),
                                                      before is not w))
                for w in writings}
        cost = {w: cost[step[w]] + (CLEF_CHANGE_COST if step[w] is not w else 0.0) + bar_cost(pitches, w)
                for w in writings}
        paths = {w: [*paths[step[w]], w] for w in writings}
    return paths[min(writings, key=lambda w: (cost[w], w is not home_writing))] if bars else []
