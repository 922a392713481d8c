"""The music ontology: parsing keys, meters and chords; validators on good and broken pieces."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ontology.music import INSTRUMENTS, Bar, ChordEvent, Event, Piece
from ontology.music_theory import Mode, MusicTheoryError, parse_chord, parse_key, parse_meter
from ontology.music_validators import validate_piece


def test_keys_meters_and_chords_parse_in_the_forms_musicians_write() -> None:
    assert parse_key("D minor") == parse_key("dm") == parse_key("D min")
    assert parse_key("Bb").mode is Mode.MAJOR and parse_key("Bb").name == "Bb major"
    assert parse_key("E- major") == parse_key("Eb major")
    assert parse_meter("6/8").bar_quarters == 3 and parse_meter("C").name == "4/4"
    assert parse_chord("A7").pitch_classes() == {9, 1, 4, 7}
    assert parse_chord("Bbmaj7").symbol == "Bbmaj7"
    for bad_key in ("H major", "D dorian", ""):
        with pytest.raises(MusicTheoryError, match="Unknown key"):
            parse_key(bad_key)
    for bad_meter in ("3/5", "0/4", "waltz"):
        with pytest.raises(MusicTheoryError):
            parse_meter(bad_meter)
    with pytest.raises(MusicTheoryError, match="Unknown chord"):
        parse_chord("Xm")


def codes(piece: Piece) -> list[str]:
    return [finding.code for finding in validate_piece(piece)]


def test_a_well_formed_piece_has_no_findings(minuet: Piece) -> None:
    assert validate_piece(minuet) == []


def test_impossible_requests_are_refused_by_the_schema(minuet: Piece) -> None:
    data = minuet.model_dump()
    for change in ({"key": "Q minor"}, {"meter": "7/3"}, {"tempo_bpm": -60},
                   {"sections": [{"id": "a", "label": "A", "bars": 10_000}]}):
        with pytest.raises(ValidationError):
            Piece.model_validate({**data, **change})


def test_bars_that_do_not_fill_the_meter_are_errors_but_an_upbeat_is_not(minuet: Piece) -> None:
    piece = minuet
    piece.parts[0].bars[2].voices[0].pop()  # bar 3 now has two beats
    piece.parts[1].bars[0].voices[0][0].duration = 1  # bar 1: an upbeat of one beat
    findings = validate_piece(piece)
    assert [(f.code, f.path, f.owner) for f in findings] == [
        ("bar_does_not_fill_meter", "parts[0].bars[2]", "Arranger")]
    assert "short: 2 quarters where 3/4 needs 3" in findings[0].message


def test_notes_outside_the_instrument_range_are_errors(minuet: Piece) -> None:
    piece = minuet.model_copy(update={"instruments": [INSTRUMENTS["soprano"], INSTRUMENTS["piano_left"]]})
    piece.parts[0].instrument = "soprano"
    assert codes(piece) == []  # the melody lies within the soprano's 60-81
    piece.parts[0].bars[3].voices[0][0].pitches = [55]
    assert codes(piece) == ["note_out_of_range"]
    assert "pitch 55 in bar 4" in validate_piece(piece)[0].message


def test_voices_of_a_bar_must_each_fill_it_and_chords_are_checked_pitch_by_pitch(minuet: Piece) -> None:
    piece = minuet
    piece.parts[1].bars[1] = Bar(voices=[[Event(pitches=[45, 52], duration=3)], [Event(pitches=[33], duration=2)]])
    piece.parts[1].bars[2] = Bar(voices=[[Event(pitches=[45, 130 - 10], duration=3)]])
    findings = validate_piece(piece)
    assert [(f.code, f.path) for f in findings] == [
        ("bar_does_not_fill_meter", "parts[1].bars[1]"), ("note_out_of_range", "parts[1].bars[2]")]
    assert "(voice 2) is short" in findings[0].message


def test_sections_must_add_up_to_the_requested_length_and_the_parts(minuet: Piece) -> None:
    piece = minuet
    piece.sections[1].bars = 3
    assert sorted(set(codes(piece))) == ["length_mismatch", "part_length_mismatch"]
    owners = {f.code: f.owner for f in validate_piece(piece)}
    assert owners == {"length_mismatch": "Composer", "part_length_mismatch": "Arranger"}


def test_chords_outside_the_key_are_flagged_unless_marked_borrowed(minuet: Piece) -> None:
    piece = minuet
    piece.harmony[1] = ChordEvent(bar=2, beat=1, symbol="E")  # G# is outside D minor
    assert codes(piece) == ["chord_outside_key", "cadence_not_realised"]
    piece.harmony[1] = ChordEvent(bar=2, beat=1, symbol="Eb", borrowed=True)  # a Neapolitan, on purpose
    assert "chord_outside_key" not in codes(piece)


def test_cadences_must_be_realised_where_the_form_puts_them(minuet: Piece) -> None:
    piece = minuet
    piece.harmony[3] = ChordEvent(bar=4, beat=1, symbol="Bb")  # V -> VI: deceptive, not authentic
    findings = validate_piece(piece)
    assert [f.code for f in findings] == ["cadence_not_realised"]
    assert "authentic cadence in D minor" in findings[0].message and findings[0].owner == "Harmonist"
    piece.harmony[3] = ChordEvent(bar=4, beat=1, symbol="D", borrowed=True)  # the tierce de Picardie
    assert codes(piece) == [], "a minor piece may close on its major tonic"
    piece.harmony[3] = ChordEvent(bar=4, beat=1, symbol="Bb")
    piece.sections[1].cadence = "deceptive"
    assert codes(piece) == ["no_final_cadence"]


def test_harmony_must_be_ordered_and_inside_the_bar(minuet: Piece) -> None:
    piece = minuet
    piece.harmony[2] = ChordEvent(bar=1, beat=4, symbol="A7")
    assert codes(piece)[:2] == ["beat_outside_bar", "harmony_out_of_order"]


def test_parts_must_name_listed_instruments_and_ids_must_be_unique(minuet: Piece) -> None:
    piece = minuet
    piece.parts[1].instrument = "cello"
    piece.parts[1].id = "rh"
    assert sorted(codes(piece)) == ["dangling_reference", "duplicate_id"]


def test_the_plan_schema_fixes_the_request_facts_and_a_closing_full_cadence(compose_plan: dict[str, Any]) -> None:
    from ontology.music_drafts import facts_from_request, fit_sections, plan_schema, sections_of
    from tests.music_plans import piece_of

    facts = facts_from_request("a piano piece in D minor, 12 bars")
    schema = plan_schema(facts)
    schema.model_validate(compose_plan)
    for wrong in ({**compose_plan, "key": "E major"},
                  {**compose_plan, "closing": {**compose_plan["closing"], "cadence": "half"}}):
        with pytest.raises(ValidationError):
            schema.model_validate(wrong)
    plan = {**compose_plan, "sections": sections_of(compose_plan)}
    piece = piece_of(plan, facts)
    assert [(s.bars, s.key, s.cadence) for s in piece.sections] == [
        (4, None, "half"), (4, "F major", "authentic"), (4, None, "authentic")]
    assert fit_sections([3, 1], 5) == [4, 1] and sum(fit_sections([1, 1, 1], 16)) == 16


def test_sections_are_whole_phrases_and_a_short_piece_has_few_of_them() -> None:
    from ontology.music_drafts import fit_sections, max_sections

    assert fit_sections([1, 1, 1], 16) == [8, 4, 4] and fit_sections([1, 2, 1], 16) == [4, 8, 4]
    assert fit_sections([1, 1], 18) == [8, 10]  # the bars past the last whole phrase extend the close
    assert fit_sections([1, 1, 1], 6) == [2, 2, 2]  # fewer phrases than sections: single bars
    assert [max_sections(n) for n in (4, 8, 12, 16, 32, 64)] == [1, 2, 3, 3, 4, 6]


def test_the_style_a_request_names_bounds_the_plan_and_a_jig_plays_each_strain_twice(
        compose_plan: dict[str, Any]) -> None:
    from ontology.music_drafts import facts_from_request, plan_schema, sections_of
    from tests.music_plans import piece_of

    assert facts_from_request("an Irish jig in G major").style == "jig"
    assert facts_from_request("a reel in D major").meter == "4/4"
    assert facts_from_request("a hymn for a winter evening").style == "chorale"
    assert facts_from_request("a piece, 16 bars").style is None
    assert facts_from_request("a piano piece, 16 bars").style == "free piano"
    assert facts_from_request("a chorale prelude on a winter hymn").style == "free piano"
    waltz = facts_from_request("a gentle waltz in D major, 16 bars")
    schema = plan_schema(waltz)
    plan = {**compose_plan, "key": "D major", "style": "waltz", "meter": "3/4", "tempo_bpm": 150}
    schema.model_validate(plan)
    for wrong in ({**plan, "style": "jig"}, {**plan, "meter": "4/4"}, {**plan, "tempo_bpm": 60}):
        with pytest.raises(ValidationError):
            schema.model_validate(wrong)
    piece = piece_of({**plan, "sections": sections_of(plan)}, waltz)
    assert piece.style == "waltz" and [s.bars for s in piece.sections] == [8, 4, 4]
    long_middle = {**plan, "middle": [{**plan["middle"][0], "share": 4}]}  # B minor planned four times as long
    piece = piece_of({**long_middle, "sections": sections_of(long_middle)}, waltz)
    assert [(s.bars, s.key) for s in piece.sections] == [(4, None), (4, "B minor"), (8, None)]  # B's bars to A'
    chosen = facts_from_request("a piece in D major, 16 bars")  # the Composer chose a waltz in 4/4 at 60
    piece = piece_of({**plan, "meter": "4/4", "tempo_bpm": 60, "sections": sections_of(plan)}, chosen)
    assert (piece.meter, piece.tempo_bpm) == ("3/4", 126)  # kept inside the style
    jig = facts_from_request("a jig in E minor, 6/8, 16 bars")
    piece = piece_of({**plan, "style": "jig", "meter": "6/8", "sections": sections_of(plan)}, jig)
    assert [(s.label, s.bars, s.variation.of if s.variation else None) for s in piece.sections] == [
        ("A", 4, None), ("A", 4, "s1"), ("B", 4, None), ("B", 4, "s3")]
    assert [i.id for i in piece.instruments] == ["violin"]
