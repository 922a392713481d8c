"""A dance tune's detached notes: long notes struck for a beat, then a rest; the closes stay sustained."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from ontology.music_styles import LineRules, Style, style_spec
from tools.music.harmony.data import MelodyNote
from tools.music.styles.articulation import detach, detached_share

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
    shares = [detached_share(waltz, piece) for piece in range(20)]
    assert shares == [detached_share(waltz, piece) for piece in range(20)]
    assert all(waltz.detached[0] <= share <= waltz.detached[1] for share in shares)
    assert max(shares) - min(shares) > 0.3, "some waltzes sing legato, others step lightly"
    assert detached_share(style_spec(Style.CHORALE).melody, 3) == 0.0, "a chorale's soprano is not detached"


def test_a_detached_range_must_be_an_ordered_range_of_shares() -> None:
    rules = style_spec(Style.WALTZ).melody.model_dump()
    for wrong in ((0.5, 0.2), (-0.1, 0.5), (0.2, 1.5)):
        with pytest.raises(ValidationError, match="detached notes"):
            LineRules.model_validate({**rules, "detached": wrong})
