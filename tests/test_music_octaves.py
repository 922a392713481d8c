"""A free piano's passage in bare octaves: drawn once per piece, written by the one section that
holds it, before its cadence, with the left hand doubling the right hand's line."""

from __future__ import annotations

from ontology.music import Bar
from ontology.music_styles import BassRules, OctavePassage, Style, style_spec
from tools.music.styles.octaves import doubled, in_octaves, octave_bars

ALWAYS = BassRules(lowest=28, highest=67, max_leap=12, notes_per_onset=3,
                   octaves=OctavePassage(chance=1.0, place=(0.3, 0.4), bars=(2, 2)))


def test_a_piece_draws_one_passage_that_only_the_section_holding_it_writes_before_its_cadence() -> None:
    for seed in range(20):
        sections = [octave_bars(ALWAYS, bars, place, seed, closes=True)
                    for bars, place in ((4, (0.0, 0.25)), (4, (0.25, 0.5)), (8, (0.5, 1.0)))]
        assert [len(passage) for passage in sections] == [0, 2, 0]
        assert sections[1] == range(0, 2)  # a 4-bar section closing on a cadence has two bars before it
    never = ALWAYS.model_copy(update={"octaves": OctavePassage(chance=0.0)})
    assert not any(octave_bars(never, 4, (0.25, 0.5), seed, closes=True) for seed in range(20))
    drawn = style_spec(Style.FREE_PIANO).bass
    assert drawn is not None
    pieces = sum(bool(octave_bars(drawn, 4, (0.25, 0.5), seed, closes=True)) for seed in range(200))
    assert 40 <= pieces <= 80  # the style's chance of 0.3, two bars at the start of the middle section


def test_the_left_hand_doubles_the_line_an_octave_or_two_down_inside_its_register() -> None:
    right = [Bar.line((72, 1), (74, 1), (None, 1), (76, 1)), Bar.line((79, 2), (77, 2)), Bar.line((72, 4))]
    left = [Bar.line((48, 4)), Bar.line((43, 4)), Bar.line((48, 4))]
    doubled_left = in_octaves(right, left, range(0, 2), ALWAYS)
    assert doubled_left[0] == Bar.line((48, 1), (50, 1), (None, 1), (52, 1))  # two octaves down: the register's middle
    assert doubled_left[1] == Bar.line((55, 2), (53, 2)) and doubled_left[2] == left[2]
    assert doubled(Bar.line((100, 4)), ALWAYS) is None  # 88 or 76 lies above the left hand's 67
