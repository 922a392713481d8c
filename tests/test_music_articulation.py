"""Detached notes: a dance tune's long notes struck for a beat, then a rest, and a free piano's left hand
struck short; the closes stay sustained."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from ontology.music import Bar
from ontology.music_styles import BassRules, LineRules, Style, style_spec
from tools.music.harmony.data import MelodyNote
from tools.music.styles.articulation import detach, detach_struck, detached_share

BAR, BEAT = Fraction(3), Fraction(1)
TUNE = [MelodyNote(0.0, 2.0, 76), MelodyNote(2.0, 1.0, 74),   # bar 1: a half and a quarter
        MelodyNote(3.0, 1.0, 72), MelodyNote(4.0, 2.0, 71),   # bar 2: a quarter and a half
        MelodyNote(6.0, 3.0, 72),                            # bar 3: a dotted half
        MelodyNote(9.0, 2.0, 67)]                            # bar 4: the phrase's close
"""Four bars of a waltz tune in 3/4, the last the phrase's close."""


def test_every_long_note_outside_the_close_is_struck_for_a_beat_at_full_share() -> None:
    notes = detach(TUNE, bar_length=BAR, beat=BEAT, phrase_ends=[3], share=1.0, seed=0)
    assert [note.onset for note in notes] == [note.onset for note in TUNE]
    assert [note.pitch for note in notes] == [note.pitch for note in TUNE]
    assert [note.duration for note in notes] == [1.0, 1.0, 1.0, 1.0, 1.0, 2.0], "the close stays sustained"


def test_nothing_is_detached_at_no_share_and_a_note_across_a_bar_line_stays_whole() -> None:
    assert detach(TUNE, bar_length=BAR, beat=BEAT, phrase_ends=[3], share=0.0, seed=0) == TUNE
    tied = [MelodyNote(2.0, 2.0, 76)]
    assert detach(tied, bar_length=BAR, beat=BEAT, phrase_ends=[], share=1.0, seed=0) == tied


def test_a_pieces_share_is_its_own_and_pieces_differ() -> None:
    waltz = style_spec(Style.WALTZ).melody
    shares = [detached_share(waltz.detached, piece) for piece in range(20)]
    assert shares == [detached_share(waltz.detached, piece) for piece in range(20)]
    assert all(waltz.detached[0] <= share <= waltz.detached[1] for share in shares)
    assert max(shares) - min(shares) > 0.3, "some waltzes sing legato, others step lightly"
    assert detached_share(style_spec(Style.CHORALE).melody.detached, 3) == 0.0, "a chorale's soprano is not detached"


def test_a_detached_range_must_be_an_ordered_range_of_shares() -> None:
    rules = style_spec(Style.WALTZ).melody.model_dump()
    for wrong in ((0.5, 0.2), (-0.1, 0.5), (0.2, 1.5)):
        with pytest.raises(ValidationError, match="detached notes"):
            LineRules.model_validate({**rules, "detached": wrong})


LEFT = [Bar.line((36, 1.0), (43, 1.0), (48, 2.0)),              # bar 1: two quarters and a half, legato
        Bar.line((41, 0.5), (45, 0.5), (48, 1.0), (None, 2.0)),  # bar 2: eighths, a quarter before a rest
        Bar.line((43, 4.0)),                                       # bar 3: the close's whole note
        Bar.line((36, 4.0))]
"""A free piano's left hand in 4/4; bar 3 closes a phrase."""


def test_a_left_hands_legato_beats_are_struck_short_and_its_close_eighths_and_rests_stay() -> None:
    """At full share every legato note of one or two beats is struck for half of it: the quarters of bar 1
    become eighths with an eighth rest and its half (legato into bar 2's first note) a quarter with a quarter
    rest. An eighth, a note a rest already follows, the close and a note nothing follows stay; the bars
    still fill."""
    detached = detach_struck(LEFT, beat=Fraction(1), keep={2}, share=1.0, seed=0)
    first = [(event.pitches, event.duration) for event in detached[0].voices[0]]
    assert first == [([36], 0.5), ([], 0.5), ([43], 0.5), ([], 0.5), ([48], 1.0), ([], 1.0)]
    assert detached[1:] == LEFT[1:]
    assert all(sum(event.duration for event in bar.voices[0]) == 4.0 for bar in detached)
    assert detach_struck(LEFT, beat=Fraction(1), keep=set(), share=0.0, seed=0) == LEFT


def test_in_compound_meter_a_beat_keeps_two_thirds_and_a_share_picks_some_notes() -> None:
    jig = [Bar.line(*[(45 + step, 1.5) for step in range(4)]) for _ in range(20)]  # dotted quarters in 12/8
    detached = detach_struck(jig, beat=Fraction(3, 2), keep=set(), share=0.5, seed=3)
    lengths = [event.duration for bar in detached for event in bar.voices[0]]
    assert set(lengths) == {1.5, 1.0, 0.5}
    assert 0.3 < lengths.count(0.5) / 80 < 0.7, "about half the 80 notes detached"
    assert detached == detach_struck(jig, beat=Fraction(3, 2), keep=set(), share=0.5, seed=3)


def test_a_free_pianos_left_hand_detaches_at_its_pieces_share_and_the_range_is_checked() -> None:
    bass = style_spec(Style.FREE_PIANO).bass
    assert bass is not None and bass.detached[1] > 0
    shares = {detached_share(bass.detached, piece, hand="left") for piece in range(10)}
    assert all(bass.detached[0] <= share <= bass.detached[1] for share in shares) and len(shares) == 10
    assert detached_share(bass.detached, 4, hand="left") != detached_share(bass.detached, 4)
    for wrong in ((0.6, 0.2), (0.1, 1.2)):
        with pytest.raises(ValidationError, match="detached notes"):
            BassRules.model_validate({**bass.model_dump(), "detached": wrong})
