"""A passage in bare octaves: drawn once per piece, written by the one section that holds it, clear
of its phrases' cadence bars, with the left hand doubling the right hand's line."""

from __future__ import annotations

from ontology.music import Bar
from ontology.music_styles import OctavePassage, Style, style_spec
from tools.music.styles.accompaniment import LEFT_HANDS
from tools.music.styles.octaves import doubled, in_octaves, octave_bars

ALWAYS = OctavePassage(chance=1.0, place=(0.3, 0.4), bars=(2, 2))
BASS = (28, 67)
"""The free piano's lower hand."""


def test_a_piece_draws_one_passage_that_only_the_section_holding_it_writes_before_its_cadence() -> None:
    for seed in range(20):
        sections = [octave_bars(ALWAYS, bars, place, seed, ends)
                    for bars, place, ends in ((4, (0.0, 0.25), [3]), (4, (0.25, 0.5), [3]), (8, (0.5, 1.0), [3, 7]))]
        assert [len(passage) for passage in sections] == [0, 2, 0]
        assert sections[1] == range(0, 2)  # a 4-bar section closing on a cadence has two bars before it
    never = ALWAYS.model_copy(update={"chance": 0.0})
    assert not any(octave_bars(never, 4, (0.25, 0.5), seed, [3]) for seed in range(20))
    drawn = style_spec(Style.FREE_PIANO).octaves
    pieces = sum(bool(octave_bars(drawn, 4, (0.25, 0.5), seed, [3])) for seed in range(200))
    assert 40 <= pieces <= 80  # the style's chance of 0.3, two bars at the start of the middle section


def test_a_passage_keeps_clear_of_every_phrases_cadence_bars() -> None:
    """An eight-bar section's first phrase ends at bar 4 (its chords in bars 3-4): a passage drawn
    there moves to the free bars nearest it, and one with no free bars long enough shortens."""
    late = OctavePassage(chance=1.0, place=(0.2, 0.2), bars=(2, 2))  # drawn at bar 2: bars 2-3 would reach bar 3
    assert octave_bars(late, 8, (0.0, 1.0), 0, [3, 7]) == range(0, 2)
    later = OctavePassage(chance=1.0, place=(0.45, 0.45), bars=(2, 2))  # drawn at bar 4, the cadence's
    assert octave_bars(later, 8, (0.0, 1.0), 0, [3, 7]) == range(4, 6)
    long = OctavePassage(chance=1.0, place=(0.3, 0.3), bars=(3, 3))
    assert octave_bars(long, 4, (0.0, 1.0), 0, [3]) == range(0, 2)  # three bars do not fit before the cadence
    assert octave_bars(long, 2, (0.0, 1.0), 0, [1]) == range(0)  # a two-bar section is all cadence


def test_a_waltz_draws_its_passage_as_often_as_its_reference_movements_have_parallels() -> None:
    """8 of the 24 Beethoven movements in 3/4 and 3/8 (the waltz's reference) have parallel octaves or
    fifths between their outer voices, mostly where both hands play in octaves."""
    octaves = style_spec(Style.WALTZ).octaves
    pieces = sum(bool(octave_bars(octaves, 16, (0.0, 1.0), seed, [15])) for seed in range(300))
    assert 80 <= pieces <= 120, pieces


def test_the_left_hand_doubles_the_line_an_octave_or_two_down_inside_its_register() -> None:
    right = [Bar.line((72, 1), (74, 1), (None, 1), (76, 1)), Bar.line((79, 2), (77, 2)), Bar.line((72, 4))]
    left = [Bar.line((48, 4)), Bar.line((43, 4)), Bar.line((48, 4))]
    doubled_left = in_octaves(right, left, range(0, 2), BASS)
    assert doubled_left[0] == Bar.line((48, 1), (50, 1), (None, 1), (52, 1))  # two octaves down: the register's middle
    assert doubled_left[1] == Bar.line((55, 2), (53, 2)) and doubled_left[2] == left[2]
    assert doubled(Bar.line((100, 2), (98, 2)), BASS) is None  # 88 or 76 lies above the left hand's 67
    assert doubled(Bar.line((72, 4)), BASS) is None  # a held note: the left hand keeps its figure
    assert doubled(Bar.line((72, 1), (None, 3)), BASS) is None  # nor fall silent with a detached one
    waltz = LEFT_HANDS["waltz"]
    assert doubled(Bar.line((86, 1), (84, 1), (81, 1)), (waltz.lowest, waltz.highest)) == Bar.line(
        (62, 1), (60, 1), (57, 1))  # a waltz's tune two octaves down, in the chords' register
