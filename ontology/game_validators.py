"""Semantic validators for `GameDesign`: the checks that types alone cannot make.

Each check yields problems located in the design; where it is registered, it declares the role
that owns them and the drafting step that role rewrites, so the GameGrammar pipeline can route a
problem to the agent that can repair it and regenerate only that step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from enum import StrEnum

from ontology.core import (
    Finding,
    Owner,
    Problem,
    RegisteredCheck,
    Severity,
    ValidatorRegistry,
    at,
    dangling,
    duplicate_ids,
)
from ontology.game import Action, ComponentKind, EndKind, GameDesign, MechanismFamily, TeamOutcome
from ontology.game_prose import (
    COOPERATIVE_CLAIM,
    COSTS_NOTHING,
    GAINS_NOTHING,
    INDIVIDUAL_WINNER,
    NO_SCORING,
    SHARED_OUTCOME,
    Mention,
    Side,
    mentions,
    name_key,
    prose_fields,
    resource_aliases,
    round_counts,
    shared_run,
    threshold_numbers,
    worth_numbers,
)


class Role(StrEnum):
    """The agents that own the parts of a design."""

    MECHANICS = "Mechanics Architect"
    THEME = "Theme Weaver"
    COMPONENTS = "Component Designer"


class DraftStep(StrEnum):
    """The parts a design is drafted in, each written by one role (`ontology.game_drafts` holds the
    schema of each); a finding names the step whose rewrite repairs it."""

    ENGINE = "engine"
    ACTIONS = "actions"
    FLOW = "flow"
    COMPONENTS = "components"
    SETUP = "setup"
    IDENTITY = "identity"


ENGINE = Owner(Role.MECHANICS, DraftStep.ENGINE)
ACTIONS = Owner(Role.MECHANICS, DraftStep.ACTIONS)
FLOW = Owner(Role.MECHANICS, DraftStep.FLOW)
COMPONENTS = Owner(Role.COMPONENTS, DraftStep.COMPONENTS)
SETUP = Owner(Role.COMPONENTS, DraftStep.SETUP)
IDENTITY = Owner(Role.THEME, DraftStep.IDENTITY)


def owned_in(owner: Owner, *parts: str) -> Owner:
    """`owner`, answering only for findings in `parts` of the design."""
    return Owner(owner.role, owner.step, frozenset(parts))


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


@GAME_VALIDATORS.register(ENGINE)
def ranges_are_ordered(design: GameDesign) -> Iterator[Problem]:
    if design.players.min > design.players.max:
        yield Problem(Severity.ERROR, "inverted_range", "minimum players exceed maximum players", at("players"))
    if design.play_time_minutes.min > design.play_time_minutes.max:
        yield Problem(Severity.ERROR, "inverted_range", "minimum play time exceeds maximum play time",
                      at("play_time_minutes"))


@GAME_VALIDATORS.register(owned_in(COMPONENTS, "components"), owned_in(ENGINE, "resources"),
                          owned_in(ACTIONS, "actions"))
def ids_are_unique(design: GameDesign) -> Iterator[Problem]:
    yield from duplicate_ids([
        *((at("components", i), c.id) for i, c in enumerate(design.components)),
        *((at("resources", i), r.id) for i, r in enumerate(design.resources)),
        *((at("actions", i), a.id) for i, a in enumerate(design.actions)),
    ])


@GAME_VALIDATORS.register(owned_in(ENGINE, "mechanisms"), owned_in(ACTIONS, "actions"),
                          owned_in(FLOW, "turn_structure", "victory"), owned_in(SETUP, "setup"),
                          owned_in(COMPONENTS, "components"))
def references_resolve(design: GameDesign) -> Iterator[Problem]:
    resources = {r.id for r in design.resources}
    components = {c.id for c in design.components}
    actions = {a.id for a in design.actions}
    yield from dangling(
        ((at("mechanisms", i, "components"), ref) for i, m in enumerate(design.mechanisms) for ref in m.components),
        components, what="component")
    yield from dangling(
        ((at("actions", i, side), amount.resource)
         for i, a in enumerate(design.actions) for side in ("costs", "gains") for amount in getattr(a, side)),
        resources, what="resource")
    yield from dangling(
        ((at("actions", i, "components"), ref) for i, a in enumerate(design.actions) for ref in a.components),
        components, what="component")
    yield from dangling(
        ((at("turn_structure", field="phases", item=i), ref)
         for i, phase in enumerate(design.turn_structure.phases) for ref in phase.actions),
        actions, what="action")
    yield from dangling(
        ((at("setup", i, "components"), ref) for i, step in enumerate(design.setup) for ref in step.components),
        components, what="component")
    yield from dangling(
        ((at("components", i, "represents"), c.represents) for i, c in enumerate(design.components) if c.represents),
        resources, what="resource")
    yield from dangling(
        ((at("victory", field="scoring", item=i), ref)
         for i, rule in enumerate(design.victory.scoring) for ref in rule.counts),
        resources | components, what="resource or component")


@GAME_VALIDATORS.register(COMPONENTS)
def mechanisms_have_their_components(design: GameDesign) -> Iterator[Problem]:
    kinds = {c.kind for c in design.components}
    for i, mechanism in enumerate(design.mechanisms):
        needed = REQUIRED_KINDS.get(mechanism.family)
        if needed and not kinds.intersection(needed):
            wanted = " or ".join(kind.value for kind in needed)
            yield Problem(Severity.ERROR, "mechanism_without_components",
                          f"{mechanism.family.value} needs a component of kind {wanted}, and there is none; add one",
                          at("mechanisms", i))


@GAME_VALIDATORS.register(COMPONENTS)
def components_are_complete(design: GameDesign) -> Iterator[Problem]:
    for i, component in enumerate(design.components):
        where = at("components", i)
        if component.kind is ComponentKind.DECK:
            if not component.card_types:
                yield Problem(Severity.ERROR, "empty_deck", "a deck needs card types", where)
            elif (cards := sum(card.count for card in component.card_types)) != component.quantity:
                yield Problem(Severity.WARNING, "deck_count_mismatch",
                              f"card types add up to {cards} cards, but the deck holds {component.quantity}; "
                              "make the counts agree", where)
        if component.kind is ComponentKind.DICE and component.sides is None:
            yield Problem(Severity.ERROR, "dice_without_sides", "dice need a number of sides", where)


@GAME_VALIDATORS.register(COMPONENTS)
def components_cover_the_player_count(design: GameDesign) -> Iterator[Problem]:
    for i, component in enumerate(design.components):
        needed = component.per_player * design.players.max
        if needed > component.quantity:
            yield Problem(Severity.ERROR, "too_few_components",
                          f"{design.players.max} players need {needed} ({component.per_player} each), "
                          f"but the box has {component.quantity}: set per_player to 0 if it is shared, "
                          f"or raise quantity to at least {needed}", at("components", i))


@GAME_VALIDATORS.register(ACTIONS)
def resources_flow(design: GameDesign) -> Iterator[Problem]:
    """Resource problems are repaired by rewriting the actions, which produce and spend them."""
    gained = _producers(design)
    spent = {amount.resource for a in design.actions for amount in a.costs}
    # scored, or used another way: an income multiplier (an engine) or what an end condition watches
    scored = ({ref for rule in design.victory.scoring for ref in rule.counts}
              | {income.per for income in design.turn_structure.income if income.per}
              | {end.target for end in design.end_conditions if end.target})
    for i, resource in enumerate(design.resources):
        where = at("resources", i)
        if resource.id in spent and resource.id not in gained:
            yield Problem(Severity.WARNING, "spent_never_produced",
                          f"'{resource.id}' is spent by actions but nothing produces it (no action's gains, dice "
                          "or cards, no income); make an action gain it, or stop charging it", where)
        if resource.id in gained and resource.id not in spent | scored:
            yield Problem(Severity.WARNING, "produced_never_used",
                          f"'{resource.id}' is produced but never spent or scored; make an action cost it", where)
        if resource.id not in gained | spent | scored:
            yield Problem(Severity.WARNING, "unused_resource", f"'{resource.id}' is never produced, spent or scored",
                          where)


@GAME_VALIDATORS.register(FLOW)
def the_game_can_end(design: GameDesign) -> Iterator[Problem]:
    if not design.end_conditions:
        yield Problem(Severity.ERROR, "no_end_condition", "the game has no end condition", at("end_conditions"))
        return
    gained = _producers(design)
    used = {ref for a in design.actions for ref in a.components}
    exhaustible = {c.id for c in design.components if c.kind is ComponentKind.DECK
                   or (c.kind is ComponentKind.TOKENS and c.represents)}
    for i, end in enumerate(design.end_conditions):
        problem = None
        if end.kind is EndKind.ROUNDS and end.rounds is None:
            problem = "ends after a number of rounds, but the number is missing"
        elif end.kind in (EndKind.SCORE_THRESHOLD, EndKind.RESOURCE_THRESHOLD) and end.threshold is None:
            problem = "ends at a threshold, but the threshold is missing"
        elif end.kind is EndKind.RESOURCE_THRESHOLD and end.target not in gained:
            problem = f"waits for resource '{end.target}' to reach a threshold, but nothing produces it"
        elif end.kind is EndKind.COMPONENT_EXHAUSTED and end.target not in used:
            problem = f"waits for component '{end.target}' to run out, but no action uses it"
        elif end.kind is EndKind.COMPONENT_EXHAUSTED and end.target not in exhaustible:
            problem = (f"waits for '{end.target}' to run out, but only a deck or tokens that stand for a "
                       "resource run out in play")
        if problem:
            yield Problem(Severity.ERROR, "end_cannot_trigger", problem, at("end_conditions", i))


@GAME_VALIDATORS.register(FLOW)
def victory_counts_something(design: GameDesign) -> Iterator[Problem]:
    if all(rule.points == 0 for rule in design.victory.scoring):
        yield Problem(Severity.ERROR, "victory_counts_nothing", "every scoring rule is worth 0 points",
                      at("victory", field="scoring"))


@GAME_VALIDATORS.register(COMPONENTS)
def setup_places_every_component(design: GameDesign) -> Iterator[Problem]:
    placed = {ref for step in design.setup for ref in step.components}
    for i, component in enumerate(design.components):
        if component.id not in placed:
            yield Problem(Severity.WARNING, "component_not_set_up",
                          f"no setup step places '{component.id}'; add it to a setup step", at("components", i))


@GAME_VALIDATORS.register(FLOW)
def every_action_has_a_phase(design: GameDesign) -> Iterator[Problem]:
    """Repaired in the turn structure, which lists the actions each phase allows."""
    in_phase = {ref for phase in design.turn_structure.phases for ref in phase.actions}
    for i, action in enumerate(design.actions):
        if action.id not in in_phase:
            yield Problem(Severity.WARNING, "action_without_phase",
                          f"no phase of the turn allows '{action.id}'; list it in a phase", at("actions", i))


@GAME_VALIDATORS.register(ENGINE)
def cooperation_is_consistent(design: GameDesign) -> Iterator[Problem]:
    has_coop = any(m.family is MechanismFamily.COOPERATIVE for m in design.mechanisms)
    if design.cooperative != has_coop:
        message = ("the game is cooperative but no mechanism is" if design.cooperative
                   else "a cooperative mechanism in a competitive game")
        yield Problem(Severity.WARNING, "cooperation_mismatch", message, at("cooperative"))


def _producers(design: GameDesign) -> set[str]:
    """Resources something in play creates: an action's gains, dice roll or drawn cards, or positive
    income (a take only moves what someone already holds)."""
    decks = {c.id: c for c in design.components if c.kind is ComponentKind.DECK}
    produced = {amount.resource for a in design.actions for amount in a.gains}
    produced |= {a.roll.resource for a in design.actions if a.roll}
    produced |= {gain.resource for a in design.actions if a.draw for ref in a.components if ref in decks
                 for card in decks[ref].card_types for gain in card.gains}
    return produced | {income.resource for income in design.turn_structure.income if income.amount > 0}


@GAME_VALIDATORS.register(ACTIONS)
def resources_can_be_had(design: GameDesign) -> Iterator[Problem]:
    """A resource nobody starts with and nothing produces can never be held: repaired by an action
    that gains it."""
    produced = _producers(design)
    for i, resource in enumerate(design.resources):
        if resource.starting == 0 and resource.id not in produced:
            yield Problem(Severity.ERROR, "resource_never_held",
                          f"nobody starts with '{resource.id}' and no action, card or income gives it; make an "
                          "action gain it", at("resources", i))


@GAME_VALIDATORS.register(owned_in(ACTIONS, "victory"))
def scoring_is_reachable(design: GameDesign) -> Iterator[Problem]:
    """A score that counts what no one can produce is the same for everyone forever."""
    produced = _producers(design)
    resources = {r.id for r in design.resources}
    represents = {c.id: c.represents for c in design.components}
    for i, rule in enumerate(design.victory.scoring):
        for ref in rule.counts:
            counted = ref if ref in resources else represents.get(ref)
            if ref in represents and counted is None:
                problem = f"counts component '{ref}', which stands for no resource, so it always counts 0"
            elif counted in resources and counted not in produced:
                problem = f"counts '{counted}', which no action or income produces, so nobody can ever score it"
            else:
                continue
            yield Problem(Severity.ERROR, "unreachable_scoring", f"{problem}; make an action gain it",
                          at("victory", field="scoring", item=i))


@GAME_VALIDATORS.register(ENGINE)
def competitors_score_their_own(design: GameDesign) -> Iterator[Problem]:
    """In a competitive game a shared pool scores every player alike, so it cannot decide the winner;
    whether a resource is shared is written in the engine step."""
    if design.cooperative:
        return
    scored = {ref for rule in design.victory.scoring for ref in rule.counts}
    for i, resource in enumerate(design.resources):
        if resource.shared and resource.id in scored:
            yield Problem(Severity.ERROR, "scored_shared_pool",
                          f"'{resource.id}' is one pool the whole table shares, so scoring it gives every player "
                          "the same points; make it each player's own (shared: false)", at("resources", i))


@GAME_VALIDATORS.register(ACTIONS)
def actions_change_something(design: GameDesign) -> Iterator[Problem]:
    for i, action in enumerate(design.actions):
        if action.changes_nothing():
            yield Problem(Severity.ERROR, "noop_action",
                          f"'{action.id}' gives back exactly what it costs and does nothing else; make it "
                          "convert one resource into another, roll, draw or take", at("actions", i))


@GAME_VALIDATORS.register(owned_in(ACTIONS, "actions"), owned_in(COMPONENTS, "components"))
def draws_have_cards(design: GameDesign) -> Iterator[Problem]:
    """A draw takes from the first deck among the action's components; a card gives its gains."""
    decks = {c.id for c in design.components if c.kind is ComponentKind.DECK}
    for i, action in enumerate(design.actions):
        if action.draw and not decks.intersection(action.components):
            yield Problem(Severity.ERROR, "draw_without_deck",
                          f"'{action.id}' draws cards but uses no deck; add a deck to its components",
                          at("actions", i, "components"))
    for i, component in enumerate(design.components):
        if component.kind is ComponentKind.DECK and component.card_types and \
                not any(card.gains for card in component.card_types):
            yield Problem(Severity.ERROR, "cards_give_nothing",
                          f"no card of '{component.id}' gives anything when drawn; give each card type gains",
                          at("components", i, "card_types"))


@GAME_VALIDATORS.register(FLOW)
def ends_are_executable(design: GameDesign) -> Iterator[Problem]:
    for i, end in enumerate(design.end_conditions):
        if end.kind in (EndKind.OBJECTIVE, EndKind.ELIMINATION):
            yield Problem(Severity.WARNING, "end_not_executable",
                          f"an '{end.kind.value}' end cannot be checked by the rules as written; use rounds, a "
                          "score or resource threshold, or a deck or supply running out", at("end_conditions", i))


@GAME_VALIDATORS.register(FLOW)
def team_outcomes_fit_the_mode(design: GameDesign) -> Iterator[Problem]:
    """Cooperative players win or lose together by how the game ends; competitive players by score."""
    outcomes = {end.team for end in design.end_conditions}
    if design.cooperative:
        missing = [outcome.value for outcome in TeamOutcome if outcome not in outcomes]
        if missing:
            yield Problem(Severity.ERROR, "team_outcome_missing",
                          f"a cooperative game needs an end the team wins by and one it loses by; none is "
                          f"marked '{' or '.join(missing)}'", at("end_conditions"))
    else:
        for i, end in enumerate(design.end_conditions):
            if end.team is not None:
                yield Problem(Severity.WARNING, "team_outcome_in_competitive_game",
                              "a competitive game is won by score; drop the team outcome", at("end_conditions", i))


# Words that name what a thing is in any game, not what it is in this one.
GENERIC_WORDS = frozenset({
    "a", "an", "the", "of", "and", "your", "my", "per", "game", "games", "piece", "card", "tile", "point",
    "material", "token", "resource", "action", "item", "component", "marker", "cube", "die", "dice", "deck",
    "board", "track", "player", "victory", "vp", "unit", "thing", "set", "stuff", "use", "draw", "place",
    "take", "play", "gain", "pay", "get", "collect", "move", "build", "trade", "score", "spend", "do",
})
MECHANISM_PHRASES = tuple(family.value.replace("_", " ") for family in MechanismFamily)


def is_generic_name(name: str) -> bool:
    """A name made only of generic words, or one that names a mechanism family."""
    text = name.lower().replace("-", " ")
    words = [word.removesuffix("s") if len(word) > 3 else word for word in re.findall(r"[a-z]+", text)]
    return all(word in GENERIC_WORDS for word in words) or any(phrase in text for phrase in MECHANISM_PHRASES)


@GAME_VALIDATORS.register(owned_in(ENGINE, "resources"), owned_in(ACTIONS, "actions"),
                          owned_in(COMPONENTS, "components"))
def names_are_themed(design: GameDesign) -> Iterator[Problem]:
    """Routed to the step that wrote the name (resources: engine, actions: actions, components:
    components): only its author can rename the thing, and every reference follows the id."""
    named = [("resources", [r.name for r in design.resources]), ("actions", [a.name for a in design.actions]),
             ("components", [c.name for c in design.components])]
    for part, names in named:
        for i, name in enumerate(names):
            if is_generic_name(name):
                yield Problem(Severity.WARNING, "generic_name",
                              f"'{name}' could name a part of any game; call it by what it is in this "
                              "game's world", at(part, i, "name"))


@GAME_VALIDATORS.register(owned_in(ENGINE, "resources"), owned_in(ACTIONS, "actions"),
                          owned_in(COMPONENTS, "components"))
def names_are_distinct(design: GameDesign) -> Iterator[Problem]:
    """Two parts with one name cannot be told apart at the table: the later one is renamed by its author."""
    seen: set[str] = set()
    named = [("resources", [r.name for r in design.resources]), ("actions", [a.name for a in design.actions]),
             ("components", [c.name for c in design.components])]
    for part, names in named:
        for i, name in enumerate(names):
            if name.lower() in seen:
                yield Problem(Severity.WARNING, "duplicate_name",
                              f"'{name}' already names another part; give this one its own name", at(part, i, "name"))
            seen.add(name.lower())


_RULEBOOK = re.compile(r"\brule\s?books?\b|\brules? (?:booklet|sheet)\b|\bmanual\b|\binstructions?\b")


@GAME_VALIDATORS.register(COMPONENTS)
def components_are_physical_parts(design: GameDesign) -> Iterator[Problem]:
    """The rulebook is not a component of the rules it describes; a deck has no sides, dice no cards."""
    for i, component in enumerate(design.components):
        where = at("components", i)
        if _RULEBOOK.search(f"{component.id.replace('_', ' ')} {component.name}".lower()):
            yield Problem(Severity.ERROR, "rulebook_component",
                          f"'{component.name}' is the rulebook, not a part the rules use; remove it", where)
        if component.kind is ComponentKind.DECK and component.sides is not None:
            yield Problem(Severity.ERROR, "deck_with_sides",
                          f"deck '{component.id}' has {component.sides} sides; a deck has card types, dice have "
                          "sides", where)
        if component.kind is ComponentKind.DICE and component.card_types:
            yield Problem(Severity.ERROR, "dice_with_cards",
                          f"dice '{component.id}' have card types; dice have sides, a deck has card types", where)


# Prose that agrees with the rules: what model-written sentences say against what the structure does.
# The rulebook prints each action's numbers beside its description, and the numbers tuner may change
# them after the descriptions were written, so every message says how to write prose that cannot go
# stale.
_NO_NUMBERS = "make the text agree, or leave the number out: the rulebook prints the numbers beside it"

PROSE_OWNERS = (
    owned_in(IDENTITY, "tagline", "theme", "introduction"),
    owned_in(ENGINE, "mechanisms", "resources"),
    owned_in(ACTIONS, "actions"),
    owned_in(FLOW, "turn_structure", "end_conditions", "victory"),
    owned_in(COMPONENTS, "components"),
    owned_in(SETUP, "setup"),
)
"""Who rewrites each model-written sentence: the role whose step wrote it."""


def _tally(pairs: Sequence[tuple[str, int]]) -> dict[str, set[int]]:
    amounts: dict[str, set[int]] = {}
    for resource, amount in pairs:
        amounts.setdefault(resource, set()).add(amount)
    return amounts


def _random_yields(design: GameDesign, action: Action) -> set[str]:
    """What an action gains in amounts chance decides: its dice, and the cards of the decks it draws."""
    decks = {c.id: c for c in design.components if c.kind is ComponentKind.DECK}
    drawn = {gain.resource for ref in action.components if action.draw and ref in decks
             for card in decks[ref].card_types for gain in card.gains}
    return drawn | ({action.roll.resource} if action.roll else set())


def _amounts_text(amounts: set[int]) -> str:
    return " or ".join(str(amount) for amount in sorted(amounts))


def _action_mention_problem(action: Action, mention: Mention, design: GameDesign) -> str | None:
    costs = _tally([(a.resource, a.amount) for a in action.costs])
    gains = _tally([(a.resource, a.amount) for a in (*action.gains, *action.take)])
    random = _random_yields(design, action)
    said, name = f"'{mention.phrase}'", mention.resource
    if mention.resource in random and mention.side is not Side.COST:
        return None
    if name not in costs and name not in gains and name not in random:
        return f"says {said}, but '{action.id}' neither costs nor gains '{name}'"
    taken = {amount.resource for amount in action.take}
    if mention.side is Side.COST and name not in taken:  # what one player takes, another loses
        allowed = costs
    elif mention.side is Side.GAIN and name not in taken:
        allowed = gains
    else:
        allowed = {resource: costs.get(resource, set()) | gains.get(resource, set()) for resource in {*costs, *gains}}
    if name not in allowed:
        actual = "costs" if mention.side is Side.GAIN else "gains"
        return f"says {said}, but '{action.id}' {actual} '{name}', it does not {mention.side} it"
    if mention.amount is not None and mention.amount not in allowed[name]:
        return f"says {said}, but '{action.id}' has {_amounts_text(allowed[name])} '{name}' there"
    return None


@GAME_VALIDATORS.register(ACTIONS)
def action_prose_matches_structure(design: GameDesign) -> Iterator[Problem]:
    """An action's description must not state other amounts, other resources or another side than
    its costs and gains, nor call an action free that costs something."""
    aliases = resource_aliases(design)
    for i, action in enumerate(design.actions):
        where = at("actions", i, "description")
        problems = [problem for mention in mentions(action.description, aliases)
                    if (problem := _action_mention_problem(action, mention, design))]
        if problems:
            yield Problem(Severity.ERROR, "prose_contradicts_action", f"{'; '.join(problems)}; {_NO_NUMBERS}", where)
        text = action.description.lower()
        if action.costs and COSTS_NOTHING.search(text):
            yield Problem(Severity.ERROR, "prose_contradicts_action",
                          f"says '{action.id}' costs nothing, but it costs "
                          + ", ".join(f"{a.amount} {a.resource}" for a in action.costs) + "; drop the claim",
                          where)
        if (action.gains or action.roll or action.draw or action.take) and GAINS_NOTHING.search(text):
            yield Problem(Severity.ERROR, "prose_contradicts_action",
                          f"says '{action.id}' gains nothing, but it does; drop the claim", where)


def _rounds_problem(counts: list[int], expected: set[int]) -> str | None:
    wrong = [count for count in counts if count not in expected]
    if not wrong:
        return None
    said = f"says {wrong[0]} round{'' if wrong[0] == 1 else 's'}"
    if not expected:
        return f"{said}, but no end condition counts rounds"
    return f"{said}, but the game ends after {_amounts_text(expected)} rounds"


@GAME_VALIDATORS.register(FLOW)
def flow_prose_matches_structure(design: GameDesign) -> Iterator[Problem]:
    """The round counts and thresholds that end conditions, phases and the turn summary state are
    those of the end conditions."""
    aliases = resource_aliases(design)
    rounds = {end.rounds for end in design.end_conditions if end.kind is EndKind.ROUNDS and end.rounds}
    scored = {ref for rule in design.victory.scoring for ref in rule.counts}
    for i, end in enumerate(design.end_conditions):
        where = at("end_conditions", i, "description")
        expected = {end.rounds} if end.kind is EndKind.ROUNDS and end.rounds else rounds
        if problem := _rounds_problem(round_counts(end.description), expected):
            yield Problem(Severity.ERROR, "prose_contradicts_end", f"{problem}; {_NO_NUMBERS}", where)
        if end.threshold is not None and end.kind in (EndKind.SCORE_THRESHOLD, EndKind.RESOURCE_THRESHOLD):
            score = end.kind is EndKind.SCORE_THRESHOLD
            counted = scored if score else {end.target or ""}
            wrong = [n for n in threshold_numbers(end.description, aliases, counted, points=score)
                     if n != end.threshold]
            if wrong:
                yield Problem(Severity.ERROR, "prose_contradicts_end",
                              f"says {wrong[0]}, but the game ends at {end.threshold}; {_NO_NUMBERS}", where)
    texts = [(at("turn_structure", field="summary"), design.turn_structure.summary)]
    texts += [(at("turn_structure", field="phases", item=i), phase.description)
              for i, phase in enumerate(design.turn_structure.phases)]
    for where, text in texts:
        if problem := _rounds_problem(round_counts(text), rounds):
            yield Problem(Severity.ERROR, "prose_contradicts_end", f"{problem}; {_NO_NUMBERS}", where)


@GAME_VALIDATORS.register(SETUP)
def setup_prose_matches_structure(design: GameDesign) -> Iterator[Problem]:
    """A setup step that hands out an amount of a resource hands out what players start with (or a
    round's income, or the count of the components that stand for it or share its name)."""
    aliases = resource_aliases(design)
    namesakes = [(c, c.represents or aliases.get(name_key(c.name)) or aliases.get(name_key(c.id)))
                 for c in design.components]
    allowed = _tally([(r.id, r.starting) for r in design.resources]
                     + [(income.resource, abs(income.amount)) for income in design.turn_structure.income]
                     + [(resource, count) for c, resource in namesakes if resource
                        for count in (c.quantity, c.per_player)])
    for i, step in enumerate(design.setup):
        for mention in mentions(step.instruction, aliases):
            if mention.amount is not None and mention.amount not in allowed.get(mention.resource, set()):
                starting = next(r.starting for r in design.resources if r.id == mention.resource)
                yield Problem(Severity.ERROR, "prose_contradicts_setup",
                              f"says '{mention.phrase}', but each player (or the shared pool) starts with "
                              f"{starting} '{mention.resource}'; {_NO_NUMBERS}", at("setup", i, "instruction"))


@GAME_VALIDATORS.register(owned_in(FLOW, "victory"), owned_in(ENGINE, "resources"))
def scoring_prose_matches_points(design: GameDesign) -> Iterator[Problem]:
    """"Worth 3" in a scoring rule or a resource's description is what the scoring gives it."""
    for i, rule in enumerate(design.victory.scoring):
        wrong = [n for n in worth_numbers(rule.description) if n != rule.points]
        if wrong:
            yield Problem(Severity.ERROR, "prose_contradicts_scoring",
                          f"says worth {wrong[0]}, but the rule gives {rule.points} points; {_NO_NUMBERS}",
                          at("victory", field="scoring", item=i))
    standing_for = {c.id: c.represents for c in design.components if c.represents}
    for i, resource in enumerate(design.resources):
        points = {rule.points for rule in design.victory.scoring
                  if any(ref == resource.id or standing_for.get(ref) == resource.id for ref in rule.counts)}
        wrong = [n for n in worth_numbers(resource.description) if n not in points | {sum(points)}]
        if wrong:
            actual = f"scoring gives it {_amounts_text(points)}" if points else "no scoring rule counts it"
            yield Problem(Severity.ERROR, "prose_contradicts_scoring",
                          f"says '{resource.id}' is worth {wrong[0]}, but {actual}; {_NO_NUMBERS}",
                          at("resources", i, "description"))


@GAME_VALIDATORS.register(*PROSE_OWNERS)
def prose_keeps_the_scoring(design: GameDesign) -> Iterator[Problem]:
    """"There is no scoring" beside rules that score is a contradiction a player cannot resolve."""
    if design.cooperative or all(rule.points == 0 for rule in design.victory.scoring):
        return
    for where, text in prose_fields(design):
        if NO_SCORING.search(text.lower()):
            yield Problem(Severity.ERROR, "prose_denies_scoring",
                          "says there is no scoring, but the scoring rules give points; drop the claim", where)


@GAME_VALIDATORS.register(FLOW)
def victory_prose_fits_the_mode(design: GameDesign) -> Iterator[Problem]:
    """Cooperative players win or lose together, competitive players alone: the victory and end
    text must say the same as `cooperative`."""
    texts = [(at("victory", field="scoring", item=i), rule.description)
             for i, rule in enumerate(design.victory.scoring)]
    texts.append((at("victory", field="tie_breaker"), design.victory.tie_breaker))
    texts += [(at("end_conditions", i, "description"), end.description) for i, end in enumerate(design.end_conditions)]
    for where, text in texts:
        lowered = text.lower()
        if design.cooperative and INDIVIDUAL_WINNER.search(lowered):
            yield Problem(Severity.ERROR, "prose_contradicts_mode",
                          "says one player wins, but the game is cooperative: the team wins or loses together; "
                          "say how the team does", where)
        elif not design.cooperative and SHARED_OUTCOME.search(lowered):
            yield Problem(Severity.ERROR, "prose_contradicts_mode",
                          "says all players win or lose together, but the game is competitive: the player with "
                          "the most points wins", where)


@GAME_VALIDATORS.register(IDENTITY)
def identity_fits_the_mode(design: GameDesign) -> Iterator[Problem]:
    """The scene the introduction sets must be the game the rules play: a 'cooperative game' whose rules
    crown one player (written by the embedded model for a competitive engine), or a lone winner in a
    game the team wins together, misleads the table before the first turn."""
    for field in ("tagline", "theme", "introduction"):
        if not fits_the_mode(getattr(design, field), design.cooperative):
            yield Problem(Severity.ERROR, "prose_contradicts_mode",
                          "says one player wins, but the game is cooperative: the team wins or loses together; "
                          "say how the team does" if design.cooperative else
                          "calls the game cooperative, but it is competitive: the player with the most points "
                          "wins; set the scene as a contest", at(field))


def fits_the_mode(text: str, cooperative: bool) -> bool:
    """Whether `text` leaves the mode as the rules have it (no lone winner in a cooperative game, no
    cooperation claimed in a competitive one)."""
    lowered = text.lower()
    if cooperative:
        return not INDIVIDUAL_WINNER.search(lowered)
    return not (SHARED_OUTCOME.search(lowered) or COOPERATIVE_CLAIM.search(lowered))


COPIED_RUN = 6
"""The shortest run of content words that counts as copied: long enough not to happen by chance."""


def copied_prose(design: GameDesign, references: Sequence[str]) -> list[Finding]:
    """Findings for every sentence of `design` that copies a run of `COPIED_RUN` content words from
    one of `references` (the critique the agents read, the exemplar games they were shown), each
    owned by the role that wrote the sentence. Validators see only the design, so the pipeline
    calls this with the texts it gave the agents."""

    def copies(checked: GameDesign) -> Iterator[Problem]:
        for where, text in prose_fields(checked):
            if run := shared_run(text, references, COPIED_RUN):
                yield Problem(Severity.ERROR, "copied_prose",
                              f"copies '{run}' from the critique or an exemplar game; say it in this game's own "
                              "words", where)

    return list(RegisteredCheck("copied_prose", copies, PROSE_OWNERS).findings(design))


def validate_design(design: GameDesign) -> list[Finding]:
    """All findings for `design`, errors first."""
    return GAME_VALIDATORS.validate(design)
