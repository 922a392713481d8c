"""The GameGrammar graph on a scripted LM: repair routing, critique revision, consistency, failures."""

from __future__ import annotations

import json

import dspy

from agents.lm.testing import ScriptedEngine, scripted_lm
from ontology.core import Finding, Severity, at
from ontology.game_validators import DraftStep, validate_design
from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps, GameGrammarState, build_graph, restates
from retrieval.exemplars import ExemplarGame
from retrieval.store import RetrievalConstraints
from tests.studio_script import EXEMPLAR, NO_ISSUES, VERDICT, answers, first_draft, reply


def run(*replies: str, config: GameGrammarConfig | None = None):
    engine = ScriptedEngine(*replies)
    lm = scripted_lm(engine)
    searched: list[tuple[str, RetrievalConstraints, int]] = []

    def search(query: str, constraints: RetrievalConstraints, k: int) -> list[ExemplarGame]:
        searched.append((query, constraints, k))
        return [EXEMPLAR]

    free = GameGrammarConfig(proven_engines=False, max_reasks=0, playtest=None)
    graph = build_graph(GameGrammarDeps(search, config or free))
    state = GameGrammarState(theme="glowing fungi", constraints="2-4 players",
                             retrieval=RetrievalConstraints(players=3))
    with dspy.context(lm=lm):
        final = GameGrammarState.model_validate(graph.invoke(state, {"recursion_limit": 60}))
    return final, engine, searched


def test_clean_draft_goes_through_critique_and_judgement() -> None:
    final, engine, searched = run(*first_draft(), NO_ISSUES, VERDICT)
    assert searched == [("glowing fungi", RetrievalConstraints(players=3), 3)]
    assert final.repairs == [] and final.failure is None
    assert validate_design(final.design) == []
    assert [s.heading for s in final.design.rules][:2] == ["Introduction", "Overview"]
    assert final.verdict.fun == 6
    first_request = engine.requests[0].messages[-1].text
    assert "Carcassonne" in first_request and "glowing fungi" in first_request
    # Each later call extends the conversation instead of restating the brief.
    assert len(engine.requests[1].messages) == len(engine.requests[0].messages) + 2


def flow_without_absorb() -> str:
    flow = answers()["flow"]
    flow["turn_structure"]["phases"][0]["actions"] = ["grow"]
    return reply("flow", flow)


def test_a_validation_finding_is_repaired_by_the_agent_that_owns_it() -> None:
    draft = first_draft()
    draft[2] = flow_without_absorb()
    final, engine, _ = run(*draft, reply("flow", answers()["flow"]), NO_ISSUES, VERDICT)
    (repair,) = final.repairs
    assert (repair.step, repair.agent, repair.reason) == (DraftStep.FLOW, "Mechanics Architect", "validation")
    assert "no phase of the turn allows 'absorb'" in repair.feedback
    repair_request = engine.requests[6].messages[-1].text
    assert "Mechanics Architect" in repair_request and "'absorb'" in repair_request
    assert validate_design(final.design) == []


def test_a_critique_that_repeats_a_fixed_finding_is_dropped_not_revised() -> None:
    draft = first_draft()
    draft[2] = flow_without_absorb()
    parrot = reply("critique", {"issues": [
        {"step": "actions", "problem": "The 'absorb' action is not allowed in any phase of the turn.",
         "fix": "Add it to a phase."},
        {"step": "flow", "problem": "No phase of the turn allows 'absorb'.", "fix": "List it in a phase."},
    ]})
    final, engine, _ = run(*draft, reply("flow", answers()["flow"]), parrot, VERDICT)
    assert [repair.reason for repair in final.repairs] == ["validation"]  # no rewrite for the parrot
    assert [issue.step for issue in final.stale_issues] == ["actions", "flow"]
    assert final.critique.issues == []
    assert validate_design(final.design) == []


def test_restating_needs_the_same_ids_and_most_of_the_wording() -> None:
    finding = Finding(severity=Severity.ERROR, location=at("actions", 2), owner="Mechanics Architect", step="flow",
                      code="action_in_no_phase", message="no phase of the turn allows 'draw_card'; list it in a phase")
    assert restates("There is no phase of the turn that allows 'draw_card'.", finding)
    assert not restates("No phase of the turn allows 'sell_tea'.", finding)  # another action
    assert not restates("'draw_card' costs nothing, so players spam it every turn.", finding)


def test_critique_revises_the_named_step_and_downstream_steps_follow() -> None:
    critique = reply("critique", {"issues": [{"step": "engine", "problem": "Nutrients are too plentiful.",
                                              "fix": "Rename nutrients to sap and make it scarcer."}]})
    engine_answer = answers()["engine"]
    engine_answer["resources"][0]["id"] = "sap"
    actions = answers()["actions"]
    for action in actions["actions"]:
        for side in ("costs", "gains"):
            for amount in action[side]:
                amount["resource"] = "sap" if amount["resource"] == "nutrients" else amount["resource"]
    components = answers()["components"]
    components["nutrient_tokens"]["represents"] = "sap"
    final, _, _ = run(*first_draft(), critique, reply("engine", engine_answer), reply("actions", actions),
                      reply("components", components), VERDICT)
    steps = [(r.step, r.reason) for r in final.repairs]
    assert steps == [(DraftStep.ENGINE, "critique"), (DraftStep.ACTIONS, "consistency"),
                     (DraftStep.COMPONENTS, "consistency")]
    assert validate_design(final.design) == []


def test_repairs_are_bounded_and_unresolved_findings_are_kept() -> None:
    draft = first_draft()
    draft[2] = flow_without_absorb()
    final, _, _ = run(*draft, flow_without_absorb(), NO_ISSUES, VERDICT,
                      config=GameGrammarConfig(proven_engines=False, max_repair_rounds=1, max_reasks=0, playtest=None))
    assert len(final.repairs) == 1
    assert any(f.code == "action_without_phase" for f in final.findings)
    assert final.verdict is not None


def test_a_model_that_keeps_failing_ends_the_run_cleanly() -> None:
    final, _, _ = run(*first_draft()[:3], "this is not json", "still not json")
    assert final.failure.startswith("Theme Weaver")
    assert final.design is None


def test_the_studio_transcript_holds_the_exact_answers() -> None:
    final, _, _ = run(*first_draft(), NO_ISSUES, VERDICT)
    answers_in_transcript = [json.loads(turn.answer) for turn in final.transcript]
    assert [next(iter(a)) for a in answers_in_transcript] == [
        "engine", "actions", "flow", "identity", "components", "setup", "critique", "verdict"]


def test_feedback_that_did_not_help_is_not_repeated_and_a_stubborn_warning_is_left() -> None:
    starving = answers()["actions"]
    # nothing produces nutrients any more (a warning); absorb still does something, or it would be a no-op error
    starving["actions"][1]["gains"] = [{"resource": "light", "amount": 1}]
    starving["actions"][1]["description"] = "Take 1 light from the surface."  # the prose follows the gains
    draft = first_draft()
    draft[1] = reply("actions", starving)
    draft[2] = flow_without_absorb()  # a warning on another step
    final, _, _ = run(*draft, reply("actions", starving), reply("flow", answers()["flow"]), NO_ISSUES, VERDICT)
    assert [(r.step, r.reason) for r in final.repairs] == [
        (DraftStep.ACTIONS, "validation"), (DraftStep.FLOW, "validation")]
    assert [f.code for f in final.findings] == ["spent_never_produced"]
    assert final.verdict is not None


def repeated_action_id() -> dict:
    """Actions with a second action under the first one's id: an error for the Mechanics Architect
    that the actions schema cannot rule out."""
    actions = answers()["actions"]
    actions["actions"].append({**actions["actions"][0], "name": "Grow again"})
    return actions


def test_an_error_that_survives_a_rewrite_gets_another_round() -> None:
    draft = first_draft()
    draft[1] = reply("actions", repeated_action_id())
    final, _, _ = run(*draft, reply("actions", repeated_action_id()), reply("actions", answers()["actions"]),
                      NO_ISSUES, VERDICT)
    assert [(r.step, r.reason) for r in final.repairs] == [
        (DraftStep.ACTIONS, "validation"), (DraftStep.ACTIONS, "validation")]
    assert validate_design(final.design) == []


def test_errors_are_repaired_before_warnings_even_downstream() -> None:
    engine_answer = answers()["engine"]
    # a warning on the upstream engine step (flipping `cooperative` would change the flow step's schema)
    engine_answer["resources"][0]["name"] = "Materials"
    draft = first_draft()
    draft[0] = reply("engine", engine_answer)
    draft[1] = reply("actions", repeated_action_id())
    final, _, _ = run(*draft, reply("actions", answers()["actions"]), reply("engine", answers()["engine"]),
                      NO_ISSUES, VERDICT)
    assert [(r.step, r.reason) for r in final.repairs] == [
        (DraftStep.ACTIONS, "validation"), (DraftStep.ENGINE, "validation")]
    assert validate_design(final.design) == []
