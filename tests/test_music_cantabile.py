"""A nocturne's sampled line made to sing: long notes before shorter ones, runs into leaps, breaths."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from ontology.music_styles import Cantabile, Style, style_spec
from ontology.music_theory import Key, parse_key, parse_meter
from tests.melody_lines import by_bar, line_of
from tools.music.harmony.data import MelodyNote
from tools.music.styles.cantabile import breathe, is_even, run_into, sing
from tools.music.styles.density import piece_density

D_MINOR = parse_key("D minor")
C_MAJOR = parse_key("C major")
REGISTER = (65, 96)
BAR, BEAT = Fraction(4), Fraction(1)
FOUR_FOUR = parse_meter("4/4")
RULES = style_spec(Style.NOCTURNE).melody.cantabile
assert RULES is not None
RHYTHMS = RULES.rhythms["4/4"]


def sung(line: list[MelodyNote], bars: int, ends: list[int], rules: Cantabile, *, key: Key = D_MINOR,
         max_leap: int = 12, seed: int = 0, density: float = 0.0) -> list[MelodyNote]:
    """`line` (4/4, in `REGISTER`) made to sing."""
    return sing(line, key=key, meter=FOUR_FOUR, bars=bars, register=REGISTER, max_leap=max_leap, phrase_ends=ends,
                rules=rules, seed=seed, density=density)


# the fixed-plan nocturne 1 (D minor, seed 1 at dfa2b5d): even quarters, a hymn's tune, then its close
HYMN = [[(1.0, 69), (1.0, 69), (1.0, 65), (1.0, 69)], [(1.0, 69), (1.0, 67), (1.0, 69), (1.0, 69)],
        [(1.0, 71), (1.0, 69), (1.0, 74), (1.0, 73)], [(4.0, 74)]]
PLAIN = Cantabile(rhythms={"4/4": RHYTHMS}, run_rate=(0.0, 0.0))


def test_even_quarters_take_long_notes_moving_to_shorter_ones_with_their_pitches() -> None:
    line = line_of(HYMN)
    before = by_bar(line, 4)
    assert is_even(before[0], Fraction(0), BAR) and is_even(before[1], Fraction(4), BAR)
    taken = set()
    for seed in range(20):
        after = by_bar(sung(line, 4, [3], PLAIN, seed=seed, density=piece_density(seed)), 4)
        first, second = ([n.duration for n in bar] for bar in after[:2])
        assert first in RHYTHMS and second in RHYTHMS and first != second  # not one rhythm twice in a row
        assert first[0] > first[-1] and second[0] > second[-1]  # a long note moving on in shorter ones
        for old, new in zip(before[:2], after[:2], strict=True):
            assert [n.pitch for n in new] == [n.pitch for n in old] and sum(n.duration for n in new) == 4
        assert after[2] == before[2] and after[3] == before[3], "the cadence's approach and its close stay"
        taken.add(tuple(first))
    assert len(taken) >= 3  # the seed draws among the style's rhythms


def test_a_bar_takes_the_rhythms_of_its_lines_meter() -> None:
    line = [MelodyNote(float(onset), 1.0, pitch) for onset, pitch in enumerate((69, 67, 65, 64, 65, 67))]
    line.append(MelodyNote(6.0, 3.0, 62))
    for seed in range(6):
        after = sing(line, key=D_MINOR, meter=parse_meter("3/4"), bars=3, register=REGISTER, max_leap=12,
                     phrase_ends=[2], rules=RULES, seed=seed, density=piece_density(seed))
        assert [n.duration for n in after if n.onset < 3] in RULES.rhythms["3/4"]


def test_the_bar_before_a_phrases_close_keeps_its_rhythm_so_the_dominant_sounds_clean() -> None:
    # nocturne 3 (E minor, seed 3): G B C D# over B7 into E; dotted, its C was held over the last beat's
    # B7 and the piece was heard to end plagally
    line = line_of([[(1.0, 67), (1.0, 71), (1.0, 72), (1.0, 75)], [(4.0, 76)]])
    assert sung(line, 2, [1], PLAIN, key=parse_key("E minor"), seed=3, density=piece_density(3)) == line


def test_a_phrase_that_ends_inside_the_section_breathes_before_the_next_phrases_upbeat() -> None:
    cadence = [(2.0, 74), (1.0, 72), (0.5, 71), (0.5, 69)]  # the cadence note, then the model sang on
    line = line_of([*HYMN[:3], cadence, [(4.0, 74)]])
    after = by_bar(sung(line, 5, [3, 4], PLAIN), 5)
    assert [(n.onset, n.duration, n.pitch) for n in after[3]] == [(12.0, 2.0, 74), (15.0, 0.5, 71), (15.5, 0.5, 69)]
    assert after[4] == by_bar(line, 5)[4], "the section's own close is the cadence's, not a breath"
    # a cadence note that would reach the upbeat is cut: a breath of at least half a beat
    held = line_of([[(3.0, 74), (1.0, 72)]])
    assert [(n.duration, n.onset) for n in breathe(held, Fraction(0), BAR, BEAT, Fraction(1, 2))] == [(2.5, 0.0),
                                                                                                      (1.0, 3.0)]


def test_a_breath_that_would_leap_beyond_the_lines_largest_leap_is_not_taken() -> None:
    # E B A G# after the cadence: the breath would join the cadence's E to the upbeat's G# (a sixth)
    cadence = [(2.0, 77), (1.0, 74), (1.0, 71)]
    line = line_of([*HYMN[:3], cadence, [(4.0, 74)]])
    kept = by_bar(sung(line, 5, [3, 4], PLAIN, max_leap=5), 5)
    assert kept[3] == by_bar(line, 5)[3], "no leap above the largest (a fifth) across the breath"
    breathed = by_bar(sung(line, 5, [3, 4], PLAIN, max_leap=6), 5)
    assert [(n.onset, n.pitch) for n in breathed[3]] == [(12.0, 77), (15.0, 71)]


FUZZ_RHYTHMS = ([1.0] * 4, [2.0] * 2, [2.0, 1.0, 1.0], [3.0, 0.5, 0.5], [1.0, 1.0, 0.5, 1.0, 0.5])


def test_no_change_takes_a_random_line_beyond_its_register_or_largest_leap() -> None:
    draw = random.Random(0)
    for _ in range(300):
        max_leap, pitch = draw.choice((3, 5, 7, 12)), draw.randint(70, 90)
        bars: list[list[tuple[float, int]]] = []
        for _bar in range(5):
            bars.append([])
            for length in draw.choice(FUZZ_RHYTHMS):
                pitch = min(REGISTER[1], max(REGISTER[0], pitch + draw.randint(-max_leap, max_leap)))
                bars[-1].append((length, pitch))
        ends = sorted({draw.randrange(4), 4})
        rules = RULES.model_copy(update={"run_rate": (0.5, 1.0), "run_leap": 3})
        seed, density = draw.randrange(100), draw.random()
        after = sung(line_of(bars), 5, ends, rules, max_leap=max_leap, seed=seed, density=density)
        pitches = [n.pitch for n in after]
        assert all(REGISTER[0] <= p <= REGISTER[1] for p in pitches)
        assert all(abs(b - a) <= max_leap for a, b in zip(pitches, pitches[1:], strict=False)), (bars, ends)


def test_a_leap_into_the_next_bar_may_be_filled_with_a_run_up_the_melodic_minor() -> None:
    florid = Cantabile(rhythms={}, run_rate=(1.0, 1.0), run_leap=5)
    line = line_of([[(2.0, 69), (2.0, 65)], [(2.0, 74), (2.0, 76)], [(2.0, 74), (2.0, 73)], [(4.0, 74)]])
    after = by_bar(sung(line, 4, [3], florid), 4)
    # F up to D: the F held a beat, then G A B C# (the raised sixth and seventh) into the D
    assert [(n.onset, n.duration, n.pitch) for n in after[0]] == [
        (0.0, 2.0, 69), (2.0, 1.0, 65), (3.0, 0.25, 67), (3.25, 0.25, 69), (3.5, 0.25, 71), (3.75, 0.25, 73)]
    # the bar before the close keeps its notes: a run there would be rewritten as the cadence's approach
    assert after[1:] == by_bar(line, 4)[1:]
    plain = sung(line, 4, [3], florid.model_copy(update={"run_leap": 12}))
    assert plain == line  # a sixth is no leap to a line that runs only into octaves


def test_a_run_climbs_by_the_raised_sixth_and_seventh_and_falls_by_the_natural_ones() -> None:
    assert run_into(62, 4, D_MINOR, ascending=True) == [55, 57, 59, 61]  # G A B C# up into D
    assert run_into(74, 4, D_MINOR, ascending=False) == [81, 79, 77, 76]  # A G F E down into D
    assert run_into(72, 4, C_MAJOR, ascending=True) == [65, 67, 69, 71]


def test_a_pieces_run_rate_follows_its_density() -> None:
    line = line_of([[(2.0, 69), (2.0, 65)], [(4.0, 74)], [(2.0, 69), (2.0, 65)], [(4.0, 74)], [(4.0, 74)]])
    ran = [sum(n.duration == 0.25 for n in sung(line, 5, [4], RULES, seed=7, density=density / 20))
           for density in range(20)]
    assert len(set(ran)) > 1 and ran[0] <= ran[-1]  # some pieces plain, some florid, the densest the most


@pytest.mark.parametrize("style", [s for s in Style if s is not Style.NOCTURNE])
def test_only_the_nocturne_sings_its_line_after_sampling(style: Style) -> None:
    assert style_spec(style).melody.cantabile is None


def test_a_rhythm_that_does_not_fill_its_bar_is_refused() -> None:
    with pytest.raises(ValueError, match="fill its bar"):
        Cantabile(rhythms={"4/4": [[3.0, 0.5]]})


def test_the_breath_between_phrases_is_named_apart_from_whether_a_line_may_breathe() -> None:
    spec = style_spec(Style.NOCTURNE).melody
    assert spec.breath is True and RULES.phrase_breath_quarters == 0.5
    with pytest.raises(ValueError, match="breath"):  # the old name is refused, not silently defaulted
        Cantabile(rhythms={}, breath=1.0)  # type: ignore[call-arg]
