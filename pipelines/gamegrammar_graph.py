"""The GameGrammar LangGraph: retrieve -> mechanics -> theme -> components -> validate -> repair
(routed to the owning agent, bounded) -> balance critique -> revise -> fun judgement -> assemble.

Retrieval and the multi-agent path always run together: the retrieved exemplars open the studio's
conversation. A model failure in any node (budget spent, output that stays invalid, timeout)
ends the run at `assemble` with the best design so far and the unresolved findings, never with a
traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.game_studio import ORDER, Brief, Critique, Issue, Studio, step_for
from agents.lm.errors import ModelError
from ontology.core import Finding, Severity
from ontology.game import FunVerdict, GameDesign
from ontology.game_rulebook import rules_sections
from ontology.game_validators import DraftStep, validate_design
from retrieval.exemplars import ExemplarGame
from retrieval.store import RetrievalConstraints

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

_QUOTED = re.compile(r"'([^']+)'")
_WORD = re.compile(r"[a-z][a-z0-9_]*")


def _content_words(text: str) -> set[str]:
    """Words of four letters or more, cut to five letters so 'allows' and 'allowed' agree."""
    return {word[:5] for word in _WORD.findall(_QUOTED.sub(" ", text.lower())) if len(word) >= 4}


def restates(problem: str, finding: Finding) -> bool:
    """Whether a critic's `problem` is the validator's `finding` in other words: it names every
    id the finding quotes and shares most of its wording. Small critics often repeat a finding they
    read earlier in the conversation, after a repair has already fixed it."""
    text = problem.lower()
    if not all(ident.lower() in text for ident in _QUOTED.findall(finding.message)):
        return False
    words = _content_words(finding.message)
    return bool(words) and len(words & _content_words(problem)) >= 0.6 * len(words)


class Repair(BaseModel):
    """One regeneration of one step, and why."""

    step: DraftStep
    agent: str
    reason: str = Field(description="'validation', 'critique' or 'consistency'")
    feedback: str


class GameGrammarState(TypedDict, total=False):
    theme: str
    constraints: str
    retrieval: RetrievalConstraints
    exemplars: list[ExemplarGame]
    studio: Studio
    findings: list[Finding]
    raised: list[Finding]
    repairs: list[Repair]
    repair_rounds: int
    critique: Critique | None
    stale_issues: list[Issue]
    critiqued: bool
    verdict: FunVerdict | None
    design: GameDesign | None
    failure: str | None


class GameGrammarConfig(BaseModel):
    max_repair_rounds: int = Field(3, ge=0, le=10)
    exemplar_count: int = Field(3, ge=1, le=8)
    max_reasks: int = Field(1, ge=0, le=5)


def _feedback(findings: list[Finding]) -> str:
    return "\n".join(f"- {finding.path}: {finding.message}" for finding in findings)


def build_graph(
    search: Callable[[str, RetrievalConstraints, int], list[ExemplarGame]],
    config: GameGrammarConfig | None = None,
    progress: Progress | None = None,
):
    """Compile the graph. `search(query, constraints, k)` is the exemplar retrieval."""
    config = config or GameGrammarConfig()
    say = progress or (lambda message: logger.info(message))

    def guarded(name: str, node: Callable[[GameGrammarState], dict[str, Any]]):
        def run(state: GameGrammarState) -> dict[str, Any]:
            if state.get("failure"):
                return {}
            try:
                return node(state)
            except ModelError as exc:
                logger.warning("%s failed: %s", name, exc)
                return {"failure": f"{name}: {exc}"}

        return run

    def write_with_consistency(studio: Studio, step: DraftStep, feedback: str | None, reason: str) -> list[Repair]:
        studio.write(step, feedback)
        repairs = [] if feedback is None else [Repair(step=step, agent=studio.role_of(step), reason=reason,
                                                      feedback=feedback)]
        for stale in studio.draft.stale_after(step):
            note = f"The `{step}` answer changed; update your `{stale}` answer so it only uses what now exists."
            say(f"{studio.role_of(stale)}: updating {stale} to match")
            studio.write(stale, note)
            repairs.append(Repair(step=stale, agent=studio.role_of(stale), reason="consistency", feedback=note))
        return repairs

    def retrieve(state: GameGrammarState) -> dict[str, Any]:
        say("Retrieval: finding exemplar games")
        exemplars = search(state["theme"], state["retrieval"], config.exemplar_count)
        brief = Brief(
            theme=state["theme"],
            constraints=state["constraints"],
            exemplars="\n".join(f"- {game.as_lesson()}" for game in exemplars),
        )
        return {"exemplars": exemplars, "studio": Studio(brief, max_reasks=config.max_reasks), "repairs": [],
                "raised": [], "repair_rounds": 0, "critiqued": False, "critique": None, "stale_issues": [],
                "verdict": None, "failure": None}

    def steps_node(steps: tuple[DraftStep, ...]):
        def node(state: GameGrammarState) -> dict[str, Any]:
            studio = state["studio"]
            for step in steps:
                say(f"{studio.role_of(step)}: writing {step}")
                studio.write(step)
            return {}

        return node

    def validate(state: GameGrammarState) -> dict[str, Any]:
        say("Validators: checking the design")
        design = state["studio"].draft.design()
        findings = validate_design(design)
        return {"design": design, "findings": findings, "raised": state.get("raised", []) + actionable(findings)}

    def actionable(findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if f.severity is not Severity.INFO]

    def next_repair(state: GameGrammarState) -> tuple[DraftStep, str] | None:
        """The step to send back to its owner, with the feedback, or None when repairing is done.

        Steps with errors go first, upstream first. Feedback an earlier round already gave for the
        same step is not repeated while another step has fresh feedback; once none is fresh, only
        errors are worth another try: a warning that one rewrite did not fix is left in the report.
        """
        if state.get("repair_rounds", 0) >= config.max_repair_rounds:
            return None
        findings = actionable(state.get("findings", []))
        tried = {(r.step, r.feedback) for r in state.get("repairs", []) if r.reason == "validation"}
        has_error = {step_for(f) for f in findings if f.severity is Severity.ERROR}
        steps = sorted({step_for(f) for f in findings}, key=lambda step: (step not in has_error, ORDER.index(step)))
        by_step = [(step, _feedback([f for f in findings if step_for(f) == step])) for step in steps]
        fresh = [(step, feedback) for step, feedback in by_step if (step, feedback) not in tried]
        retry = [(step, feedback) for step, feedback in by_step if step in has_error]
        return (fresh or retry or [None])[0]

    def route_after_validate(state: GameGrammarState) -> str:
        if state.get("failure"):
            return "assemble"
        if next_repair(state) is not None:
            return "repair"
        return "judge" if state.get("critiqued") else "critique"

    def repair(state: GameGrammarState) -> dict[str, Any]:
        studio = state["studio"]
        step, feedback = next_repair(state)
        say(f"{studio.role_of(step)}: repairing {step} ({feedback.count(chr(10)) + 1} findings)")
        repairs = write_with_consistency(studio, step, feedback, "validation")
        return {"repairs": state["repairs"] + repairs, "repair_rounds": state["repair_rounds"] + 1}

    def critique(state: GameGrammarState) -> dict[str, Any]:
        """The Balance Critic's issues, less those that repeat a validator finding already fixed:
        the validators are the authority on structure, and a rewrite for a solved problem costs a
        whole step's tokens and can undo the fix."""
        say("Balance Critic: looking for what breaks at the table")
        critique = state["studio"].critique()
        current = {f.message for f in state.get("findings", [])}
        fixed = [f for f in state.get("raised", []) if f.message not in current]
        stale = [issue for issue in critique.issues if any(restates(issue.problem, f) for f in fixed)]
        if stale:
            logger.info("Dropped %d critique issue(s) that repeat fixed findings", len(stale))
        kept = Critique(issues=[issue for issue in critique.issues if issue not in stale])
        return {"critique": kept, "stale_issues": stale, "critiqued": True}

    def route_after_critique(state: GameGrammarState) -> str:
        if state.get("failure"):
            return "assemble"
        return "revise" if state["critique"] and state["critique"].issues else "judge"

    def revise(state: GameGrammarState) -> dict[str, Any]:
        studio = state["studio"]
        issues = state["critique"].issues if state["critique"] else []
        repairs = list(state["repairs"])
        for step in sorted({DraftStep(issue.step) for issue in issues}, key=ORDER.index):
            feedback = "\n".join(f"- Balance Critic: {i.problem} Fix: {i.fix}" for i in issues if i.step == step)
            say(f"{studio.role_of(step)}: revising {step} after the critique")
            repairs += write_with_consistency(studio, step, feedback, "critique")
        return {"repairs": repairs}

    def judge(state: GameGrammarState) -> dict[str, Any]:
        say("Fun Judge: scoring the game")
        return {"verdict": state["studio"].judge()}

    def assemble(state: GameGrammarState) -> dict[str, Any]:
        studio = state.get("studio")
        if studio is None or not studio.draft.complete:
            return {"design": None}
        design = studio.draft.design()
        design = design.model_copy(update={"rules": rules_sections(design)})
        return {"design": design, "findings": validate_design(design)}

    graph = StateGraph(GameGrammarState)
    graph.add_node("retrieve", guarded("retrieve", retrieve))
    graph.add_node("mechanics", guarded("Mechanics Architect", steps_node((DraftStep.ENGINE, DraftStep.ACTIONS,
                                                                            DraftStep.FLOW))))
    graph.add_node("theme", guarded("Theme Weaver", steps_node((DraftStep.IDENTITY,))))
    graph.add_node("components", guarded("Component Designer", steps_node((DraftStep.COMPONENTS, DraftStep.SETUP))))
    graph.add_node("validate", guarded("validate", validate))
    graph.add_node("repair", guarded("repair", repair))
    graph.add_node("critique", guarded("Balance Critic", critique))
    graph.add_node("revise", guarded("revise", revise))
    graph.add_node("judge", guarded("Fun Judge", judge))
    graph.add_node("assemble", assemble)
    graph.add_edge(START, "retrieve")
    graph.add_edge("retrieve", "mechanics")
    graph.add_edge("mechanics", "theme")
    graph.add_edge("theme", "components")
    graph.add_edge("components", "validate")
    graph.add_conditional_edges("validate", route_after_validate, ["repair", "critique", "judge", "assemble"])
    graph.add_edge("repair", "validate")
    graph.add_conditional_edges("critique", route_after_critique, ["revise", "judge", "assemble"])
    graph.add_edge("revise", "validate")
    graph.add_edge("judge", "assemble")
    graph.add_edge("assemble", END)
    return graph.compile()
