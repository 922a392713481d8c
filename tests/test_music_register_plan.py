"""The register plan: where each phrase of a section sits, drawn from the seed within the style's data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ontology.music import Bar, Event
from ontology.music_styles import LineRules, Reach, RegisterPlan, Style, reach_named_in, style_spec
from tools.music.section_tools import SectionRequest
from tools.music.styles.register_plan import (
    COMPASS_EDGE,
    ambitus_floor,
    arch,
    character_part,
    compass_band,
    joined_windows,
    last_top_note,
    leading_windows,
    leap_rate,
    phrase_spans,
    piece_return_bias,
    piece_step_bias,
    register_windows,
    section_windows,
    shift_bias,
)

PLAN = RegisterPlan(home=(69, 69), span=(10, 10), contrast=6, climax=(6, 8), arch=4, pull=1.0)
REGISTER = (55, 96)
# the bench's form: A (4 bars), B (4 bars), A' (8 bars, two phrases)
FORM = [((0.0, 0.25), 4, [3]), ((0.25, 0.5), 4, [3]), ((0.5, 1.0), 8, [3, 7])]


def centre(window: tuple[int, int]) -> float:
    return (window[0] + window[1]) / 2


def test_a_sections_phrases_are_cut_where_they_end() -> None:
    assert phrase_spans(8, [3, 7]) == [(0, 3), (4, 7)]
    assert phrase_spans(6, [5]) == [(0, 5)]
    assert phrase_spans(9, [3]) == [(0, 3), (4, 8)]  # a last bar that ends no phrase still closes one


def test_a_phrase_arches_up_to_its_peak_and_down_to_its_cadence() -> None:
    assert arch(4, 1, 4) == [-2, 2, 0, -2]
    assert arch(4, 2, 4) == [-2, 0, 2, -2]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("tonic", [0, 2, 9])
def test_the_climax_comes_two_thirds_through_and_each_phrase_rises_from_its_keys_frame(seed: int,
                                                                                        tonic: int) -> None:
    opening, middle, closing = (register_windows(PLAN, REGISTER, bars, ends, place, seed + index, tonic)
                                for index, (place, bars, ends) in enumerate(FORM))
    assert [len(opening), len(middle), len(closing)] == [4, 4, 8]
    for windows in (opening, middle, closing):
        assert all(REGISTER[0] <= low <= high <= REGISTER[1] and high - low == 10 for low, high in windows)
    climax, last = closing[:4], closing[4:]
    assert max(high for _, high in climax) == max(high for _, high in opening + middle + closing)
    assert max(high for _, high in climax) > max(high for _, high in last)
    for phrase in (opening, middle, climax, last):  # a phrase starts and ends on a tonic or dominant floor
        assert {(phrase[0][0] - tonic) % 12, (phrase[-1][0] - tonic) % 12} <= {0, 7}
        assert phrase[-1][0] < max(low for low, _ in phrase)  # and rises before it falls to its cadence
    assert abs(centre(opening[0]) - 69) <= 3 + 2  # home, within a snap to the frame and the arch's foot


def test_a_contrasting_section_mostly_sits_elsewhere() -> None:
    moved = [register_windows(PLAN, REGISTER, 4, [3], (0.25, 0.5), seed, 0)
             != register_windows(PLAN, REGISTER, 4, [3], (0.0, 0.25), seed, 0) for seed in range(20)]
    assert sum(moved) >= 12


def test_the_frame_is_the_nearest_tonic_or_dominant() -> None:
    assert [ambitus_floor(pitch, 0) for pitch in (60, 62, 63, 64, 65, 67, 70)] == [60, 60, 60, 67, 67, 67, 72]


def test_the_plan_varies_with_the_seed_and_repeats_with_it() -> None:
    wide = PLAN.model_copy(update={"home": (66, 72), "span": (10, 16)})
    plans = {register_windows(wide, REGISTER, 8, [3, 7], (0.0, 1.0), seed, 0) for seed in range(10)}
    assert len(plans) >= 8
    assert register_windows(PLAN, REGISTER, 8, [3, 7], (0.0, 1.0), 3, 0) == register_windows(
        PLAN, REGISTER, 8, [3, 7], (0.0, 1.0), 3, 0)


def test_a_window_at_the_registers_edge_keeps_its_span() -> None:
    low = register_windows(PLAN, (66, 96), 4, [3], (0.0, 1.0), 0, 0)
    assert all(window[0] >= 66 and window[1] - window[0] == 10 for window in low)


@pytest.mark.parametrize("style", list(Style))
def test_every_style_plans_its_melody_on_the_staff_it_sings_on(style: Style) -> None:
    line = style_spec(style).melody
    assert line.register_plan is not None
    home = line.register_plan.home
    assert 60 <= home[0] <= home[1] <= 79  # C4-G5: the treble staff, not its ledger lines
    assert line.max_repeats is not None and line.max_alternation is not None


def test_a_plan_whose_home_leaves_the_register_is_refused() -> None:
    line = style_spec(Style.CHORALE).melody
    with pytest.raises(ValueError, match="home centres"):
        type(line).model_validate({**line.model_dump(), "register_plan": {**PLAN.model_dump(), "home": (50, 52)}})
    with pytest.raises(ValueError, match="ordered"):
        RegisterPlan(home=(70, 68), span=(10, 12), contrast=6, climax=(6, 8), arch=4, pull=1.0)


@pytest.mark.parametrize("seed", range(8))
def test_a_reprise_rises_to_its_climax_in_its_new_bars_but_closes_at_home(seed: int) -> None:
    place = FORM[2][0]
    whole = register_windows(PLAN, REGISTER, 8, [3, 7], place, seed, 0)
    assert max(high for _, high in whole[:4]) > max(high for _, high in whole[4:])  # written whole: climax first
    # rewriting bars of the climax phrase keeps its climax there, peaking in the new bars
    late = register_windows(PLAN, REGISTER, 8, [3, 7], place, seed, 0, restated=2)
    assert max(high for _, high in late[2:4]) == max(high for _, high in late) > max(high for _, high in late[4:])
    assert late[2][1] > late[0][1]
    # rewriting only the closing phrase: it stays home, below the climax the section would have had
    closing = register_windows(PLAN, REGISTER, 8, [3, 7], place, seed, 0, restated=4)
    assert max(high for _, high in closing[4:]) < max(high for _, high in whole[:4])


def test_a_section_takes_the_windows_its_request_fixes_else_its_plan() -> None:
    line = style_spec(Style.WALTZ).melody
    assert line.register_plan is not None
    request = SectionRequest(bars=4, key="C major", meter="3/4", style=Style.WALTZ, cadence="half", seed=3,
                             place=(0.25, 0.5))
    assert section_windows(line, request, 0) == register_windows(
        line.register_plan, (line.lowest, line.highest), 4, [3], (0.25, 0.5), 3, 0)
    fixed = [(60, 70), (62, 72), (64, 74), (60, 70)]
    assert section_windows(line, request.model_copy(update={"register_windows": fixed}), 0) == tuple(fixed)
    with pytest.raises(ValueError, match="one register window a bar"):
        SectionRequest(bars=4, key="C major", meter="3/4", register_windows=fixed[:3])


def test_a_section_in_another_register_sets_out_from_where_the_line_was() -> None:
    peak_at_one = [(76, 86), (84, 94), (80, 90), (74, 84)]  # a middle section's climax phrase after a close on G4
    assert joined_windows(peak_at_one, 67, 4) == ((73, 83), *peak_at_one[1:])  # halfway to the peak's middle, 89
    peak_at_two = [(76, 86), (80, 90), (84, 94), (74, 84)]
    assert joined_windows(peak_at_two, 67, 4) == ((69, 79), (77, 87), *peak_at_two[2:])  # in thirds of the way
    falling = [(60, 70), (56, 66), (58, 68), (60, 70)]
    assert joined_windows(falling, 80, 4) == ((66, 76), *falling[1:])  # from above, toward its low point
    assert joined_windows(falling, 65, 4) == tuple(falling)  # the first window holds the note
    home = [(65, 78), (67, 80), (65, 78), (65, 78)]  # an answer planned at home after a close on E6
    assert joined_windows(home, 88, 4) == ((77, 90), (73, 86), (69, 82), (65, 78))  # falls to its cadence
    assert joined_windows([(76, 86), (70, 80), *peak_at_one[2:]], 67, 2) == ((76, 86), (70, 80), *peak_at_one[2:])
    # its first phrase (two bars) starts at its high point: nothing to climb through


def test_a_section_before_a_return_closes_where_the_return_begins() -> None:
    """Sixty fixed-plan free pianos' middles closed on A5 or B5 and their returns began on D4: twelve
    fell more than an octave into bar 9, Beethoven's first movements once in 32."""
    middle = [(76, 86), (80, 90), (84, 94), (78, 88)]  # peaks in its third bar, closes around A5
    assert leading_windows(middle, [62], 0) == (*middle[:3], (57, 67))  # the last window centred on D4
    assert leading_windows(middle, [62, 74], 0) == (*middle[:3], (69, 79))  # the octave nearest the plan: D5
    assert leading_windows(middle, [86], 0) == tuple(middle)  # the last window holds it
    assert leading_windows(middle, [], 0) == tuple(middle)  # no return follows
    falls_early = [(84, 94), (80, 90), (79, 89), (78, 88)]
    assert leading_windows(falls_early, [62], 0) == ((84, 94), (75, 85), (66, 76), (57, 67))  # in thirds of the way
    assert leading_windows(falls_early, [62], 2) == ((84, 94), (80, 90), (79, 89), (57, 67))  # its last phrase's
    low = [(60, 70), (56, 66), (58, 68), (58, 68)]
    assert leading_windows(low, [79], 0) == ((60, 70), (56, 66), (65, 75), (74, 84))  # climbs from its low point
    peak_last = [(60, 70), (64, 74), (68, 78), (72, 82)]
    assert leading_windows(peak_last, [60], 0) == tuple(peak_last)  # a phrase that turns in its last bar is kept


@pytest.mark.parametrize("seed", range(6))
def test_a_strain_before_its_repeat_closes_where_it_began(seed: int) -> None:
    """A strain followed by its own repeat (`SectionRequest.leads_back`) has no return notes to aim at
    yet; its last phrase is led to the window its first bar is sampled in, as a return's would be."""
    line = style_spec(Style.JIG).melody
    request = SectionRequest(bars=8, key="D major", meter="6/8", style=Style.JIG, cadence="authentic", seed=seed)
    planned = section_windows(line, request, 2)
    repeated = section_windows(line, request.model_copy(update={"leads_back": True}), 2)
    assert repeated == leading_windows(planned, [round(sum(planned[0]) / 2)], 4)
    low, high = repeated[-1]
    assert low <= round(sum(planned[0]) / 2) <= high


def test_a_fresh_section_after_others_is_planned_from_the_line_s_last_note() -> None:
    line = style_spec(Style.WALTZ).melody
    assert line.register_plan is not None
    request = SectionRequest(bars=4, key="C major", meter="3/4", style=Style.WALTZ, cadence="half", seed=3,
                             place=(0.25, 0.5))
    planned = section_windows(line, request, 0)
    close = Bar(voices=[[Event(pitches=[60, 64], duration=3.0)]])  # ends on E4 over C4
    assert last_top_note([close, Bar(voices=[[Event(duration=3.0)]])]) == 64
    assert last_top_note([Bar(voices=[[Event(duration=3.0)]])]) is None
    after = request.model_copy(update={"previous_right": [close]})
    assert section_windows(line, after, 0) == joined_windows(planned, 64, 4) != planned
    assert section_windows(line, after.model_copy(update={"continues_phrase": True}), 0) == planned
    assert section_windows(line, after, 0, restated=2) == register_windows(
        line.register_plan, (line.lowest, line.highest), 4, [3], (0.25, 0.5), 3, 0, restated=2)


def test_the_shift_bias_is_drawn_within_the_plans_range_and_varies_with_the_seed() -> None:
    plan = PLAN.model_copy(update={"shift_bias": (1.0, 6.0)})
    draws = [shift_bias(plan, seed) for seed in range(20)]
    assert all(1.0 <= draw <= 6.0 for draw in draws) and len(set(draws)) == 20
    assert shift_bias(plan, 4) == shift_bias(plan, 4) and shift_bias(PLAN, 4) == 0.0


def piece_windows(line: LineRules, seed: int) -> list[tuple[int, int]]:
    """Every bar's window of the bench's A B A' form for the piece of `seed`, sections seeded as the
    bench seeds them."""
    assert line.register_plan is not None
    return [window for index, (place, bars, ends) in enumerate(FORM)
            for window in register_windows(line.register_plan, (line.lowest, line.highest), bars, ends, place,
                                           seed * 1000 + index * 101, 0, piece_seed=seed)]


def test_a_waltzs_compass_is_drawn_by_its_seed_as_widely_as_real_waltzes_spread() -> None:
    """The reference waltzes' top voices span 12-49 semitones. Planned phrase by phrase (a climax of
    14-21 over a home of 67-72), every fixed-plan waltz met the register's ceiling: its windows
    spanned 28-36 and its line 22-31 (overlap 0.47). Drawn by the piece, the compass spans the
    whole plan, from the first bar's foot to the climax's top."""
    line = style_spec(Style.WALTZ).melody
    plan = line.register_plan
    assert plan is not None and plan.compass is not None
    compasses = []
    for seed in range(12):
        (bottom, top), _ = compass_band(plan, (line.lowest, line.highest), plan.home[0], seed)
        windows = piece_windows(line, seed)
        assert all(bottom <= low < high <= top for low, high in windows)
        foot = windows[0]  # the piece opens at its compass's foot, its tonic (C) in reach
        assert bottom <= foot[0] < bottom + 7 and foot[0] % 12 in (0, 7) and foot[1] - foot[0] == COMPASS_EDGE
        assert any(pitch % 12 == 0 for pitch in range(foot[0], foot[1] + 1))
        assert max(high for _, high in windows) == top, "its climax reaches the compass's top"
        compasses.append(top - bottom)
    assert min(compasses) <= 30 and max(compasses) >= 40, compasses
    assert len(set(compasses)) >= 6


def test_a_waltzs_compass_is_drawn_within_its_register_and_a_wider_one_is_refused() -> None:
    """Review of session 29: the waltz's compass was drawn 26-50 in a register 43 wide, so about a
    third of the pieces were clipped to the whole register (A3-E7), and its top-voice limit (46)
    lay beyond the register. Every width drawn is now sung as drawn, and data drawing wider than
    its register, or limiting the top voice outside compass and register, is refused."""
    spec = style_spec(Style.WALTZ)
    line, plan = spec.melody, spec.melody.register_plan
    assert plan is not None and plan.compass is not None
    widths = [compass_band(plan, (line.lowest, line.highest), plan.home[0], seed)[0] for seed in range(200)]
    full = sum(top - bottom == line.highest - line.lowest for bottom, top in widths)
    assert full <= 200 * 2 / (plan.compass[1] - plan.compass[0] + 1), f"{full} of 200 compasses clipped to the register"
    assert plan.compass[1] <= spec.limits.max_top_range <= line.highest - line.lowest
    wide = plan.model_copy(update={"compass": (26, line.highest - line.lowest + 1)})
    with pytest.raises(ValueError, match="must fit its register"):
        LineRules.model_validate({**line.model_dump(), "register_plan": wide.model_dump()})
    with pytest.raises(ValueError, match="max_top_range"):
        type(spec).model_validate({**spec.model_dump(), "limits": {**spec.limits.model_dump(), "max_top_range": 46}})


def test_sections_of_one_piece_share_its_compass_and_a_plan_without_one_keeps_the_register() -> None:
    line = style_spec(Style.WALTZ).melody
    plan = line.register_plan
    assert plan is not None
    bands = {compass_band(plan, (line.lowest, line.highest), home, 9)[0] for home in range(*plan.home)}
    assert len(bands) == 1 and bands.pop() == (59, 82)  # piece 9: 23 semitones, from a home phrase's foot
    wide = compass_band(plan, (line.lowest, line.highest), 70, 13)  # piece 13: 42 semitones, over 41 above the foot
    assert wide == ((58, 100), 69), "a compass too wide to start at the foot moves the band and its home down"
    assert compass_band(PLAN, REGISTER, 69, 9) == (REGISTER, 69)


@pytest.mark.parametrize(("tonic", "foot"), [(9, 69), (7, 67), (2, 62), (4, 64), (0, 72)])
def test_a_jigs_compass_starts_on_its_tonic_and_keeps_to_its_register(tonic: int, foot: int) -> None:
    """A fiddle tune runs up from the tonic it ends on: with its compass at the home phrase's foot (D4 for
    every jig), one in A major opened on E4-A4 and rocked on its leading tone."""
    line = style_spec(Style.JIG).melody
    plan = line.register_plan
    assert plan is not None and plan.foot_on_tonic and plan.compass is not None
    for seed in range(20):
        (bottom, top), home = compass_band(plan, (line.lowest, line.highest), plan.home[0], seed, tonic=tonic)
        assert bottom == foot and top <= line.highest and top - bottom <= plan.compass[1]
        assert compass_band(plan, (line.lowest, line.highest), plan.home[0], seed)[0][0] == line.lowest
        assert home == plan.home[0]
    windows = register_windows(plan, (line.lowest, line.highest), 4, [3], (0.0, 0.25), 5, tonic)
    assert windows[0][0] == foot and all(low >= foot for low, _ in windows)


def test_a_pieces_leap_budget_is_drawn_from_its_styles_range_by_the_piece_seed() -> None:
    line = style_spec(Style.FREE_PIANO).melody
    low, high = line.leap_budget
    assert line.wide_leap is not None and line.wide_leap > line.max_leap and line.leap_bias > 0
    draws = [leap_rate(line, seed) for seed in range(30)]
    assert all(low <= draw <= high for draw in draws) and len(set(draws)) == 30
    assert min(draws) < 0.02 and max(draws) > 0.08, "pieces that hardly leap and pieces that leap often"
    assert leap_rate(line, 4) == leap_rate(line, 4)
    assert leap_rate(style_spec(Style.CHORALE).melody, 4) == 0.0
    for update, message in (({"leap_budget": (0.0, 0.1), "wide_leap": None}, "wide_leap for it to allow"),
                            ({"leap_budget": (0.1, 0.05)}, "ordered range"),
                            ({"wide_leap": 5}, "budgeted leap 5 must be at least")):
        with pytest.raises(ValueError, match=message):
            LineRules.model_validate({**line.model_dump(), **update})


@pytest.mark.parametrize(("draw", "field", "style"), [
    (piece_step_bias, "step_bias", Style.WALTZ),  # one waltz tune runs by step, another leaps through its chords
    (piece_return_bias, "return_bias", Style.FREE_PIANO),  # one movement on neighbour figures, the next moving on
])
def test_a_pieces_bias_is_drawn_from_its_styles_range_by_the_piece_seed(
        draw: Callable[[LineRules, int], float], field: str, style: Style) -> None:
    """Pieces of a style differ as Beethoven's do; every section of one piece draws alike; a style
    with one bias (the chorale's) keeps it exactly."""
    line = style_spec(style).melody
    low, high = getattr(line, field)
    draws = [draw(line, seed) for seed in range(30)]
    assert all(low <= value <= high for value in draws) and len(set(draws)) == 30
    assert min(draws) < low + (high - low) / 4 and max(draws) > high - (high - low) / 4
    assert draw(line, 4) == draw(line, 4) != draw(line, 5)
    chorale = style_spec(Style.CHORALE).melody
    assert getattr(chorale, field)[0] == getattr(chorale, field)[1] == draw(chorale, 4)
    for bounds in ((2.0, 1.0), (-0.5, 1.0)):
        with pytest.raises(ValueError, match="ordered range from 0"):
            LineRules.model_validate({**line.model_dump(), field: bounds})


@pytest.mark.parametrize("seed", range(8))
def test_a_free_piano_piece_climbs_to_its_high_point_in_its_middle_section(seed: int) -> None:
    """A sonata's opening reaches its high point once, often as its middle section climbs; with the
    climax two thirds through, the bench's A B A' put it in A''s first phrase, which a near
    variation restates from A at home, so no fixed-plan free piano piece had one (top-voice range 21
    semitones against Beethoven's 38)."""
    line = style_spec(Style.FREE_PIANO).melody
    assert line.register_plan is not None and line.register_plan.climax_at < 0.5
    opening, middle, closing = (register_windows(line.register_plan, (line.lowest, line.highest), bars, ends,
                                                 place, seed * 1000 + index * 101, 0, piece_seed=seed)
                                for index, (place, bars, ends) in enumerate(FORM))
    assert max(high for _, high in middle) > max(high for _, high in opening + closing[4:])  # home at both ends
    assert centre(middle[0]) >= centre(opening[0]) + 5  # the middle climbs from home
    # two thirds through (the default) the climax would fall in A''s first phrase, as it did
    later = line.register_plan.model_copy(update={"climax_at": 2 / 3})
    closing = register_windows(later, (line.lowest, line.highest), 8, [3, 7], FORM[2][0], seed * 1000 + 202, 0)
    assert max(high for _, high in closing[:4]) > max(high for _, high in closing[4:])


def test_a_waltz_sings_its_climax_in_its_middle_section_where_its_reprise_cannot_lose_it() -> None:
    """Planned two thirds through, a waltz's climax fell in A', whose restated bars (A's, at home)
    kept it from sounding in 5 of 10 fixed-plan waltzes (top-voice range 22 semitones against the
    references' 33); in B, new material in another key, every waltz sings it."""
    line = style_spec(Style.WALTZ).melody
    assert line.register_plan is not None and line.register_plan.climax_at == 0.375
    for seed in range(12):
        opening, middle, closing = (register_windows(line.register_plan, (line.lowest, line.highest), bars, ends,
                                                     place, seed * 1000 + index * 101, 0, restated=6 * (index == 2),
                                                     piece_seed=seed)
                                    for index, (place, bars, ends) in enumerate(FORM))
        assert max(high for _, high in middle) > max(high for _, high in opening + closing)
        peak = max(range(4), key=lambda bar: middle[bar][1])
        assert peak == 2  # the last bar but one: two bars to climb from the join (`joined_windows`)
    assert PLAN.climax_at == 2 / 3  # the other styles' climax stays two thirds through


def test_a_piece_shorter_than_the_references_keeps_the_phrase_by_phrase_climb() -> None:
    """A four-bar waltz sung over a scherzo's compass leapt 14 semitones from one section to the next
    (tests/test_music_sections.py); a piece shorter than 16 bars climbs phrase by phrase as before."""
    line = style_spec(Style.WALTZ).melody
    plan = line.register_plan
    assert plan is not None and plan.compass is not None
    plain = plan.model_copy(update={"compass": None})
    register = (line.lowest, line.highest)
    for seed in range(6):
        assert register_windows(plan, register, 4, [3], (0.0, 1.0), seed, 0) == register_windows(
            plain, register, 4, [3], (0.0, 1.0), seed, 0)
        assert register_windows(plan, register, 4, [3], (0.0, 0.25), seed, 0) != register_windows(
            plain, register, 4, [3], (0.0, 0.25), seed, 0)  # a quarter of sixteen bars has its compass


def test_a_requests_character_asks_how_far_its_piece_ranges() -> None:
    assert [reach_named_in(text) for text in (
        "a gentle waltz in G major, 16 bars", "A quiet, tender nocturne", "a simple jig", "a brilliant waltz",
        "a stormy piano piece in C minor", "a grand waltz in D major", "a waltz in A major, 16 bars",
        "a gentle start before a grand finale", "a waltz, not gentle")] == [
        Reach.MODEST, Reach.MODEST, Reach.MODEST, Reach.WIDE, Reach.WIDE, Reach.WIDE, None, None, None]


def test_a_modest_piece_draws_from_the_lower_part_of_a_range_and_a_wide_one_from_the_upper() -> None:
    assert character_part((26, 43), Reach.MODEST, 0.5) == (26, 34)
    assert character_part((26, 43), Reach.WIDE, 0.5) == (35, 43)
    assert character_part((26, 43), None, 0.5) == (26, 43)
    assert character_part((9, 28), Reach.WIDE, 0.25) == (23, 28)


def test_a_gentle_waltz_keeps_to_the_lower_part_of_its_compass_a_brilliant_one_spans_the_upper() -> None:
    """Session 31's "gentle waltz in G major" drew a compass of 42 semitones (the waltz's 26-43, now 22-43) and
    climbed to C#7 under an 8va line. The request's character now chooses the part of the range; a
    request naming none (the tools bench's) draws from all of it, as before."""
    line = style_spec(Style.WALTZ).melody
    plan = line.register_plan
    assert plan is not None and plan.compass is not None
    register = (line.lowest, line.highest)

    def widths(reach: Reach | None) -> list[int]:
        bands = [compass_band(plan, register, plan.home[0], seed, reach)[0] for seed in range(100)]
        return [top - bottom for bottom, top in bands]

    modest, wide, either = widths(Reach.MODEST), widths(Reach.WIDE), widths(None)
    assert max(modest) <= 32 < 33 <= min(wide) and min(either) < 26 and max(either) > 40
    assert either == [compass_band(plan, register, plan.home[0], seed)[0][1]
                      - compass_band(plan, register, plan.home[0], seed)[0][0] for seed in range(100)]
    for seed in range(10):  # the climax reaches the compass's top, so it comes down with it
        tops = [max(high for _, high in register_windows(plan, register, 4, [3], (0.25, 0.5), seed, 0, reach=reach))
                for reach in (Reach.MODEST, Reach.WIDE)]
        assert tops[0] < tops[1], tops


def test_a_plan_without_a_compass_draws_its_climax_from_the_part_its_reach_asks_for() -> None:
    """The nocturne's climax rises 12-19 semitones over home: 12-16 for a tender piece, 15-19 for a
    stormy one (drawn alike, three semitones apart before the phrase's window starts on the nearest
    tonic or dominant: the phrase at two thirds through holds it)."""
    line = style_spec(Style.NOCTURNE).melody
    plan = line.register_plan
    assert plan is not None and plan.compass is None
    higher = 0
    for seed in range(20):
        modest, wide = (register_windows(plan, (40, 108), 4, [3], (0.5, 0.75), seed, 0, reach=reach)
                        for reach in (Reach.MODEST, Reach.WIDE))
        assert all(w[0] >= m[0] for m, w in zip(modest, wide, strict=True)), (modest, wide)
        higher += wide[0][0] > modest[0][0]
    assert higher >= 10, higher
