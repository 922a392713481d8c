"""The game ontology cut into the steps the agents write, with schemas that tighten as ids appear.

A small model asked for a whole `GameDesign` at once invents references to things that do not
exist. Here each step's schema is built from the ids the earlier steps defined: an action's cost
can only name a declared resource, a phase can only list declared actions, a setup step can only
place declared components. Decoding under these schemas makes dangling references impossible by
construction, so the validators are left with the problems that need judgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from ontology.core import Id
from ontology.game import (
    Action,
    CardType,
    Component,
    ComponentKind,
    ComponentsPart,
    EndKind,
    GameDesign,
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


class MechanismDraft(BaseModel):
    family: MechanismFamily
    name: Name
    how_it_works: Sentence


class ComponentNeed(BaseModel):
    """A component the rules need, declared by the Mechanics Architect and built by the Component Designer."""

    id: Id
    kind: ComponentKind
    purpose: Sentence


class EngineDraft(BaseModel):
    """Step 1: the shape of the game."""

    cooperative: bool
    complexity: int = Field(ge=1, le=5, description="1 = family, 5 = heavy strategy")
    players: PlayerRange
    play_time_minutes: MinutesRange
    mechanisms: list[MechanismDraft] = Field(min_length=1, max_length=4)
    resources: list[Resource] = Field(max_length=5)
    component_needs: list[ComponentNeed] = Field(min_length=1, max_length=7)


def separate_ids(engine: EngineDraft) -> EngineDraft:
    """Rename component needs that reuse a resource id to `<id>_<kind>`.

    Small models often call the resource and the tokens that stand for it by the same name; the
    ontology needs distinct ids, and the fix is mechanical, so it is made here rather than spent
    on a repair round.
    """
    taken = {resource.id for resource in engine.resources}
    needs = []
    for need in engine.component_needs:
        if need.id in taken:
            need = need.model_copy(update={"id": f"{need.id}_{need.kind.value}"[:40]})
        taken.add(need.id)
        needs.append(need)
    return engine.model_copy(update={"component_needs": needs})


def _choice(ids: Sequence[str]) -> Any:
    """A type that accepts exactly these ids."""
    return Literal[tuple(ids)]  # type: ignore[return-value]


def actions_schema(resources: Sequence[str], components: Sequence[str]) -> type[BaseModel]:
    """Step 2: actions whose costs, gains and components name only what step 1 declared."""
    fields: dict[str, Any] = {"id": (Id, ...), "name": (Name, ...), "description": (Sentence, ...)}
    if resources:
        amount = create_model("Amount", resource=(_choice(resources), ...), amount=(int, Field(ge=1, le=10)))
        fields["costs"] = (list[amount], Field(max_length=3))  # type: ignore[valid-type]
        fields["gains"] = (list[amount], Field(max_length=3))  # type: ignore[valid-type]
    fields["components"] = (list[_choice(components)], Field(max_length=3))
    action = create_model("ActionDraft", **fields)
    return create_model("ActionsDraft", actions=(list[action], Field(min_length=2, max_length=6)))  # type: ignore[valid-type]


def flow_schema(actions: Sequence[str], countables: Sequence[str]) -> type[BaseModel]:
    """Step 3: turn phases over the declared actions; ending and scoring over declared things."""
    phase = create_model(
        "PhaseDraft",
        name=(Name, ...),
        description=(Sentence, ...),
        actions=(list[_choice(actions)], Field(min_length=1, max_length=6)),
    )
    turn = create_model("TurnDraft", summary=(Sentence, ...),
                        phases=(list[phase], Field(min_length=1, max_length=4)))  # type: ignore[valid-type]
    target = _choice(countables) | None
    end = create_model(
        "EndDraft",
        kind=(EndKind, ...),
        description=(Sentence, ...),
        rounds=(int | None, Field(None, ge=1, le=30)),
        threshold=(int | None, Field(None, ge=1, le=500)),
        target=(target, None),
    )
    rule = create_model(
        "ScoringDraft",
        description=(Sentence, ...),
        counts=(list[_choice(countables)], Field(min_length=1, max_length=3)),
        points=(int, Field(ge=-10, le=20)),
    )
    victory = create_model("VictoryDraft", scoring=(list[rule], Field(min_length=1, max_length=4)),  # type: ignore[valid-type]
                           tie_breaker=(Sentence, ...))
    return create_model(
        "FlowDraft",
        turn_structure=(turn, ...),
        end_conditions=(list[end], Field(min_length=1, max_length=2)),  # type: ignore[valid-type]
        victory=(victory, ...),
    )


class _PieceSpec(BaseModel):
    name: Name
    quantity: int = Field(ge=1, le=300, description="total in the box")
    per_player: int = Field(ge=0, le=60, description="each player's share (0 if shared)")
    description: Sentence


class _DeckSpec(BaseModel):
    name: Name
    card_types: list[CardType] = Field(min_length=1, max_length=8)
    description: Sentence


class _DiceSpec(BaseModel):
    name: Name
    quantity: int = Field(ge=1, le=20)
    sides: int = Field(ge=2, le=20)
    description: Sentence


def _spec_for(kind: ComponentKind, resources: Sequence[str]) -> type[BaseModel]:
    if kind is ComponentKind.DECK:
        return _DeckSpec
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
        kind=(Literal["board", "tokens", "player_pieces", "player_board", "track", "tiles"], ...),
    )
    fields["extra_components"] = (  # type: ignore[valid-type]
        list[extra],
        Field(max_length=1, description="usually empty; only for a mechanism that has no component yet"),
    )
    return create_model("ComponentsDraft", **fields)


def setup_schema(components: Sequence[str]) -> type[BaseModel]:
    """Step 5: setup steps that place only declared components."""
    step = create_model(
        "SetupDraft",
        instruction=(Sentence, ...),
        components=(list[_choice(components)], Field(min_length=1, max_length=4)),
    )
    return create_model("SetupStepsDraft", setup=(list[step], Field(min_length=2, max_length=7)))  # type: ignore[valid-type]


def build_components(needs: Sequence[ComponentNeed], drafted: dict[str, Any]) -> list[Component]:
    """Turn step 4's answer (a mapping from need id to spec) into ontology components."""
    components: list[Component] = []
    for need in needs:
        spec = dict(drafted[need.id])
        if need.kind is ComponentKind.DECK:
            spec["quantity"] = sum(card["count"] for card in spec["card_types"])
        components.append(Component(id=need.id, kind=need.kind, **spec))
    components += [Component.model_validate(extra) for extra in drafted.get("extra_components", [])]
    return components


def assemble_design(
    engine: EngineDraft,
    actions: dict[str, Any],
    flow: dict[str, Any],
    components: list[Component],
    setup: dict[str, Any],
    identity: ThemePart,
    rules: Sequence[RulesSection] = (),
) -> GameDesign:
    """The full ontology instance from the steps' answers."""
    return GameDesign(
        **identity.model_dump(),
        cooperative=engine.cooperative,
        complexity=engine.complexity,
        players=engine.players,
        play_time_minutes=engine.play_time_minutes,
        mechanisms=[Mechanism(**mechanism.model_dump()) for mechanism in engine.mechanisms],
        resources=engine.resources,
        actions=[
            Action(
                **{key: value for key, value in action.items() if key not in ("costs", "gains")},
                costs=[ResourceAmount(**amount) for amount in action.get("costs", [])],
                gains=[ResourceAmount(**amount) for amount in action.get("gains", [])],
            )
            for action in actions["actions"]
        ],
        turn_structure=flow["turn_structure"],
        end_conditions=flow["end_conditions"],
        victory=flow["victory"],
        **ComponentsPart(components=components, setup=[SetupStep(**step) for step in setup["setup"]]).model_dump(),
        rules=list(rules),
    )
