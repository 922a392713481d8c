"""Checkpointed GameGrammar runs: a killed run resumes at its step, a finished one branches with a
revision request, run ids are plain names, and the state survives the SQLite checkpointer."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import pytest

from agents.lm.accounted import AccountedLM
from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines import gamegrammar
from pipelines.checkpoints import InvalidRunIdError, RunError, checked_run_id, open_checkpointer
from pipelines.gamegrammar import GameGrammarRuns, main, start_state
from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps, GameGrammarState
from tests.studio_script import NO_ISSUES, VERDICT, first_draft, sap_revision

DEPS = GameGrammarDeps(search=lambda query, constraints, k: [],
                       config=GameGrammarConfig(proven_engines=False, max_reasks=0, playtest=None))


def scripted(*replies: str) -> tuple[AccountedLM, ScriptedEngine]:
    engine = ScriptedEngine(*replies)
    return scripted_lm(engine), engine


KILLED = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from pipelines.checkpoints import open_checkpointer
    from pipelines.gamegrammar import GameGrammarRuns, start_state
    from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps, GameGrammarState
    from agents.lm.testing import ScriptedEngine, scripted_lm
    from tests.studio_script import first_draft

    class DiesOnTheFourthCall(ScriptedEngine):
        def complete(self, request):
            if len(self.requests) == 3:
                os._exit(9)  # killed while the Theme Weaver writes: no cleanup, no exception handling
            return super().complete(request)

    lm = scripted_lm(DiesOnTheFourthCall(*first_draft()))
    deps = GameGrammarDeps(search=lambda query, constraints, k: [],
                           config=GameGrammarConfig(proven_engines=False, max_reasks=0, playtest=None))
    with open_checkpointer(Path({runs!r}), GameGrammarState) as saver:
        GameGrammarRuns(deps, saver, lambda seed: lm).start("killed", start_state("glowing fungi", seed=3))
""")


def test_a_killed_run_resumes_at_its_step_and_ends_with_the_uninterrupted_design(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runs = tmp_path / "runs.sqlite"
    repo = str(Path(__file__).resolve().parents[1])
    result = subprocess.run([sys.executable, "-c", KILLED.format(repo=repo, runs=str(runs))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr[-2000:]
    lm, engine = scripted(*first_draft()[3:], NO_ISSUES, VERDICT)
    caplog.set_level(logging.WARNING)
    with open_checkpointer(runs, GameGrammarState) as saver:
        store = GameGrammarRuns(DEPS, saver, lambda seed: lm)
        before = store.snapshot("killed")
        assert before.next == ("draft",) and list(before.values["answers"]) == ["engine", "actions", "flow"]
        resumed = store.resume("killed")
        with pytest.raises(RunError, match="has finished"):
            store.resume("killed")
    assert len(engine.requests) == 5  # identity, components, setup, critique, verdict: nothing redone
    lm, whole = scripted(*first_draft(), NO_ISSUES, VERDICT)
    with open_checkpointer(None, GameGrammarState) as saver:
        uninterrupted = GameGrammarRuns(DEPS, saver, lambda seed: lm).start("whole", start_state("glowing fungi"))
    assert resumed.design is not None and resumed.design == uninterrupted.design
    # The resumed call extends the saved conversation exactly as the uninterrupted run's did.
    assert engine.requests[0].messages == whole.requests[3].messages
    assert resumed.report.status == "complete" and resumed.report.seed == 3
    assert not [r.message for r in caplog.records if "deserializ" in r.message.lower()]


def test_a_branch_answers_the_request_and_reports_its_parent_and_the_diff(tmp_path: Path) -> None:
    lm, engine = scripted(*first_draft(), NO_ISSUES, VERDICT, *sap_revision(), NO_ISSUES, VERDICT)
    with open_checkpointer(tmp_path / "runs.sqlite", GameGrammarState) as saver:
        store = GameGrammarRuns(DEPS, saver, lambda seed: lm)
        parent = store.start("base", start_state("glowing fungi"))
        branch = store.branch("base", "Rename nutrients to sap and make it scarcer.", "base-sap")
        with pytest.raises(RunError, match="exists"):
            store.branch("base", "again", "base-sap")
        assert store.snapshot("base").values["design"] == parent.design  # the parent is left as it was
    report = branch.report
    assert report.parent_run == "base" and report.revision == "Rename nutrients to sap and make it scarcer."
    assert [(r["step"], r["reason"]) for r in report.repairs] == [
        ("engine", "request"), ("actions", "consistency"), ("components", "consistency")]
    diff = {change.field: change for change in report.diff}
    assert (diff["resources"].added, diff["resources"].removed) == (["sap"], ["nutrients"])
    assert "actions" in diff and report.status == "complete" and report.verdict is not None
    assert "Rename nutrients to sap" in engine.requests[8].messages[-1].text
    assert parent.report.parent_run is None and parent.report.diff == []


@pytest.mark.parametrize("run_id", ["../up", "Fungi", "a b", "", "x" * 65, "name;rm"])
def test_run_ids_must_be_plain_names(run_id: str) -> None:
    with pytest.raises(InvalidRunIdError, match="plain name"):
        checked_run_id(run_id)


@pytest.mark.parametrize("argv", [["fungi", "--run", "../up"], ["resume", "Bad Id"],
                                  ["make it cooperative", "--from", "a/b"], ["", "--from", "base"],
                                  ["make it cooperative", "--from", "base", "--players", "3"]])
def test_the_cli_refuses_bad_runs_before_any_work(argv: list[str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--runs", str(tmp_path / "runs.sqlite")]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "runs.sqlite").exists()


class NoExemplars:
    def __init__(self, **_: object) -> None:
        pass

    def search(self, query: str, k: int, constraints: object) -> list:
        return []


def test_the_cli_starts_resumes_and_branches_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    lm, _ = scripted(*first_draft(), NO_ISSUES, VERDICT, *sap_revision(), NO_ISSUES, VERDICT)
    monkeypatch.setattr(gamegrammar, "build_lm", lambda settings, ledger, seed: lm)
    monkeypatch.setattr(gamegrammar, "ExemplarStore", NoExemplars)
    monkeypatch.setattr(gamegrammar, "game_runs", partial(gamegrammar.game_runs, config=DEPS.config))
    runs, out = tmp_path / "runs.sqlite", tmp_path / "fungi"
    assert main(["glowing fungi", "--run", "fungi", "--runs", str(runs), "--out", str(out)]) == 0
    assert "run fungi" in capsys.readouterr().err
    assert json.loads((out / "report.json").read_text())["run"] == "fungi" and (out / "design.json").exists()
    assert main(["resume", "fungi", "--runs", str(runs)]) == 2
    assert "has finished" in capsys.readouterr().err
    assert main(["glowing fungi", "--run", "fungi", "--runs", str(runs)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["rename nutrients to sap", "--from", "fungi", "--run", "fungi-sap", "--runs", str(runs)]) == 0
    report = json.loads((tmp_path / "fungi-sap" / "report.json").read_text())
    assert report["parent_run"] == "fungi" and report["diff"]
    assert json.loads((out / "report.json").read_text())["run"] == "fungi"  # the parent's files are untouched
