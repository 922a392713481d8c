"""A fiddle tune's harmonic rhythm: a chord a bar, a change at the half bar only where the tune asks."""

from __future__ import annotations

from fractions import Fraction

from ontology.music_styles import Style, style_spec
from tools.music.harmony.chords import chord_index
from tools.music.harmony.data import MelodyNote
from tools.music.styles.harmonic_rhythm import held_through_bars

G, C, D7, EM = chord_index(7, "maj"), chord_index(0, "maj"), chord_index(2, "dom7"), chord_index(4, "min")


def eighths(*pitches: int) -> list[MelodyNote]:
    return [MelodyNote(0.5 * number, 0.5, pitch) for number, pitch in enumerate(pitches)]


def test_a_jigs_chord_holds_through_the_bar_unless_the_half_bars_note_leaves_it() -> None:
    # G major, 6/8, a chord per dotted quarter: G D7 | G C | G D7 | G
    chords = [G, D7, G, C, G, EM, G, G]
    tune = eighths(67, 71, 74, 71, 67, 71,  # G B D B G B: all G, the second half's D7 is not asked for
                   67, 71, 74, 72, 76, 72,  # G B D C E C: the half bar's C is no tone of G: C it is
                   74, 71, 67, 67, 71, 74,  # D B G G B D: the harmoniser's E minor is not needed
                   67, 67, 67, 67, 67, 67)
    slot, bar = Fraction(3, 2), Fraction(3)
    assert held_through_bars(chords, tune, slot, bar, {}) == [G, G, G, C, G, G, G, G]
    assert held_through_bars(chords, tune, slot, bar, {5: EM}) == [G, G, G, C, G, EM, G, G]  # a cadence's chord


def test_a_reels_chords_change_at_most_at_the_half_bar() -> None:
    chords = [G, C, D7, G, G, EM, C, D7]  # a chord a quarter in 4/4
    tune = eighths(67, 71, 72, 76, 72, 78, 72, 74,  # the half bar strikes C: no tone of G, so D7
                   67, 71, 74, 71, 67, 71, 74, 67)  # all G
    assert held_through_bars(chords, tune, Fraction(1), Fraction(4), {7: D7}) == [G, G, D7, D7, G, G, G, D7]
    assert style_spec(Style.JIG).held_harmony and not style_spec(Style.WALTZ).held_harmony
