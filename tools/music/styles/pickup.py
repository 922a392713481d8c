"""A pickup (anacrusis): the note or notes before a tune's first full bar, leading into its downbeat.

A jig or a reel rarely starts on the downbeat: one eighth (sometimes three) comes first, and by
convention the last bar is short by as much, so the tune played round again keeps its bar lines.
The pickup leads into the first note by step, or into a tonic from the dominant, as fiddlers'
tunes do (O'Neill's "A | d2 f ..."); a run of several notes climbs the scale into it. A line that
breathes after a section's half close leads into the next section the same way, once that section
is written (`lead_into`): the lead-in a waltz or a nocturne sings back into its return.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from ontology.music import Bar, Event
from ontology.music_theory import Key, Mode, exact_quarters
from tools.music.analysis import parallel_kind, sounding_notes
from tools.music.harmony.data import MelodyNote

EIGHTH = Fraction(1, 2)
"""A pickup is written in eighths where its length allows (one, or a run of three), else as one note."""

RISING_STEPS = {Mode.MAJOR: (0, 2, 4, 5, 7, 9, 11), Mode.MINOR: (0, 2, 3, 5, 7, 9, 11)}
"""The scale a run climbs: major, or the melodic minor's rising form (raised 6th and 7th)."""
FALLING_STEPS = {Mode.MAJOR: (0, 2, 4, 5, 7, 9, 11), Mode.MINOR: (0, 2, 3, 5, 7, 8, 10)}
"""The scale a run falls through where there is no room below: major, or the natural minor."""
LEAD_BACK_REACH = 7
"""The widest step, in semitones, from a strain's held close to the note leading back into its start:
a lead-in that leaps further than a fifth from the close is no lead-in, and the sampled one stays."""


def lead_in(first: Bar, length: float, key: Key, register: tuple[int, int]) -> Bar:
    """The pickup bar, `length` quarters, before `first` (the first full bar of the tune's line):
    into a tonic from the dominant a fourth below (a fifth above where the register has no room), or
    by scale steps rising into the first note (falling from above where the register has no room).
    A line that starts with a rest is led into by a rest."""
    total = exact_quarters(length)
    opening = first.voices[0][0]
    if not opening.pitches:
        return Bar(voices=[[Event(duration=float(total))]])
    goal = max(opening.pitches)
    count = int(total / EIGHTH) if (total / EIGHTH).denominator == 1 else 1
    lowest, highest = register
    if count == 1 and goal % 12 == key.tonic:
        below = goal - (goal - key.degree_root(5)) % 12
        pitches = [below if below >= lowest else below + 12]
    else:
        pitches = _steps(goal, count, key, rising=True)
        if pitches[0] < lowest:
            pitches = _steps(goal, count, key, rising=False)
    pitches = [min(max(pitch, lowest), highest) for pitch in pitches]
    unit = float(total / count)
    return Bar(voices=[[Event(pitches=[pitch], duration=unit) for pitch in pitches]])


def lead_into(close: Bar, opening: Bar, beat: Fraction, key: Key, register: tuple[int, int],
              under: tuple[Bar, Bar] | None = None, closing: Key | None = None) -> Bar:
    """`close` (a section's last bar, whose line breathes after its half close) with its silent last
    `beat` sung as a lead-in to `opening` (the next section's first bar) in that section's `key`:
    eighths (one note where a beat is no whole number of them) moving by step into its first note,
    from the side the close lies on, else from the other, as a waltz or a nocturne leads back into its
    tune. A side is passed over where the lead-in would start further than `LEAD_BACK_REACH` from the
    close's last note or leave the line's `register`, or, given the bars `under` both (the left hand's),
    where its last note and the opening's would move in parallel fifths or octaves with the lowest notes
    under them (a V/V to I return, A over A to G over G), or where a note of it outside the `closing`
    section's key (default `key`) would sound a semitone from a note under it and cannot take that
    note's pitch and still move by step (`_in_tune`): the left hand still holds the close's chord, so a
    G major waltz's D major middle led back "B C | D" over its half close's A major, C against C# (the
    README's waltz, session 53), where "B C# | D" sings in tune. A bar is left as it is where no side
    fits, any
    voice sounds in that beat, or the next section does not open on its downbeat: the line breathes on.
    (Written once both sections are: the section that closes cannot hear the one that follows,
    `held_to_the_bar_end`.)"""
    beat = exact_quarters(beat)
    line, start = close.voices[0], opening.voices[0][0]
    struck = [event for event in line if event.pitches]
    if not struck or not start.pitches or any(_silent_tail(voice) < beat for voice in close.voices):
        return close
    goal, last = max(start.pitches), max(struck[-1].pitches)
    count = int(beat / EIGHTH) if (beat / EIGHTH).denominator == 1 else 1
    unit = beat / count
    length = sum((exact_quarters(event.duration) for event in line), Fraction(0))
    basses = None if under is None else (_lowest(under[0], length, length - unit),
                                         _lowest(under[1], length, Fraction(0)))
    held = [] if under is None else [
        {pitch % 12 for begins, ends, pitch in sounding_notes([under[0]], length) if begins < onset + unit
         and ends > onset}
        for onset in (length - beat + unit * index for index in range(count))]
    foreign = set(range(12)) - (closing or key).scale()
    lowest, highest = register
    for rising in (last < goal, last >= goal):
        pitches = _steps(goal, count, key, rising=rising)
        if abs(pitches[0] - last) > LEAD_BACK_REACH or not lowest <= min(pitches) <= max(pitches) <= highest:
            continue
        pitches = _in_tune(pitches, held, foreign, goal)
        if not pitches:
            continue
        if basses is not None and None not in basses and parallel_kind(
                (pitches[-1], basses[0]), (goal, basses[1]), key) is not None:
            continue
        kept = cut_short(Bar(voices=[line]), float(beat)).voices[0]
        lead = [Event(pitches=[pitch], duration=float(unit)) for pitch in pitches]
        return close.model_copy(update={"voices": [[*kept, *lead], *close.voices[1:]]})
    return close


def _in_tune(pitches: list[int], held: list[set[int]], foreign: set[int], goal: int) -> list[int]:
    """`pitches` (a lead-in into `goal`) with each note of a `foreign` pitch class that sounds a
    semitone from a pitch class `held` under it (a set a note; none where nothing is known) taking
    the held one's pitch instead (C to C# over an A major chord), or nothing where the lead-in then
    no longer moves by step."""
    tuned = []
    for index, pitch in enumerate(pitches):
        sounding = held[index] if index < len(held) else set()
        rubbing = [pitch + shift for shift in (1, -1) if (pitch + shift) % 12 in sounding]
        tuned.append(rubbing[0] if pitch % 12 in foreign and rubbing else pitch)
    line = [*tuned, goal]
    return tuned if all(1 <= abs(after - before) <= 2 for before, after in itertools.pairwise(line)) else []


def _lowest(bar: Bar, bar_length: Fraction, time: Fraction) -> int | None:
    """The lowest pitch any voice of `bar` sounds at `time` (quarters from its start; None: silence)."""
    return min((pitch for start, end, pitch in sounding_notes([bar], bar_length) if start <= time < end),
               default=None)


def _silent_tail(voice: list[Event]) -> Fraction:
    """Quarters of rest that end `voice`."""
    silent = Fraction(0)
    for event in reversed(voice):
        if event.pitches:
            break
        silent += exact_quarters(event.duration)
    return silent


def _steps(goal: int, count: int, key: Key, *, rising: bool) -> list[int]:
    """`count` successive scale tones that move by step into `goal`, in playing order."""
    steps = (RISING_STEPS if rising else FALLING_STEPS)[key.mode]
    scale = {(key.tonic + step) % 12 for step in steps}
    pitches, current = [], goal
    for _ in range(count):
        current = next(p for p in (range(current - 1, current - 4, -1) if rising else range(current + 1, current + 4))
                       if p % 12 in scale)
        pitches.append(current)
    return pitches[::-1]


def cut_short(bar: Bar, by: float) -> Bar:
    """`bar` ending `by` quarters early, as a tune's last bar after a pickup: each voice's last notes
    shortened, or dropped where the cut is longer than they are."""
    cut = exact_quarters(by)
    voices = []
    for voice in bar.voices:
        events, left = list(voice), cut
        while left > 0 and events:
            last = events.pop()
            length = exact_quarters(last.duration)
            if length > left:
                events.append(last.model_copy(update={"duration": float(length - left)}))
            left -= min(left, length)
        voices.append(events)
    return Bar(voices=voices)


def led_back(lead: list[MelodyNote], close: MelodyNote, opening: MelodyNote, key: Key,
             register: tuple[int, int]) -> list[MelodyNote]:
    """The notes after a strain's held `close` (its pickup into what follows) leading back into the
    strain's `opening` note, as its repeat does: `lead_in`'s pitches, where there are as many and
    the first lies within `LEAD_BACK_REACH` of the close; `lead_in`'s notes, rhythm and all, where
    the lead starts by striking the close again (a jig's inner strain led on in one more dotted
    quarter on its closing D, "d3 d3", which leads nowhere; session 39); else `lead` as it is."""
    if not lead:
        return lead
    length = sum(note.duration for note in lead)
    written = lead_in(Bar.line((opening.pitch, opening.duration)), length, key, register).voices[0]
    pitches = [max(event.pitches) for event in written]
    bridged = abs(pitches[0] - close.pitch) > LEAD_BACK_REACH
    if bridged:
        path = bridge(close.pitch, opening.pitch, len(pitches), key, register)
        if path is None:
            return lead
        pitches = path
    if len(pitches) == len(lead):
        return [MelodyNote(note.onset, note.duration, pitch) for note, pitch in zip(lead, pitches, strict=True)]
    if lead[0].pitch != close.pitch and not bridged:
        return lead
    unit = written[0].duration  # lead_in writes its notes one length
    return [MelodyNote(lead[0].onset + unit * index, unit, pitch) for index, pitch in enumerate(pitches)]


BRIDGE_STEP = 5
"""The widest move, in semitones, between the notes of a `bridge`: a fourth, as a tonic chord's tones lie."""


def bridge(close: int, goal: int, count: int, key: Key, register: tuple[int, int]) -> list[int] | None:
    """`count` notes from a held `close` back to a `goal` too far for a run into it (`LEAD_BACK_REACH`):
    notes of the scale toward it, none more than a fourth from the one before, the last a scale step
    from the goal on the close's side; the tonic chord's tones where they reach, as a fiddler's
    strain that closed on the high tonic falls back to its low start ("g3 dBA | G2"), then the path
    whose widest move is smallest. None where no such path fits the `register`. Sixty fixed-plan jigs
    closed a strain an octave or more from the note its repeat begins on 20 times, and the sampled
    lead leapt back (O'Neill's tunes never)."""
    toward = -1 if goal < close else 1
    lowest, highest = register
    chord = {key.degree_root(1), key.degree_root(3), key.degree_root(5)}
    scale = key.scale()
    lasts = [goal - toward * gap for gap in (1, 2) if (goal - toward * gap) % 12 in scale]
    best: tuple[int, int, list[int]] | None = None
    for last in lasts:
        between = sorted((pitch for pitch in range(min(close, last) + 1, max(close, last)) if pitch % 12 in scale),
                         reverse=toward < 0)
        for inner in itertools.combinations(between, count - 1):
            path = [close, *inner, last]
            widest = max(abs(after - before) for before, after in itertools.pairwise(path))
            passing = sum(pitch % 12 not in chord for pitch in inner)
            if widest <= BRIDGE_STEP and lowest <= min(path[1:]) and max(path[1:]) <= highest \
                    and (best is None or (passing, widest) < best[:2]):
                best = (passing, widest, path[1:])
    return None if best is None else best[2]
