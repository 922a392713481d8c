"""A piano staff's first voice sung as a melody is: a tune's figures written into a free piano's right hand.

A melody style's harmonised tune is sung through `NeuralSectionTools._sung`: long notes detached
(`tools.music.styles.articulation`), turns and dotted figures (`tools.music.styles.fioritura`). A
free piano's right hand is the piano model's, with chords and inner voices among its single notes,
and it had neither figure: its events were eighths, quarters and sixteenths, and sixty fixed-plan
pieces' duration entropy overlapped Beethoven's first movements' by 0.67 (`bench/compose_tools_quality.py
--styles "free piano" -n 60`, session 36), where a thirty-second is one event in eighteen. Where its
first voice sings one note at a time it is a line like any other, and `sing_top_voice` lets the
same rules rewrite it: a chord, a rest or another voice's note breaks the line, and the chords,
the rests and the other voices stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from ontology.music import Bar, Event
from ontology.music_theory import exact_quarters
from tools.music.harmony.data import MelodyNote


def sing_top_voice(bars: Sequence[Bar], bar_length: Fraction,
                   sing: Callable[[list[MelodyNote]], list[MelodyNote]]) -> list[Bar]:
    """`bars` with the single notes of their first voice (a line in quarters from the first bar's
    start) as `sing` rewrites them. `sing` keeps every note's onset and writes its figures inside
    the note's own span, as `detach` and `ornament` do; what it leaves of a span sounds as a rest."""
    line, place = [], []  # the voice's single notes, and where each is: (bar, event)
    for number, bar in enumerate(bars):
        onset = bar_length * number
        for index, event in enumerate(bar.voices[0] if bar.voices else []):
            if len(event.pitches) == 1:
                line.append(MelodyNote(float(onset), event.duration, event.pitches[0]))
                place.append((number, index))
            onset += exact_quarters(event.duration)
    sung = sing(line)
    rewritten: dict[tuple[int, int], list[Event]] = {}
    for note, at in zip(line, place, strict=True):
        start = exact_quarters(note.onset)
        end = start + exact_quarters(note.duration)
        events, time = [], start
        for figure in (n for n in sung if start <= exact_quarters(n.onset) < end):
            events.append(Event(pitches=[figure.pitch], duration=figure.duration))
            time = exact_quarters(figure.onset) + exact_quarters(figure.duration)
        if time < end:
            events.append(Event(pitches=[], duration=float(end - time)))
        if events != [Event(pitches=[note.pitch], duration=note.duration)]:
            rewritten[at] = events
    return [bar.model_copy(update={"voices": [
        [new for index, event in enumerate(bar.voices[0]) for new in rewritten.get((number, index), [event])],
        *bar.voices[1:]]}) if bar.voices else bar for number, bar in enumerate(bars)]
