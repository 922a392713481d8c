"""Bars that borrow a related key's scale: harmony that leaves the key for a moment and comes back.

A free piano's chords are read from the notes the piano model plays, and the model samples them in the
section's scale, so the only notes outside the key were melodic: chromatic neighbours and passing notes,
which the line rocks through (G F# G G F# G). Beethoven's first movements leave the key by harmony (an
applied dominant, a phrase leaning on the relative minor): their top voices return from a chromatic
neighbour in 0% of their notes (median; 3% at the 90th percentile) against sixty fixed-plan free pianos'
4.1%, whose out-of-key share still fell short of his (4.8% against 7.2%, session 40). Here a phrase may
borrow a related key's scale for its inner bars (never its first, which states the key, nor the last two,
which lead into and make its cadence): the grammar of notes then samples F# where F stood in C major, and
the chords read from those bars lean on the dominant (`NoteGrammar.bar_scales`). With every phrase so
(the free piano's `tonicise` 1.0), sixty fixed-plan free pianos rocked in 3.3% of their notes (median),
a bar with two such in one bar of eight at the 90th percentile (was one in five), and their out-of-key
share's overlap with Beethoven's rose from 0.68 to 0.73; cutting the melodic chromaticism itself (one
chromatic pitch a bar) cost that overlap (0.60) even so.

A nocturne's tune rocked the same way: sixty fixed-plan nocturnes returned off a chromatic neighbour
0.150 times a bar (Beethoven's slow movements 0.082), one G major piece rocking on C# and D in running
sixteenths for bars. Its phrases now tonicise too, with half its chromatic bias (`chromatic_bias`
2.0 -> 1.0): 0.108 a bar, the out-of-key share's overlap 0.66 -> 0.68 and the parallels' 0.72 ->
0.83 (more of its colour is harmony: an F#dim7, a borrowed C minor in G major).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from ontology.music_theory import Key, Mode
from tools.music.piano.tokens import REFERENCE_TONIC

RELATED_KEYS: dict[Mode, tuple[tuple[int, Mode], ...]] = {
    Mode.MAJOR: ((7, Mode.MAJOR), (2, Mode.MINOR), (9, Mode.MINOR)),
    Mode.MINOR: ((5, Mode.MINOR), (7, Mode.MINOR), (8, Mode.MAJOR)),
}
"""The keys a phrase may lean into, as (semitones above the tonic, mode): in major the dominant, the
supertonic minor and the relative minor; in minor the subdominant, the dominant minor and the
submediant (the relative major brings no note the minor scale lacks). A minor key's scale holds its
raised sixth and seventh (`Key.scale`), so D minor in C major brings C# and B-flat."""


def tonicised_scales(mode: Mode, bars: int, phrase_ends: Iterable[int], rate: float,
                     seed: int) -> tuple[frozenset[int] | None, ...]:
    """The scale of each of a section's `bars` in the piano model's reference key (None: the key's
    own): each phrase (ending at the 0-based bars `phrase_ends`, the last running to the section's
    end) with bars between its first and its last two borrows, at `rate`, one related key's scale
    (`RELATED_KEYS`) for them, drawn from `seed`."""
    draw = random.Random(f"tonicise {seed}")
    scales: list[frozenset[int] | None] = [None] * bars
    start = 0
    for end in sorted({*phrase_ends, bars - 1}):
        inner = range(start + 1, end - 1)
        if inner and draw.random() < rate:
            steps, borrowed = draw.choice(RELATED_KEYS[mode])
            scale = frozenset(Key((REFERENCE_TONIC[mode.value] + steps) % 12, borrowed).scale())
            for bar in inner:
                scales[bar] = scale
        start = end + 1
    return tuple(scales)
