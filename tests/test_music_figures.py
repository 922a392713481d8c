"""A sampled line's repeated figures varied (sequence, inversion, a dotted rhythm) and its held bars moving on."""

from __future__ import annotations

from fractions import Fraction

from ontology.music_styles import Style, style_spec
from ontology.music_theory import parse_key
from tests.melody_lines import by_bar, line_of
from tools.music.styles.figures import repeats, vary_figures

E_MINOR = parse_key("E minor")
REGISTER = (65, 96)
BAR = Fraction(4)


# the fixed-plan nocturne 3 (E minor, seed 3 at 5adf1e4): one descending figure in quarters, bar after bar
DESCENDING = [[(1.0, 74), (1.0, 72), (1.0, 71), (1.0, 69)], [(1.0, 72), (1.0, 71), (1.0, 71), (1.0, 69)],
              [(1.0, 72), (1.0, 71), (1.0, 71), (1.0, 75)], [(4.0, 76)]]


def test_one_descending_figure_bar_after_bar_is_developed_not_repeated() -> None:
    line = line_of(DESCENDING)
    before = by_bar(line, 4)
    assert repeats(before[1], before[0]) and repeats(before[2], before[1])
    for seed in range(12):
        varied = vary_figures(line, E_MINOR, BAR, 4, REGISTER, 12, [3], seed)
        after = by_bar(varied, 4)
        assert after[0] == before[0] and after[3] == before[3], "the first bar and the phrase's close stay"
        assert not (repeats(after[1], after[0]) and repeats(after[2], after[1])), seed  # no figure fills three bars
        for bar in after:
            assert sum(n.duration for n in bar) == 4 and all(REGISTER[0] <= n.pitch <= REGISTER[1] for n in bar)
        pitches = [n.pitch for n in varied]
        assert max(abs(b - a) for a, b in zip(pitches, pitches[1:], strict=False)) <= 12
        assert all(pitch % 12 in E_MINOR.scale() for pitch in pitches)


def test_the_three_devices_are_drawn_by_the_seed() -> None:
    line = line_of(DESCENDING)
    first = by_bar(line, 4)[1]
    kinds = set()
    for seed in range(30):
        second = by_bar(vary_figures(line, E_MINOR, BAR, 4, REGISTER, 12, [3], seed), 4)[1]
        contour = [(b.pitch > a.pitch) - (b.pitch < a.pitch) for a, b in zip(second, second[1:], strict=False)]
        if [n.duration for n in second] != [n.duration for n in first]:
            kinds.add("rhythm")
        elif contour == [-1, 0, -1]:  # the figure a step higher or lower
            kinds.add("sequence")
        else:
            assert contour == [1, 0, 1]
            kinds.add("inversion")
    assert kinds == {"rhythm", "sequence", "inversion"}
    assert vary_figures(line, E_MINOR, BAR, 4, REGISTER, 12, [3], 5) == vary_figures(
        line, E_MINOR, BAR, 4, REGISTER, 12, [3], 5)


def test_a_second_held_bar_moves_on_by_step_toward_the_next_bar() -> None:
    # nocturne 3's B section: a whole note a bar over repeated chords
    line = line_of([[(4.0, 76)], [(4.0, 71)], [(4.0, 74)], [(2.0, 69)]])
    varied = by_bar(vary_figures(line, E_MINOR, BAR, 4, REGISTER, 12, [3], 0), 4)
    assert len(varied[0]) == 1 and len(varied[2]) == 1, "held bars alternate with moving ones"
    moving = varied[1]
    assert moving[0].pitch == 71 and moving[0].duration == 2 and [n.duration for n in moving[1:]] == [1, 1]
    assert abs(moving[-1].pitch - 74) <= 2 and moving[1].pitch != 71  # into D by step, not B struck again


def test_a_line_that_does_not_repeat_itself_is_kept() -> None:
    line = line_of([[(1.5, 71), (0.5, 72), (2.0, 74)], [(1.0, 76), (1.0, 74), (1.0, 72), (1.0, 71)],
                    [(3.0, 72), (1.0, 69)], [(4.0, 71)]])
    assert vary_figures(line, E_MINOR, BAR, 4, REGISTER, 12, [3], 0) == line


def test_only_the_nocturne_varies_its_figures() -> None:
    assert [style for style in Style if style_spec(style).melody.vary_figures] == [Style.NOCTURNE]


def test_a_third_bar_in_one_rhythm_dots_a_pair_of_its_notes() -> None:
    # the fixed-plan nocturne 1 (D minor) at 7b1ba9c: quarters bar after bar, their contours different
    line = line_of([[(1.0, 69), (1.0, 69), (1.0, 65), (1.0, 69)], [(1.0, 69), (1.0, 67), (1.0, 69), (1.0, 69)],
                    [(1.0, 72), (1.0, 70), (1.0, 76), (1.0, 73)], [(4.0, 74)]])
    before = by_bar(line, 4)
    assert not repeats(before[1], before[0])  # the second bar is kept: a new figure in the same rhythm
    for seed in range(6):
        after = by_bar(vary_figures(line, parse_key("D minor"), BAR, 4, REGISTER, 12, [3], seed), 4)
        assert after[:2] == before[:2]
        durations = sorted(n.duration for n in after[2])
        assert durations == [0.5, 1.0, 1.0, 1.5] and [n.pitch for n in after[2]] == [n.pitch for n in before[2]]


def test_a_held_note_of_a_fraction_of_quarters_is_kept_whole_not_cut_short() -> None:
    """A walk in quarters under a dotted-half-and-eighth would leave the last eighth silent."""
    line = line_of([[(4.0, 76)], [(3.5, 71)], [(4.0, 74)], [(2.0, 69)]])
    varied = by_bar(vary_figures(line, E_MINOR, BAR, 4, REGISTER, 12, [3], 0), 4)
    assert sum(n.duration for n in varied[1]) == 3.5
