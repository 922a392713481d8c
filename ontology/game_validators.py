"""Semantic validators for `GameDesign`: the checks that types alone cannot make.

Each check yields findings with the path of the part at fault and the role that owns it, so the
GameGrammar pipeline can route a problem to the agent that can repair it and regenerate only
that part.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from ontology.core import Finding, Severity, ValidatorRegistry, dangling, duplicate_ids
from ontology.game import ComponentKind, EndKind, GameDesign, MechanismFamily


class Role(StrEnum):
    """The agents that own the parts of a design."""

    MECHANICS = "Mechanics Architect"
    THEME = "Theme Weaver"
    COMPONENTS = "Component Designer"


GAME_VALIDATORS: ValidatorRegistry[GameDesign] = ValidatorRegistry()

# A mechanism family cannot be played without at least one component of one of these kinds.
REQUIRED_KINDS: dict[MechanismFamily, tuple[ComponentKind, ...]] = {
    MechanismFamily.DECK_BUILDING: (ComponentKind.DECK,),
    MechanismFamily.CARD_DRAFTING: (ComponentKind.DECK,),
    MechanismFamily.HAND_MANAGEMENT: (ComponentKind.DECK,),
    MechanismFamily.TRICK_TAKING: (ComponentKind.DECK,),
    MechanismFamily.DICE_ROLLING: (ComponentKind.DICE,),
    MechanismFamily.ROLL_AND_WRITE: (ComponentKind.DICE,),
    MechanismFamily.TILE_PLACEMENT: (ComponentKind.TILES,),
    MechanismFamily.MODULAR_BOARD: (ComponentKind.TILES, ComponentKind.BOARD),
    MechanismFamily.WORKER_PLACEMENT: (ComponentKind.PLAYER_PIECES,),
    MechanismFamily.AREA_CONTROL: (ComponentKind.BOARD, ComponentKind.TILES),
    MechanismFamily.AREA_MOVEMENT: (ComponentKind.BOARD, ComponentKind.TILES),
    MechanismFamily.GRID_MOVEMENT: (ComponentKind.BOARD, ComponentKind.TILES),
    MechanismFamily.NETWORK_BUILDING: (ComponentKind.BOARD, ComponentKind.TILES),
    MechanismFamily.SET_COLLECTION: (ComponentKind.DECK, ComponentKind.TILES, ComponentKind.TOKENS),
    MechanismFamily.REAL_TIME: (ComponentKind.TIMER,),
}


def _finding(severity: Severity, code: str, message: str, path: str, owner: Role) -> Finding:
    return Finding(severity=severity, code=code, message=message, path=path, owner=owner)


@GAME_VALIDATORS.register
def ranges_are_ordered(design: GameDesign) -> Iterator[Finding]:
    if design.players.min > design.players.max:
        yield _finding(Severity.ERROR, "inverted_range", "minimum players exceed maximum players",
                       "players", Role.MECHANICS)
    if design.play_time_minutes.min > design.play_time_minutes.max:
        yield _finding(Severity.ERROR, "inverted_range", "minimum play time exceeds maximum play time",
                       "play_time_minutes", Role.MECHANICS)


@GAME_VALIDATORS.register
def ids_are_unique(design: GameDesign) -> Iterator[Finding]:
    yield from duplicate_ids([
        *((f"components[{i}]", c.id, Role.COMPONENTS) for i, c in enumerate(design.components)),
        *((f"resources[{i}]", r.id, Role.MECHANICS) for i, r in enumerate(design.resources)),
        *((f"actions[{i}]", a.id, Role.MECHANICS) for i, a in enumerate(design.actions)),
    ])


@GAME_VALIDATORS.register
def references_resolve(design: GameDesign) -> Iterator[Finding]:
    resources = {r.id for r in design.resources}
    components = {c.id for c in design.components}
    actions = {a.id for a in design.actions}
    yield from dangling(
        ((f"mechanisms[{i}].components", ref) for i, m in enumerate(design.mechanisms) for ref in m.components),
        components, what="component", owner=Role.MECHANICS)
    yield from dangling(
        ((f"actions[{i}].{side}", amount.resource)
         for i, a in enumerate(design.actions) for side in ("costs", "gains") for amount in getattr(a, side)),
        resources, what="resource", owner=Role.MECHANICS)
    yield from dangling(
        ((f"actions[{i}].components", ref) for i, a in enumerate(design.actions) for ref in a.components),
        components, what="component", owner=Role.MECHANICS)
    yield from dangling(
        ((f"turn_structure.phases[{i}].actions", ref)
         for i, phase in enumerate(design.turn_structure.phases) for ref in phase.actions),
        actions, what="action", owner=Role.MECHANICS)
    yield from dangling(
        ((f"setup[{i}].components", ref) for i, step in enumerate(design.setup) for ref in step.components),
        components, what="component", owner=Role.COMPONENTS)
    yield from dangling(
        ((f"components[{i}].represents", c.represents) for i, c in enumerate(design.components) if c.represents),
        resources, what="resource", owner=Role.COMPONENTS)
    yield from dangling(
        ((f"victory.scoring[{i}].counts", ref)
         for i, rule in enumerate(design.victory.scoring) for ref in rule.counts),
        resources | components, what="resource or component", owner=Role.MECHANICS)


@GAME_VALIDATORS.register
def mechanisms_have_their_components(design: GameDesign) -> Iterator[Finding]:
    kinds = {c.kind for c in design.components}
    for i, mechanism in enumerate(design.mechanisms):
        needed = REQUIRED_KINDS.get(mechanism.family)
        if needed and not kinds.intersection(needed):
            wanted = " or ".join(kind.value for kind in needed)
            yield _finding(Severity.ERROR, "mechanism_without_components",
                           f"{mechanism.family.value} needs a component of kind {wanted}, and there is none; "
                           "add one",
                           f"mechanisms[{i}]", Role.COMPONENTS)


@GAME_VALIDATORS.register
def components_are_complete(design: GameDesign) -> Iterator[Finding]:
    for i, component in enumerate(design.components):
        path = f"components[{i}]"
        if component.kind is ComponentKind.DECK:
            if not component.card_types:
                yield _finding(Severity.ERROR, "empty_deck", "a deck needs card types", path, Role.COMPONENTS)
            elif (cards := sum(card.count for card in component.card_types)) != component.quantity:
                yield _finding(Severity.WARNING, "deck_count_mismatch",
                               f"card types add up to {cards} cards, but the deck holds {component.quantity}; "
                               "make the counts agree",
                               path, Role.COMPONENTS)
        if component.kind is ComponentKind.DICE and component.sides is None:
            yield _finding(Severity.ERROR, "dice_without_sides", "dice need a number of sides", path,
                           Role.COMPONENTS)


@GAME_VALIDATORS.register
def components_cover_the_player_count(design: GameDesign) -> Iterator[Finding]:
    for i, component in enumerate(design.components):
        needed = component.per_player * design.players.max
        if needed > component.quantity:
            yield _finding(Severity.ERROR, "too_few_components",
                           f"{design.players.max} players need {needed} ({component.per_player} each), "
                           f"but the box has {component.quantity}: set per_player to 0 if it is shared, "
                           f"or raise quantity to at least {needed}", f"components[{i}]", Role.COMPONENTS)


@GAME_VALIDATORS.register
def resources_flow(design: GameDesign) -> Iterator[Finding]:
    gained = {amount.resource for a in design.actions for amount in a.gains}
    spent = {amount.resource for a in design.actions for amount in a.costs}
    scored = {ref for rule in design.victory.scoring for ref in rule.counts}
    for i, resource in enumerate(design.resources):
        path = f"resources[{i}]"
        if resource.id in spent and resource.id not in gained:
            yield _finding(Severity.WARNING, "spent_never_produced",
                           f"'{resource.id}' is spent by actions but no action produces it; make an action gain "
                           "it, or stop charging it", path, Role.MECHANICS)
        if resource.id in gained and resource.id not in spent | scored:
            yield _finding(Severity.WARNING, "produced_never_used",
                           f"'{resource.id}' is produced but never spent or scored; make an action cost it",
                           path, Role.MECHANICS)
        if resource.id not in gained | spent | scored:
            yield _finding(Severity.WARNING, "unused_resource",
                           f"'{resource.id}' is never produced, spent or scored", path, Role.MECHANICS)


@GAME_VALIDATORS.register
def the_game_can_end(design: GameDesign) -> Iterator[Finding]:
    if not design.end_conditions:
        yield _finding(Severity.ERROR, "no_end_condition", "the game has no end condition", "end_conditions",
                       Role.MECHANICS)
        return
    gained = {amount.resource for a in design.actions for amount in a.gains}
    used = {ref for a in design.actions for ref in a.components}
    for i, end in enumerate(design.end_conditions):
        path = f"end_conditions[{i}]"
        problem = None
        if end.kind is EndKind.ROUNDS and end.rounds is None:
            problem = "ends after a number of rounds, but the number is missing"
        elif end.kind in (EndKind.SCORE_THRESHOLD, EndKind.RESOURCE_THRESHOLD) and end.threshold is None:
            problem = "ends at a threshold, but the threshold is missing"
        elif end.kind is EndKind.RESOURCE_THRESHOLD and end.target not in gained:
            problem = f"waits for resource '{end.target}' to reach a threshold, but no action produces it"
        elif end.kind is EndKind.COMPONENT_EXHAUSTED and end.target not in used:
            problem = f"waits for component '{end.target}' to run out, but no action uses it"
        if problem:
            yield _finding(Severity.ERROR, "end_cannot_trigger", problem, path, Role.MECHANICS)


@GAME_VALIDATORS.register
def victory_counts_something(design: GameDesign) -> Iterator[Finding]:
    if all(rule.points == 0 for rule in design.victory.scoring):
        yield _finding(Severity.ERROR, "victory_counts_nothing", "every scoring rule is worth 0 points",
                       "victory.scoring", Role.MECHANICS)


@GAME_VALIDATORS.register
def setup_places_every_component(design: GameDesign) -> Iterator[Finding]:
    placed = {ref for step in design.setup for ref in step.components}
    for i, component in enumerate(design.components):
        if component.id not in placed:
            yield _finding(Severity.WARNING, "component_not_set_up",
                           f"no setup step places '{component.id}'; add it to a setup step",
                           f"components[{i}]", Role.COMPONENTS)


@GAME_VALIDATORS.register
def every_action_has_a_phase(design: GameDesign) -> Iterator[Finding]:
    in_phase = {ref for phase in design.turn_structure.phases for ref in phase.actions}
    for i, action in enumerate(design.actions):
        if action.id not in in_phase:
            yield _finding(Severity.WARNING, "action_without_phase",
                           f"no phase of the turn allows '{action.id}'; list it in a phase",
                           f"actions[{i}]", Role.MECHANICS)


@GAME_VALIDATORS.register
def cooperation_is_consistent(design: GameDesign) -> Iterator[Finding]:
    has_coop = any(m.family is MechanismFamily.COOPERATIVE for m in design.mechanisms)
    if design.cooperative != has_coop:
        message = ("the game is cooperative but no mechanism is" if design.cooperative
                   else "a cooperative mechanism in a competitive game")
        yield _finding(Severity.WARNING, "cooperation_mismatch", message, "cooperative", Role.MECHANICS)


def validate_design(design: GameDesign) -> list[Finding]:
    """All findings for `design`, errors first."""
    return GAME_VALIDATORS.validate(design)
