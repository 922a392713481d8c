"""Plans edited into their style's form: ternary for chorale, waltz and nocturne, AABB for a jig,
free piano's own sections within bounds; whole phrases adding up to the request; the edits said."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import dspy
import pytest

from agents.composition_studio import plan_task
from ontology.music import Cadence, Piece
from ontology.music_drafts import (
    CHARACTER_CHARS,
    SECTION_PLANS,
    Plan,
    RequestFacts,
    SectionRole,
    facts_from_request,
    fit_sections,
    in_drawn_meter,
    plan_schema,
    plan_to_piece,
    section_motions,
    sections_of,
    with_drawn_meter,
    with_settled,
)
from ontology.music_forms import clean_character, clean_words, edit_plan, form_settles, middles_kept
from ontology.music_styles import PHRASE_BARS, Motion, StyleSpec, motion_named_in, style_spec

WALTZ_SESSION = {  # the plan the 1.5B Composer wrote for examples/compose/waltz (session 23), as it wrote it
    "title": "A Gentle Waltz in G Major", "style": "waltz", "key": "G major", "meter": "3/4", "tempo_bpm": 128,
    "sections": [
        {"label": "A", "share": 1, "key_relation": "home", "cadence": "authentic", "variation": None,
         "character": "A gentle waltz in G major, with a flowing and lyrical melody that builds and soo"},
        {"label": "B prime", "share": 2, "key_relation": "relative", "cadence": "authentic",
         "variation": {"of": "opening", "distance": "near"},
         "character": "A gentle waltz in B major, with a more complex melody and rhythmic patterns that"},
        {"label": "C", "share": 3, "key_relation": "relative", "cadence": "authentic",
         "variation": {"of": "opening", "distance": "far"},
         "character": "A gentle waltz in C major, with a more intricate melody and rhythmic patterns"},
        {"label": "D prime", "share": 2, "key_relation": "home", "cadence": "authentic",
         "variation": {"of": "opening", "distance": "near"},
         "character": "A gentle waltz in D major, with a more complex melody and rhythmic patterns that"}]}


def section(label: str, share: int, relation: str = "home", cadence: str = "authentic",
            variation: dict[str, str] | None = None, character: str = "calm") -> dict[str, Any]:
    return {"label": label, "share": share, "key_relation": relation, "cadence": cadence, "variation": variation,
            "character": character}


def plan(style: str, key: str, meter: str, *sections: dict[str, Any], tempo: int = 90) -> Plan:
    return Plan.model_validate({"title": f"a {style}", "style": style, "key": key, "meter": meter,
                                "tempo_bpm": tempo, "sections": list(sections)})


GOOD = (section("A", 1, cadence="half"), section("B", 1, "home", "half"), section("A'", 2))
BAD = (  # five sections for 16 bars, odd shares, the ends in other keys, closes nobody ends on
    section("Intro", 3, "relative", "deceptive"), section("B prime", 7, "subdominant", "plagal"),
    section("C", 1, "relative", "deceptive", {"of": "previous", "distance": "far"}),
    section("D", 5, "dominant", "authentic"), section("coda", 3, "subdominant", "plagal"))


def form(piece: Piece) -> list[tuple[str, int, str | None, str | None, tuple[str, str] | None]]:
    return [(s.label, s.bars, s.key, s.cadence, (s.variation.of, s.variation.distance) if s.variation else None)
            for s in piece.sections]


def facts(text: str) -> RequestFacts:
    return facts_from_request(text)


@pytest.mark.parametrize(("style", "meter", "key", "contrast"), [
    ("waltz", "3/4", "G major", "D major"), ("nocturne", "4/4", "D minor", "F major"),
    ("waltz", "3/4", "E minor", "G major"), ("chorale", "4/4", "A major", None), ("chorale", "4/4", "E minor", None)])
def test_chorale_waltz_and_nocturne_are_ternary_with_a_middle_on_a_half_close(
        style: str, meter: str, key: str, contrast: str | None) -> None:
    """The fixed bench plan (a middle in the home key) comes out A B A': B closing half, in the
    dominant of a major key or the relative major of a minor one (a chorale's at home); A' home,
    authentic, varying A. An A before a middle in another key closes authentic (the key confirmed
    before it is left), a chorale's keeps the Composer's half close."""
    edited = edit_plan(plan(style, key, meter, *GOOD), facts(f"a {style} in {key}, 16 bars"))
    piece = plan_to_piece(edited)
    opening = "half" if contrast is None else "authentic"
    assert form(piece) == [("A", 4, None, opening, None), ("B", 4, contrast, "half", None),
                           ("A'", 8, None, "authentic", ("s1", "near"))]
    assert piece.total_bars == piece.length_bars == 16
    assert any(edit.startswith("B: key ") for edit in edited.edits) is (contrast is not None)
    assert ("A: close authentic (planned half)" in edited.edits) is (contrast is not None)


@pytest.mark.parametrize(("key", "character", "planned", "contrast"), [
    ("F major", "agitated, restless, urgent", "relative", "F minor"),  # darker: the tonic minor (minore)
    ("Db major", "dark and brooding", "relative", "C# minor"),  # spelled in four sharps, not eight flats
    ("F major", "upbeat, rhythmic", "relative", "C major"),  # brighter: the dominant
    ("D minor", "brighter, hopeful", "relative", "D major"),  # a minor piece's brighter middle: the tonic major
    ("D minor", "tragic, stormy", "relative", "G minor"),  # a minor piece's darker middle: the subdominant
    ("F major", "calm, reflective", "relative", "D minor"),  # no shade: the Composer's key
    ("F major", "not sad but bright", "dominant", "C major"),  # a negated word asks for nothing
    ("F major", "bright yet sad", "parallel", "F minor"),  # words of both: the Composer's key
    ("Bb minor", "calm", "relative", "Db major")])  # the relative major in five flats, not seven sharps
def test_a_contrasting_middle_goes_to_the_key_its_words_shade_asks_for(
        key: str, character: str, planned: str, contrast: str) -> None:
    """A darker middle of a major nocturne in the tonic minor, a brighter one in the dominant, a
    brighter middle of a minor one in the tonic major; otherwise the Composer's key. The small model
    planned every middle in the relative key whatever it called it, so its words decide."""
    middle = section("B", 1, planned, "half", character=character)
    edited = edit_plan(plan("nocturne", key, "4/4", section("A", 1), middle, section("A'", 2)),
                       facts(f"a nocturne in {key}, 16 bars"))
    assert plan_to_piece(edited).sections[1].key == contrast


@pytest.mark.parametrize(("key", "character", "planned", "contrast"), [
    ("F major", "melancholic, wistful", "relative", "D minor"),  # darker: the relative minor, not F minor
    ("A minor", "brighter, hopeful", "relative", "C major"),  # brighter: the relative major, not A major
    ("F major", "calm", "parallel", "D minor"),  # the Composer's parallel key too
    ("F major", "upbeat, rhythmic", "relative", "C major"),  # brighter: the dominant, as a nocturne's
    ("D minor", "tragic, stormy", "relative", "G minor")])  # darker: the subdominant, as a nocturne's
def test_a_waltzs_middle_keeps_to_the_closely_related_keys(
        key: str, character: str, planned: str, contrast: str) -> None:
    """A waltz's contrast goes where its words' shade asks, but never to the tonic's other mode: a
    sixteen-bar dance's middle in the parallel key struck a quarter of its notes outside the home key."""
    middle = section("B", 1, planned, "half", character=character)
    edited = edit_plan(plan("waltz", key, "3/4", section("A", 1), middle, section("A'", 2)),
                       facts(f"a waltz in {key}, 16 bars"))
    assert plan_to_piece(edited).sections[1].key == contrast


def test_a_free_pianos_middle_away_from_home_takes_its_shade_and_one_at_home_stays() -> None:
    edited = edit_plan(plan("free piano", "A major", "4/4", section("A", 1),
                            section("B", 1, "relative", "half", character="excited, nervous, agitated"),
                            section("C", 1, "home", "half", character="dark"), section("A'", 1)),
                       facts("a piano piece in A major, 32 bars"))
    assert [s.key for s in plan_to_piece(edited).sections] == [None, "A minor", None, None]
    assert "B: key parallel (planned relative)" in edited.edits


@pytest.mark.parametrize(("style", "meter", "contrast"), [
    ("chorale", "4/4", None), ("waltz", "3/4", "C major"), ("nocturne", "3/4", "C major")])
@pytest.mark.parametrize("bars", [12, 16, 18, 32])
def test_a_bad_plan_comes_out_in_the_styles_form_in_whole_phrases(
        style: str, meter: str, contrast: str | None, bars: int) -> None:
    """Wrong section count, odd shares, unrelated keys at the ends, closes that end nothing: still
    A B A' in the home key around a dominant middle (a chorale's at home), every section whole
    phrases (the bars past the last phrase extend the close), adding up to the request, the middle
    no longer than the ends."""
    edited = edit_plan(plan(style, "F major", meter, *BAD), facts(f"a {style} in F major, {bars} bars"))
    piece = plan_to_piece(edited)
    assert [(s.label, s.key, s.cadence) for s in piece.sections] == [
        ("A", None, "authentic"), ("B", contrast, "half"), ("A'", None, "authentic")]
    assert piece.sections[2].variation is not None and piece.sections[2].variation.of == "s1"
    lengths = [s.bars for s in piece.sections]
    assert sum(lengths) == bars and all(length % PHRASE_BARS == 0 for length in lengths[:-1])
    assert lengths[-1] - bars % PHRASE_BARS >= PHRASE_BARS
    assert contrast is None or lengths[1] <= min(lengths[0], lengths[2])  # a middle in another key
    assert f"form {'ternary at home' if style == 'chorale' else 'ternary'}: A B A' (planned Intro B prime C D coda)" \
        in edited.edits


def test_the_waltz_sessions_own_plan_is_edited_and_every_edit_is_said() -> None:
    edited = edit_plan(Plan.model_validate(WALTZ_SESSION), facts("a gentle waltz in G major, 16 bars"))
    assert form(plan_to_piece(edited)) == [("A", 4, None, "authentic", None), ("B", 4, "E minor", "half", None),
                                      ("A'", 8, None, "authentic", ("s1", "near"))]
    assert edited.edits == [
        "words cleaned in A, B prime, C, D prime",
        "form ternary: A B A' (planned A B prime C D prime)",
        "B: close half (planned authentic); returns nothing (planned opening (near))",
        "B: 4 bars, not 8 (no longer than the home key's sections)"]
    # a plan saved when characters were asked for up to 80 characters still reads; editing bounds it anew
    assert edited.sections[0].character == "A gentle waltz, with a flowing"
    assert all("major" not in s.character and len(s.character) <= CHARACTER_CHARS for s in edited.sections)


def test_a_short_piece_plays_a_shorter_form() -> None:
    waltz = edit_plan(plan("waltz", "G major", "3/4", *GOOD), facts("a waltz in G major, 8 bars"))
    assert form(plan_to_piece(waltz)) == [("A", 4, None, "half", None), ("A'", 4, None, "authentic", ("s1", "near"))]
    chorale = edit_plan(plan("chorale", "G major", "4/4", *GOOD), facts("a chorale, G major, 6 bars"))
    assert form(plan_to_piece(chorale)) == [("A", 6, None, "authentic", None)]


def test_a_composers_literal_return_stays_a_return() -> None:
    restated = (*GOOD[:2], section("A", 1, variation={"of": "opening", "distance": "restate"}))
    piece = plan_to_piece(edit_plan(plan("nocturne", "Eb major", "4/4", *restated), facts("a nocturne, 12 bars")))
    assert form(piece)[2] == ("A", 4, None, "authentic", ("s1", "restate"))


@pytest.mark.parametrize(("request_text", "meter", "bars", "expected"), [
    ("a jig in D major, 16 bars", "6/8", 16, [("A", None), ("A", ("s1", "restate")), ("B", None),
                                              ("B", ("s3", "restate"))]),
    ("a reel in D major, 16 bars", "4/4", 16, [("A", None), ("A", ("s1", "restate")), ("B", None),
                                               ("B", ("s3", "restate"))]),
    ("a jig in D major, 8 bars", "6/8", 8, [("A", None), ("B", None)])])
def test_a_jig_or_reel_is_two_strains_each_played_twice(request_text: str, meter: str, bars: int,
                                                        expected: list[tuple[str, Any]]) -> None:
    piece = plan_to_piece(edit_plan(plan("jig", "D major", "4/4", *BAD, tempo=174), facts(request_text)))
    assert [(s.label, (s.variation.of, s.variation.distance) if s.variation else None)
            for s in piece.sections] == expected
    assert {(s.key, s.cadence) for s in piece.sections} == {(None, Cadence.AUTHENTIC)}
    assert [s.bars for s in piece.sections] == [bars // len(expected)] * len(expected) and piece.meter == meter


def test_free_piano_keeps_its_own_sections_within_bounds() -> None:
    edited = edit_plan(plan("free piano", "C minor", "4/4", *BAD), facts("a stormy piano piece in C minor, 16 bars"))
    piece = plan_to_piece(edited)
    assert [(s.label, s.key, s.cadence) for s in piece.sections] == [
        ("Intro", None, "authentic"), ("B prime", "F minor", "plagal"), ("coda", None, "authentic")]
    assert [s.bars for s in piece.sections] == [4, 4, 8]  # B prime no longer than the home key's sections
    assert "Intro: key home (planned relative); close authentic (planned deceptive)" in edited.edits
    good = edit_plan(plan("free piano", "C minor", "4/4", *GOOD), facts("a piano piece, 16 bars"))
    assert [e for e in good.edits if not e.startswith("tempo")] == [] and good.sections[1].key_relation == "home"


def test_the_meter_and_tempo_keep_to_the_style_unless_the_request_fixed_them() -> None:
    edited = edit_plan(plan("waltz", "G major", "4/4", *GOOD, tempo=60), facts("a piece in G major"))
    assert (edited.meter, edited.tempo_bpm) == ("3/4", 126)
    assert edited.edits[:2] == ["meter 3/4 (planned 4/4): the waltz's own",
                                "tempo 126 (planned 60): the waltz's range is 126-184"]


def test_words_are_cleaned_and_bounded() -> None:
    assert clean_character("a lively and upbeat dance, playful and c") == "a lively and upbeat dance, playful"
    assert clean_character("A gentle waltz in G major, with a flowin") == "A gentle waltz"
    assert clean_character("stormy, into c# minor") == "stormy"
    assert clean_words("dark\x00\u200b  and  slow\n", 60) == "dark and slow"
    assert clean_words("x" * 70, 60) == "x" * 60
    assert len(clean_words("very " * 30, 60)) <= 60


def test_sections_share_whole_phrases_by_the_nearest_rounding() -> None:
    """A share raised to one phrase gets no spare one before a share further below its exact
    amount (9, 15, 15 of four phrases: 0.92, 1.54, 1.54), and a phrase too many is taken from
    the share furthest above its exact amount."""
    assert fit_sections([9, 15, 15], 16) == [4, 8, 4]  # was 8, 4, 4
    assert fit_sections([1, 1, 1, 6, 7], 24) == [4, 4, 4, 4, 8]
    assert fit_sections([1, 1, 1], 16) == [8, 4, 4] and fit_sections([3, 1], 5) == [4, 1]


def test_the_plan_step_keeps_the_edited_plan_and_the_report_lists_its_edits(tmp_path: Path) -> None:
    from agents.lm.testing import ScriptedEngine, scripted_lm
    from pipelines.compose import ComposeSessions
    from pipelines.compose_graph import ComposeConfig, ComposeDeps, ComposeState
    from pipelines.compose_graph import plan as plan_step
    from tests.compose_script import PLAN
    from tests.music_fakes import ScaleWriter
    from tests.studio_script import reply

    chorale = {**PLAN, "style": "chorale", "title": "Winter  Chorale\t"}
    state = ComposeState(facts=facts("a melancholic chorale for a winter evening, D minor, 12 bars"))
    with dspy.context(lm=scripted_lm(ScriptedEngine(reply("plan", chorale)))):
        update = plan_step(state, ComposeDeps(ScaleWriter(), out_dir=lambda version: tmp_path))
    assert [s.label for s in update["piece"].sections] == ["A", "B", "A'"]
    store = ComposeSessions(tmp_path, ScaleWriter(), config=ComposeConfig(audio=False))
    try:
        store._write_report("edits", state.model_copy(update={**update, "version": 1}))
    finally:
        store.close()
    report = json.loads((tmp_path / "edits" / "v1" / "report.json").read_text())
    assert report["plan"]["title"] == "Winter Chorale" and report["plan"]["edits"] == [  # labels, B's key and
        "title cleaned", "form ternary at home: A B A'",  # close are the form's: not asked, the form still named
        "A': returns opening (near) (planned nothing)"]


@pytest.mark.parametrize(("request_text", "style", "middles"), [
    ("a waltz in G major, 16 bars", "waltz", 1), ("a waltz in G major, 8 bars", "waltz", 0),
    ("a jig in D major, 12 bars", "jig", 1), ("a piano piece in C minor, 16 bars", "free piano", 1),
    ("a piano piece in C minor, 48 bars", "free piano", 3)])
def test_the_plan_asks_for_as_many_middle_sections_as_the_form_keeps(request_text: str, style: str,
                                                                     middles: int) -> None:
    """Each middle section the Composer writes is some 45 generated tokens; one the form drops is waste."""
    asked = facts(request_text)
    assert middles_kept(asked) == middles
    meter = "6/8" if style == "jig" else "3/4" if style == "waltz" else "4/4"
    middle = [section(f"M{n}", 1, character=f"middle {n}") for n in range(middles + 1)]
    edited = edit_plan(plan(style, asked.key or "C major", meter, section("A", 1), *middle, section("Z", 1)), asked)
    kept = {draft.character for draft in edited.sections}
    assert {f"middle {n}" for n in range(middles)} <= kept and f"middle {middles}" not in kept


def test_a_style_left_to_the_composer_gets_the_most_middle_sections_any_style_keeps() -> None:
    assert middles_kept(facts("something calm in A minor, 16 bars")) == 1
    assert middles_kept(facts("something calm in A minor, 64 bars")) == 3


SETTLED_CASES = ["a waltz in G major, 16 bars", "a waltz in G major, 8 bars", "a nocturne in E minor, 32 bars",
                 "a chorale in A major, 12 bars", "a jig in D major, 16 bars", "a reel in G major, 12 bars"]
OTHER = {"label": "Z", "share": 3, "character": "restless", "cadence": "deceptive", "key_relation": "dominant",
         "variation": {"of": "previous", "distance": "far"}}
"""A value for every field of a Composer's section, unlike `section`'s defaults and the forms' values."""


def answer(asked: RequestFacts, changed: Collection[tuple[str, str]] = ()) -> dict[str, Any]:
    """A full plan answer (every field of every section) with the `(role, field)`s in `changed` set to `OTHER`."""
    def part(role: str, base: dict[str, Any]) -> dict[str, Any]:
        return {name: OTHER[name] if (role, name) in changed else value for name, value in base.items()}

    opening = part("opening", {"label": "A", "share": 1, "character": "calm", "cadence": "half"})
    middle = [part("middle", {"label": "B", "share": 2, "character": "flowing", "cadence": "half",
                              "key_relation": "relative", "variation": None})] * middles_kept(asked)
    closing = part("closing", {"label": "C", "share": 1, "character": "home", "cadence": "authentic",
                               "variation": {"of": "opening", "distance": "restate"}})
    style = asked.style or "free piano"
    return {"title": "t", "style": style, "key": asked.key, "meter": "3/4" if style == "waltz" else "6/8"
            if style == "jig" else "4/4", "tempo_bpm": 100, "opening": opening, "middle": middle, "closing": closing}


def edited(asked: RequestFacts, plan_answer: dict[str, Any]) -> list[Any]:
    built = edit_plan(Plan.model_validate({**plan_answer, "sections": sections_of(plan_answer)}), asked)
    return [section.model_dump() for section in built.sections]


@pytest.mark.parametrize("request_text", SETTLED_CASES)
def test_the_plan_does_not_ask_what_the_form_sets_and_still_asks_what_it_keeps(request_text: str) -> None:
    """Every field the form settles is generated tokens (and field notes) the form would throw away:
    whatever the Composer wrote there, the edited plan is the same, so the schema leaves it out and
    the form's value is filled in. Every field still asked changes the edited plan for some answer."""
    asked = facts(request_text)
    settled = form_settles(asked)
    schema = plan_schema(asked, middles_kept(asked), settled).model_json_schema()
    defs = {name: set(model.get("properties", {})) for name, model in schema["$defs"].items()}
    fields: list[tuple[SectionRole, str]] = [("opening", "OpeningSection"), ("middle", "MiddleSection"),
                                              ("closing", "ClosingSection")]
    for role, model in fields:
        asked_fields = defs.get(model, set()) if role in schema["properties"] else set()
        assert not asked_fields & set(settled[role]), role
        for name in asked_fields:
            assert edited(asked, answer(asked, {(role, name)})) != edited(asked, answer(asked)), (role, name)
    everything: set[tuple[str, str]] = {(role, name) for role, values in settled.items() for name in values}
    assert edited(asked, answer(asked, everything)) == edited(asked, answer(asked))
    unasked: dict[str, Any] = {role: {} if role != "middle" else [] for role in settled
                               if role not in schema["properties"]}
    assert edited(asked, with_settled({**answer(asked, everything), **unasked}, settled)) == \
        edited(asked, answer(asked))


def test_free_piano_and_a_style_left_open_settle_nothing() -> None:
    """Without a form (`_bounded`), or before the Composer picks the style, every field is read."""
    assert form_settles(facts("a piano piece in C minor, 16 bars")) == {}
    assert form_settles(facts("something calm in A minor, 16 bars")) == {}


@pytest.mark.parametrize(("request_text", "sections", "varies"), [
    ("a jig in D major, 16 bars", "an opening section and a contrasting middle section.", False),
    ("a waltz in G major, 8 bars", "an opening section and a closing section.", True),
    ("a waltz in G major, 16 bars", "an opening section, a contrasting middle section and a closing section.", True)])
def test_the_plans_task_names_only_the_sections_its_schema_asks(request_text: str, sections: str,
                                                                varies: bool) -> None:
    """Review of session 29: the task always asked for a closing section and a variation, even of a
    jig, whose form closes and returns by itself (its schema asks neither)."""
    asked = facts(request_text)
    task = plan_task(plan_schema(asked, middles_kept(asked), form_settles(asked)), middles_kept(asked))
    assert task.startswith(f"Plan the piece and its form: {sections}") and ("may vary" in task) == varies


@pytest.mark.parametrize("request_text", ["a piano piece in C minor, 16 bars", "a waltz in G major, 16 bars"])
def test_each_asked_section_keeps_its_description_in_the_plan_schema(request_text: str) -> None:
    """Review of session 29: the sections were rebuilt without their docstrings, so the schema the
    Composer reads lost what each section is for; a section with nothing settled is the plan itself."""
    asked = facts(request_text)
    schema = plan_schema(asked, middles_kept(asked), form_settles(asked)).model_json_schema()
    assert any(model.__doc__ for model in SECTION_PLANS.values())
    for role, model in SECTION_PLANS.items():
        assert schema["$defs"][model.__name__].get("description") == model.model_json_schema().get("description"), role


def test_a_sections_motion_is_its_characters_words_else_the_requests() -> None:
    """Session 30's stormy C minor piece, as its Composer planned it: the opening stormy, the middle
    mellow, the last restless; the first and last sections keep the motion the request names, whatever
    their words; a plan whose characters name no motion takes the request's, for every section; words of
    both motions, or a negated one, name none."""
    stormy = plan("free piano", "C minor", "4/4", section("A", 1, character="stormy, chaotic, urgent, dissonant"),
                  section("B", 2, "relative", character="mellow, calming, lyrical"),
                  section("C", 1, character="restless, tense, unpredictable"))
    edited = edit_plan(stormy, facts("a stormy piano piece in C minor, 16 bars"))
    assert section_motions(edited, "a stormy piano piece in C minor, 16 bars") == {
        "s1": Motion.AGITATED, "s2": Motion.GENTLE, "s3": Motion.AGITATED}
    calmed = plan("free piano", "C minor", "4/4", section("A", 2, character="powerful, intense, energetic"),
                  section("B", 1, "relative", character="calm, contemplative"),
                  section("Coda", 1, character="gentle, reflective"))
    edited = edit_plan(calmed, facts("a stormy piano piece in C minor, 16 bars"))
    assert section_motions(edited, "a stormy piano piece in C minor, 16 bars") == {  # session 32's example: it
        "s1": Motion.AGITATED, "s2": Motion.GENTLE, "s3": Motion.AGITATED}  # closes as the request asks
    assert section_motions(edited, "a piano piece in C minor, 16 bars") == {
        "s1": Motion.AGITATED, "s2": Motion.GENTLE, "s3": Motion.GENTLE}
    plain = edit_plan(plan("free piano", "F major", "4/4", *GOOD), facts("a piano piece in F major"))
    plain = plain.model_copy(update={"sections": [s.model_copy(update={"character": "the tune"})
                                                  for s in plain.sections]})
    assert set(section_motions(plain, "a gentle piano piece in F major").values()) == {Motion.GENTLE}
    assert set(section_motions(plain, "a piano piece in F major").values()) == {None}
    assert [motion_named_in(text) for text in ("a calm opening before the storm", "not stormy", "Gently rocking",
                                               "AGITATED", "restless")] == [None, None, Motion.GENTLE,
                                                                             Motion.AGITATED, Motion.AGITATED]


def test_a_chorale_whose_request_names_no_meter_is_written_in_3_4_as_often_as_bachs() -> None:
    """Bach's thirty reference chorales are 4 in 3/4; a small Composer picked 4/4 twenty times of twenty.
    Consecutive seeds hold the shares to within a piece; seed 0, the default, keeps common time."""
    chorale = style_spec("chorale")
    meters = [chorale.drawn_meter(seed) for seed in range(60)]
    assert meters[0] == "4/4" and set(meters) == {"4/4", "3/4"}
    assert all(abs(meters[start:start + 30].count("3/4") - 4) <= 1 for start in range(0, 31, 10))
    assert style_spec("waltz").drawn_meter(3) is None  # a style with no shares leaves the Composer's meter
    nocturnes = [style_spec("nocturne").drawn_meter(seed) for seed in range(32)]  # his slow movements
    assert abs(nocturnes.count("3/4") - 11) <= 1
    free = [style_spec("free piano").drawn_meter(seed) for seed in range(31)]  # Beethoven's 32 first movements
    assert {meter: free.count(meter) for meter in ("4/4", "3/4", "2/4", "6/8")} == {"4/4": 13, "3/4": 8, "2/4": 8,
                                                                                 "6/8": 2}


def test_a_drawn_meter_is_only_for_a_named_style_with_no_meter_asked() -> None:
    seed = next(seed for seed in range(30) if style_spec("chorale").drawn_meter(seed) == "3/4")
    assert with_drawn_meter(facts_from_request("a chorale in A major"), seed).meter == "3/4"
    assert with_drawn_meter(facts_from_request("a chorale in A major, 4/4"), seed).meter == "4/4"
    assert with_drawn_meter(facts_from_request("a piece in A major"), seed).meter is None
    schema = plan_schema(with_drawn_meter(facts_from_request("a chorale in A major"), seed))
    assert schema.model_json_schema()["properties"]["meter"]["const"] == "3/4"


def test_a_composer_choosing_the_style_writes_a_meter_drawn_for_it_unless_it_chose_one() -> None:
    """Where the request names no style, the Composer's plan in its style's usual meter (or one the
    style is not written in) takes the meter drawn for the session; another of the style's meters stands."""
    seed = next(seed for seed in range(30) if style_spec("free piano").drawn_meter(seed) == "2/4")
    free = facts_from_request("a piece in A major")
    usual = plan("free piano", "A major", "4/4", section("A", 1), section("A'", 1))
    drawn = in_drawn_meter(usual, free, seed)
    assert drawn.meter == "2/4" and drawn.edits == ["meter 2/4 (planned 4/4): drawn as the free piano's references are"]
    assert in_drawn_meter(usual.model_copy(update={"meter": "5/4"}), free, seed).meter == "2/4"
    assert in_drawn_meter(usual.model_copy(update={"meter": "3/4"}), free, seed).meter == "3/4"  # its choice
    assert in_drawn_meter(usual, facts_from_request("a piano piece in A major"), seed) == usual  # style named
    assert in_drawn_meter(usual, facts_from_request("a piece in A major, 4/4"), seed) == usual  # meter named
    assert in_drawn_meter(plan("waltz", "A major", "3/4", section("A", 1)), free, seed).meter == "3/4"  # no shares


def test_meter_shares_name_only_the_styles_meters() -> None:
    raw = style_spec("chorale").model_dump()
    with pytest.raises(ValueError, match="meter_shares"):
        StyleSpec.model_validate({**raw, "meter_shares": {"6/8": 1.0}})
