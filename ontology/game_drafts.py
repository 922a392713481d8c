"""The game ontology cut into the steps the agents write, with schemas that tighten as ids appear.

A small model asked for a whole `GameDesign` at once invents references to things that do not
exist. Here each step's schema is built from the ids the earlier steps defined: an action's cost
can only name a declared resource, a phase can only list declared actions, a setup step can only
place declared components. Decoding under these schemas makes dangling references impossible by
construction, so the validators are left with the problems that need judgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Union

from pydantic import BaseModel, Field, create_model

from ontology.core import Id
from ontology.game import (
    Action,
    CardType,
    Component,
    ComponentKind,
    ComponentsPart,
    GameDesign,
    GameShape,
    Mechanism,
    MechanismFamily,
    MinutesRange,
    Name,
    PlayerRange,
    Resource,
    ResourceAmount,
    RulesSection,
    Sentence,
    SetupStep,
    ThemePart,
)
from ontology.game_requests import GameRequestFacts
from ontology.game_validators import REQUIRED_KINDS


class MechanismDraft(BaseModel):
    family: MechanismFamily
    name: Name
    how_it_works: Sentence


class ComponentNeed(BaseModel):
    """A component the rules need, declared by the Mechanics Architect and built by the Component Designer."""

    id: Id
    kind: ComponentKind
    purpose: Sentence


class ResourceDraft(Resource):
    """A resource with its starting amount and pool written out: a game whose players start with
    nothing and have no way to get anything cannot be played."""

    starting: int = Field(ge=0, le=20, description="how many each player (or the shared pool) starts with")
    shared: bool = Field(description="true for one pool the whole table shares (a cooperative goal or threat)")


class EngineDraft(GameShape):
    """Step 1: the shape of the game, its mechanisms, resources and the components it needs."""

    mechanisms: list[MechanismDraft] = Field(min_length=1, max_length=4)
    resources: list[ResourceDraft] = Field(max_length=5)
    component_needs: list[ComponentNeed] = Field(min_length=1, max_length=7)


def engine_schema(facts: GameRequestFacts) -> type[EngineDraft]:
    """Step 1 with the request's own facts fixed: a stated player count or mode is a constant the
    model copies, a stated play time an upper bound, a required player count a bound on the range."""
    fields: dict[str, Any] = {}
    if facts.cooperative is not None:
        fields["cooperative"] = (_choice([facts.cooperative]), ...)
    if facts.players_min is not None and facts.players_max is not None:
        fields["players"] = (create_model("FixedPlayers", __base__=PlayerRange,
                                          min=(_choice([facts.players_min]), ...),
                                          max=(_choice([facts.players_max]), ...)), ...)
    elif facts.includes_players is not None:
        fields["players"] = (create_model("IncludedPlayers", __base__=PlayerRange,
                                          min=(int, Field(ge=1, le=facts.includes_players)),
                                          max=(int, Field(ge=facts.includes_players, le=12))), ...)
    if facts.max_minutes is not None:
        bounded = (int, Field(ge=5, le=facts.max_minutes))
        fields["play_time_minutes"] = (create_model("BoundedMinutes", __base__=MinutesRange,
                                                    min=bounded, max=bounded), ...)
    if not fields:
        return EngineDraft
    return create_model("EngineDraft", __base__=EngineDraft, **fields)


def distinct_id(ident: str, suffix: str, taken: set[str]) -> str:
    """`ident`, or `<ident>_<suffix>` (then numbered) when another part of the design already uses
    it; the new id is added to `taken`."""
    candidate, number = ident, 1
    while candidate in taken:
        number += 1
        candidate = f"{ident}_{suffix}"[:37] + (f"_{number - 1}" if number > 2 else "")
    taken.add(candidate)
    return candidate


def complete_needs(engine: EngineDraft) -> EngineDraft:
    """Mechanical fixes to step 1 that would otherwise cost repair rounds:

    - a component need that reuses a resource id is renamed `<id>_<kind>` (small models often call
      the resource and the tokens that stand for it by the same name);
    - a mechanism whose family cannot be played without a kind of component none of the needs has
      (worker placement without player pieces) gets that need, for the Component Designer to build.
    """
    taken = {resource.id for resource in engine.resources}
    needs = [need.model_copy(update={"id": distinct_id(need.id, need.kind.value, taken)})
             for need in engine.component_needs]
    for mechanism in engine.mechanisms:
        required = REQUIRED_KINDS.get(mechanism.family, ())
        if required and not any(need.kind in required for need in needs):
            kind = required[0]
            family, kind_name = mechanism.family.value.replace("_", " "), kind.value.replace("_", " ")
            needs.append(ComponentNeed(
                id=distinct_id(f"{mechanism.family.value}_{kind.value}"[:40], kind.value, taken), kind=kind,
                purpose=f"The {kind_name} that {mechanism.name} ({family}) is played with."[:240]))
    return engine.model_copy(update={"component_needs": needs})


def _choice(ids: Sequence[object]) -> Any:
    """A type that accepts exactly these values (ids, or a fact the request fixed)."""
    return Literal[tuple(ids)]


def _list_of(item: Any) -> Any:
    """`list[item]` for an item type built at run time (`list[_choice(ids)]` is not a type
    expression a type checker can read)."""
    return list[item]


# The end conditions' discriminators, named so that a type checker reads them as types.
_Rounds = Literal["rounds"]
_ScoreThreshold = Literal["score_threshold"]
_ResourceThreshold = Literal["resource_threshold"]
_ComponentExhausted = Literal["component_exhausted"]
_ExtraKind = Literal["board", "tokens", "player_pieces", "player_board", "track", "tiles"]


def _amount(resources: Sequence[str]) -> type[BaseModel]:
    return create_model("Amount", resource=(_choice(resources), ...), amount=(int, Field(ge=1, le=10)))


def actions_schema(resources: Sequence[str], components: Sequence[str], decks: Sequence[str] = ()) -> type[BaseModel]:
    """Step 2: actions whose costs, gains, random yields, takes and components name only what step 1
    declared; a draw names one of the declared decks. The executable extras are optional (a plain
    conversion writes none of them), each bounded so the answer fits the step's token budget."""
    fields: dict[str, Any] = {"id": (Id, ...), "name": (Name, ...), "description": (Sentence, ...)}
    if resources:
        amount = _amount(resources)
        fields["costs"] = (_list_of(amount), Field(max_length=3))
        fields["gains"] = (_list_of(amount), Field(max_length=3))
        roll = create_model(
            "RollDraft", resource=(_choice(resources), ...), dice=(int, Field(ge=1, le=3)),
            sides=(int, Field(ge=2, le=12)), per=(int, Field(ge=1, le=6, description="pips per resource gained")))
        fields["roll"] = (roll | None, Field(None, description="a dice roll yielding a resource, if any"))
        fields["take"] = (_list_of(amount), Field(default_factory=list, max_length=1,
                                             description="taken from the opponent who holds the most"))
    if decks:
        draw = create_model("DrawDraft", deck=(_choice(decks), ...), cards=(int, Field(ge=1, le=3)))
        fields["draw"] = (draw | None, Field(None, description="cards drawn; each card's gains are added"))
    fields["components"] = (_list_of(_choice(components)), Field(max_length=3))
    fields["limit_per_round"] = (int | None, Field(None, ge=1, le=4, description="times all players together "
                                                                                 "may take it each round"))
    fields["price_step"] = (int, Field(0, ge=0, le=3, description="its costs rise by this each time it is "
                                                                   "taken in a round"))
    action = create_model("ActionDraft", **fields)
    return create_model("ActionsDraft", actions=(list[action], Field(min_length=2, max_length=6)))


def _end_conditions(gained: Sequence[str], used: Sequence[str]) -> Any:
    """End conditions that can always trigger and that a program can check: each kind carries
    exactly what it needs, and a threshold or exhaustion can only watch a resource some action
    produces or a component some action uses (an 'objective' or 'elimination' has no executable
    meaning, so it cannot be written)."""
    variants: list[type[BaseModel]] = [
        create_model("EndAfterRounds", kind=(_Rounds, ...), description=(Sentence, ...),
                     rounds=(int, Field(ge=1, le=30))),
        create_model("EndAtScore", kind=(_ScoreThreshold, ...), description=(Sentence, ...),
                     threshold=(int, Field(ge=1, le=500))),
    ]
    if gained:
        variants.append(create_model(
            "EndAtResource", kind=(_ResourceThreshold, ...), description=(Sentence, ...),
            threshold=(int, Field(ge=1, le=500)), target=(_choice(gained), ...)))
    if used:
        variants.append(create_model(
            "EndWhenExhausted", kind=(_ComponentExhausted, ...), description=(Sentence, ...),
            target=(_choice(used), ...)))
    return Union[tuple(variants)]  # noqa: UP007 - a runtime-built union


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def flow_schema(
    actions: Sequence[str], countables: Sequence[str], gained: Sequence[str], used: Sequence[str],
    resources: Sequence[str] = (), *, cooperative: bool = False,
) -> type[BaseModel]:
    """Step 3: turn phases over the declared actions, how many actions a phase allows, income or
    upkeep over declared resources; ending and scoring over declared things. A cooperative game
    writes the end the team wins by and the end it loses by, so it always has both."""
    phase = create_model(
        "PhaseDraft",
        name=(Name, ...),
        description=(Sentence, ...),
        actions=(_list_of(_choice(actions)), Field(min_length=1, max_length=6)),
    )
    turn_fields: dict[str, Any] = {
        "summary": (Sentence, ...),
        "phases": (list[phase], Field(min_length=1, max_length=4)),
        "actions_per_phase": (int, Field(1, ge=1, le=3, description="actions a player takes in each phase")),
    }
    if resources:
        income = create_model(
            "IncomeDraft", resource=(_choice(resources), ...),
            amount=(int, Field(ge=-5, le=5, description="gained at each round's end; negative is upkeep")),
            per=(_choice(resources) | None, Field(None, description="multiplied by holdings of this, if any")))
        turn_fields["income"] = (list[income], Field(default_factory=list, max_length=2))
    turn = create_model("TurnDraft", **turn_fields)
    rule = create_model(
        "ScoringDraft",
        description=(Sentence, ...),
        counts=(_list_of(_choice(countables)), Field(min_length=1, max_length=3)),
        points=(int, Field(ge=1, le=20, description="points per counted item")),
    )
    victory = create_model("VictoryDraft", scoring=(list[rule], Field(min_length=1, max_length=4)),
                           tie_breaker=(Sentence, ...))
    end = _end_conditions(gained, used)
    ending: dict[str, Any] = (
        {"team_wins_when": (end, ...), "team_loses_when": (end, ...)} if cooperative
        else {"end_conditions": (_list_of(end), Field(min_length=1, max_length=2))}
    )
    return create_model("FlowDraft", turn_structure=(turn, ...), **ending, victory=(victory, ...))


def end_conditions_of(flow: dict[str, Any]) -> list[dict[str, Any]]:
    """Step 3's end conditions in checking order: a cooperative answer's winning end first (a goal
    reached at the last moment is a win), then its losing end, each with its team outcome."""
    if "team_wins_when" in flow:
        return [{**flow["team_wins_when"], "team": "win"}, {**flow["team_loses_when"], "team": "lose"}]
    return list(flow["end_conditions"])


class _PieceSpec(BaseModel):
    """Counts are asked as each player's share plus a common supply, so the box always holds
    enough for the largest player count: quantity = per_player x max players + supply."""

    name: Name
    per_player: int = Field(ge=0, le=40, description="how many each player owns (0 if none)")
    supply: int = Field(ge=0, le=300, description="how many more sit in the shared supply or on the table")
    description: Sentence


class _DeckSpec(BaseModel):
    name: Name
    card_types: list[CardType] = Field(min_length=1, max_length=8)
    description: Sentence


def _deck_spec(resources: Sequence[str]) -> type[BaseModel]:
    """A deck whose every card type gives a declared resource when drawn: a card that gives nothing
    does nothing in play."""
    card = create_model("CardDraft", __base__=CardType,
                        gains=(_list_of(_amount(resources)), Field(min_length=1, max_length=2)))
    return create_model("DeckSpec", __base__=_DeckSpec, card_types=(list[card], Field(min_length=1, max_length=6)))


class _DiceSpec(BaseModel):
    name: Name
    quantity: int = Field(ge=1, le=20)
    sides: int = Field(ge=2, le=20)
    description: Sentence


def _spec_for(kind: ComponentKind, resources: Sequence[str]) -> type[BaseModel]:
    if kind is ComponentKind.DECK:
        return _deck_spec(resources) if resources else _DeckSpec
    if kind is ComponentKind.DICE:
        return _DiceSpec
    if kind is ComponentKind.TOKENS and resources:
        return create_model("TokenSpec", __base__=_PieceSpec, represents=(_choice(resources) | None, None))
    return _PieceSpec


def components_schema(needs: Sequence[ComponentNeed], resources: Sequence[str]) -> type[BaseModel]:
    """Step 4: one entry per declared component need (keys are the ids), plus optional extras."""
    fields: dict[str, Any] = {need.id: (_spec_for(need.kind, resources), ...) for need in needs}
    extra = create_model(
        "ExtraComponent",
        __base__=_spec_for(ComponentKind.TOKENS, resources),
        id=(Id, ...),
        kind=(_ExtraKind, ...),
    )
    fields["extra_components"] = (
        list[extra],
        Field(max_length=1, description="usually empty; only for a mechanism that has no component yet"),
    )
    return create_model("ComponentsDraft", **fields)


def setup_schema(components: Sequence[str]) -> type[BaseModel]:
    """Step 5: one setup instruction per component (keys are the ids), so none is forgotten."""
    fields: dict[str, Any] = {component: (Sentence, ...) for component in components}
    return create_model("SetupDraft", **fields)


def _with_quantity(spec: dict[str, Any], max_players: int) -> dict[str, Any]:
    spec = dict(spec)
    if "card_types" in spec:
        spec["quantity"] = sum(card["count"] for card in spec["card_types"])
    elif "supply" in spec:
        spec["quantity"] = max(1, spec["per_player"] * max_players + spec.pop("supply"))
    return spec


def distinct_extras(drafted: dict[str, Any], engine: EngineDraft) -> dict[str, Any]:
    """Step 4's answer with every extra component's id distinct from the resources' and the
    needs' (renamed `<id>_<kind>`), a fix as mechanical as `complete_needs`'."""
    taken = {*(resource.id for resource in engine.resources), *(need.id for need in engine.component_needs)}
    extras = [{**extra, "id": distinct_id(extra["id"], extra["kind"], taken)}
              for extra in drafted.get("extra_components", [])]
    return {**drafted, "extra_components": extras}


def playable_actions(drafted: dict[str, Any], engine: EngineDraft) -> dict[str, Any]:
    """Step 2's answer with two mechanical fixes that repair rounds rarely achieve with a small model:
    an action whose id a resource or component uses is renamed `<id>_action`, and an action that
    changes nothing (`Action.changes_nothing`) is left out, as long as another action remains —
    in play it is the same as passing."""
    others = {*(resource.id for resource in engine.resources), *(need.id for need in engine.component_needs)}
    taken = set(others)
    actions = [{**action, "id": distinct_id(action["id"], "action", taken)} if action["id"] in others else action
               for action in drafted.get("actions", [])]
    useful = [action for action in actions if not build_action(action).changes_nothing()]
    return {**drafted, "actions": useful or actions}


def build_components(needs: Sequence[ComponentNeed], drafted: dict[str, Any], max_players: int) -> list[Component]:
    """Turn step 4's answer (a mapping from need id to spec) into ontology components."""
    components = [
        Component(id=need.id, kind=need.kind, **_with_quantity(drafted[need.id], max_players)) for need in needs
    ]
    components += [
        Component.model_validate(_with_quantity(extra, max_players)) for extra in drafted.get("extra_components", [])
    ]
    return components


def merge_amounts(amounts: Sequence[dict[str, Any]]) -> list[ResourceAmount]:
    """One entry per resource: a model that lists `1 sap, 1 sap` means `2 sap`."""
    totals: dict[str, int] = {}
    for amount in amounts:
        totals[amount["resource"]] = totals.get(amount["resource"], 0) + amount["amount"]
    return [ResourceAmount(resource=resource, amount=min(total, 50)) for resource, total in totals.items()]


def _referenced_resources(
    actions: dict[str, Any], flow: dict[str, Any], components: Sequence[Component]
) -> set[str]:
    """Every id the rules mention where a resource may stand."""
    drafted = actions["actions"]
    amounts = [amount for action in drafted for key in ("costs", "gains", "take") for amount in action.get(key) or []]
    amounts += [card_gain for component in components for card in component.card_types
                for card_gain in card.model_dump()["gains"]]
    income = flow["turn_structure"].get("income") or []
    mentioned: set[str | None] = (
        {amount["resource"] for amount in amounts}
        | {action["roll"]["resource"] for action in drafted if action.get("roll")}
        | {entry["resource"] for entry in income} | {entry.get("per") for entry in income}
        | {ref for rule in flow["victory"]["scoring"] for ref in rule["counts"]}
        | {condition.get("target") for condition in end_conditions_of(flow)}
        | {component.represents for component in components}
    )
    return {ref for ref in mentioned if ref is not None}


_ACTION_EXTRAS = ("costs", "gains", "take", "roll", "draw", "components")


def build_action(action: dict[str, Any]) -> Action:
    """An ontology action from step 2's answer: amounts merged, and a draw's deck put first among
    its components (the deck a draw takes from is the first deck the action uses)."""
    draw = action.get("draw") or {}
    components = _unique([draw["deck"], *action.get("components", [])] if draw else action.get("components", []))
    return Action(
        **{key: value for key, value in action.items() if key not in _ACTION_EXTRAS},
        costs=merge_amounts(action.get("costs", [])),
        gains=merge_amounts(action.get("gains", [])),
        take=merge_amounts(action.get("take") or []),
        roll=action.get("roll"),
        draw=draw.get("cards", 0),
        components=components,
    )


def assemble_design(
    engine: EngineDraft,
    actions: dict[str, Any],
    flow: dict[str, Any],
    components: list[Component],
    setup: dict[str, Any],
    identity: ThemePart,
    rules: Sequence[RulesSection] = (),
) -> GameDesign:
    """The full ontology instance from the steps' answers.

    A resource the engine declared but no action, income, card, end condition, score or component
    mentions is left out: it is not part of the game, and asking a model to find a use for it costs
    a repair round that rarely helps a small model.
    """
    referenced = _referenced_resources(actions, flow, components)
    return GameDesign(
        **identity.model_dump(),
        **GameShape.model_validate(engine.model_dump()).model_dump(),
        mechanisms=[Mechanism(**mechanism.model_dump()) for mechanism in engine.mechanisms],
        resources=[Resource.model_validate(resource.model_dump())
                   for resource in engine.resources if resource.id in referenced],
        actions=[build_action(action) for action in actions["actions"]],
        turn_structure={
            **flow["turn_structure"],
            "phases": [{**phase, "actions": _unique(phase["actions"])} for phase in flow["turn_structure"]["phases"]],
        },
        end_conditions=end_conditions_of(flow),
        victory=flow["victory"],
        **ComponentsPart(
            components=components,
            setup=[SetupStep(instruction=text, components=[ident]) for ident, text in setup.items()],
        ).model_dump(),
        rules=list(rules),
    )
