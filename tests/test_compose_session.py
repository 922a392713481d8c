"""Composition sessions on a scripted LM and a deterministic section writer: planning, repair by
best-of-N, critique, feedback turns, branching, and resuming after a killed process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import music21
import pytest

from agents.lm.accounted import AccountedLM
from agents.lm.usage import UsageLedger
from ontology.music_drafts import MusicRequestError, facts_from_request
from pipelines.compose import ComposeSessions, SessionError
from pipelines.compose_graph import ComposeConfig
from tests.fakes import ScriptedEngine
from tests.music_fakes import ScaleWriter
from tests.studio_script import reply

REQUEST = "a melancholic chorale for a winter evening, D minor, 12 bars"
PLAN = {"title": "Winter Chorale", "key": "D minor", "meter": "4/4", "tempo_bpm": 72, "texture": "piano",
        "opening": {"label": "A", "share": 1, "cadence": "half", "character": "low, still"},
        "middle": [{"label": "B", "share": 1, "key_relation": "relative", "cadence": "authentic",
                    "character": "warmer"}],
        "closing": {"label": "A'", "share": 1, "cadence": "authentic", "character": "closing"}}
NO_CHANGES = {"changes": []}


def sessions(root: Path, *replies: str, writer: ScaleWriter | None = None,
             config: ComposeConfig | None = None) -> tuple[ComposeSessions, ScriptedEngine, ScaleWriter]:
    engine = ScriptedEngine(*replies)
    lm = AccountedLM("scripted/model", engine=engine, ledger=UsageLedger(), num_retries=0, cache=False)
    writer = writer or ScaleWriter()
    store = ComposeSessions(root, writer, config=config or ComposeConfig(audio=False), lm=lm)
    return store, engine, writer


def first_turn() -> list[str]:
    return [reply("plan", PLAN), reply("theory_critic", NO_CHANGES), reply("listener_critic", NO_CHANGES)]


def test_a_session_plans_realises_repairs_and_renders(tmp_path: Path) -> None:
    store, engine, writer = sessions(tmp_path, *first_turn())
    session, state = store.start(REQUEST, seed=1, session="winter")
    assert session == "winter" and state["version"] == 1
    piece = json.loads(Path(state["rendered"]["midi"]).with_name("piece.json").read_text())
    assert [s["bars"] for s in piece["sections"]] == [4, 4, 4] and piece["sections"][1]["key"] == "F major"
    # section 3 missed its authentic cadence (seed 1202); the repair wrote three candidates and the
    # validators kept the one that closes V -> i
    assert [(c["section"], c["reason"], c["action"]) for c in state["changes"]] == [
        ("s3", "validation", "strengthen_cadence")]
    assert [r.seed for r in writer.requests] == [1000, 1101, 1202, 2202, 2203, 2204]
    assert state["findings"] == []
    score = music21.converter.parse(state["rendered"]["musicxml"])
    assert [len(p.getElementsByClass("Measure")) for p in score.parts] == [12, 12]
    report = json.loads((tmp_path / "winter" / "v1" / "report.json").read_text())
    assert report["request"] == REQUEST and report["runs"][0]["model_calls"] == 3
    assert report["tool_calls"] and report["plan"]["title"] == "Winter Chorale"
    first_request = engine.requests[0].messages[-1].text
    assert "D minor" in first_request and "bars=12" in first_request


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


def test_feedback_changes_only_the_sections_it_names(tmp_path: Path) -> None:
    revision = {"revision": {"changes": {"changes": [
        {"section": "s3", "problem": "the ending is too bright", "action": "simpler", "cadence": "plagal"}]},
        "tempo": {"tempo_bpm": 60}}}
    store, _, writer = sessions(tmp_path, *first_turn(), json.dumps(revision))
    _, first = store.start(REQUEST, seed=1, session="winter")
    untouched = first["sections"]["s1"]["material"]
    calls_before = len(writer.requests)
    state = store.continue_with("winter", "darker, slower ending")
    assert state["version"] == 2 and state["feedback"] == ["darker, slower ending"]
    assert state["sections"]["s1"]["material"] == untouched
    assert {r.key for r in writer.requests[calls_before:]} == {"D minor"}  # only section 3 was rewritten
    assert state["piece"]["sections"][2]["cadence"] == "plagal" and state["piece"]["tempo_bpm"] == 60
    assert state["sections"]["s3"]["temperature"] < 1.0
    assert (tmp_path / "winter" / "v2" / "piece.mid").is_file()


def test_a_branch_keeps_the_original_session_as_it_was(tmp_path: Path) -> None:
    revision = {"revision": {"changes": {"changes": [
        {"section": "s2", "problem": "too plain", "action": "more_variety", "cadence": None}]},
        "tempo": {"tempo_bpm": None}}}
    store, _, _ = sessions(tmp_path, *first_turn(), json.dumps(revision))
    store.start(REQUEST, seed=1, session="winter")
    branch, state = store.branch("winter", "more motion in the middle")
    assert branch.startswith("winter-b") and state["version"] == 2 and state["branched_from"] == "winter"
    assert store.state("winter")["version"] == 1 and store.state("winter")["feedback"] == []
    with pytest.raises(SessionError, match="No session"):
        store.state("nope")


def test_a_failing_tool_leaves_the_session_resumable_at_the_last_good_step(tmp_path: Path) -> None:
    store, _, _ = sessions(tmp_path, *first_turn(), writer=ScaleWriter(fail_on_call=2))
    with pytest.raises(RuntimeError, match="scripted tool failure"):
        store.start(REQUEST, seed=1, session="winter")
    state = store.state("winter")
    assert state["_next"] == ["realise"] and state["sections"]["s1"]["material"] is not None
    with pytest.raises(SessionError, match="resume"):
        store.continue_with("winter", "anything")
    resumed, _, writer = sessions(tmp_path, reply("theory_critic", NO_CHANGES), reply("listener_critic", NO_CHANGES))
    final = resumed.resume("winter")
    assert final["version"] == 1 and final["sections"]["s1"] == state["sections"]["s1"]
    assert writer.requests[0].key == "F major"  # it started with section 2


KILLED = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from agents.lm.accounted import AccountedLM
    from agents.lm.usage import UsageLedger
    from pipelines.compose import ComposeSessions
    from pipelines.compose_graph import ComposeConfig
    from tests.fakes import ScriptedEngine
    from tests.music_fakes import ScaleWriter
    from tests.studio_script import reply
    from tests.test_compose_session import PLAN, REQUEST

    class DiesOnSecondSection(ScaleWriter):
        def realise(self, request):
            if len(self.requests) == 1:
                os._exit(9)  # the process is killed mid-session: no cleanup, no exception handling
            return super().realise(request)

    lm = AccountedLM("scripted/model", engine=ScriptedEngine(reply("plan", PLAN)), ledger=UsageLedger(),
                     num_retries=0, cache=False)
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
    assert before["_next"] == ["realise"] and before["plan"]["title"] == "Winter Chorale"
    assert before["sections"]["s1"]["material"] is not None and before["sections"]["s2"]["material"] is None
    final = store.resume("killed")
    assert final["version"] == 1 and final["sections"]["s1"]["material"] == before["sections"]["s1"]["material"]
    assert writer.requests[0].key == "F major"
