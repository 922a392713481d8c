"""A slow line's written-out ornaments: runs and turns in thirty-seconds, dotted figures, none at the close."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from ontology.music_styles import LineRules, Style, style_spec
from ontology.music_theory import parse_key
from tools.music.harmony.data import MelodyNote
from tools.music.styles.density import piece_density
from tools.music.styles.fioritura import dotted, ornament, ornament_rate, passing_note, run, sweep, turn

C_MAJOR, A_MINOR = parse_key("C major"), parse_key("A minor")
BAR, BEAT = Fraction(4), Fraction(1)
LINE = [MelodyNote(0.0, 2.0, 64), MelodyNote(2.0, 1.0, 62), MelodyNote(3.0, 1.0, 60),   # bar 1
        MelodyNote(4.0, 1.0, 64), MelodyNote(5.0, 3.0, 67),                            # bar 2
        MelodyNote(8.0, 2.0, 65), MelodyNote(10.0, 2.0, 62),                           # bar 3: the approach
        MelodyNote(12.0, 4.0, 60)]                                                     # bar 4: the close
"""Four bars of a slow line in C major, a phrase closing in its last bar."""


def _contiguous(notes: list[MelodyNote]) -> bool:
    return all(a.onset + a.duration == b.onset for a, b in zip(notes, notes[1:], strict=False))


def test_a_turn_gives_the_notes_last_eighth_to_four_thirty_seconds_round_it() -> None:
    notes = turn(MelodyNote(0.0, 2.0, 64), C_MAJOR)
    assert [(n.onset, n.duration, n.pitch) for n in notes] == [
        (0.0, 1.5, 64), (1.5, 0.125, 65), (1.625, 0.125, 64), (1.75, 0.125, 63), (1.875, 0.125, 64)]
    assert [n.pitch for n in turn(MelodyNote(0.0, 1.0, 69), A_MINOR)][1:] == [71, 69, 68, 69], \
        "round the tonic in A minor: B above, the leading tone below"


def test_a_run_fills_a_leap_with_the_scale_between_in_thirty_seconds() -> None:
    notes = run(MelodyNote(0.0, 2.0, 60), 69, C_MAJOR) or []  # C up a sixth to A: D E F G
    assert [(n.onset, n.duration, n.pitch) for n in notes] == [
        (0.0, 1.5, 60), (1.5, 0.125, 62), (1.625, 0.125, 64), (1.75, 0.125, 65), (1.875, 0.125, 67)]
    assert [n.pitch for n in run(MelodyNote(0.0, 1.0, 76), 69, A_MINOR) or []] == [76, 74, 72, 71], \
        "down a fourth in A minor, the natural minor's way"
    assert [n.pitch for n in run(MelodyNote(0.0, 1.0, 64), 69, A_MINOR) or []] == [64, 66, 68], \
        "up, the melodic minor's"
    assert run(MelodyNote(0.0, 1.0, 60), 64, C_MAJOR) is None, "a third passes with a dotted figure"
    assert run(MelodyNote(0.0, 1.0, 60), 74, C_MAJOR) is None, "past an octave is no run"


def test_a_sweep_runs_up_into_the_next_note_or_down_where_the_line_falls() -> None:
    notes = sweep(MelodyNote(0.0, 2.0, 60), 62, C_MAJOR)  # C to D: G A B C, up into D
    assert [(n.onset, n.duration, n.pitch) for n in notes] == [
        (0.0, 1.5, 60), (1.5, 0.125, 55), (1.625, 0.125, 57), (1.75, 0.125, 59), (1.875, 0.125, 60)]
    assert [n.pitch for n in sweep(MelodyNote(0.0, 1.0, 72), 71, A_MINOR)][1:] == [77, 76, 74, 72], "down into B"
    assert [n.pitch for n in sweep(MelodyNote(0.0, 1.0, 69), 69, A_MINOR)][1:] == [62, 64, 66, 68], \
        "up into the same A, the melodic minor's way"


def test_a_leap_runs_where_a_step_would_turn() -> None:
    leaping = [MelodyNote(0.0, 2.0, 60), MelodyNote(2.0, 2.0, 67), MelodyNote(4.0, 4.0, 72)]
    sung = ornament(leaping, key=C_MAJOR, bar_length=BAR, beat=BEAT, register=(55, 84), phrase_ends=[4], rate=1.0,
                    seed=0)
    assert [n.pitch for n in sung if n.duration == 0.125] == [62, 64, 65, 69, 71], "C to G, then G to C"


def test_a_dotted_figure_anticipates_a_step_and_passes_through_a_third() -> None:
    quarter = MelodyNote(1.0, 1.0, 60)
    assert [(n.onset, n.duration, n.pitch) for n in dotted(quarter, 62, C_MAJOR) or []] == [
        (1.0, 0.75, 60), (1.75, 0.25, 62)]
    assert [n.pitch for n in dotted(quarter, 64, C_MAJOR) or []] == [60, 62]
    assert dotted(quarter, 67, C_MAJOR) is None, "a leap has no figure"
    assert passing_note(72, 69, A_MINOR) == 71 and passing_note(64, 68, A_MINOR) == 66, "the melodic minor's steps"


def test_every_eligible_note_is_ornamented_at_full_rate_and_the_close_is_left() -> None:
    sung = ornament(LINE, key=C_MAJOR, bar_length=BAR, beat=BEAT, register=(55, 84), phrase_ends=[3], rate=1.0,
                    seed=0)
    assert _contiguous(sung) and sung[-1].onset + sung[-1].duration == 16.0
    assert [n for n in sung if n.onset >= 8.0] == LINE[-3:], "the approach and the close stay as they are"
    short = [n for n in sung if n.duration < 0.5]
    assert short and {n.duration for n in short} <= {0.125, 0.25}
    assert sum(1 for n in sung if n.onset < 8.0) > sum(1 for n in LINE if n.onset < 8.0)


def test_an_ornamented_line_is_not_ornamented_on_its_ornaments() -> None:
    options = {"key": C_MAJOR, "bar_length": BAR, "beat": BEAT, "register": (55, 84), "phrase_ends": [3],
               "rate": 1.0}
    once = ornament(LINE, **options, seed=0)  # type: ignore[arg-type]
    assert ornament(once, **options, seed=1) == once  # type: ignore[arg-type]


def test_no_rate_changes_nothing_and_the_register_holds() -> None:
    assert ornament(LINE, key=C_MAJOR, bar_length=BAR, beat=BEAT, register=(55, 84), phrase_ends=[3], rate=0.0,
                    seed=0) == LINE
    ceiling = max(n.pitch for n in LINE[:5])
    sung = ornament(LINE, key=C_MAJOR, bar_length=BAR, beat=BEAT, register=(55, ceiling), phrase_ends=[3], rate=1.0,
                    seed=0)
    assert max(n.pitch for n in sung) <= ceiling


def test_a_pieces_rate_follows_its_density_and_pieces_differ() -> None:
    rules = style_spec(Style.NOCTURNE).melody
    rates = [ornament_rate(rules, piece_density(piece)) for piece in range(20)]
    assert rates == [ornament_rate(rules, piece_density(piece)) for piece in range(20)]
    assert ornament_rate(rules, 0.0) == rules.ornament_rate[0] < ornament_rate(rules, 0.9)
    assert all(rules.ornament_rate[0] <= rate <= rules.ornament_rate[1] for rate in rates)
    low, high = rules.ornament_rate
    assert max(rates) - min(rates) > 0.5 * (high - low), "some nocturnes are plain, some ornate"


def test_an_ornament_rate_must_be_an_ordered_range_of_chances() -> None:
    rules = style_spec(Style.NOCTURNE).melody
    for wrong in ((0.5, 0.2), (-0.1, 0.5), (0.2, 1.5)):
        with pytest.raises(ValidationError, match="ornamented notes"):
            LineRules.model_validate({**rules.model_dump(), "ornament_rate": wrong})
