"""A free piano's right hand sung as a tune is (`tools.music.styles.top_voice`)."""

from __future__ import annotations

from fractions import Fraction

from ontology.music import Bar, Event
from ontology.music_theory import parse_key
from tools.music.harmony.data import MelodyNote
from tools.music.styles.articulation import detach
from tools.music.styles.fioritura import ornament
from tools.music.styles.top_voice import legato, sing_top_voice

C_MAJOR, BAR, BEAT = parse_key("C major"), Fraction(4), Fraction(1)
STAFF = [Bar(voices=[[Event(pitches=[64], duration=2.0), Event(pitches=[62], duration=1.0),
                      Event(pitches=[60], duration=1.0)],
                     [Event(pitches=[55], duration=4.0)]]),                      # a held inner voice
         Bar(voices=[[Event(pitches=[60, 64], duration=2.0), Event(pitches=[67], duration=2.0)]]),
         Bar.line((65, 2.0), (62, 2.0)), Bar.line((60, 4.0))]
"""The model's right hand: single notes, a chord among them, a second voice under them, a close."""


def ornamented(line: list[MelodyNote]) -> list[MelodyNote]:
    return ornament(line, key=C_MAJOR, bar_length=BAR, beat=BEAT, register=(55, 84), phrase_ends=[3], rate=1.0,
                    seed=0)


def test_the_first_voices_single_notes_take_the_lines_figures_and_the_rest_stays() -> None:
    sung = sing_top_voice(STAFF, BAR, ornamented)
    assert all(sum(event.duration for event in voice) == 4.0 for bar in sung for voice in bar.voices)
    first = sung[0].voices[0]
    assert len(first) > 3 and {event.duration for event in first} & {0.125, 0.25}  # figures on its notes
    assert all(len(event.pitches) == 1 for event in first)
    assert sung[0].voices[1] == STAFF[0].voices[1], "the other voice stays"
    chord, *after = sung[1].voices[0]
    assert chord == STAFF[1].voices[0][0], "a chord is not the line's"
    assert len(after) > 1 and after[0].pitches == [67], "the G moving on to the next bar's F takes a figure"
    assert sung[2:] == STAFF[2:], "the phrase's approach and close stay"
    assert sing_top_voice(STAFF, BAR, list) == STAFF, "a line sung as it is leaves the staff as it is"


def test_what_a_line_leaves_of_a_notes_span_sounds_as_a_rest() -> None:
    sung = sing_top_voice(STAFF, BAR, lambda line: detach(line, bar_length=BAR, beat=BEAT, phrase_ends=[3],
                                                          share=1.0, seed=0))
    assert [(event.pitches, event.duration) for event in sung[0].voices[0][:2]] == [([64], 1.0), ([], 1.0)]
    assert [(event.pitches, event.duration) for event in sung[1].voices[0][1:]] == [([67], 1.0), ([], 1.0)]
    assert sung[3] == STAFF[3], "the close is sustained"


def test_a_gentle_right_hand_holds_its_note_through_a_rest_inside_a_bar_and_breathes_at_a_phrase_end() -> None:
    """The lyrical piece's bar 15: F5 for a beat and a beat's rest, over which the left hand's Bb2
    was heard as the tune; held, F5 sounds on. A bar's opening rest, the other voices and a phrase's
    last bar stay."""
    bars = [Bar.line((77, 1.0), (None, 1.0), (76, 1.0), (76, 0.5), (None, 0.5)),
            Bar(voices=[[Event(pitches=[], duration=1.0), Event(pitches=[72, 76], duration=1.0),
                         Event(pitches=[], duration=2.0)], [Event(pitches=[], duration=4.0)]]),
            Bar.line((74, 2.0), (None, 2.0))]
    held = legato(bars, breathing={2})
    assert held[0] == Bar.line((77, 2.0), (76, 1.0), (76, 1.0))
    assert held[1] == Bar(voices=[[Event(pitches=[], duration=1.0), Event(pitches=[72, 76], duration=3.0)],
                                  [Event(pitches=[], duration=4.0)]])
    assert held[2] == bars[2]
    assert legato(held, breathing=()) == [*held[:2], Bar.line((74, 4.0))]
