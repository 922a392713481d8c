"""A slow line's ornaments, written out: runs and turns in thirty-seconds, and dotted figures.

Beethoven's slow movements (the nocturne's reference) sing in ornaments. A tenth of their events
last a thirty-second and one in twenty a dotted eighth or sixteenth, while the fixed-plan nocturnes
had neither: four in five of their events were sixteenths or eighths, and their duration entropy
was 1.47 bits on average against Beethoven's 1.92 (`bench/compose_tools_quality.py --styles nocturne
-n 60`, session 35; with the ornaments, 1.73). Four figures are written into a harmonised line, so its chords are
chosen for the notes that carry the harmony and the ornaments pass over them:

- a **run**: a note of a beat or more that leaps a fourth to an octave to the next gives the end of
  its length to the scale between them in thirty-seconds (C, D E F G, A). Beethoven's fast notes
  mostly run: in his slow movements a tenth of the top voice's thirty-seconds return off a
  neighbour note, while the nocturnes' turns made it half of theirs (sixty fixed-plan pieces,
  session 44), and a turn's line circles its note twice;
- a **sweep**, where no run fits: the note's last eighth becomes four thirty-seconds of the scale
  rising (or, where the line falls, falling) into the next note (C, F G A B, C);
- a **turn**, where no run fits: a note of a beat or more that moves on to another gives its last
  eighth to four thirty-seconds round it: the step above, the note, a semitone below (the lower note
  of a turn is taken chromatically, as Chopin and Beethoven write it), the note;
- a **dotted figure**: a note of one beat, on the beat, that moves on by a step, a third or not at
  all, sings a dotted eighth and a sixteenth: the next note anticipated, or the scale step that
  passes to it.

How florid a piece is (the share of eligible notes ornamented) is set once by the piece's density
(`LineRules.ornament_rate`, `tools.music.styles.density`), so some nocturnes are plain and some ornate,
as real ones are, the ornate ones thick in both hands; which
notes, and which figure, the section's seed draws. A phrase's last two bars (its cadence and the
approach to it, `tools.music.styles.phrases.close_phrases`) stay as they are, and every note stays
in the line's register.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

from ontology.music_styles import LineRules
from ontology.music_theory import Key, exact_quarters
from tools.music.harmony.data import MelodyNote
from tools.music.styles.cantabile import run_into, run_scale
from tools.music.styles.density import share_at

TURN_NOTE = Fraction(1, 8)
"""A turn moves in thirty-seconds."""
TURN_NOTES = 4
"""A turn and a sweep take a note's last eighth: four thirty-seconds."""
DOTTED_TAIL = Fraction(1, 4)
"""A dotted figure's short note is a sixteenth."""
PASSING_GAP = (3, 4)
"""The intervals (semitones) a dotted figure's sixteenth passes through by step: a third."""
RUN_GAP = (5, 12)
"""The leaps (semitones) a run fills with the scale between its notes: a fourth to an octave."""


def ornament_rate(rules: LineRules, density: float) -> float:
    """The share of a piece's eligible notes it ornaments, from the style's range at the piece's density
    (`tools.music.styles.density`): a dense piece is an ornate one."""
    return share_at(rules.ornament_rate, density)


def upper_neighbour(pitch: int, key: Key) -> int:
    """The scale step above `pitch` (the natural minor's in minor, as a line falling back to it sings)."""
    scale = run_scale(key, ascending=False)
    return next(p for p in range(pitch + 1, pitch + 3) if p % 12 in scale)


def passing_note(pitch: int, target: int, key: Key) -> int | None:
    """The scale step between `pitch` and `target` a third away (the melodic minor's way up or down), or None."""
    if abs(target - pitch) not in PASSING_GAP:
        return None
    between = scale_between(pitch, target, key)
    return between[0] if len(between) == 1 else None


def scale_between(pitch: int, target: int, key: Key) -> list[int]:
    """The scale's pitches strictly between `pitch` and `target`, in the order a line moving there sings them
    (the melodic minor's way up, the natural minor's down)."""
    scale, step = run_scale(key, ascending=target > pitch), 1 if target > pitch else -1
    return [p for p in range(pitch + step, target, step) if p % 12 in scale]


def ending_in(note: MelodyNote, pitches: Sequence[int]) -> list[MelodyNote]:
    """`note` held until `pitches` end it in thirty-seconds: how a run, a sweep and a turn are written."""
    onset = exact_quarters(note.onset)
    start = onset + exact_quarters(note.duration) - TURN_NOTE * len(pitches)
    return [replace(note, duration=float(start - onset)),
            *(MelodyNote(float(start + TURN_NOTE * i), float(TURN_NOTE), pitch) for i, pitch in enumerate(pitches))]


def turn(note: MelodyNote, key: Key) -> list[MelodyNote]:
    """`note` held to its last eighth, then the turn round it in thirty-seconds (module docstring)."""
    return ending_in(note, (upper_neighbour(note.pitch, key), note.pitch, note.pitch - 1, note.pitch))


def run(note: MelodyNote, target: int, key: Key) -> list[MelodyNote] | None:
    """`note` held, then the scale between it and `target` (a fourth to an octave away) in thirty-seconds
    into it (C, D E F G, A; the melodic minor's way up, the natural minor's down); None for another move."""
    if not RUN_GAP[0] <= abs(target - note.pitch) <= RUN_GAP[1]:
        return None
    return ending_in(note, scale_between(note.pitch, target, key))


def sweep(note: MelodyNote, target: int, key: Key) -> list[MelodyNote]:
    """`note` held to its last eighth, then four thirty-seconds of the scale running into `target`:
    up into it unless the line falls to it (module docstring)."""
    return ending_in(note, run_into(target, TURN_NOTES, key, ascending=target >= note.pitch))


def dotted(note: MelodyNote, target: int, key: Key) -> list[MelodyNote] | None:
    """`note` as a dotted eighth and a sixteenth into `target`: the target anticipated (a step or
    the same note) or the step passing to it (a third); None for a larger move."""
    tail = target if abs(target - note.pitch) <= 2 else passing_note(note.pitch, target, key)
    if tail is None:
        return None
    onset, length = exact_quarters(note.onset), exact_quarters(note.duration)
    return [replace(note, duration=float(length - DOTTED_TAIL)),
            MelodyNote(float(onset + length - DOTTED_TAIL), float(DOTTED_TAIL), tail)]


def ornament(line: Sequence[MelodyNote], *, key: Key, bar_length: Fraction, beat: Fraction,
             register: tuple[int, int], phrase_ends: Sequence[int], rate: float, seed: int) -> list[MelodyNote]:
    """`line` (in quarters from the section's start) with ornaments written in at `rate` (module
    docstring), outside the last two bars of the phrases ending at the bars in `phrase_ends`
    (0-based). A note is eligible when the next note follows it at once and neither is shorter than
    a sixteenth, so a line ornamented once (a variation's source) is not ornamented on its ornaments."""
    if rate <= 0:
        return list(line)
    closing = {bar for end in phrase_ends for bar in (end - 1, end)}
    draw = random.Random(f"fioritura {seed}")
    result: list[MelodyNote] = []
    for note, following in zip(line, [*line[1:], None], strict=True):
        if following is None or not _eligible(note, following, bar_length, beat, closing) or draw.random() >= rate:
            result.append(note)
            continue
        leap = run(note, following.pitch, key)  # a leap runs; elsewhere a sweep, a turn or a dotted figure
        candidates = [leap] if leap else [sweep(note, following.pitch, key), turn(note, key),
                                          _on_the_beat(note, following.pitch, key, beat)]
        figures = [figure for figure in candidates
                   if figure is not None and all(register[0] <= n.pitch <= register[1] for n in figure)]
        result.extend(draw.choice(figures) if figures else [note])
    return result


def _on_the_beat(note: MelodyNote, target: int, key: Key, beat: Fraction) -> list[MelodyNote] | None:
    """The dotted figure, for a note of one beat that starts on a beat (None otherwise)."""
    if exact_quarters(note.duration) != beat or exact_quarters(note.onset) % beat:
        return None
    return dotted(note, target, key)


def _eligible(note: MelodyNote, following: MelodyNote, bar_length: Fraction, beat: Fraction,
              closing: set[int]) -> bool:
    onset, length = exact_quarters(note.onset), exact_quarters(note.duration)
    return (length >= beat and exact_quarters(following.duration) >= DOTTED_TAIL
            and exact_quarters(following.onset) == onset + length and int(onset // bar_length) not in closing)
