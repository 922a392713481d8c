"""A slow tune sung over a second voice a third or a sixth below (`tools.music.styles.thirds`)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from ontology.music import Bar
from ontology.music_styles import Style, style_spec
from ontology.music_theory import parse_key
from tools.music.harmony.chords import NO_CHORD, chord_index, chord_pitch_classes
from tools.music.harmony.data import MelodyNote
from tools.music.styles.accompaniment import AccompanimentError, nocturne_left_hand
from tools.music.styles.density import piece_density
from tools.music.styles.thirds import (
    CHORD_FLOOR,
    FLOOR,
    in_chords,
    second_voice_notes,
    second_voice_rate,
    with_second_voice,
)

C, F, G7 = chord_index(0, "maj"), chord_index(5, "maj"), chord_index(7, "dom7")
BAR = Fraction(4)
TUNE = [Bar.line((76, 1.0), (77, 1.0), (79, 1.5), (81, 0.25), (79, 0.25)),  # E F G. A-G over C
        Bar.line((77, 2.0), (74, 2.0)),  # F D over F then G7
        Bar.line((72, 4.0))]  # C over C
CHORDS = [C, NO_CHORD, F, G7, C, NO_CHORD]  # a chord per half bar, NO_CHORD holding the one before


def test_every_note_of_an_eighth_or_more_takes_a_chord_tone_a_third_or_sixth_below_at_full_rate() -> None:
    sung = with_second_voice(TUNE, CHORDS, slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0)
    pairs = [(event.pitches, event.duration) for bar in sung for event in bar.voices[0]]
    assert [max(pitches) for pitches, _ in pairs] == [p for bar in TUNE for p in bar.pitches()]  # the tune stays
    # E over C (a third); F, a passing note over C, has no chord tone a third or sixth below; G over E
    assert [pitches for pitches, _ in pairs[:3]] == [[72, 76], [77], [76, 79]]
    assert [pitches for pitches, _ in pairs[3:5]] == [[81], [79]]  # sixteenths pass alone
    assert pairs[5][0] == [69, 77] and pairs[6][0] == [71, 74]  # F over A, the sixth (D is no tone of F); D over B
    assert pairs[7][0] == [64, 72]  # C over C: neither A nor Ab is a tone of C, so the sixth below, E
    for bar, chords in zip(sung, ([C, C], [F, G7], [C, C]), strict=True):
        onset = 0.0
        for event in bar.voices[0]:
            if len(event.pitches) == 2:
                low, high = event.pitches
                assert high - low in (3, 4, 8, 9) and low >= FLOOR
                assert low % 12 in chord_pitch_classes(chords[int(onset // 2)])
            onset += event.duration


def test_a_chordal_piece_sings_a_chord_tone_under_the_second_voice_within_the_octave() -> None:
    sung = with_second_voice(TUNE, CHORDS, slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0, chordal=True)
    chords = [event.pitches for bar in sung for event in bar.voices[0]]
    # E over C: C and G below it (G4, the highest tone of C under C5, within the octave under E5)
    assert chords[:3] == [[67, 72, 76], [77], [72, 76, 79]]  # F passes alone; G over E and C
    assert chords[5] == [65, 69, 77] and chords[7] == [60, 64, 72]  # F over A and F; C over E and C
    plain = with_second_voice(TUNE, CHORDS, slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0)
    assert [max(pitches) for pitches in chords] == [max(event.pitches) for bar in plain for event in bar.voices[0]]
    low = [Bar.line((62, 4.0))]  # D4 over G7: B3 a third below, and no tone of G7 under it from C4
    (event,) = with_second_voice(low, [G7, NO_CHORD], slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0,
                                 chordal=True)[0].voices[0]
    assert event.pitches == [59, 62] and CHORD_FLOOR == 60


def test_only_the_densest_pieces_sing_in_chords() -> None:
    rules = style_spec(Style.NOCTURNE).melody
    assert rules.chordal_from is not None
    chordal = [seed for seed in range(100) if in_chords(rules, piece_density(seed))]
    assert chordal and all(piece_density(seed) >= rules.chordal_from for seed in chordal)
    assert not any(in_chords(style_spec(Style.WALTZ).melody, piece_density(seed)) for seed in range(100))


def test_no_rate_changes_nothing_and_a_share_of_the_bars_sing_in_two_voices() -> None:
    assert with_second_voice(TUNE, CHORDS, slot=Fraction(2), bar_length=BAR, rate=0.0, seed=0) == TUNE
    tune = TUNE * 20
    chords = CHORDS * 20
    sung = with_second_voice(tune, chords, slot=Fraction(2), bar_length=BAR, rate=0.5, seed=3)
    doubled = sum(any(len(event.pitches) == 2 for event in bar.voices[0]) for bar in sung)
    assert 20 <= doubled <= 40
    assert sung == with_second_voice(tune, chords, slot=Fraction(2), bar_length=BAR, rate=0.5, seed=3)


def test_the_second_voice_keeps_to_its_floor() -> None:
    low = [Bar.line((62, 4.0))]  # D4 over G7: its third below, B3, lies above G3
    (event,) = with_second_voice(low, [G7, NO_CHORD], slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0)[0].voices[0]
    assert event.pitches == [59, 62]
    lowest = [Bar.line((57, 4.0))]  # A3 over G7: its third below, F3, lies under G3 (and C#3 or C3 are no tones)
    assert with_second_voice(lowest, [G7, NO_CHORD], slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0) == lowest


def test_the_notes_under_the_tune_are_what_the_left_hand_stays_under() -> None:
    sung = with_second_voice(TUNE, CHORDS, slot=Fraction(2), bar_length=BAR, rate=1.0, seed=0)
    under = second_voice_notes(sung, BAR)
    assert [(note.onset, note.duration, note.pitch) for note in under[:3]] == [(0.0, 1.0, 72), (2.0, 1.5, 76),
                                                                                  (4.0, 2.0, 69)]
    assert second_voice_notes(TUNE, BAR) == []


def test_a_pieces_share_of_bars_in_two_voices_is_its_own_and_pieces_differ() -> None:
    rules = style_spec(Style.NOCTURNE).melody
    rates = {second_voice_rate(rules, piece_density(seed)) for seed in range(20)}
    assert len(rates) == 20 and all(rules.second_voice[0] <= rate <= rules.second_voice[1] for rate in rates)
    assert second_voice_rate(rules, piece_density(7)) == second_voice_rate(rules, piece_density(7))
    with pytest.raises(ValidationError, match="bars in two voices"):
        rules.model_validate({**rules.model_dump(), "second_voice": (0.6, 0.2)})


def test_the_left_hand_finds_room_under_a_second_voice_at_its_floor_in_every_figure() -> None:
    """At G3 a second voice on Ab3 over the widest arpeggio left the bass no room (session 38's crash)."""
    chords = [C, F, G7, C]
    for low, raises in ((FLOOR, False), (FLOOR - 1, True)):
        failed = 0
        for piece in range(30):  # every density, so every figure
            under = [MelodyNote(float(onset), 1.0, low) for onset in range(16)]
            try:
                bars = nocturne_left_hand(chords, Fraction(4), 4, BAR, parse_key("C major"), melody=under,
                                          seed=piece, density=piece_density(piece))
            except AccompanimentError:
                failed += 1
                continue
            assert max(pitch for bar in bars for pitch in bar.pitches()) < low
        assert bool(failed) == raises
