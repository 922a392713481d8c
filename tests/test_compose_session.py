"""Composition sessions on a scripted LM and a deterministic section writer: planning, repair by
best-of-N, critique, feedback turns, branching, and resuming after a killed process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dspy
import music21
import pytest

from agents.composition_studio import CompositionStudio
from agents.lm.accounted import AccountedLM
from agents.lm.testing import ScriptedEngine, scripted_lm
from ontology.core import Severity
from ontology.music import INSTRUMENTS, Bar, Cadence, Event, Piece, Section, Variation
from ontology.music_drafts import MusicRequestError, facts_from_request
from ontology.music_styles import Motion, Reach
from pipelines import compose_graph as graph
from pipelines.checkpoints import InvalidRunIdError
from pipelines.compose import ComposeSessions, SessionError
from pipelines.compose_graph import Change, ComposeConfig, ComposeDeps, ComposeState, Material, SectionParams
from tests.compose_script import PLAN, REQUEST
from tests.music_fakes import ScaleWriter
from tests.studio_script import reply
from tools.music.section_tools import SectionMaterial

NO_CHANGES = {"changes": []}


def sessions(root: Path, *replies: str, writer: ScaleWriter | None = None,
             config: ComposeConfig | None = None) -> tuple[ComposeSessions, ScriptedEngine, ScaleWriter]:
    engine = ScriptedEngine(*replies)
    lm = scripted_lm(engine)
    writer = writer or ScaleWriter()
    store = ComposeSessions(root, writer, config=config or ComposeConfig(audio=False), lm=lm)
    return store, engine, writer


def first_turn() -> list[str]:
    return [reply("plan", PLAN), reply("theory_critic", NO_CHANGES), reply("listener_critic", NO_CHANGES)]


def test_each_section_is_written_in_the_motion_its_words_or_the_requests_ask_for(tmp_path: Path) -> None:
    stormy = {**PLAN, "opening": {**PLAN["opening"], "character": "stormy, urgent"},
              "middle": [{**PLAN["middle"][0], "character": "gentle, warmer"}]}
    store, _, writer = sessions(tmp_path, reply("plan", stormy), reply("theory_critic", NO_CHANGES),
                                reply("listener_critic", NO_CHANGES))
    store.start(REQUEST, seed=1, session="storm")
    assert [r.motion for r in writer.requests[:3]] == [Motion.AGITATED, Motion.GENTLE, None]
    store, _, writer = sessions(tmp_path / "restless", *first_turn())
    store.start("a restless piano piece, D minor, 4/4, 12 bars", seed=1, session="restless")
    assert {r.motion for r in writer.requests} == {Motion.AGITATED}
    assert {r.reach for r in writer.requests} == {None}


def test_every_section_ranges_as_far_as_the_requests_words_ask(tmp_path: Path) -> None:
    """The compass is the piece's, so the request's words choose its part (a gentle piece the lower),
    not a section's character: the plan's "stormy" opening leaves the gentle request's reach alone."""
    stormy = {**PLAN, "opening": {**PLAN["opening"], "character": "stormy, urgent"}}
    store, _, writer = sessions(tmp_path, reply("plan", stormy), reply("theory_critic", NO_CHANGES),
                                reply("listener_critic", NO_CHANGES))
    store.start("a gentle piano piece, D minor, 4/4, 12 bars", seed=1, session="gentle")
    assert {r.reach for r in writer.requests} == {Reach.MODEST}


def test_a_session_plans_realises_repairs_and_renders(tmp_path: Path) -> None:
    store, engine, writer = sessions(tmp_path, *first_turn())
    session, state = store.start(REQUEST, seed=1, session="winter")
    assert session == "winter" and state.version == 1
    assert state.rendered is not None
    piece = json.loads(state.rendered.midi.with_name("piece.json").read_text())
    assert [s["bars"] for s in piece["sections"]] == [4, 4, 4] and piece["sections"][1]["key"] == "F major"
    # section 3 missed its authentic cadence (seed 1202); the repair wrote three candidates and the
    # validators kept the one that closes V -> i
    assert [(c.section, c.reason, c.action) for c in state.changes] == [
        ("s3", "validation", "strengthen_cadence")]
    assert [r.seed for r in writer.requests] == [1000, 1101, 1202, 2202, 2203, 2204]
    # each section is told where it lies in the piece (where its melody's register plan puts it)
    assert [r.place for r in writer.requests[:3]] == [(0.0, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1.0)]
    # the fake's sections are written apart: the octaves into s3 are said to the critics, not repaired
    assert [(f.code, f.severity) for f in state.findings] == [("parallels_across_join", Severity.INFO)]
    score = music21.converter.parse(state.rendered.musicxml)
    assert [len(p.getElementsByClass("Measure")) for p in score.parts] == [12, 12]
    report = json.loads((tmp_path / "winter" / "v1" / "report.json").read_text())
    assert report["request"] == REQUEST and report["runs"][0]["model_calls"] == 3
    assert report["tool_calls"] and report["plan"]["title"] == "Winter Chorale"
    first_request = engine.requests[0].messages[-1].text
    assert "D minor" in first_request and "bars=12" in first_request


def test_the_second_critic_reads_the_analysis_in_the_first_critics_turn_rather_than_again(tmp_path: Path) -> None:
    store, engine, _ = sessions(tmp_path, *first_turn())
    _, state = store.start(REQUEST, seed=1, session="winter")
    theory, listener = engine.requests[1].messages, engine.requests[2].messages
    assert "Analysis:" in theory[-1].text and "listening (free piano)" in theory[-1].text
    assert "listening (free piano)" not in listener[-1].text
    assert "the turn above" in listener[-1].text
    assert sum(message.text.count("listening (free piano)") for message in listener) == 1  # it is still read
    assert len(listener[-1].text) < len(theory[-1].text) / 2
    resumed = CompositionStudio(state.facts, transcript=state.transcript[:2])  # a resumed session knows it too
    assert resumed.conversation.said(graph.describe_form(graph.drafted(state)))


def test_each_request_carries_what_changes_the_music_and_says_nothing_twice(tmp_path: Path) -> None:
    """Every prompt token is time on the embedded model: field notes are given once a conversation, none
    for a field the schema fixes or a DSPy placeholder, and the plan asks for no middle section the form
    would drop; the request's facts, the analysis and the musician's words still reach the model. The
    actions and the notes on a change's fields are the preamble's, the same in every session (the
    embedded engine keeps it between processes), so no critic's or revision's turn repeats them."""
    no_changes = {"revision": {"changes": {"changes": []}, "tempo": {"tempo_bpm": None}}}
    store, engine, _ = sessions(tmp_path, *first_turn(), json.dumps(no_changes))
    store.start(REQUEST, seed=1, session="winter")
    store.continue_with("winter", "darker, slower ending")
    plan, theory, listener, revision = (request.messages[-1].text for request in engine.requests)
    assert f"## request\n{REQUEST}" in plan and "key=D minor" in plan and "bars=12" in plan
    assert "a contrasting middle section and a closing section" in plan  # 12 bars breathe in one middle
    assert "key: home key" not in plan and "tempo_bpm: quarter notes per minute" in plan
    assert "section s1 (A, bars 1-4, D minor" in theory and "listening (free piano)" in theory
    assert "Field notes" not in theory and "Field notes" not in listener
    assert "darker, slower ending" in revision and "Current draft:\nWinter Chorale: D minor" in revision
    assert "Actions:" not in revision and "The actions are those above." in revision
    assert "Field notes: bars: the section's new length in bars" in revision  # only the notes not yet given
    assert "section: the section to change" not in revision
    system = {_system(request) for request in engine.requests}
    assert len(system) == 1 and "Actions: regenerate" in system.pop()
    assert not any("Actions:" in request.messages[-1].text for request in engine.requests)
    assert not any("${" in request.messages[-1].text for request in engine.requests)


def test_a_request_naming_no_meter_is_planned_in_the_meter_drawn_for_its_seed(tmp_path: Path) -> None:
    """A small Composer picks the first meter offered every time; the session's seed draws it instead, in
    the style's reference shares (free piano seed 1: 3/4), and the Composer is told it as a fixed fact."""
    store, engine, _ = sessions(tmp_path, reply("plan", {**PLAN, "meter": "3/4"}),
                                reply("theory_critic", NO_CHANGES), reply("listener_critic", NO_CHANGES))
    _, state = store.start("a melancholic piano piece, D minor, 12 bars", seed=1, session="drawn")
    assert state.plan is not None and state.plan.meter == "3/4" and state.facts.meter is None
    assert "meter=3/4" in engine.requests[0].messages[-1].text
    assert not any("meter 3/4 (planned" in edit for edit in state.plan.edits)


def test_a_request_naming_no_style_has_the_composers_usual_meter_drawn_for_the_style_it_chose(tmp_path: Path) -> None:
    """Without a style named the Composer chooses the style and may write any meter; its style's usual
    one (a free piano's 4/4) is the meter no one chose, so the seed draws it after the plan."""
    store, engine, _ = sessions(tmp_path, reply("plan", PLAN), reply("theory_critic", NO_CHANGES),
                                reply("listener_critic", NO_CHANGES))
    _, state = store.start("a melancholic piece, D minor, 12 bars", seed=1, session="chosen")
    assert state.plan is not None and state.plan.style == "free piano" and state.plan.meter == "3/4"
    assert "meter 3/4 (planned 4/4): drawn as the free piano's references are" in state.plan.edits
    assert state.piece is not None and state.piece.meter == "3/4"
    assert "meter=" not in engine.requests[0].messages[-1].text  # the Composer was free to choose


def _system(request: Any) -> str:
    return request.system if isinstance(request.system, str) else "".join(part.text for part in request.system)


def test_facts_in_the_request_are_fixed_in_the_plan_schema(tmp_path: Path) -> None:
    wrong_key = {**PLAN, "key": "E major"}
    store, _, _ = sessions(tmp_path, reply("plan", wrong_key), reply("plan", wrong_key))
    from agents.lm.errors import StructuredOutputError

    with pytest.raises(StructuredOutputError):
        store.start(REQUEST, session="strict")


def test_impossible_requests_are_refused_before_any_model_call() -> None:
    for request, message in (("a 10,000-bar symphony", "10,000 bars"), ("a waltz in H minor", "Unknown key"),
                             ("a march at tempo -90", "unplayable"), ("   ", "empty")):
        with pytest.raises(MusicRequestError, match=message):
            facts_from_request(request)


def test_a_bar_count_is_read_as_the_whole_number_written_or_refused() -> None:
    for request, bars in (("a waltz, 16 bars", 16), ("a 12-bar blues", 12), ("a jig of 8 measures", 8),
                          ("op. 2, 24 bars", 24), ("a reel, 32bars", 32)):
        assert facts_from_request(request).bars == bars, request
    for request, written in (("a waltz, 1e3 bars", "'1e3'"), ("a waltz, 16.5 bars", "'16.5'"),
                             ("a waltz, 0x10 bars", "'0x10'"), ("a waltz, 8-16 bars", "'8-16'")):
        with pytest.raises(MusicRequestError, match=f"asks for {written} bars, which is not a whole number"):
            facts_from_request(request)


def test_feedback_changes_only_the_sections_it_names(tmp_path: Path) -> None:
    revision = {"revision": {"changes": {"changes": [
        {"section": "s3", "problem": "the ending is too bright", "action": "simpler", "cadence": "plagal"}]},
        "tempo": {"tempo_bpm": 60}}}
    store, _, writer = sessions(tmp_path, *first_turn(), json.dumps(revision))
    _, first = store.start(REQUEST, seed=1, session="winter")
    untouched = first.sections["s1"].material
    calls_before = len(writer.requests)
    state = store.continue_with("winter", "darker, slower ending")
    assert state.version == 2 and state.feedback == ["darker, slower ending"]
    assert state.sections["s1"].material == untouched
    assert {r.key for r in writer.requests[calls_before:]} == {"D minor"}  # only section 3 was rewritten
    assert state.piece is not None
    assert state.piece.sections[2].cadence == "plagal" and state.piece.tempo_bpm == 60
    assert state.sections["s3"].temperature < 1.0
    assert (tmp_path / "winter" / "v2" / "piece.mid").is_file()


def test_a_branch_keeps_the_original_session_as_it_was(tmp_path: Path) -> None:
    revision = {"revision": {"changes": {"changes": [
        {"section": "s2", "problem": "too plain", "action": "more_variety", "cadence": None}]},
        "tempo": {"tempo_bpm": None}}}
    store, _, _ = sessions(tmp_path, *first_turn(), json.dumps(revision))
    store.start(REQUEST, seed=1, session="winter")
    branch, state = store.branch("winter", "more motion in the middle")
    assert branch.startswith("winter-b") and state.version == 2 and state.branched_from == "winter"
    assert store.state("winter").version == 1 and store.state("winter").feedback == []
    with pytest.raises(SessionError, match="No session"):
        store.state("nope")


@pytest.mark.parametrize("bad", ["../escape", "/tmp/escape", "Winter", "a" * 65])
def test_a_session_id_that_is_not_a_plain_name_is_refused_before_any_work(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "root"
    store, engine, writer = sessions(root, *first_turn())
    for command in (lambda: store.start(REQUEST, session=bad), lambda: store.state(bad),
                    lambda: store.next_step(bad), lambda: store.continue_with(bad, "darker"),
                    lambda: store.resume(bad), lambda: store.branch(bad, "darker")):
        with pytest.raises(InvalidRunIdError, match="not a plain name"):
            command()
    assert engine.requests == [] and writer.requests == []
    assert [p.name for p in tmp_path.iterdir()] == ["root"] and [p.name for p in root.iterdir()] == ["sessions.sqlite"]


@pytest.mark.parametrize("argv", [["resume", "../escape"], ["show", "/etc"],
                                  ["a waltz in G major, 8 bars", "--session", "../../escape"]])
def test_the_command_line_refuses_an_unsafe_session_id_before_the_model_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    from pipelines import compose

    def no_model(*_: Any, **__: Any) -> Any:
        raise AssertionError("the model and tools must not load for an invalid session id")

    monkeypatch.setattr(compose, "default_tools", no_model)
    monkeypatch.setattr(compose, "build_lm", no_model)
    assert compose.main([*argv, "--root", str(tmp_path / "root")]) == 2
    assert "not a plain name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failing_tool_leaves_the_session_resumable_at_the_last_good_step(tmp_path: Path) -> None:
    store, _, _ = sessions(tmp_path, *first_turn(), writer=ScaleWriter(fail_on_call=2))
    with pytest.raises(RuntimeError, match="scripted tool failure"):
        store.start(REQUEST, seed=1, session="winter")
    state = store.state("winter")
    assert store.next_step("winter") == "realise" and state.sections["s1"].material is not None
    with pytest.raises(SessionError, match="resume"):
        store.continue_with("winter", "anything")
    resumed, _, writer = sessions(tmp_path, reply("theory_critic", NO_CHANGES), reply("listener_critic", NO_CHANGES))
    final = resumed.resume("winter")
    assert final.version == 1 and final.sections["s1"] == state.sections["s1"]
    assert writer.requests[0].key == "F major"  # it started with section 2


KILLED = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from agents.lm.testing import ScriptedEngine, scripted_lm
    from pipelines.compose import ComposeSessions
    from pipelines.compose_graph import ComposeConfig
    from tests.compose_script import PLAN, REQUEST
    from tests.music_fakes import ScaleWriter
    from tests.studio_script import reply

    class DiesOnSecondSection(ScaleWriter):
        def realise(self, request):
            if len(self.requests) == 1:
                os._exit(9)  # the process is killed mid-session: no cleanup, no exception handling
            return super().realise(request)

    lm = scripted_lm(ScriptedEngine(reply("plan", PLAN)))
    store = ComposeSessions(Path({root!r}), DiesOnSecondSection(), config=ComposeConfig(audio=False), lm=lm)
    store.start(REQUEST, seed=1, session="killed")
""")


def test_a_killed_process_resumes_without_losing_finished_steps(tmp_path: Path) -> None:
    repo = str(Path(__file__).resolve().parents[1])
    result = subprocess.run([sys.executable, "-c", KILLED.format(repo=repo, root=str(tmp_path))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr[-2000:]
    store, _, writer = sessions(tmp_path, reply("theory_critic", NO_CHANGES), reply("listener_critic", NO_CHANGES))
    before = store.state("killed")
    assert store.next_step("killed") == "realise" and before.plan is not None
    assert before.plan.title == "Winter Chorale"
    assert before.sections["s1"].material is not None and before.sections["s2"].material is None
    final = store.resume("killed")
    assert final.version == 1 and final.sections["s1"].material == before.sections["s1"].material
    assert writer.requests[0].key == "F major"


RETURNING_PLAN = {**PLAN, "closing": {**PLAN["closing"], "variation": {"of": "opening", "distance": "near"}}}


def features(material: Material | SectionMaterial | None, key: str = "D minor"):
    from fractions import Fraction

    from ontology.music_theory import parse_key
    from tools.music.features import material_features

    assert material is not None
    return material_features(material.right, material.left, parse_key(key), Fraction(4))


def test_a_closing_section_returns_to_the_opening_through_the_variations_tool(tmp_path: Path) -> None:
    import numpy as np

    from tools.music.section_tools import SectionRequest
    from tools.music.variations import transpose_by

    store, _, writer = sessions(tmp_path, reply("plan", RETURNING_PLAN), reply("theory_critic", NO_CHANGES),
                                reply("listener_critic", NO_CHANGES))
    _, state = store.start(REQUEST, seed=1, session="returns")
    assert state.piece is not None and state.piece.sections[2].variation == Variation(of="s1", distance="near")
    calls = [c for c in state.tool_calls if c.tool == "som_variations"]
    assert calls and all(c.arguments["source"] == "s1" and c.arguments["distance"] == "near" for c in calls)
    assert "feature distance to the source" in calls[-1].summary
    source, chosen = state.sections["s1"].material, state.sections["s3"].material
    assert source is not None
    prompts = {shift: [transpose_by(bar, shift) for bar in source.right[:2]] for shift in (12, -12)}
    # a partial rewrite, continuing the opening restated an octave away (a free piano's return)
    used = [shift for shift, prompt in prompts.items() if any(r.previous_right == prompt and r.bars == 2
                                                              for r in writer.requests)]
    assert used
    fresh = [ScaleWriter().write(SectionRequest(bars=4, key="D minor", meter="4/4", style="free piano",
                                                cadence="authentic", seed=seed))
             for seed in range(1200, 1206)]
    # the features hear register: the return is the opening moved by the octave its candidates were written at
    opening = source.model_copy(update={"right": [transpose_by(bar, used[0]) for bar in source.right]})
    to_source = np.linalg.norm(features(chosen) - features(opening))
    assert to_source < 0.6 * np.mean([np.linalg.norm(features(f) - features(opening)) for f in fresh])
    assert not [f for f in state.findings if f.severity == "error"]
    report = json.loads((tmp_path / "returns" / "v1" / "report.json").read_text())
    assert any(c["tool"] == "som_variations" for c in report["tool_calls"])
    assert (tmp_path / "returns" / "v1" / "piece.mid").is_file()


def test_feedback_can_ask_for_a_return_and_a_variation_follows_its_rewritten_source(tmp_path: Path) -> None:
    vary = {"revision": {"changes": {"changes": [
        {"section": "s3", "problem": "no return", "action": "vary", "cadence": None, "variation_of": "s1"}]},
        "tempo": {"tempo_bpm": None}}}
    renew = {"revision": {"changes": {"changes": [
        {"section": "s1", "problem": "too plain", "action": "regenerate", "cadence": None}]},
        "tempo": {"tempo_bpm": None}}}
    store, _, _ = sessions(tmp_path, *first_turn(), json.dumps(vary), json.dumps(renew))
    store.start(REQUEST, seed=1, session="winter")
    state = store.continue_with("winter", "bring the opening back at the end")
    assert state.piece is not None and state.piece.sections[2].variation == Variation(of="s1", distance="near")
    asked = [c for c in state.changes if c.reason == "feedback"]
    assert [(c.section, c.action, c.variation_of) for c in asked] == [("s3", "vary", "s1")]
    assert any(c.tool == "som_variations" for c in state.tool_calls)
    second = state.sections["s3"].material
    state = store.continue_with("winter", "a new opening")
    asked = [c for c in state.changes if c.reason == "feedback"][1:]
    assert [(c.section, c.action) for c in asked] == [("s1", "regenerate"), ("s3", "vary")]
    assert "varies s1" in asked[-1].problem and state.sections["s3"].material != second


SHORTER = {"revision": {"changes": {"changes": [
    {"section": "s2", "problem": "the second phrase drags", "action": "regenerate", "cadence": None, "bars": 2}]},
    "tempo": {"tempo_bpm": None}}}


def test_feedback_that_shortens_a_section_yields_a_shorter_piece_that_validates(tmp_path: Path) -> None:
    from ontology.music_validators import validate_piece

    store, _, writer = sessions(tmp_path, *first_turn(), json.dumps(SHORTER))
    _, first = store.start(REQUEST, seed=1, session="winter")
    calls_before = len(writer.requests)
    state = store.continue_with("winter", "shorter second phrase")
    assert state.piece is not None and state.rendered is not None
    assert [s.bars for s in state.piece.sections] == [4, 2, 4] and state.piece.length_bars == 10
    change = state.changes[-1]
    assert (change.section, change.bars, change.bars_before, change.reason) == ("s2", 2, 4, "feedback")
    assert {(r.bars, r.key) for r in writer.requests[calls_before:]} == {(2, "F major")}  # only s2 was rewritten
    assert state.sections["s1"].material == first.sections["s1"].material
    piece = Piece.model_validate_json(state.rendered.midi.with_name("piece.json").read_text())
    assert piece.total_bars == 10 and not [f for f in validate_piece(piece) if f.severity == "error"]
    score = music21.converter.parse(state.rendered.musicxml)
    assert [len(p.getElementsByClass("Measure")) for p in score.parts] == [10, 10]
    assert state.facts.bars == 12  # the request is kept as it was asked; the piece follows the feedback


def test_an_explicit_length_wish_is_carried_out_even_when_the_composer_goes_the_other_way(tmp_path: Path) -> None:
    longer = {"revision": {"changes": {"changes": [
        {"section": "s2", "problem": "more room", "action": "more_variety", "cadence": None, "bars": 6}]},
        "tempo": {"tempo_bpm": None}}}
    unchanged = {"revision": {"changes": {"changes": []}, "tempo": {"tempo_bpm": None}}}
    store, _, _ = sessions(tmp_path, *first_turn(), json.dumps(longer), json.dumps(unchanged))
    store.start(REQUEST, seed=1, session="winter")
    state = store.continue_with("winter", "darker cadence, shorter second phrase")
    (change,) = [c for c in state.changes if c.reason == "feedback"]
    assert (change.section, change.bars, change.bars_before) == ("s2", 3, 4)
    assert change.length_from == "the feedback's words"
    state = store.continue_with("winter", "and make the last section longer")  # the Composer changed nothing
    assert state.piece is not None and [s.bars for s in state.piece.sections] == [4, 3, 6]


def test_length_wishes_are_read_from_the_musicians_words() -> None:
    from ontology.music_drafts import length_wishes

    assert length_wishes("darker cadence, shorter second phrase", 3) == {1: "shorter"}
    assert length_wishes("Shorten the opening phrase and make the last section much longer", 3) == {
        0: "shorter", 2: "longer"}
    assert length_wishes("shorter fifth phrase", 3) == {} and length_wishes("a longer piece", 3) == {}


def test_a_length_change_branches_and_resumes_like_any_other_change(tmp_path: Path) -> None:
    store, _, _ = sessions(tmp_path, *first_turn(), json.dumps(SHORTER))
    store.start(REQUEST, seed=1, session="winter")
    branch, state = store.branch("winter", "shorter second phrase")
    assert state.piece is not None and state.piece.length_bars == 10
    assert store.state("winter").planned()[1].length_bars == 12
    # a tool failure right after the feedback turn: the shorter plan is saved, and resume finishes it
    failing, _, _ = sessions(tmp_path / "resumed", *first_turn(), json.dumps(SHORTER),
                             writer=ScaleWriter(fail_on_call=7))
    failing.start(REQUEST, seed=1, session="winter")
    with pytest.raises(RuntimeError, match="scripted tool failure"):
        failing.continue_with("winter", "shorter second phrase")
    stopped = failing.state("winter")
    assert failing.next_step("winter") == "realise" and stopped.planned()[1].length_bars == 10
    resumed, _, _ = sessions(tmp_path / "resumed")
    final = resumed.resume("winter")
    assert final.version == 2 and sum(s.bars for s in final.planned()[1].sections) == 10


def test_only_a_revision_may_change_lengths_and_only_within_bounds() -> None:
    from pydantic import ValidationError

    from agents.composition_studio import change_schema
    from ontology.music import MAX_BARS, Section
    from pipelines.compose_graph import Change, resize

    critique_item = change_schema(["s1"], "Critique", 3).model_fields["changes"].annotation.__args__[0]
    assert "bars" not in critique_item.model_fields and "variation_of" in critique_item.model_fields
    revision = change_schema(["s1", "s2"], "Changes", 6, lengths=True)
    item = {"section": "s2", "problem": "long", "action": "regenerate"}
    assert revision.model_validate({"changes": [{**item, "bars": 3}]})
    for bars in (0, 1000):
        with pytest.raises(ValidationError):
            revision.model_validate({"changes": [{**item, "bars": bars}]})
    sections = [Section(id=f"s{i}", label="A", bars=100) for i in range(1, 6)]
    big = Piece.model_construct(sections=sections)  # 500 bars: a 128-bar section would pass the maximum
    record = resize(big, sections[0], Change(section="s1", problem="long", action="regenerate", bars=128,
                                             reason="feedback"))
    assert (record.bars, record.bars_before) == (MAX_BARS - 400, 100) and "limited" in (record.note or "")
    assert big.total_bars == MAX_BARS


# --- single nodes and routers, on a hand-built state -----------------------------------------------

def graph_deps(writer: ScaleWriter | None = None, root: Path | None = None, **config: Any) -> ComposeDeps:
    return ComposeDeps(writer or ScaleWriter(), lambda version: (root or Path("unused")) / f"v{version}",
                       ComposeConfig(audio=False, **config))


def scripted(*replies: str) -> AccountedLM:
    return scripted_lm(ScriptedEngine(*replies))


def step(state: ComposeState, node: Callable[[ComposeState, ComposeDeps], dict[str, Any]],
         deps: ComposeDeps) -> ComposeState:
    """The state after `node`, as the graph would write its update."""
    return state.model_copy(update=node(state, deps))


def planned(deps: ComposeDeps, plan_reply: dict[str, Any] = PLAN) -> ComposeState:
    with dspy.context(lm=scripted(reply("plan", plan_reply))):
        return step(ComposeState(facts=facts_from_request(REQUEST), seed=1), graph.plan, deps)


def written(deps: ComposeDeps, plan_reply: dict[str, Any] = PLAN) -> ComposeState:
    state = planned(deps, plan_reply)
    for _ in state.sections:
        state = step(state, graph.realise, deps)
    return state


def test_the_plan_node_seeds_every_section_and_writes_no_notes() -> None:
    deps = graph_deps(critique=False)
    state = planned(deps)
    assert state.plan is not None and state.plan.title == "Winter Chorale" and state.plan.style == "free piano"
    assert [s.bars for s in state.planned()[1].sections] == [4, 4, 4]
    assert {sid: (p.seed, p.candidates, p.material) for sid, p in state.sections.items()} == {
        "s1": (1000, 1, None), "s2": (1101, 1, None), "s3": (1202, 1, None)}
    assert len(state.transcript) == 1 and state.critiqued  # no critique asked for: nothing left to critique
    assert deps.tools.requests == []  # type: ignore[attr-defined]


def test_the_start_router_plans_then_reads_feedback_or_goes_on_writing() -> None:
    deps = graph_deps()
    assert graph.route_start(ComposeState(facts=facts_from_request(REQUEST)), deps) == "plan"
    state = planned(deps)
    assert graph.route_start(state, deps) == "realise"
    assert graph.route_start(state.model_copy(update={"pending_feedback": "slower"}), deps) == "feedback"
    assert graph.route_start(written(deps), deps) == "validate"


def test_realise_writes_the_first_unwritten_section_and_keeps_the_candidate_with_fewest_findings() -> None:
    writer = ScaleWriter()
    deps = graph_deps(writer)
    state = step(step(planned(deps), graph.realise, deps), graph.realise, deps)
    assert [r.key for r in writer.requests] == ["D minor", "F major"] and state.sections["s3"].material is None
    assert len(state.tool_calls) == 2
    one = step(state, graph.realise, deps)  # seed 1202 misses the authentic cadence
    assert graph.actionable(step(one, graph.validate, deps)).get("s3")
    best_of_three = state.model_copy(update={"sections": {
        **state.sections, "s3": state.sections["s3"].model_copy(update={"candidates": 3})}})
    chosen = step(best_of_three, graph.realise, deps)
    assert [r.seed for r in writer.requests[-3:]] == [1202, 1203, 1204] and len(chosen.tool_calls) == 5
    assert not graph.actionable(step(chosen, graph.validate, deps)) and chosen.sections["s3"].candidates == 1
    assert chosen.sections["s1"] == state.sections["s1"]


def test_after_validation_the_router_repairs_while_rounds_last_then_critiques_then_renders() -> None:
    deps = graph_deps(max_repair_rounds=2)
    state = step(written(deps), graph.validate, deps)
    assert graph.actionable(state) and graph.route_after_validate(state, deps) == "repair"
    assert graph.route_after_validate(state.model_copy(update={"repair_rounds": 2}), deps) == "critique"
    done = state.model_copy(update={"repair_rounds": 2, "critiqued": True})
    assert graph.route_after_validate(done, deps) == "render"
    assert graph.route_after_validate(done.model_copy(update={"repair_rounds": 0, "findings": []}), deps) == "render"


def test_repair_rewrites_each_section_with_findings_as_several_candidates() -> None:
    deps = graph_deps(repair_candidates=4)
    state = step(written(deps), graph.validate, deps)
    assert set(graph.actionable(state)) == {"s3"}
    repaired = step(state, graph.repair, deps)
    assert [(c.section, c.action, c.reason) for c in repaired.changes] == [
        ("s3", "strengthen_cadence", "validation")]
    assert repaired.sections["s3"] == SectionParams(seed=2202, candidates=4, incumbent=state.sections["s3"].material)
    assert repaired.sections["s1"] == state.sections["s1"] and repaired.repair_rounds == 1
    assert graph.write_or_check(repaired, deps) == "realise"


def test_a_warning_is_repaired_as_often_as_its_budget_allows_and_an_error_every_round() -> None:
    deps = graph_deps(repairs_per_warning=1)
    state = step(written(deps), graph.validate, deps)
    error, warning = state.findings  # s3 misses its authentic close: heard (an error) and written (a warning)
    assert (error.severity, warning.severity) == (Severity.ERROR, Severity.WARNING)
    only_the_warning = state.model_copy(update={"findings": [warning]})
    assert set(graph.repairable(only_the_warning, deps.config)) == {"s3"}
    repaired = step(only_the_warning, graph.repair, deps)
    assert repaired.repairs == {"s3/cadence_not_realised": 1}
    spent = only_the_warning.model_copy(update={"repairs": repaired.repairs})
    assert graph.repairable(spent, deps.config) == {} and graph.route_after_validate(spent, deps) == "critique"
    assert set(graph.repairable(spent.model_copy(update={"findings": [error, warning]}), deps.config)) == {"s3"}


def test_a_repair_that_finds_nothing_better_keeps_the_notes_it_had_and_spends_the_warnings_budget() -> None:
    writer = ScaleWriter()
    deps = graph_deps(writer, repair_candidates=1, repairs_per_warning=2)
    state = planned(deps)  # s3 written from seed 1201 and repaired from 2201: neither closes V -> i
    state = state.model_copy(update={"sections": {**state.sections, "s3": SectionParams(seed=1201)}})
    for _ in state.sections:
        state = step(state, graph.realise, deps)
    state = step(state, graph.validate, deps)
    before = state.sections["s3"].material
    repaired = step(state, graph.repair, deps)
    assert repaired.sections["s3"].incumbent == before and repaired.repairs == {"s3/cadence_not_realised": 1}
    kept = step(repaired, graph.realise, deps)
    assert writer.requests[-1].seed == 2201
    assert kept.sections["s3"].material == before and kept.sections["s3"].incumbent is None
    assert kept.repairs == {"s3/cadence_not_realised": 2}  # no further round for the warning
    assert [f.code for f in graph.repairable(step(kept, graph.validate, deps), deps.config)["s3"]] == [
        "cadence_not_heard", "cadence_not_realised"]  # the error is still repaired every round


def test_a_variation_keeps_its_incumbent_only_while_its_source_keeps_its_notes() -> None:
    deps = graph_deps(repair_candidates=1)
    state = written(deps, RETURNING_PLAN)
    update = graph.apply(state, [Change(section="s1", problem="p", action="regenerate", reason="validation")], deps)
    rewritten = state.model_copy(update=update)
    assert rewritten.sections["s3"].incumbent == state.sections["s3"].material  # s3 varies s1
    kept = step(rewritten, graph.realise, deps)  # seed 2000 is no better than the notes s1 had
    assert kept.sections["s1"].material == state.sections["s1"].material and kept.sections["s3"].incumbent
    silent = Material(right=[], left=[], harmony=[])  # an incumbent with no notes: any candidate beats it
    worse = rewritten.model_copy(update={"sections": {
        **rewritten.sections, "s1": rewritten.sections["s1"].model_copy(update={"incumbent": silent})}})
    replaced = step(worse, graph.realise, deps)
    assert replaced.sections["s1"].material not in (silent, None) and replaced.sections["s3"].incumbent is None


def test_a_change_rewrites_the_variations_of_its_section_and_leaves_the_state_it_read_alone() -> None:
    deps = graph_deps()
    state = written(deps, RETURNING_PLAN)
    ask = Change(section="s1", problem="too plain", action="more_variety", cadence="plagal", reason="feedback")
    update = graph.apply(state, [ask], deps)
    assert [(c.section, c.action, c.variation_of) for c in update["changes"]] == [
        ("s1", "more_variety", None), ("s3", "vary", "s1")]
    assert update["sections"]["s1"].temperature == pytest.approx(1.15)
    assert [update["sections"][sid].material is None for sid in ("s1", "s2", "s3")] == [True, False, True]
    assert update["piece"].sections[0].cadence == "plagal" and state.planned()[1].sections[0].cadence == "half"
    first = Change(section="s1", problem="no return", action="vary", variation_of="s3", reason="feedback")
    (varied, _) = graph.apply(state, [first], deps)["changes"]
    assert varied.variation_of is None and "nothing earlier" in (varied.note or "")
    shorter = Change(section="s2", problem="drags", action="regenerate", bars=2, reason="feedback")
    update = graph.apply(state, [shorter], deps)
    assert update["piece"].length_bars == 10 and state.planned()[1].length_bars == 12


def test_the_feedback_node_carries_out_the_revision_and_a_new_tempo() -> None:
    deps = graph_deps()
    state = written(deps).model_copy(update={"pending_feedback": "a slower, simpler ending"})
    revision = {"revision": {"changes": {"changes": [
        {"section": "s3", "problem": "too busy", "action": "simpler", "cadence": "plagal"}]},
        "tempo": {"tempo_bpm": 56}}}
    with dspy.context(lm=scripted(json.dumps(revision))):
        revised = step(state, graph.feedback, deps)
    (change,) = revised.changes
    assert (change.section, change.action, change.cadence, change.reason) == ("s3", "simpler", "plagal", "feedback")
    piece = revised.planned()[1]
    assert piece.tempo_bpm == 56 and piece.sections[2].cadence == "plagal"
    assert state.planned()[1].tempo_bpm == 72  # the state the node read is unchanged
    assert revised.pending_feedback is None and revised.feedback == ["a slower, simpler ending"]
    assert len(revised.transcript) == len(state.transcript) + 1 and revised.critiqued
    assert graph.route_start(revised, deps) == "realise"


def test_the_render_node_writes_the_next_version(tmp_path: Path) -> None:
    deps = graph_deps(root=tmp_path)
    state = written(deps).model_copy(update={"version": 1})
    rendered = step(state, graph.render, deps)
    assert rendered.version == 2 and rendered.rendered is not None
    assert rendered.rendered.midi == tmp_path / "v2" / "piece.mid" and rendered.rendered.midi.is_file()
    assert Piece.model_validate_json((tmp_path / "v2" / "piece.json").read_text()).total_bars == 12


def test_the_checkpoint_revives_every_type_in_the_state(tmp_path: Path) -> None:
    from langgraph.checkpoint.serde.event_hooks import register_serde_event_listener

    revision = {"revision": {"changes": {"changes": [
        {"section": "s2", "problem": "too plain", "action": "vary", "cadence": "half", "variation_of": "s1"}]},
        "tempo": {"tempo_bpm": 60}}}
    events: list[Any] = []
    stop = register_serde_event_listener(events.append)
    try:
        store, _, _ = sessions(tmp_path, *first_turn(), json.dumps(revision))
        store.start(REQUEST, seed=1, session="winter")
        state = store.continue_with("winter", "vary the opening in the middle")
    finally:
        stop()
    assert events == []  # no type was unregistered (a warning) or blocked (a plain dict instead of the model)
    values = store.graph.get_state({"configurable": {"thread_id": "winter"}}).values
    assert isinstance(values["piece"], Piece) and isinstance(values["changes"][-1], Change)
    assert isinstance(values["sections"]["s1"], SectionParams) and isinstance(values["findings"], list)
    assert type(state.planned()[1].sections[1].cadence) is Cadence and state.changes[-1].cadence is Cadence.HALF


def test_a_critic_cannot_leave_the_piece_unfinished_but_the_musician_may_ask_for_a_plagal_close() -> None:
    from ontology.music import Section
    from pipelines.compose_graph import Change, recadence

    piece = Piece(title="t", key="C major", meter="4/4", tempo_bpm=90, instruments=[INSTRUMENTS["piano_right"]],
                  sections=[Section(id="s1", label="A", bars=4, cadence="half"),
                            Section(id="s2", label="B", bars=4, cadence="authentic")])
    first, last = piece.sections

    def asked(section: str, cadence: str, reason: str) -> Change:
        return Change(section=section, problem="p", action="strengthen_cadence", cadence=cadence, reason=reason)

    assert recadence(piece, last, asked("s2", "deceptive", "critique")).note and last.cadence == "authentic"
    assert recadence(piece, last, asked("s2", "plagal", "critique")).note and last.cadence == "authentic"
    assert recadence(piece, last, asked("s2", "plagal", "feedback")).note is None and last.cadence == "plagal"
    assert recadence(piece, first, asked("s1", "deceptive", "critique")).note is None and first.cadence == "deceptive"


def test_the_composer_cannot_change_a_length_the_musician_did_not_ask_about() -> None:
    from ontology.music import Section
    from ontology.music_drafts import honour_length_wishes

    sections = [Section(id=f"s{i}", label=label, bars=4) for i, label in enumerate("ABC", start=1)]
    stretched = [{"section": "s2", "problem": "p", "action": "regenerate", "bars": 3},
                 {"section": "s3", "problem": "p", "action": "regenerate", "bars": 16}]
    kept = honour_length_wishes(stretched, "darker cadence, shorter second phrase", sections)
    assert [(c["section"], c["bars"]) for c in kept] == [("s2", 3), ("s3", None)] and kept[1]["note"]
    assert [c["bars"] for c in honour_length_wishes(stretched, "darker cadence", sections)] == [None, None]
    assert [c["bars"] for c in honour_length_wishes(stretched, "make the piece longer", sections)] == [3, 16]


def test_the_next_section_continues_a_chorales_tune_not_the_figures_its_soprano_sang() -> None:
    """The bars a section continues are the two before it, with a chorale section's soprano read as
    its tune (`Material.tune`): its passing eighth is not for the piano model to continue."""
    sung = Bar(voices=[[Event(pitches=[69], duration=1.5), Event(pitches=[67], duration=0.5),
                        Event(pitches=[65], duration=2)], [Event(pitches=[60], duration=4)]])
    tune = Bar.line((69, 2), (65, 2))
    low = Bar(voices=[[Event(pitches=[53], duration=4)], [Event(pitches=[41], duration=4)]])
    piece = Piece(title="t", key="D minor", meter="4/4", style="chorale", tempo_bpm=66,
                  instruments=[INSTRUMENTS["choir_upper"], INSTRUMENTS["choir_lower"]],
                  sections=[Section(id="a", label="A", bars=3), Section(id="b", label="B", bars=2)], parts=[])
    written = Material(right=[tune, sung, sung], left=[low] * 3, harmony=[], tune=[tune] * 3)
    upper, lower = graph.bars_before(piece, {"a": SectionParams(seed=0, material=written),
                                             "b": SectionParams(seed=0)}, first=4)
    assert [bar.voices for bar in upper] == [[tune.voices[0], sung.voices[1]]] * 2 and lower == [low] * 2
    untuned = written.model_copy(update={"tune": []})
    upper, _ = graph.bars_before(piece, {"a": SectionParams(seed=0, material=untuned), "b": SectionParams(seed=0)},
                                 first=4)
    assert upper == [sung, sung], "a section without a tune is continued as it sounds"
