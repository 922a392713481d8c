"""A fiddle tune's rhythm beyond running eighths: the dotted lilt and the quick run of a jig's beats.

Most beats of O'Neill's 6/8 tunes are three running eighths, but many are dotted (a dotted eighth,
a sixteenth and an eighth: the lilt of "d>cB"), and an eighth that leads on by a third into the next
beat is often broken into two sixteenths through the step between (a run: "B/c/ d"): of the 396
beats of the twelve 6/8 tunes in the collection's first file, 196 are three plain eighths, 32 are
dotted and 51 end in two sixteenths.
Tunes differ: some run in plain eighths throughout, others lilt in dotted figures, so each piece
draws its own rates from its seed and its strains share them; where the figures fall is the
section's. (Drawn per section, a tune's strains averaged out: twenty fixed-plan jigs' duration
entropy overlapped O'Neill's by 0.74, and by 0.89 with the rates drawn per piece.) The grammar
samples the line on the eighth grid; the figures are written into it afterwards, away from the
phrases' closes (the beat that approaches a cadence and the bar that holds it stay as the cadence
wants them). Simple meters (a reel's 4/4) are left as they are: a reel's eighths run even.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from fractions import Fraction

from ontology.music_theory import MAJOR_STEPS, NATURAL_MINOR_STEPS, Key, Meter, Mode, exact_quarters
from tools.music.harmony.data import MelodyNote
from tools.music.styles.chorale import passing_pitch

EIGHTH = Fraction(1, 2)
SIXTEENTH = Fraction(1, 4)
"""The shortest note a figure writes: the line's onsets lie on this grid, finer than the grammar's."""
DOTTED = (EIGHTH + SIXTEENTH, SIXTEENTH, EIGHTH)
"""A dotted beat's lengths: dotted eighth, sixteenth, eighth."""
DOTTED_SHARE = (0.0, 0.45)
"""The range a piece's share of dotted beats (of those in three plain eighths) is drawn from."""
RUN_SHARE = (0.0, 1.0)
"""The range a piece's share of runs (of the eighths a third from the next beat's note) is drawn from: some
tunes take every chance (drawn up to 0.6, sixty fixed-plan jigs' notes per bar overlapped O'Neill's by 0.60;
up to 1, by 0.65)."""
COMPOUND_BEAT = Fraction(3, 2)
"""The beat these figures divide: a dotted quarter, as in 6/8."""


def figured(line: list[MelodyNote], meter: Meter, key: Key, phrase_ends: Iterable[int],
            seed: int, piece_seed: int) -> list[MelodyNote]:
    """`line` (in quarters from the section's start) with some beats dotted and some eighths broken
    into runs, at rates drawn from `piece_seed`, where `seed` draws, outside the bars in
    `phrase_ends` (0-based) and the beat before each; unchanged in a meter that does not beat in
    dotted quarters."""
    if meter.beat_quarters != COMPOUND_BEAT or not line:
        return line
    rates = random.Random(f"figures {piece_seed}")
    dotted_share, run_share = rates.uniform(*DOTTED_SHARE), rates.uniform(*RUN_SHARE)
    rng = random.Random(seed)
    bar = meter.bar_quarters
    closes = [(bar * end - COMPOUND_BEAT, bar * (end + 1)) for end in phrase_ends]
    notes = [(exact_quarters(n.onset), exact_quarters(n.duration), n.pitch)
             for n in line]
    scale = {(key.tonic + step) % 12 for step in (MAJOR_STEPS if key.mode is Mode.MAJOR else NATURAL_MINOR_STEPS)}
    result: list[tuple[Fraction, Fraction, int]] = []
    index = 0
    while index < len(notes):
        onset = notes[index][0]
        group = notes[index:index + 3]
        free = onset % COMPOUND_BEAT == 0 and not any(low <= onset < high for low, high in closes)
        plain = len(group) == 3 and all(start == onset + EIGHTH * k and length == EIGHTH
                                        for k, (start, length, _) in enumerate(group))
        if free and plain and rng.random() < dotted_share:
            starts = (onset, onset + DOTTED[0], onset + DOTTED[0] + DOTTED[1])
            result += [(start, length, pitch)
                       for start, length, (_, _, pitch) in zip(starts[:2], DOTTED, group, strict=False)]
            index += 2  # the third eighth stays, and may lead on in a run
            continue
        start, length, pitch = notes[index]
        following = notes[index + 1] if index + 1 < len(notes) else None
        leads_on = (length == EIGHTH and (start + length) % COMPOUND_BEAT == 0 and following is not None
                    and following[0] == start + length and abs(following[2] - pitch) in (3, 4)
                    and not any(low <= start < high for low, high in closes))
        between = passing_pitch(pitch, following[2], scale) if leads_on and following is not None else None
        if between is not None and rng.random() < run_share:
            result += [(start, SIXTEENTH, pitch), (start + SIXTEENTH, SIXTEENTH, between)]
        else:
            result.append(notes[index])
        index += 1
    return [MelodyNote(float(start), float(length), pitch) for start, length, pitch in result]
