"""A slow line made to sing: long notes moving to shorter ones, runs into the notes it leaps to, breaths.

Asked for a nocturne, the piano model walks: the fixed-plan nocturnes sang even quarters bar after
bar (nocturne 1 in D minor: A A F A, A G A A, ...) over their left hands, which sounds like a hymn
tune, not a cantabile line. A singer's (or Chopin's) line holds a note and moves on from it in
shorter ones, fills a leap to its high note with a quick run, and takes a breath between phrases.
This module does that to a freshly sampled line, before its phrases are closed and it is
harmonised, so the harmony is chosen for the notes that sound (`Cantabile` in the style data):

- an even bar (every note as long, from the downbeat: four quarters, two halves) takes one of the
  style's bar rhythms for as many notes, long before short (a dotted quarter and an eighth, then
  quarters; a half, a quarter and two eighths), drawn from the section's seed and not the one the
  bar before took; its pitches stay;
- a bar whose last note leaps by `run_leap` semitones or more into the next bar's first note may
  spend its last beat on a run of sixteenths up (or down) the scale into that note, at a rate drawn
  set once per piece from `run_rate` at its density (`tools.music.styles.density`: some pieces plain,
  some florid, as real ones are, the florid ones over the densest left hands);
- a phrase that ends inside the section breathes: its cadence note is followed by a rest of at
  least `phrase_breath_quarters` before the next phrase's upbeat (the notes of the bar's last beat).

The bars where a phrase ends keep their cadence note, and the bars before them their rhythm: their
last beat is the cadence's approach (`tools.music.styles.phrases.close_phrases`), where the dominant
must sound clean (a dotted rhythm held a C over B7 into the last beat of nocturne 3's close, and the
piece was heard to end plagally). Every note stays in the line's register and within its largest
leap of the notes around it (a change that would break that is not made).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

from ontology.music_styles import Cantabile
from ontology.music_theory import Key, Meter, Mode, exact_quarters
from tools.music.harmony.data import MelodyNote
from tools.music.styles.density import share_at
from tools.music.styles.figures import fits_between, split_bars

RUN_NOTE = Fraction(1, 4)
"""A run moves in sixteenths."""
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
MELODIC_MINOR_UP = (0, 2, 3, 5, 7, 9, 11)
NATURAL_MINOR_DOWN = (0, 2, 3, 5, 7, 8, 10)
"""The scale a run climbs or falls through: in minor, up by the raised sixth and seventh into the
tonic, down by the natural ones (the melodic minor a run sings)."""



def is_even(notes: list[MelodyNote], start: Fraction, bar_length: Fraction) -> bool:
    """Whether a bar's notes are one length each, one after another from its downbeat to its end."""
    if len(notes) < 2 or len({n.duration for n in notes}) != 1:
        return False
    onsets = [exact_quarters(n.onset) for n in notes]
    length = exact_quarters(notes[0].duration)
    return onsets == [start + length * i for i in range(len(notes))] and length * len(notes) == bar_length


def retimed(notes: list[MelodyNote], start: Fraction, rhythm: Sequence[float]) -> list[MelodyNote]:
    """`notes` (as many as `rhythm` has lengths) sung to `rhythm` from `start`, their pitches kept."""
    onset, result = start, []
    for note, length in zip(notes, rhythm, strict=True):
        result.append(replace(note, onset=float(onset), duration=float(length)))
        onset += exact_quarters(length)
    return result


def run_scale(key: Key, ascending: bool) -> set[int]:
    """The pitch classes a run passes through (`MELODIC_MINOR_UP` or `NATURAL_MINOR_DOWN` in minor)."""
    steps = MAJOR_STEPS if key.mode is Mode.MAJOR else MELODIC_MINOR_UP if ascending else NATURAL_MINOR_DOWN
    return {(key.tonic + step) % 12 for step in steps}


def run_into(target: int, count: int, key: Key, ascending: bool) -> list[int]:
    """The `count` scale pitches just below (`ascending`) or above `target`, in the order a run sings
    them into it."""
    scale, pitch = run_scale(key, ascending), target
    pitches: list[int] = []
    while len(pitches) < count:
        pitch += -1 if ascending else 1
        if pitch % 12 in scale:
            pitches.append(pitch)
    return pitches[::-1]


def sing(line: list[MelodyNote], *, key: Key, meter: Meter, bars: int, register: tuple[int, int], max_leap: int,
         phrase_ends: Sequence[int], rules: Cantabile, seed: int, density: float) -> list[MelodyNote]:
    """`line` (`bars` bars in `meter`) made to sing (module docstring): `phrase_ends` are the
    0-based bars where phrases end (the section's last among them); the bars' rhythms are the
    style's in `meter` (so they always fill its bars), drawn from `seed`, the piece's run rate at its
    `density` (`tools.music.styles.density`): a dense piece is a florid one."""
    bar_length, beat, rhythms = meter.bar_quarters, meter.beat_quarters, rules.rhythms.get(meter.name, [])
    draw = random.Random(f"cantabile {seed}")
    run_rate = share_at(rules.run_rate, density)
    split = split_bars(line, bar_length, bars)

    def fits(index: int, notes: list[MelodyNote]) -> bool:
        return fits_between(split, index, notes, register, max_leap)

    closing = {*phrase_ends, *(end - 1 for end in phrase_ends)}
    taken: tuple[float, ...] | None = None
    for index, notes in enumerate(split):
        start = bar_length * index
        if index in closing or not is_even(notes, start, bar_length):
            taken = None
            continue
        choices = [tuple(r) for r in rhythms if len(r) == len(notes) and tuple(r) != taken]
        if choices:
            taken = draw.choice(choices)
            split[index] = retimed(notes, start, taken)
    for index in range(bars - 1):
        notes, following = split[index], split[index + 1]
        if index in closing or not notes or not following:
            continue
        last, target = notes[-1], following[0].pitch
        end = exact_quarters(last.onset + last.duration)
        if (end != bar_length * (index + 1) or exact_quarters(last.duration) < beat
                or abs(target - last.pitch) < rules.run_leap or draw.random() >= run_rate):
            continue
        held = exact_quarters(last.duration) - beat
        count = int(beat / RUN_NOTE)
        run_start = end - beat
        run = [MelodyNote(float(run_start + RUN_NOTE * i), float(RUN_NOTE), pitch)
               for i, pitch in enumerate(run_into(target, count, key, ascending=target > last.pitch))]
        varied = [*notes[:-1], *([replace(last, duration=float(held))] if held else []), *run]
        if fits(index, varied):
            split[index] = varied
    rest = Fraction(rules.phrase_breath_quarters)
    for index in phrase_ends:
        if index < bars - 1:
            breathed = breathe(split[index], bar_length * index, bar_length, beat, rest)
            if fits(index, breathed):
                split[index] = breathed
    return [note for bar in split for note in bar]


def breathe(notes: list[MelodyNote], start: Fraction, bar_length: Fraction, beat: Fraction,
            rest: Fraction) -> list[MelodyNote]:
    """A phrase's last bar (from `start`) with a breath after its cadence note (the note on its
    downbeat): the notes of the bar's last beat stay as the next phrase's upbeat, those between
    go, and the cadence note ends at least `rest` quarters before the upbeat's beat. A bar whose
    downbeat strikes no note is kept."""
    if not notes or exact_quarters(notes[0].onset) != start:
        return notes
    upbeat_at = start + bar_length - beat
    cadence, upbeat = notes[0], [n for n in notes[1:] if exact_quarters(n.onset) >= upbeat_at]
    length = min(exact_quarters(cadence.duration), upbeat_at - rest - start)
    if length <= 0:
        return notes
    return [replace(cadence, duration=float(length)), *upbeat]
