"""Writing generated bars as a two-staff piano score.

The score has a treble part for the right hand and a bass part for the left, in
the requested key and meter; notes that start together with one length share a chord, and
overlapping notes of one hand go to separate voices so every note keeps its length (clipped at
the bar line).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from tools.music.piano.tokens import TICKS_PER_QUARTER, Hand, Note, Segment, bar_ticks, fit_to_piano
from tools.music.scoreio import spelled_pitch


def piano_score(segment: Segment, key, title: str):  # -> music21.stream.Score
    """A two-staff piano score of the segment's bars, moved from C major / A minor into `key`."""
    import music21

    score = music21.stream.Score()
    score.metadata = music21.metadata.Metadata(title=title)
    length = bar_ticks(segment.meter)
    for hand, clef in ((Hand.RIGHT, music21.clef.TrebleClef()), (Hand.LEFT, music21.clef.BassClef())):
        part = music21.stream.Part(id=hand.name.lower())
        part.partName = f"{hand.name.title()} hand"
        for number, bar in enumerate(segment.bars, start=1):
            measure = music21.stream.Measure(number=number)
            if number == 1:
                measure.append([clef, music21.key.Key(key.tonic, key.mode), music21.meter.TimeSignature(segment.meter)])
            notes = [note for note in bar if note.hand == hand]
            voices = hand_voices(notes, length)
            if len(voices) == 1:
                measure.append(voice_elements(voices[0], length, key, segment.shift))
            else:
                for index, voice in enumerate(voices, start=1):
                    container = music21.stream.Voice(id=str(index))
                    container.append(voice_elements(voice, length, key, segment.shift))
                    measure.insert(0, container)
            part.append(measure)
        score.insert(0, part)
    return score


def hand_voices(notes: list[Note], length: int) -> list[list[tuple[int, int, list[int]]]]:
    """Chords (position, duration, pitches) of one hand's bar, spread over as few non-overlapping voices as needed."""
    chords: dict[tuple[int, int], list[int]] = defaultdict(list)
    for note in notes:
        chords[(note.position, min(note.duration, length - note.position))].append(note.pitch)
    voices: list[list[tuple[int, int, list[int]]]] = [[]]
    for (position, duration), pitches in sorted(chords.items(), key=lambda item: (item[0][0], -item[0][1])):
        free = next((voice for voice in voices if not voice or sum(voice[-1][:2]) <= position), None)
        if free is None:
            free = []
            voices.append(free)
        free.append((position, duration, sorted(pitches)))
    return voices


def voice_elements(voice: list[tuple[int, int, list[int]]], length: int, key, shift: int) -> list:
    """Notes, chords and the rests between them, filling one bar."""
    import music21

    elements, time = [], 0
    for position, duration, pitches in [*voice, (length, 0, [])]:
        if position > time:
            elements.append(music21.note.Rest(quarterLength=Fraction(position - time, TICKS_PER_QUARTER)))
        if pitches:
            spelled = [spelled_pitch(fit_to_piano(pitch - shift), key) for pitch in pitches]
            sound = music21.note.Note(spelled[0]) if len(spelled) == 1 else music21.chord.Chord(spelled)
            sound.quarterLength = Fraction(duration, TICKS_PER_QUARTER)
            elements.append(sound)
        time = max(time, position + duration)
    return elements
