"""A piece's density, drawn once and read by both hands (`tools.music.styles.density`)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pytest

from ontology.music_styles import Motion, Reach, Style, reach_named_in, style_spec
from tools.music.piano.grammar import rules_for_line, ticks
from tools.music.section_tools import SectionRequest
from tools.music.styles.accompaniment import NOCTURNE_FIGURES, WALTZ_FIGURES
from tools.music.styles.density import figure_at, piece_density, share_at
from tools.music.styles.thirds import second_voice_rate


@dataclass(frozen=True)
class Strikes:
    notes_per_beat: float
    name: str


def test_a_pieces_density_is_its_own_and_pieces_spread_from_light_to_dense() -> None:
    densities = [piece_density(seed) for seed in range(200)]
    assert densities[:5] == [piece_density(seed) for seed in range(5)]
    assert all(0 <= density < 1 for density in densities)
    assert sum(density < 0.25 for density in densities) > 30 and sum(density >= 0.75 for density in densities) > 30


def test_figures_take_equal_shares_from_the_lightest_to_the_densest_in_their_given_order_when_equal() -> None:
    figures = [Strikes(4, "sixteenths"), Strikes(2, "eighths"), Strikes(2, "staccato"), Strikes(1, "quarters")]
    assert [figure_at(figures, density).name for density in (0.0, 0.24, 0.25, 0.5, 0.74, 0.75, 0.999)] == [
        "quarters", "quarters", "eighths", "staccato", "staccato", "sixteenths", "sixteenths"]


def test_the_left_hands_figures_order_by_the_notes_they_strike() -> None:
    assert figure_at(NOCTURNE_FIGURES, 0.99).pulse < figure_at(NOCTURNE_FIGURES, 0.0).pulse
    light, dense = figure_at(WALTZ_FIGURES, 0.0), figure_at(WALTZ_FIGURES, 0.99)
    assert light.after != "chords" and dense.octave_bass and dense.chord_notes == 4


def test_a_dense_piece_sings_in_two_voices_more_than_a_light_one() -> None:
    rules = style_spec(Style.NOCTURNE).melody
    by_density = sorted(range(40), key=piece_density)
    rates = [second_voice_rate(rules, piece_density(seed)) for seed in by_density]
    assert rates == sorted(rates) and rates[0] < 0.2 and rates[-1] > 0.6
    assert share_at((0.2, 0.6), 0.0) == 0.2 and share_at((0.2, 0.6), 0.5) == 0.4


def test_the_density_length_bias_shortens_a_dense_pieces_notes_and_lengthens_a_light_ones() -> None:
    line = style_spec(Style.FREE_PIANO).melody
    assert line.density_length_bias
    assert rules_for_line(line, "major", density=0.5).motion_bias == {}
    dense, light = rules_for_line(line, "major", density=1.0), rules_for_line(line, "major", density=0.0)
    assert dense.motion_bias == {ticks(length): value for length, value in line.density_length_bias.items()}
    assert light.motion_bias == {length: -value for length, value in dense.motion_bias.items()}
    assert dense.motion_bias[ticks(0.25)] > 0 > dense.motion_bias[ticks(2.0)]
    stormy = rules_for_line(line, "major", motion=Motion.AGITATED, density=1.0).motion_bias
    agitated = line.motion_length_bias[Motion.AGITATED]
    assert stormy[ticks(0.25)] == pytest.approx(agitated[0.25] + line.density_length_bias[0.25])  # on top of a motion
    assert rules_for_line(style_spec(Style.NOCTURNE).melody, "major", density=1.0).motion_bias == {}


def test_a_quiet_request_draws_a_light_piece_and_a_stormy_one_a_dense_piece() -> None:
    """Session 38's "quiet nocturne" drew a dense piece and opened with both hands in sixteenths."""
    for seed in range(50):
        drawn = piece_density(seed)
        assert piece_density(seed, Reach.MODEST) == drawn / 2 < 0.5 <= piece_density(seed, Reach.WIDE)
    quiet = SectionRequest(style=Style.NOCTURNE, key="C minor", meter="4/4", bars=4, cadence="half", seed=3,
                           piece_seed=9, reach=reach_named_in("a quiet nocturne in C minor"))
    assert quiet.density == piece_density(9, Reach.MODEST)
    assert figure_at(NOCTURNE_FIGURES, quiet.density).pulse == Fraction(1, 2)  # a light figure: eighths
    assert quiet.model_copy(update={"reach": None}).density == piece_density(9)
