"""Where a keyboard staff's bars are written: clef changes and 8va lines by the notes' ledger lines."""

from __future__ import annotations

import pytest

from tools.music.staff_writing import Writing, ledger_lines, staff_writings

HIGH = [89, 88, 86]  # F6, E6, D6: three ledger lines over the treble staff
MIDDLE = [72, 74, 76]  # C5, D5, E5: on the treble staff
LOW = [55, 57, 59, 57, 55, 53]  # a run round G3, one and two ledger lines under the treble staff


@pytest.mark.parametrize(("midi", "writing", "lines"), [
    (60, Writing.TREBLE, 1), (62, Writing.TREBLE, 0), (79, Writing.TREBLE, 0), (81, Writing.TREBLE, 1),
    (84, Writing.TREBLE, 2), (60, Writing.BASS, 1), (40, Writing.BASS, 1), (43, Writing.BASS, 0),
    (89, Writing.TREBLE_8VA, 0), (98, Writing.TREBLE_8VA, 2),
])
def test_ledger_lines_are_counted_from_the_staffs_outer_lines(midi: int, writing: Writing, lines: int) -> None:
    assert ledger_lines(midi, writing) == lines


def test_a_passage_above_the_staff_goes_under_an_8va_line_and_comes_back() -> None:
    bars = [MIDDLE, HIGH, HIGH, HIGH, MIDDLE, MIDDLE]
    assert staff_writings(bars, "treble") == [Writing.TREBLE] + [Writing.TREBLE_8VA] * 3 + [Writing.TREBLE] * 2


def test_a_right_hand_running_low_changes_to_bass_clef_while_it_stays_there() -> None:
    bars = [LOW, LOW, MIDDLE, MIDDLE]
    assert staff_writings(bars, "treble") == [Writing.BASS, Writing.BASS, Writing.TREBLE, Writing.TREBLE]


def test_one_low_note_or_a_bar_of_rest_changes_nothing() -> None:
    assert staff_writings([MIDDLE, [57], MIDDLE, [], MIDDLE], "treble") == [Writing.TREBLE] * 5
    assert staff_writings([[], [], []], "bass") == [Writing.BASS] * 3
    assert staff_writings([], "treble") == []


def test_a_left_hand_keeps_bass_clef_for_its_usual_range() -> None:
    assert staff_writings([[36, 48, 55], [41, 53, 60], [43, 59, 62]], "bass") == [Writing.BASS] * 3
