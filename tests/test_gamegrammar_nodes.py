"""GameGrammar nodes and routers one at a time, on a hand-built state and a scripted LM."""

from __future__ import annotations

import dspy
import pytest

from agents.game_studio import Brief
from agents.lm.accounted import AccountedLM
from agents.lm.testing import ScriptedEngine, scripted_lm
from ontology.game_validators import DraftStep, validate_design
from pipelines.gamegrammar_graph import (
    GameGrammarConfig,
    GameGrammarDeps,
    GameGrammarState,
    branch_values,
    draft,
    repair,
    request,
    route_after_draft,
    route_after_validate,
    route_start,
    validate,
)
from tests.studio_script import answers, reply, sap_revision

DEPS = GameGrammarDeps(search=lambda query, constraints, k: [],
                       config=GameGrammarConfig(proven_engines=False, max_reasks=0, playtest=None))
BRIEF = Brief(theme="glowing fungi", constraints="none", exemplars="")


def state(**fields) -> GameGrammarState:
    return GameGrammarState(theme="glowing fungi", brief=BRIEF, **fields)


def scripted(*replies: str) -> tuple[AccountedLM, ScriptedEngine]:
    engine = ScriptedEngine(*replies)
    return scripted_lm(engine), engine


def without(*steps: str) -> dict:
    return {step: answer for step, answer in answers().items() if step not in steps}


def test_draft_writes_the_next_missing_step_and_returns_it_as_data() -> None:
    before = state(answers=without("identity", "components", "setup"))
    lm, _ = scripted(reply("identity", answers()["identity"]))
    with dspy.context(lm=lm):
        update = draft(before, DEPS)
    assert update["answers"][DraftStep.IDENTITY] == answers()["identity"]
    assert len(update["transcript"]) == 1 and '"identity"' in update["transcript"][0].answer
    assert before.transcript == [] and DraftStep.IDENTITY not in before.answers  # the state is not mutated


def test_a_failing_draft_step_names_its_author_and_keeps_the_state() -> None:
    lm, _ = scripted("this is not json", "still not json")
    with dspy.context(lm=lm):
        update = draft(state(answers=without("identity", "components", "setup")), DEPS)
    assert set(update) == {"failure"} and update["failure"].startswith("Theme Weaver")
    assert draft(state(failure="earlier"), DEPS) == {}


def test_the_draft_loops_until_every_step_is_written() -> None:
    assert route_after_draft(state(answers=without("setup")), DEPS) == "draft"
    assert route_after_draft(state(answers=answers()), DEPS) == "validate"
    assert route_after_draft(state(answers=without("setup"), failure="Component Designer: timeout"), DEPS) == "assemble"


def broken_flow() -> dict:
    broken = answers()
    broken["flow"]["turn_structure"]["phases"][0]["actions"] = ["grow"]
    return broken


def test_validate_and_its_router_send_a_finding_to_repair_then_to_critique() -> None:
    update = validate(state(answers=broken_flow()), DEPS)
    assert [f.code for f in update["findings"]] == ["action_without_phase"]
    assert route_after_validate(state(answers=broken_flow(), **update), DEPS) == "repair"
    clean = validate(state(answers=answers()), DEPS)
    assert clean["findings"] == [] and route_after_validate(state(**clean), DEPS) == "critique"
    assert route_after_validate(state(critiqued=True, **clean), DEPS) == "judge"


def test_repair_rewrites_the_owning_step_with_the_findings_as_feedback() -> None:
    before = state(answers=broken_flow(), **validate(state(answers=broken_flow()), DEPS))
    lm, engine = scripted(reply("flow", answers()["flow"]))
    with dspy.context(lm=lm):
        update = repair(before, DEPS)
    (done,) = update["repairs"]
    assert (done.step, done.reason, update["repair_rounds"]) == (DraftStep.FLOW, "validation", 1)
    assert "'absorb'" in engine.requests[0].messages[-1].text
    assert validate(state(answers=update["answers"]), DEPS)["findings"] == []


def test_a_branch_request_goes_to_the_engine_step_and_later_steps_follow() -> None:
    lm, engine = scripted(*sap_revision())
    parent = state(answers=answers(), design=validate(state(answers=answers()), DEPS)["design"])
    branched = parent.model_copy(update={**branch_values(parent, "base"), "revision": "rename nutrients to sap"})
    assert route_start(branched, DEPS) == "request" and route_start(state(), DEPS) == "retrieve"
    with dspy.context(lm=lm):
        update = request(branched, DEPS)
    assert [(r.step, r.reason) for r in update["repairs"]] == [
        (DraftStep.ENGINE, "request"), (DraftStep.ACTIONS, "consistency"), (DraftStep.COMPONENTS, "consistency")]
    assert "rename nutrients to sap" in engine.requests[0].messages[-1].text
    assert validate_design(validate(state(answers=update["answers"]), DEPS)["design"]) == []


def test_only_a_finished_design_can_be_branched() -> None:
    with pytest.raises(ValueError, match="no finished design"):
        branch_values(state(answers=without("setup")), "half")
