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

A gentle section's right hand sings legato (`legato`): the piano model's right hand falls silent
for a beat now and then inside a phrase (a quarter and a quarter rest), and under the silence the
left hand's bass is heard as the line, two or three octaves below the note before it. Asked for "a
lyrical piano piece", twelve fixed-plan pieces' heard top voice spanned 45 semitones on average
where the right hand alone spanned 31, and leapt past an octave in 6% of its intervals where the
right hand alone did in 3% (the same plan asked for "a piano piece": 35 and 32 semitones). Held
through, and moving into each close (`tools.music.neural_sections.approach_close`), the twelve
span 37.5 and leap in 4% (session 39).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
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


def legato(bars: Sequence[Bar], breathing: Collection[int]) -> list[Bar]:
    """`bars` with each rest of their first voice that follows a sounding event in the same bar taken
    into that event (the note held on), except in the bars in `breathing` (0-based: the bars that
    close a phrase on its cadence, where the line breathes; held there, the tonic sung on over the
    dominant's bar turned six of sixty authentic closes into other ones). A bar's opening rest stays
    (nothing before it in the bar to hold), as do the other voices."""
    held = []
    for number, bar in enumerate(bars):
        if number in breathing or not bar.voices:
            held.append(bar)
            continue
        voice: list[Event] = []
        for event in bar.voices[0]:
            if not event.pitches and voice and voice[-1].pitches:
                voice[-1] = voice[-1].model_copy(update={"duration": float(
                    exact_quarters(voice[-1].duration) + exact_quarters(event.duration))})
            else:
                voice.append(event)
        held.append(bar.model_copy(update={"voices": [voice, *bar.voices[1:]]}))
    return held
