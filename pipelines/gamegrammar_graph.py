"""The GameGrammar LangGraph: retrieve -> draft (engine, actions, flow, identity, components, setup;
one step per pass) -> validate -> repair (routed to the owning agent, bounded) -> playtest (bots
play the design once the validators find no error; its findings go through the same repairs) ->
balance critique (reading the playtest's measured figures) -> revise -> fun judgement -> assemble.
A branch of a finished run enters at `request` instead of `retrieve`: the revision request goes to
the Mechanics Architect's engine step, later steps follow it, and the design is validated,
playtested, critiqued and judged as usual.

Retrieval and the multi-agent path always run together: the retrieved exemplars open the studio's
conversation. A model failure in any node (budget spent, output that stays invalid, timeout)
ends the run at `assemble` with the best design so far and the unresolved findings, never with a
traceback.

The state is plain data (brief, transcript, answers, findings, ...): each node rebuilds a `Studio`
from it, lets its agents take their turns and returns the new transcript and answers, so every
step can be checkpointed and a node can be tested alone (`pipelines/pipeline.py`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agents.game_studio import ORDER, Answers, Brief, Critique, Draft, Engines, Issue, Studio, step_for
from agents.lm.adapter import Turn
from agents.lm.errors import ModelError
from ontology.core import Finding, Severity, errors
from ontology.game import FunVerdict, GameDesign
from ontology.game_requests import facts_from_request
from ontology.game_reskin import (
    WRITTEN_STEPS,
    about_wording,
    chosen_engine,
    engine_nouns,
    engine_sentences,
    worded,
)
from ontology.game_rulebook import rules_sections
from ontology.game_validators import DraftStep, copied_prose, validate_design
from pipelines.pipeline import Progress, Update, bind, log_progress
from retrieval.calibration import load_calibration_games
from retrieval.exemplars import ExemplarGame
from retrieval.store import RetrievalConstraints
from tools.games.playtest import PlaytestBudget, PlaytestReport
from tools.games.playtest import playtest as play_design
from tools.games.tuning import TuningBudget, TuningResult, tune

logger = logging.getLogger(__name__)

DRAFT_ORDER = (DraftStep.ENGINE, DraftStep.ACTIONS, DraftStep.FLOW, DraftStep.IDENTITY, DraftStep.COMPONENTS,
               DraftStep.SETUP)
"""The order the first draft is written in: the mechanics, then the theme drawn from them, then the box."""

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
    reason: str = Field(description="'validation', 'playtest', 'critique', 'consistency' or 'request' (a branch's "
                                    "revision)")
    feedback: str


class GameGrammarState(BaseModel):
    """A run as the checkpointer stores it."""

    theme: str
    seed: int = Field(0, description="the sampling seed the run started with; a resume or branch uses it too")
    constraints: str = "none"
    retrieval: RetrievalConstraints = Field(default_factory=RetrievalConstraints)
    exemplars: list[ExemplarGame] = Field(default_factory=list)
    engine_order: list[str] = Field(default_factory=list,
                                    description="the proven engines' keys, closest to the theme first")
    brief: Brief | None = None
    transcript: list[Turn] = Field(default_factory=list, description="the studio's conversation, verbatim")
    answers: Answers = Field(default_factory=dict, description="each written step's answer")
    findings: list[Finding] = Field(default_factory=list,
                                    description="the latest validation's findings, and its playtest's once played")
    raised: list[Finding] = Field(default_factory=list, description="every actionable finding raised so far")
    repairs: list[Repair] = Field(default_factory=list)
    repair_rounds: int = 0
    playtest: PlaytestReport | None = Field(
        None, description="the playtest of the design as the answers stand; None until the validators pass it")
    tuning: TuningResult | None = Field(None, description="the search over the final design's numbers")
    critique: Critique | None = None
    stale_issues: list[Issue] = Field(default_factory=list)
    critiqued: bool = False
    verdict: FunVerdict | None = None
    design: GameDesign | None = None
    failure: str | None = None
    revision: str | None = Field(None, description="a branch's revision request")
    parent_run: str | None = Field(None, description="the run this one branched from")
    parent_design: GameDesign | None = None


PIPELINE_PLAYTEST = PlaytestBudget(greedy_games=50, search_games=10, search_playouts=8, restricted_games=30)
"""Sized so a typical design's playtest takes at most about 10 s on one core (the hand-made Mycelium, a
long game of about 90 decisions per player, takes 5-6 s on a busy machine), with enough games per metric."""


class GameGrammarConfig(BaseModel):
    max_repair_rounds: int = Field(3, ge=0, le=10)
    reskin_repair_rounds: int = Field(
        1, ge=0, le=10, description="the repair rounds of a re-themed engine, whose agents write only action names "
                                    "and the identity (every other sentence is written from the structure)")
    exemplar_count: int = Field(3, ge=1, le=8)
    max_reasks: int = Field(1, ge=0, le=5)
    playtest: PlaytestBudget | None = Field(
        PIPELINE_PLAYTEST, description="the games each playtest plays; None: designs are not playtested")
    playtest_games: int = Field(100, ge=1, description="random self-play games per playtest")
    max_facts_chars: int = Field(1200, ge=200, description="the most playtest figures the Balance Critic reads")
    tuning: TuningBudget | None = Field(
        default_factory=TuningBudget, description="the search that sets the final design's numbers; None: no tuning")
    proven_engines: bool = Field(
        True, description="re-theme a proven engine (a calibration game that fits the request) rather than invent "
                          "the rules; a request no engine fits is designed freely")


Search = Callable[[str, RetrievalConstraints, int], list[ExemplarGame]]
"""`search(query, constraints, k)`: the exemplar retrieval."""


@dataclass(frozen=True)
class GameGrammarDeps:
    """What the nodes use besides the state; the LM comes from `dspy.context`."""

    search: Search
    config: GameGrammarConfig = field(default_factory=GameGrammarConfig)
    progress: Progress = log_progress
    engines: Engines = field(default_factory=load_calibration_games)
    rank_engines: Callable[[str, Engines], list[str]] | None = None  # closest to a theme first; None: as listed


Node = Callable[[GameGrammarState, GameGrammarDeps], Update]


def guarded(who: str | Callable[[GameGrammarState], str]) -> Callable[[Node], Node]:
    """A node that does nothing once the run has failed, and turns a model failure into the
    state's `failure` ("<who>: <error>"), so the run goes on to `assemble`. A failed node's
    turns are dropped: the state keeps the last consistent draft."""

    def wrap(node: Node) -> Node:
        @wraps(node)
        def run(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
            if state.failure:
                return {}
            try:
                return node(state, deps)
            except ModelError as exc:
                name = who if isinstance(who, str) else who(state)
                logger.warning("%s failed: %s", name, exc)
                return {"failure": f"{name}: {exc}"}

        return run

    return wrap


def studio_for(state: GameGrammarState, deps: GameGrammarDeps) -> Studio:
    """The studio as the state left it, for one node's turns."""
    if state.brief is None:
        raise RuntimeError("the studio needs the brief the retrieve node writes")
    return Studio(state.brief, transcript=state.transcript, answers=state.answers,
                  max_reasks=deps.config.max_reasks, engines=deps.engines,
                  offer=state.engine_order if deps.config.proven_engines else ())


def draft_of(answers: Answers, state: GameGrammarState, deps: GameGrammarDeps) -> Draft:
    """The draft of these answers, read with the run's request facts and engines."""
    return Draft(answers, facts_from_request(state.theme, state.constraints), deps.engines)


def reskinned(state: GameGrammarState) -> bool:
    """Whether the run re-themes a proven engine: its steps write words only, so only findings about
    words go back to them; the critic's fixes (numbers, costs, limits) have no step to go to."""
    return chosen_engine(state.answers) is not None


def studio_update(studio: Studio) -> Update:
    return {"transcript": list(studio.transcript), "answers": dict(studio.answers)}


def _feedback(findings: list[Finding]) -> str:
    return "\n".join(f"- {finding.path}: {finding.message}" for finding in findings)


def actionable(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.INFO]


def write_with_consistency(studio: Studio, step: DraftStep, feedback: str, reason: str,
                           progress: Progress) -> list[Repair]:
    """Rewrite `step` to answer `feedback`, then every later step whose answer no longer fits."""
    studio.write(step, feedback, rechoose=reason == "request")
    repairs = [Repair(step=step, agent=studio.role_of(step), reason=reason, feedback=feedback)]
    for stale in studio.draft.stale_after(step):
        note = f"The `{step}` answer changed; update your `{stale}` answer so it only uses what now exists."
        progress(f"{studio.role_of(stale)}: updating {stale} to match")
        studio.write(stale, note)
        repairs.append(Repair(step=stale, agent=studio.role_of(stale), reason="consistency", feedback=note))
    return repairs


def measured_facts(report: PlaytestReport, design: GameDesign, max_chars: int) -> str:
    """The playtest's key figures in sentences, for the Balance Critic to reason from rather than
    guess; at most `max_chars`, the actions least often taken by strong play cut first."""
    m = report.measures
    names = {action.id: action.name for action in design.actions}
    lines = [f"Over {m.games} simulated games with {m.players} players: {m.completion:.0%} ended before the "
             f"round cap, after {m.rounds:.0f} rounds and {m.decisions_per_player:.0f} decisions per player on "
             f"average, about {m.estimated_minutes:.0f} minutes (declared {m.declared_minutes.min}-"
             f"{m.declared_minutes.max})."]
    if not m.cooperative:
        lines.append(f"Win rate by seat: {' / '.join(f'{rate:.0%}' for rate in m.seat_win_rates)}; draws "
                     f"{m.draws:.0%}; {m.lead_changes:.1f} lead changes per game; winning margin {m.margin:.1f} "
                     f"points; highest score {m.max_score}.")
    skilled = [bot for bot in m.bots if bot.bot != "random"]
    for bot in skilled:
        against = "as the whole team" if m.cooperative else "against random players"
        lines.append(f"The {bot.bot} bot won {bot.win_rate:.0%} of {bot.games} games {against} "
                     f"(random play: {m.fair:.0%}).")
    strongest = skilled[-1].bot if skilled else "strongest"
    for stats in sorted(m.actions, key=lambda stats: -(stats.skilled_share or 0)):
        only = "" if stats.only_win_rate is None else (
            f"; a bot taking only it whenever it can won {stats.only_win_rate:.0%}")
        share = ("never measured" if stats.skilled_share is None
                 else f"the {strongest} bot took it in {stats.skilled_share:.0%} of its turns")
        lines.append(f"{names.get(stats.action, stats.action)}: {share}{only}.")
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > max_chars:
            break
        text += line + "\n"
    return text.rstrip()


def next_draft_step(state: GameGrammarState) -> DraftStep | None:
    """The first step of the first draft not written yet."""
    return next((step for step in DRAFT_ORDER if step not in state.answers), None)


def next_repair(state: GameGrammarState, config: GameGrammarConfig) -> tuple[DraftStep, str] | None:
    """The step to send back to its owner, with the feedback, or None when repairing is done.

    Steps with errors go first, upstream first. Feedback an earlier round already gave for the
    same step is not repeated while another step has fresh feedback; once none is fresh, only
    errors are worth another try: a warning that one rewrite did not fix is left in the report.
    """
    rounds = config.reskin_repair_rounds if reskinned(state) else config.max_repair_rounds
    if state.repair_rounds >= rounds:
        return None
    findings = actionable(state.findings)
    if reskinned(state):  # the agents write only words, and of those only the actions and the identity
        findings = [f for f in findings if about_wording(f.location) and step_for(f) in WRITTEN_STEPS]
    tried = {(r.step, r.feedback) for r in state.repairs if r.reason in ("validation", "playtest")}
    has_error = {step_for(f) for f in findings if f.severity is Severity.ERROR}
    steps = sorted({step_for(f) for f in findings}, key=lambda step: (step not in has_error, ORDER.index(step)))
    by_step = [(step, _feedback([f for f in findings if step_for(f) == step])) for step in steps]
    fresh = [(step, feedback) for step, feedback in by_step if (step, feedback) not in tried]
    retry = [(step, feedback) for step, feedback in by_step if step in has_error]
    candidates = fresh or retry
    return candidates[0] if candidates else None


@guarded("retrieve")
def retrieve(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    deps.progress("Retrieval: finding exemplar games")
    exemplars = deps.search(state.theme, state.retrieval, deps.config.exemplar_count)
    order = deps.rank_engines(state.theme, deps.engines) if deps.rank_engines else list(deps.engines)
    brief = Brief(theme=state.theme, constraints=state.constraints,
                  exemplars="\n".join(f"- {game.as_lesson()}" for game in exemplars))
    return {"exemplars": exemplars, "brief": brief, "engine_order": order}


def _draft_author(state: GameGrammarState) -> str:
    step = next_draft_step(state)
    return Studio.role_of(step) if step else "draft"


@guarded(_draft_author)
def draft(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    """Write the next step of the first draft."""
    step = next_draft_step(state)
    if step is None:
        raise RuntimeError("the first draft is complete; route to validate")
    studio = studio_for(state, deps)
    deps.progress(f"{studio.role_of(step)}: writing {step}")
    studio.write(step)
    return studio_update(studio)


@guarded("Mechanics Architect")
def request(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    """A branch's revision request, as feedback to the engine step; later steps follow it."""
    if state.revision is None:
        raise RuntimeError("the request node needs a branch's revision request")
    studio = studio_for(state, deps)
    deps.progress(f"{studio.role_of(DraftStep.ENGINE)}: revising the design as asked")
    feedback = f"- The designer asks for a revision: {state.revision}"
    repairs = write_with_consistency(studio, DraftStep.ENGINE, feedback, "request", deps.progress)
    return {**studio_update(studio), "repairs": repairs}


def given_texts(state: GameGrammarState, engine: GameDesign | None) -> list[str]:
    """What the agents were given to read that their prose must not copy: the exemplar games, the
    re-themed `engine`'s own sentences and the critique's issues, less the design's own words a critic
    quotes ('...')."""
    texts = [state.brief.exemplars] if state.brief else []
    if engine is not None:
        texts += engine_sentences(engine)
    issues = state.critique.issues if state.critique else []
    return texts + [_QUOTED.sub(" ", f"{issue.problem} {issue.fix}") for issue in issues]


def design_findings(design: GameDesign, state: GameGrammarState, draft: Draft) -> list[Finding]:
    """The validators' findings, and copied prose and kept engine nouns (which only the pipeline can
    check: it knows what the agents read and which engine the `draft` re-themes), errors first."""
    engine = draft.proven
    reused = engine_nouns(design, engine, state.theme) if engine is not None else []
    return copied_prose(design, given_texts(state, engine)) + validate_design(design) + reused


@guarded("validate")
def validate(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    deps.progress("Validators: checking the design")
    draft_so_far = draft_of(state.answers, state, deps)
    design = draft_so_far.design()
    findings = design_findings(design, state, draft_so_far)
    return {"design": design, "findings": findings, "raised": state.raised + actionable(findings), "playtest": None}


@guarded("playtest")
def playtest(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    """Play the validated design with bots; its findings join the validators', owned and routed alike."""
    budget = deps.config.playtest
    if state.design is None or budget is None:
        raise RuntimeError("the playtest needs a validated design and a playtest budget")
    deps.progress("Playtest: bots are playing the design")
    started = time.perf_counter()
    report = play_design(state.design, games=deps.config.playtest_games, seed=state.seed, budget=budget)
    logger.info("Playtest of %r: %d findings in %.1f s", state.design.title, len(report.findings),
                time.perf_counter() - started)
    return {"playtest": report, "findings": state.findings + report.findings,
            "raised": state.raised + actionable(report.findings)}


@guarded("repair")
def repair(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    todo = next_repair(state, deps.config)
    if todo is None:
        raise RuntimeError("nothing to repair; route past repair")
    step, feedback = todo
    studio = studio_for(state, deps)
    deps.progress(f"{studio.role_of(step)}: repairing {step} ({feedback.count(chr(10)) + 1} findings)")
    # a playtest runs only once the validators have nothing left to repair, so its findings drive this one
    reason = "playtest" if state.playtest is not None else "validation"
    repairs = write_with_consistency(studio, step, feedback, reason, deps.progress)
    return {**studio_update(studio), "repairs": state.repairs + repairs, "repair_rounds": state.repair_rounds + 1}


@guarded("Balance Critic")
def critique(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    """The Balance Critic's issues, less those that repeat a validator finding already fixed:
    the validators are the authority on structure, and a rewrite for a solved problem costs a
    whole step's tokens and can undo the fix."""
    deps.progress("Balance Critic: looking for what breaks at the table")
    studio = studio_for(state, deps)
    measured = (measured_facts(state.playtest, state.design, deps.config.max_facts_chars)
                if state.playtest and state.design else None)
    answer = studio.critique(measured)
    current = {f.message for f in state.findings}
    fixed = [f for f in state.raised if f.message not in current]
    stale = [issue for issue in answer.issues if any(restates(issue.problem, f) for f in fixed)]
    if stale:
        logger.info("Dropped %d critique issue(s) that repeat fixed findings", len(stale))
    kept = Critique(issues=[issue for issue in answer.issues if issue not in stale])
    return {**studio_update(studio), "critique": kept, "stale_issues": stale, "critiqued": True}


@guarded("revise")
def revise(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    studio = studio_for(state, deps)
    issues = state.critique.issues if state.critique else []
    repairs = list(state.repairs)
    for step in sorted({DraftStep(issue.step) for issue in issues}, key=ORDER.index):
        feedback = "\n".join(f"- Balance Critic: {i.problem} Fix: {i.fix}" for i in issues if i.step == step)
        deps.progress(f"{studio.role_of(step)}: revising {step} after the critique")
        repairs += write_with_consistency(studio, step, feedback, "critique", deps.progress)
    return {**studio_update(studio), "repairs": repairs}


@guarded("Fun Judge")
def judge(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    deps.progress("Fun Judge: scoring the game")
    studio = studio_for(state, deps)
    return {"verdict": studio.judge(), **studio_update(studio)}


@guarded("tune")
def tune_numbers(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    """Numbers by search, not by guess: once the agents are done with structure and names, a search
    over the simulator sets the costs, yields, thresholds, rounds and supplies until the playtest's
    metrics are in band (`tools.games.tuning`). The tuned design's playtest replaces the agents'."""
    budget = deps.config.tuning
    draft_so_far = draft_of(state.answers, state, deps)
    if budget is None or state.playtest is None or not draft_so_far.complete:
        return {}
    deps.progress("Tuning: searching the design's numbers")
    result = tune(draft_so_far.design(), seed=state.seed, budget=budget)
    logger.info("Tuning changed %d numbers in %.1f s", len(result.changes), result.seconds)
    return {"tuning": result, "playtest": result.after}


def assemble(state: GameGrammarState, deps: GameGrammarDeps) -> Update:
    """The design with its rulebook sections, from the last complete draft and its tuned numbers
    (None if there is no complete draft)."""
    draft_so_far = draft_of(state.answers, state, deps)
    if not draft_so_far.complete:
        return {"design": None}
    design = state.tuning.design if state.tuning else draft_so_far.design()
    if reskinned(state):  # what its parts do is worded from the tuned numbers
        design = worded(design)
    design = design.model_copy(update={"rules": rules_sections(design)})
    played = state.playtest.findings if state.playtest else []
    return {"design": design, "findings": design_findings(design, state, draft_so_far) + played}


def route_start(state: GameGrammarState, deps: GameGrammarDeps) -> str:
    return "request" if state.revision is not None and state.parent_run is not None else "retrieve"


def route_after_draft(state: GameGrammarState, deps: GameGrammarDeps) -> str:
    if state.failure:
        return "assemble"
    return "validate" if next_draft_step(state) is None else "draft"


def route_after_validate(state: GameGrammarState, deps: GameGrammarDeps) -> str:
    """Repair what the validators found first; a design with no error left is then playtested."""
    if state.failure:
        return "assemble"
    if next_repair(state, deps.config) is not None:
        return "repair"
    blocking = [f for f in state.findings if not (reskinned(state) and about_wording(f.location))]
    if deps.config.playtest is not None and state.design is not None and not errors(blocking):
        return "playtest"
    return "judge" if state.critiqued or reskinned(state) else "critique"


def route_after_playtest(state: GameGrammarState, deps: GameGrammarDeps) -> str:
    if state.failure:
        return "assemble"
    if next_repair(state, deps.config) is not None:
        return "repair"
    return "judge" if state.critiqued or reskinned(state) else "critique"


def route_after_critique(state: GameGrammarState, deps: GameGrammarDeps) -> str:
    if state.failure:
        return "assemble"
    return "revise" if state.critique and state.critique.issues else "judge"


def branch_values(parent: GameGrammarState, parent_run: str) -> Update:
    """What a branch of the finished run `parent` changes before its request is handled: it
    remembers its parent's design and starts its own repairs, critique and verdict."""
    if parent.design is None or not Draft(parent.answers).complete:
        raise ValueError(f"run {parent_run} has no finished design to branch from")
    return {"parent_run": parent_run, "parent_design": parent.design, "repairs": [], "repair_rounds": 0,
            "playtest": None, "critique": None, "stale_issues": [], "critiqued": False, "verdict": None,
            "failure": None}


def build_graph(deps: GameGrammarDeps, checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """Wire the nodes; with a `checkpointer`, every step of a run is saved under its thread id."""
    graph = StateGraph(GameGrammarState)
    for node in (retrieve, draft, request, validate, playtest, repair, critique, revise, judge, assemble):
        graph.add_node(node.__name__, bind(node, deps))
    graph.add_node("tune", bind(tune_numbers, deps))
    graph.add_conditional_edges(START, bind(route_start, deps), ["retrieve", "request"])
    graph.add_edge("retrieve", "draft")
    graph.add_conditional_edges("draft", bind(route_after_draft, deps), ["draft", "validate", "assemble"])
    graph.add_edge("request", "validate")
    graph.add_conditional_edges("validate", bind(route_after_validate, deps),
                                ["repair", "playtest", "critique", "judge", "assemble"])
    graph.add_conditional_edges("playtest", bind(route_after_playtest, deps),
                                ["repair", "critique", "judge", "assemble"])
    graph.add_edge("repair", "validate")
    graph.add_conditional_edges("critique", bind(route_after_critique, deps), ["revise", "judge", "assemble"])
    graph.add_edge("revise", "validate")
    graph.add_edge("judge", "tune")
    graph.add_edge("tune", "assemble")
    graph.add_edge("assemble", END)
    return graph.compile(checkpointer=checkpointer)
