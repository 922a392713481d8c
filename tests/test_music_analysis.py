"""Analysis facts the critics read: chord labels from sounding notes, parallel perfects, tendency tones."""

from __future__ import annotations

from fractions import Fraction

from ontology.music import Bar
from tests.test_music_ontology import minuet
from tools.music.analysis import describe_piece, label_chords, parallel_perfects, section_facts


def bar(*notes: tuple[int | None, float]) -> Bar:
    return Bar.line(*notes)


def test_chords_are_named_from_the_notes_that_sound() -> None:
    upper = [bar((64, 2), (67, 2)), bar((65, 2), (69, 2)), bar((67, 1), (71, 1), (74, 1), (65, 1))]
    lower = [bar((48, 4)), bar((53, 4)), bar((43, 4))]
    labels = label_chords([upper, lower], Fraction(4))
    assert [(c.bar, c.beat, c.symbol) for c in labels] == [(1, 1, "C"), (2, 1, "F"), (3, 1, "G"), (3, 4, "G7")]


def test_parallel_fifths_and_octaves_are_found_only_in_similar_motion() -> None:
    top = [(Fraction(0), 67), (Fraction(1), 69), (Fraction(2), 72), (Fraction(3), 71)]
    parallel = [(Fraction(0), 60), (Fraction(1), 62), (Fraction(2), 60), (Fraction(3), 59)]
    assert parallel_perfects(top, parallel, Fraction(4)) == ["fifths into bar 1", "octaves into bar 1"]
    rising = [(Fraction(0), 67), (Fraction(1), 74)]
    falling = [(Fraction(0), 60), (Fraction(1), 55)]  # fifth to twelfth in contrary motion: allowed
    assert parallel_perfects(rising, falling, Fraction(4)) == []


def test_section_facts_count_unresolved_leading_tones_and_rhythms() -> None:
    piece = minuet()
    piece.parts[0].bars[2] = bar((73, 1), (70, 1), (69, 1))  # C# (the leading tone of D minor) falls to B-flat
    facts = section_facts(piece)
    assert facts[1].unresolved_leading_tones == 1 and facts[0].unresolved_leading_tones == 0
    assert facts[0].rhythm_patterns == 2 and facts[0].melody_range == (69, 74)
    text = describe_piece(piece)
    assert "section b (B, bars 3-4, D minor, planned authentic cadence)" in text
