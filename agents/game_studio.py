"""The GameGrammar studio: five roles with professional anxieties writing one design in one
conversation, step by step, each step decoded under a schema built from the earlier steps' ids.

The conversation is the studio's shared memory: every agent sees what the others wrote, a repair
is a new turn addressed to the agent that owns the problem, and on the embedded engine each call
extends the previous prompt, so the KV cache evaluates only the new request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agents.conversation import Conversation, Role
from agents.lm.adapter import Turn
from ontology.core import Finding
from ontology.game import ComponentKind, FunVerdict, GameDesign, RulesSection, Sentence, ThemePart
from ontology.game_drafts import (
    EngineDraft,
    actions_schema,
    assemble_design,
    build_components,
    complete_needs,
    components_schema,
    distinct_extras,
    engine_schema,
    flow_schema,
    playable_actions,
    setup_schema,
)
from ontology.game_requests import GameRequestFacts, facts_from_request
from ontology.game_reskin import (
    ENGINE_KEY,
    WRITTEN_STEPS,
    candidates,
    choice_schema,
    chosen_engine,
    engine_menu,
    names_schema,
    reskin,
    step_task,
    vocabulary,
)
from ontology.game_validators import DraftStep
from ontology.game_validators import Role as OwnerRole

PREAMBLE = (
    "This is a working session of a professional tabletop game design studio. Several specialists "
    "take turns; each turn names who speaks and what to write. Every answer is one JSON object for "
    "that part only. Every description is one sentence of at most 25 words, concrete and specific "
    "to this game; names are short nouns without numbers; ids are snake_case. "
    "Published games are inspiration, never something to copy."
)


MECHANICS_ARCHITECT = Role(
    OwnerRole.MECHANICS.value,
    "Your anxiety is a game that cannot actually be played: an action that costs something nothing "
    "produces, an end that never comes, scoring that counts nothing, a turn without a real choice.",
)
THEME_WEAVER = Role(
    OwnerRole.THEME.value,
    "Your anxiety is a theme pasted onto mechanics, with names that could belong to any game. Every "
    "word must come from what the players actually do in this design.",
)
COMPONENT_DESIGNER = Role(
    OwnerRole.COMPONENTS.value,
    "Your anxiety is a box that cannot support the rules: too few pieces for the largest player count "
    "(per_player x max players must fit the quantity), a deck without the right cards, a component "
    "that setup never places.",
)
BALANCE_CRITIC = Role(
    "Balance Critic",
    "Your anxiety is a broken game at the table: a dominant strategy, a runaway leader, kingmaking, an "
    "action nobody would take, a player with nothing useful to do. You do not praise.",
)
FUN_JUDGE = Role(
    "Fun Judge",
    "Your anxiety is a game that is correct but dull, that nobody asks to play again. Most published "
    "hits score 7 to 9; a first draft rarely deserves more than 7.",
)


@dataclass(frozen=True)
class Step:
    name: DraftStep
    role: Role
    task: str
    max_tokens: int


STEPS: dict[DraftStep, Step] = {
    step.name: step
    for step in (
        Step(DraftStep.ENGINE, MECHANICS_ARCHITECT,
             "Decide the shape of the game: cooperative or not, complexity, player count, play time, "
             "two to four mechanisms that suit the theme, the resources players manage, and the "
             "components the rules need (ids only; the Component Designer will build them).", 800),
        Step(DraftStep.ACTIONS, MECHANICS_ARCHITECT,
             "Write the actions a player can take, each with its costs, gains and the components it "
             "uses. Every resource should be produced by some action and spent or scored somewhere; "
             "an action turns what it costs into something else.", 800),
        Step(DraftStep.FLOW, MECHANICS_ARCHITECT,
             "Write the turn structure (phases listing the actions allowed in each), the end "
             "conditions (with their number of rounds, threshold or target) and the scoring.", 800),
        Step(DraftStep.COMPONENTS, COMPONENT_DESIGNER,
             "Specify every component the rules need: its name, how many each player owns and how many "
             "sit in the supply, what tokens represent, the card types of each deck, the sides of the dice.",
             1000),
        Step(DraftStep.SETUP, COMPONENT_DESIGNER,
             "Write one setup instruction for each component, saying where it goes and how many each "
             "player takes.", 450),
        Step(DraftStep.IDENTITY, THEME_WEAVER,
             "Write the game's identity: title, tagline, a one-sentence theme, and a short introduction "
             "for the rulebook that sets the scene.", 350),
    )
}

ORDER = list(DraftStep)

MENU_SIZE = 5
"""How many proven engines the Mechanics Architect chooses among: the closest to the theme first (a 1.5B
model mostly takes one of the first it reads; offered all 13 in file order, it took agricola, power_grid
or dominion for every bench theme)."""


class Brief(BaseModel):
    """What the studio is asked for; it opens the conversation."""

    theme: str
    constraints: str
    exemplars: str


class Issue(BaseModel):
    step: Literal["engine", "actions", "flow", "components", "setup", "identity"] = Field(
        description="the part whose author must fix this"
    )
    problem: Sentence
    fix: Sentence


class Critique(BaseModel):
    issues: list[Issue] = Field(max_length=3)


Answers = dict[DraftStep, dict[str, Any]]
"""Each written step's answer as JSON data: what a pipeline's state keeps of the draft."""


Engines = Mapping[str, GameDesign]
"""Proven engines by id (the calibration games) that a design may re-theme (`ontology.game_reskin`)."""


class Draft:
    """The studio's answers so far, and the schema each step must follow given them.

    Two modes share the steps and their owners: a free design (the engine step invents resources and
    component needs, the later steps invent rules over them) and a re-themed proven engine (the engine
    step chooses one of `engines` and names its parts; the later steps name and describe the rest).
    The engine step's answer says which: it carries `ENGINE_KEY` only in the second.
    """

    def __init__(self, answers: Mapping[DraftStep, dict[str, Any]] | None = None,
                 facts: GameRequestFacts | None = None, engines: Engines | None = None) -> None:
        self.answers: Answers = dict(answers or {})
        self.facts = facts or GameRequestFacts()
        self.engines: Engines = engines or {}

    @property
    def proven(self) -> GameDesign | None:
        """The proven engine this draft re-themes, or None for a free design."""
        key = chosen_engine(self.answers)
        if key is None:
            return None
        if key not in self.engines:
            raise RuntimeError(f"the draft re-themes engine {key!r}, which is not among the engines given "
                               f"({', '.join(self.engines) or 'none'})")
        return self.engines[key]

    @property
    def engine(self) -> EngineDraft | None:
        """The free design's engine step (None before it is written, and for a proven engine)."""
        answer = self.answers.get(DraftStep.ENGINE)
        return EngineDraft.model_validate(answer) if answer and ENGINE_KEY not in answer else None

    def preview(self) -> GameDesign:
        """The proven engine with what the steps so far renamed (the engine's own words elsewhere)."""
        proven = self.proven
        if proven is None:
            raise RuntimeError("only a re-themed engine has a preview before it is complete")
        return reskin(proven, self.answers, self.facts)

    def _ids(self, step: DraftStep, key: str) -> list[str]:
        return [item["id"] for item in self.answers.get(step, {}).get(key, [])]

    def component_ids(self) -> list[str]:
        engine = self.engine
        needs = [need.id for need in engine.component_needs] if engine else []
        return needs + self._ids(DraftStep.COMPONENTS, "extra_components")

    def schema_for(self, step: DraftStep) -> type[BaseModel]:
        proven = self.proven
        if proven is not None:
            return names_schema(step, proven)
        engine = self.engine
        if step is DraftStep.ENGINE:
            return engine_schema(self.facts)
        if step is DraftStep.IDENTITY:
            return ThemePart
        if engine is None:
            raise RuntimeError(f"step {step} needs the engine step first")
        resources = [resource.id for resource in engine.resources]
        needs = [need.id for need in engine.component_needs]
        if step is DraftStep.ACTIONS:
            decks = [need.id for need in engine.component_needs if need.kind is ComponentKind.DECK]
            return actions_schema(resources, needs, decks)
        if step is DraftStep.FLOW:
            actions = self.answers.get(DraftStep.ACTIONS, {}).get("actions", [])
            gained = sorted({amount["resource"] for action in actions for amount in action.get("gains", [])}
                            | {action["roll"]["resource"] for action in actions if action.get("roll")})
            exhaustible = {need.id for need in engine.component_needs
                           if need.kind in (ComponentKind.DECK, ComponentKind.TOKENS)}
            used = sorted(({ref for action in actions for ref in action.get("components", [])}
                           | {action["draw"]["deck"] for action in actions if action.get("draw")}) & exhaustible)
            # Scoring counts resources: a component counts only through the resource it stands for,
            # which the Component Designer has not chosen yet, so counting one could score nothing.
            return flow_schema([action["id"] for action in actions], resources, gained, used, resources,
                               cooperative=engine.cooperative)
        if step is DraftStep.COMPONENTS:
            return components_schema(engine.component_needs, resources)
        return setup_schema(self.component_ids())

    def stale_after(self, changed: DraftStep) -> list[DraftStep]:
        """Later steps whose answers no longer fit their schema once `changed` was rewritten."""
        stale = []
        for step in ORDER[ORDER.index(changed) + 1:]:
            if step in self.answers:
                try:
                    self.schema_for(step).model_validate(self.answers[step])
                except (ValidationError, RuntimeError):
                    stale.append(step)
        return stale

    @property
    def complete(self) -> bool:
        return all(step in self.answers for step in ORDER)

    def design(self, rules: list[RulesSection] | None = None) -> GameDesign:
        assert self.complete
        if (proven := self.proven) is not None:
            return reskin(proven, self.answers, self.facts).model_copy(update={"rules": rules or []})
        engine = self.engine
        assert engine is not None
        return assemble_design(
            engine,
            self.answers[DraftStep.ACTIONS],
            self.answers[DraftStep.FLOW],
            build_components(engine.component_needs, self.answers[DraftStep.COMPONENTS], engine.players.max),
            self.answers[DraftStep.SETUP],
            ThemePart.model_validate(self.answers[DraftStep.IDENTITY]),
            rules or [],
        )


def step_for(finding: Finding) -> DraftStep:
    """The step whose author can fix `finding`, as the validator's registration declares it."""
    if finding.step is None:
        raise ValueError(f"finding {finding.code} at {finding.path} names no drafting step; register its check "
                         "with an Owner that has one")
    return DraftStep(finding.step)


class Studio:
    """One design session: the conversation, the draft, and the agents' turns.

    A short-lived view: a pipeline keeps the brief, the transcript and the answers as plain data,
    rebuilds the studio from them for one step's turns and stores what it has after them, so a
    session can be checkpointed, resumed and branched between any two steps.
    """

    def __init__(self, brief: Brief, *, transcript: list[Turn] | None = None,
                 answers: Mapping[DraftStep, dict[str, Any]] | None = None, max_reasks: int = 1,
                 engines: Engines | None = None, offer: Sequence[str] = ()) -> None:
        """`engines` are the proven engines a draft may re-theme; the engine step chooses among the first
        `MENU_SIZE` of `offer` (keys of `engines`, best first) that fit the request, and designs freely
        when none does or nothing is offered."""
        self.brief = brief
        self.conversation = Conversation(PREAMBLE, brief, max_reasks=max_reasks, transcript=transcript)
        self.draft = Draft(answers, facts_from_request(brief.theme, brief.constraints), engines)
        fitting = set(candidates(self.draft.engines, self.draft.facts))
        self.offered = [key for key in offer if key in fitting][:MENU_SIZE]

    @property
    def transcript(self) -> list[Turn]:
        return self.conversation.transcript

    @property
    def answers(self) -> Answers:
        return self.draft.answers

    def _ask(self, role: Role, task: str, key: str, schema: type[BaseModel], max_tokens: int,
             feedback: str | None = None) -> Any:
        return self.conversation.ask(role, task, key, schema, max_tokens, feedback)

    @staticmethod
    def role_of(step: DraftStep) -> str:
        return STEPS[step].role.name

    def write(self, step_name: DraftStep, feedback: str | None = None, *, rechoose: bool = False) -> dict[str, Any]:
        """Run one design step (a first draft, or a rewrite answering `feedback`). A re-themed design's
        engine step keeps its engine on a rewrite unless `rechoose` (a revision request may need another)."""
        step = STEPS[step_name]
        if step_name is DraftStep.ENGINE and self.offered and (rechoose or self.draft.proven is None):
            return self._write_proven_engine(feedback)
        if (proven := self.draft.proven) is not None:
            if step_name not in WRITTEN_STEPS:  # the engine is kept; the rest is written from the structure
                if step_name is not DraftStep.ENGINE:
                    self.draft.answers[step_name] = {}
                return self.draft.answers[step_name]
            task = step_task(step_name, proven, self.draft.answers, self.draft.facts)
            if feedback is not None:
                task = f"Rewrite your `{step_name}` answer to fix the feedback. {task}"
            value = self._ask(step.role, task, step_name.value, self.draft.schema_for(step_name), step.max_tokens,
                              feedback)
            self.draft.answers[step_name] = value.model_dump(mode="json")
            return self.draft.answers[step_name]
        task = step.task if feedback is None else f"Rewrite your `{step_name}` answer to fix the feedback."
        value = self._ask(step.role, task, step_name.value, self.draft.schema_for(step_name),
                          step.max_tokens, feedback)
        if isinstance(value, EngineDraft):
            value = complete_needs(value)
        answer = value.model_dump(mode="json")
        if step_name is DraftStep.ACTIONS and self.draft.engine is not None:
            answer = playable_actions(answer, self.draft.engine)
        if step_name is DraftStep.COMPONENTS and self.draft.engine is not None:
            answer = distinct_extras(answer, self.draft.engine)
        self.draft.answers[step_name] = answer
        return self.draft.answers[step_name]

    def _write_proven_engine(self, feedback: str | None) -> dict[str, Any]:
        """The engine step of a re-themed design, in one turn: the theme's nouns by kind, then the engine
        that suits the theme. Every part is named from those words by its role (`ontology.game_naming`)."""
        choice = self._ask(MECHANICS_ARCHITECT, f"First list concrete nouns of the world of '{self.brief.theme}', "
                           "by kind: what is found, grown, made or traded there (commonest first), what the players "
                           "build or win, who lives there, what they use, where it happens, and the danger they face "
                           "(every name in this game will be one of these words). Then choose the proven rules engine "
                           "this game re-themes: the one whose play best fits the theme (what players do, what they "
                           "gather, how they win).\nEngines:\n" + engine_menu(self.draft.engines, self.offered),
                           "engine_choice", choice_schema(self.offered), 360, feedback)
        engine = self.draft.engines[choice.engine]
        words = vocabulary(choice.words, engine, self.brief.theme)
        self.draft.answers[DraftStep.ENGINE] = {ENGINE_KEY: choice.engine, "why": choice.why,
                                                "words": words.model_dump(mode="json")}
        return self.draft.answers[DraftStep.ENGINE]

    def critique(self, measured: str | None = None) -> Critique:
        """The Balance Critic's issues; `measured` (a playtest's figures, as text) grounds them in
        what simulated players did rather than in impressions."""
        task = ("Name at most three concrete problems of this design, each with the step whose author must "
                "fix it and a specific fix (numbers, costs, limits). Return no issues only if there truly are none.")
        if measured:
            task += f" Base them on these playtest measurements, not on guesses:\n{measured}"
        return self._ask(BALANCE_CRITIC, task, "critique", Critique, 400)

    def judge(self) -> FunVerdict:
        return self._ask(FUN_JUDGE, "Imagine four friends playing this game tonight and score it honestly "
                         "against the published games.", "verdict", FunVerdict, 250)
