"""Playtests inside the GameGrammar pipeline, on the scripted studio: its answers are the hand-made
Mycelium design, which every player glows alike each turn, so the simulator finds 100% draws (a
`drawish` error owned by the Mechanics Architect's flow step)."""

from __future__ import annotations

import json
from pathlib import Path

import dspy
import pytest

from agents.game_studio import Brief
from agents.lm.testing import ScriptedEngine, scripted_lm
from ontology.game import GameDesign
from ontology.game_validators import DraftStep
from pipelines.checkpoints import open_checkpointer
from pipelines.gamegrammar import GameGrammarRuns, RunReport, start_state, write_run
from pipelines.gamegrammar_graph import (
    GameGrammarConfig,
    GameGrammarDeps,
    GameGrammarState,
    assemble,
    measured_facts,
    playtest,
    repair,
    route_after_playtest,
    route_after_validate,
    tune_numbers,
    validate,
)
from tests.studio_script import DESIGN, NO_ISSUES, VERDICT, answers, first_draft, reply
from tools.games.playtest import PlaytestBudget
from tools.games.playtest import playtest as play_design
from tools.games.tuning import TuningBudget

# No restricted play: Mycelium's only scoring action also dominates, and these tests follow the draws alone.
FAST = PlaytestBudget(greedy_games=10, search_games=4, search_playouts=2, restricted_games=0)
CONFIG = GameGrammarConfig(proven_engines=False, max_reasks=0, playtest=FAST, playtest_games=30, tuning=None)
BRIEF = Brief(theme="glowing fungi", constraints="none", exemplars="")


def deps(progress: list[str] | None = None) -> GameGrammarDeps:
    return GameGrammarDeps(search=lambda query, constraints, k: [], config=CONFIG,
                           progress=(progress.append if progress is not None else lambda message: None))


def glow_as_a_choice() -> dict:
    """The flow with Glow moved into the action phase: scores now differ between players."""
    flow = answers()["flow"]
    phases = flow["turn_structure"]["phases"]
    flow["turn_structure"]["phases"] = [{**phases[0], "actions": ["grow", "absorb", "glow"]}]
    return flow


def test_the_playtest_adds_its_findings_and_the_owning_step_repairs_them() -> None:
    validated = GameGrammarState(theme="glowing fungi", brief=BRIEF, answers=answers())
    validated = validated.model_copy(update=validate(validated, deps()))
    assert validated.findings == [] and route_after_validate(validated, deps()) == "playtest"
    played = validated.model_copy(update=playtest(validated, deps()))
    assert played.playtest is not None and played.playtest.measures.draws == 1.0
    drawish = next(f for f in played.findings if f.code == "drawish")
    assert (drawish.step, drawish.owner) == ("flow", "Mechanics Architect") and drawish in played.raised
    assert route_after_playtest(played, deps()) == "repair"
    engine = ScriptedEngine(reply("flow", glow_as_a_choice()))
    with dspy.context(lm=scripted_lm(engine)):
        repaired = played.model_copy(update=repair(played, deps()))
    (done,) = repaired.repairs
    assert (done.step, done.agent, done.reason) == (DraftStep.FLOW, "Mechanics Architect", "playtest")
    assert drawish.message in done.feedback and drawish.message in (engine.requests[0].messages[-1].text or "")
    # the rewritten design passes the validators and is playtested again
    revalidated = repaired.model_copy(update=validate(repaired, deps()))
    assert revalidated.playtest is None and route_after_validate(revalidated, deps()) == "playtest"
    replayed = revalidated.model_copy(update=playtest(revalidated, deps()))
    assert replayed.playtest is not None and not any(f.code == "drawish" for f in replayed.findings)


def test_the_balance_critic_reads_measured_figures_within_bounds() -> None:
    design = GameDesign.model_validate(DESIGN)
    report = play_design(design, games=30, seed=0, budget=FAST)
    facts = measured_facts(report, design, 1200)
    assert "draws 100%" in facts and "The search bot won 50% of 4 games against random players" in facts
    assert "Glow: the search bot took it in" in facts
    short = measured_facts(report, design, 300)
    assert len(short) <= 300 and short.startswith("Over 30 simulated games with 2 players")


def test_a_run_playtests_repairs_reports_and_writes_the_playtest(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    # one repair round: the flow rewrite keeps the draws, so the finding stays in the report
    engine = ScriptedEngine(*first_draft(), reply("flow", answers()["flow"]), NO_ISSUES, VERDICT)
    progress: list[str] = []
    config = CONFIG.model_copy(update={"max_repair_rounds": 1})
    run_deps = GameGrammarDeps(search=lambda query, constraints, k: [], config=config, progress=progress.append)
    with open_checkpointer(tmp_path / "runs.sqlite", GameGrammarState) as saver:
        result = GameGrammarRuns(run_deps, saver, lambda seed: scripted_lm(engine)).start(
            "fungi", start_state("glowing fungi"))
    report = result.report
    assert [(r["step"], r["reason"]) for r in report.repairs] == [("flow", "playtest")]
    assert sum(message.startswith("Playtest") for message in progress) == 2  # again after the repair
    assert report.status == "finished with unresolved errors"
    assert "drawish" in [f.code for f in report.findings] and report.playtest is not None
    assert report.verdict is not None and report.playtest.measures.draws == 1.0
    critic_request = engine.requests[7].messages[-1].text or ""
    assert "Balance Critic" in critic_request and "draws 100%" in critic_request
    assert "The search bot won" in critic_request
    assert not [r.message for r in caplog.records if "deserializ" in r.message.lower()]

    write_run(tmp_path / "out", result.design, report)
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written["verdict"]["fun"] == 6 and written["playtest"]["measures"]["draws"] == 1.0
    assert [f["code"] for f in written["playtest"]["findings"]][0] == "drawish"
    assert RunReport.model_validate(written).playtest == report.playtest
    rulebook = (tmp_path / "out" / "rulebook.md").read_text()
    assert "## Playtested" in rulebook and "| draws | 100% |" in rulebook
    assert (tmp_path / "out" / "playtest.png").read_bytes().startswith(b"\x89PNG")

    # the files are one run's set: a later run without a playtest leaves no stale chart behind
    write_run(tmp_path / "out", result.design, report.model_copy(update={"playtest": None}))
    assert not (tmp_path / "out" / "playtest.png").exists()
    assert "## Playtested" not in (tmp_path / "out" / "rulebook.md").read_text()


def test_the_tune_node_sets_the_numbers_and_the_assembled_design_uses_them() -> None:
    budget = TuningBudget(evaluations=12, seconds=60, self_play_games=30, greedy_games=10, restricted_games=0,
                          confirm_games=60, playtest=FAST)
    tuning = GameGrammarDeps(search=lambda query, constraints, k: [],
                             config=CONFIG.model_copy(update={"tuning": budget}))
    validated = GameGrammarState(theme="glowing fungi", brief=BRIEF, answers=answers())
    validated = validated.model_copy(update=validate(validated, tuning))
    played = validated.model_copy(update=playtest(validated, tuning))
    before = played.playtest
    assert before is not None and before.measures.estimated_minutes > 45  # the box says 30-45
    tuned = played.model_copy(update=tune_numbers(played, tuning))
    assert tuned.tuning is not None and tuned.tuning.changes and tuned.playtest == tuned.tuning.after
    assert all(change.after != change.before for change in tuned.tuning.changes)
    final = tuned.model_copy(update=assemble(tuned, tuning))
    assert final.design is not None and final.design.model_dump(exclude={"rules"}) == \
        tuned.tuning.design.model_dump(exclude={"rules"})
    assert GameGrammarState(theme="x").model_copy(update=tune_numbers(GameGrammarState(theme="x"), tuning)).tuning \
        is None  # nothing played, nothing tuned
