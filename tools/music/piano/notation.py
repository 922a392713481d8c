"""The piano model's bars as music-ontology bars: the one path from sampled notes to notation.

The piano tool and composition sessions both convert the model's output here and engrave the
result with `tools.music.render`, so a piece from the tool and a section from a session are
written the same way. Notes of one hand that start together share a chord, at the length of the
longest of them, where all of them end by the hand's next onset (a pianist reads an octave struck
together as one chord, not a quarter note over an eighth and a rest); a note still held when the
hand strikes again goes to another voice with its own length (clipped at the bar line).
"""

from __future__ import annotations

from collections import defaultdict

from ontology.music import INSTRUMENTS, MAX_VOICES, Bar, Event, Part, Piece, Section
from tools.music.piano.tokens import TICKS_PER_QUARTER, Hand, Note, Segment, bar_ticks, fit_to_piano

HAND_NOTES = 5
"""The most notes one hand strikes at one onset: five fingers. The model may put up to
`MAX_NOTES_PER_ONSET` (12) notes on one onset and its hands are staves, not fingers, so larger
clusters are thinned here (see `playable`); this also keeps every chord within the ontology's
`MAX_EVENT_PITCHES`."""


Voice = list[tuple[int, int, list[int]]]
"""Chords of one voice as (position, duration, pitches), in ticks."""


def playable(notes: list[Note]) -> list[Note]:
    """At most `HAND_NOTES` of one hand's notes struck at one onset. The lowest and highest stay
    (bass and melody carry the music); of the inner notes, those adding a pitch class come first,
    low to high, so octave doublings are what goes."""
    if len(notes) <= HAND_NOTES:
        return notes
    ordered = sorted(notes, key=lambda note: note.pitch)
    outer, inner = [ordered[0], ordered[-1]], ordered[1:-1]
    classes = {note.pitch % 12 for note in outer}
    fresh: list[Note] = []
    doublings: list[Note] = []
    for note in inner:
        (doublings if note.pitch % 12 in classes else fresh).append(note)
        classes.add(note.pitch % 12)
    return sorted(outer + (fresh + doublings)[: HAND_NOTES - 2])


def chord_lengths(durations: list[int]) -> dict[int, int]:
    """The length each of the `durations` of notes struck together is written with: a note at
    least half as long as the longest of its chord takes that length, a shorter one starts a chord
    of its own (merging only close lengths changes what sounds by at most half a note, where a
    sixteenth stretched under a whole note would hold a passing tone for a bar)."""
    lengths: dict[int, int] = {}
    chord = 0
    for duration in sorted(set(durations), reverse=True):
        if 2 * duration < chord or not chord:
            chord = duration
        lengths[duration] = chord
    return lengths


LINE_SPAN = 12
"""The widest leap (in semitones) a right-hand line's overlap is read across: a note
held under one more than an octave above it is a voice of its own."""


def _held_below(note: Note, next_note: Note) -> bool:
    """Whether `note`, sounding on under `next_note`, is a hold below the line rather than a line's
    overlap: in the left hand any note held under a higher one (a bass C2 held two beats under G3
    on beat 2), in the right hand one held under a note more than `LINE_SPAN` above."""
    rise = next_note.pitch - note.pitch
    return rise > 0 and (note.hand == Hand.LEFT or rise > LINE_SPAN)


def legato(notes: list[Note], length: int) -> list[Note]:
    """One hand's notes of a bar with the overlaps a pianist cannot or would not hold cut: a note
    ends where the hand strikes its pitch again (one key cannot sound twice), and where the hand
    strikes one note at a time a note sounding into the next, and ending by the one after, ends
    where the next starts (a single line, G-C-Eb as a half, a half and a quarter a beat apart,
    played legato). The model samples each note's length on its own, and such overlaps engraved
    as a second voice of single notes between rests under the line (session 29's free piano, bars
    9-16). A note held past two onsets, or struck in a chord, truly overlaps and keeps its length,
    and so does a hold below the line (`_held_below`): a second voice, not an overlap. The cut
    lengths are the Piece's, so the MIDI, the listening features and the next section's prompt
    read them too (docs/benchmarks.md, session 30)."""
    ends = {}
    for note in notes:
        again = [other.position for other in notes if other.pitch == note.pitch and other.position > note.position]
        ends[id(note)] = min([note.position + note.duration, *again, length])
    starts = sorted({note.position for note in notes})
    struck = {position: [note for note in notes if note.position == position] for position in starts}
    following = dict(zip(starts, [*starts[1:], length], strict=True))
    for position in starts[:-1]:
        after = following[position]
        if len(struck[position]) == len(struck[after]) == 1:
            note, next_note = struck[position][0], struck[after][0]
            if after < ends[id(note)] <= following[after] and not _held_below(note, next_note):
                ends[id(note)] = after
    return [Note(note.position, note.hand, note.pitch, ends[id(note)] - note.position) for note in notes]


def hand_voices(notes: list[Note], length: int) -> list[Voice]:
    """One hand's bar as chords spread over as few non-overlapping voices as needed, at most
    `HAND_NOTES` notes per onset. The notes struck at one onset that end by the hand's next onset
    (or the bar's end) and are close in length (`chord_lengths`) form one chord as long as the
    longest of them: the model gives notes struck together lengths of their own (an octave as a
    quarter and an eighth), and kept apart they would engrave as two voices, the second a note and
    rests. The chord's length is what the MIDI, the listening features and the next section's
    prompt read too, so a note far shorter (a sixteenth under a whole note) keeps its own length.
    A single line's note overlapping only its next note ends where that one starts (`legato`);
    otherwise a note still sounding when the hand strikes again truly overlaps and keeps its length
    in a voice of its own."""
    if not notes:
        return []
    struck_at: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        struck_at[note.position].append(note)
    onsets: dict[int, list[Note]] = defaultdict(list)
    for note in legato([note for struck in struck_at.values() for note in playable(struck)], length):
        onsets[note.position].append(note)
    starts = sorted(onsets)
    chords: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position, following in zip(starts, [*starts[1:], length], strict=True):
        struck = [(note.pitch, note.duration) for note in onsets[position]]
        lengths = chord_lengths([duration for _, duration in struck if position + duration <= following])
        for pitch, duration in struck:
            chords[(position, lengths.get(duration, duration))].append(pitch)
    voices: list[Voice] = []
    for (position, duration), pitches in sorted(chords.items(), key=lambda item: (item[0][0], -item[0][1])):
        free = next((voice for voice in voices if sum(voice[-1][:2]) <= position), None)
        if free is None:
            free = []
            voices.append(free)
        free.append((position, duration, sorted(pitches)))
    return voices


def _events(voice: Voice, length: int, shift: int) -> list[Event]:
    """One voice of a bar as events, moved out of the reference key, with rests filling the gaps."""
    events, time = [], 0
    for position, duration, pitches in [*voice, (length, 0, [])]:
        if position > time:
            events.append(Event(duration=(position - time) / TICKS_PER_QUARTER))
        if pitches and duration > 0:
            events.append(Event(pitches=sorted({fit_to_piano(p - shift) for p in pitches}),
                                duration=duration / TICKS_PER_QUARTER))
        time = max(time, position + duration)
    return events


def segment_to_bars(segment: Segment, shift: int) -> tuple[list[Bar], list[Bar]]:
    """The piano model's bars (in the reference key) as right- and left-hand ontology bars,
    `shift` semitones below the reference key."""
    length = bar_ticks(segment.meter)
    hands: dict[Hand, list[Bar]] = {Hand.RIGHT: [], Hand.LEFT: []}
    for bar in segment.bars:
        for hand, bars in hands.items():
            voices = hand_voices([note for note in bar if note.hand == hand], length)  # extra voices: rare, dropped
            bars.append(Bar(voices=[_events(voice, length, shift) for voice in voices[:MAX_VOICES]]
                            or [[Event(duration=length / TICKS_PER_QUARTER)]]))
    return hands[Hand.RIGHT], hands[Hand.LEFT]


def piano_piece(segment: Segment, shift: int, key: str, title: str, tempo_bpm: int) -> Piece:
    """The segment as a one-section piano piece in `key` ('Eb major'): a right-hand treble part and
    a left-hand bass part, as composition sessions write them."""
    right, left = segment_to_bars(segment, shift)
    return Piece(title=title, key=key, meter=segment.meter, tempo_bpm=tempo_bpm,
                 instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                 sections=[Section(id="piece", label="A", bars=len(right))],
                 parts=[Part(id="right_hand", instrument="piano_right", bars=right),
                        Part(id="left_hand", instrument="piano_left", bars=left)])
