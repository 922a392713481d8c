"""The sentences of a re-themed design that say what its parts do, written from its structure.

On the bench's themes the embedded model's descriptions of an engine's parts contradicted the rules
in 4 of 10 designs ("each player starts with one shark" where they start with none; "+ per Anchor"
where a number had been banned), and its turn summaries listed action names ("pay and gain, pay and
gain"). What a resource, a phase, an end or a scoring rule does is already in the structure, so
these sentences are written from it and cannot disagree with it; the agents write what the
structure cannot know: the names of actions and phases, what a player does in the world, the title
and the scene.
"""

from __future__ import annotations

from collections.abc import Mapping

from ontology.game import Action, Component, ComponentKind, GameDesign, MechanismFamily, Phase, Resource
from ontology.game_rulebook import end_clause, part_names

MOST_LISTED = 3
"""Names a sentence lists before it says 'and others': a rule sentence stays short enough to read (and
within a Sentence's 240 characters)."""


def _listed(items: list[str], joiner: str = "and") -> str:
    items = list(dict.fromkeys(items))
    if len(items) > MOST_LISTED:
        items = [*items[:MOST_LISTED], "others"]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def resource_sentence(resource: Resource, design: GameDesign) -> str:
    """How a resource comes and goes: who gathers it, what spends it, what it is worth."""
    rid = resource.id
    gained = [a.name for a in design.actions if any(g.resource == rid for g in a.gains)
              or (a.roll is not None and a.roll.resource == rid)]
    carded = any(g.resource == rid for c in design.components for card in c.card_types for g in card.gains)
    income = any(i.resource == rid and i.amount > 0 for i in design.turn_structure.income)
    spent = [a.name for a in design.actions if any(c.resource == rid for c in a.costs)]
    lost = any(i.resource == rid and i.amount < 0 for i in design.turn_structure.income)
    points = [rule.points for rule in design.victory.scoring if rid in rule.counts]
    facts = []
    sources = [*gained, *(["drawn cards"] if carded else []), *(["the round's end"] if income else [])]
    if sources:
        facts.append(f"comes from {_listed(sources, 'or')}")
    uses = [*spent, *(["the round's end"] if lost else [])]
    if uses:
        facts.append(f"goes to {_listed(uses, 'or')}")
    if points:
        facts.append(f"scores {points[0]:+d} each at the end")
    text = "; ".join(facts) or "counted by the rules"
    return f"{text[:1].upper()}{text[1:]}."[:240]


def _names(actions: list[Action]) -> str:
    return _listed([a.name for a in actions], "or")


def mechanism_sentence(family: MechanismFamily, design: GameDesign) -> str:
    """What a mechanism family amounts to in this design, from the parts that carry it."""
    names = part_names(design)
    actions = design.actions
    limited = [a for a in actions if a.limit_per_round]
    rolls = [a for a in actions if a.roll]
    draws = [a for a in actions if a.draw]
    takes = [a for a in actions if a.take]
    converts = [a for a in actions if a.costs and a.gains]
    scored = {ref for rule in design.victory.scoring for ref in rule.counts}
    builds = [a for a in converts if any(g.resource in scored for g in a.gains)]
    pays = [i for i in design.turn_structure.income if i.amount > 0 and i.per]
    upkeep = [i for i in design.turn_structure.income if i.amount < 0]
    if family in (MechanismFamily.WORKER_PLACEMENT, MechanismFamily.ACTION_SELECTION) and limited:
        return f"Only so many visits a round are open to all players together at {_names(limited)}: go first."
    if family is MechanismFamily.DICE_ROLLING and rolls:
        return f"{_names(rolls)} roll dice: the pips decide how much you gain."
    if family in (MechanismFamily.HAND_MANAGEMENT, MechanismFamily.DECK_BUILDING) and draws:
        if any(a.face_up for a in draws):
            return f"{_names(draws)} chooses among the cards dealt face up; each card gives what it shows."
        return f"{_names(draws)} draws from a shuffled deck; each card gives what it shows."
    if family is MechanismFamily.TAKE_THAT and takes:
        return f"{_names(takes)} takes from the rival who holds the most."
    if family is MechanismFamily.ENGINE_BUILDING and pays:
        grows = _listed([names.get(i.per or "", "") for i in pays])
        return f"What you hold of {grows} pays out again at the end of every round."
    if family is MechanismFamily.RESOURCE_MANAGEMENT and upkeep:
        return f"Every round's end takes {_listed([names.get(i.resource, i.resource) for i in upkeep])}: keep enough."
    if family is MechanismFamily.COOPERATIVE:
        return "All players win or lose together against the game."
    spent = _listed([names.get(c.resource, c.resource) for a in builds for c in a.costs])
    won = _listed([names.get(g.resource, g.resource) for a in builds for g in a.gains if g.resource in scored])
    if family is MechanismFamily.SET_COLLECTION and builds:
        return f"Collect {spent}: {_names(builds)} each take a set of them."
    if family in (MechanismFamily.NETWORK_BUILDING, MechanismFamily.AREA_CONTROL,
                  MechanismFamily.TILE_PLACEMENT, MechanismFamily.PATTERN_BUILDING) and builds:
        return f"Claim {won} with {_names(builds)}; the more you claim, the more you score."
    if builds:
        return f"Turn what you gather into what scores: {_names(builds)}."
    if converts:
        return f"Trade what you hold for what you need: {_names(converts)}."
    return f"Each turn you choose among {_names(actions)}."


def turn_summary(phases: list[str], design: GameDesign) -> str:
    """One sentence on a turn: its `phases` (their names, in order) and what happens at the round's end."""
    text = f"On your turn you go through {_listed(phases, 'then')}" if len(phases) > 1 else \
        f"On your turn you take {phases[0] if phases else 'an action'}"
    if design.turn_structure.income:
        text += "; the round's end brings its gains and losses"
    return f"{text}."


def tie_breaker(design: GameDesign) -> str:
    """Who wins a tie: the tied player holding more of the most valued scored resource, else shared."""
    if design.cooperative:
        return "There are no ties: the team wins or loses together."
    names = part_names(design)
    rules = sorted(design.victory.scoring, key=lambda rule: -rule.points)
    counted = next((ref for rule in rules for ref in rule.counts), None)
    if counted is None:
        return "Tied players share the victory."
    return f"The tied player with more {names.get(counted, counted)} wins; if still tied, they share the victory."


def end_sentence(index: int, design: GameDesign) -> str:
    """An end condition as a sentence ('The game ends when ...')."""
    names, shared = part_names(design), {r.id for r in design.resources if r.shared}
    clause = end_clause(design.end_conditions[index], names, shared)
    return f"The game ends {clause}." if clause else "The game ends."


def scoring_sentence(index: int, design: GameDesign) -> str:
    names = part_names(design)
    rule = design.victory.scoring[index]
    return f"Each {_listed([names.get(ref, ref) for ref in rule.counts], 'or')} is worth {rule.points:+d}."


def component_sentence(component: Component, design: GameDesign) -> str:
    """What a component is for, from its kind, what it stands for and how the actions use it."""
    names = part_names(design)
    if component.kind is ComponentKind.DECK:
        shown = max((a.face_up for a in design.actions if a.draw and component.id in a.components), default=0)
        if shown:
            return f"Shuffled face down, with {shown} cards dealt face up beside it to choose from."
    if component.represents and component.kind is ComponentKind.TOKENS:
        return "Counted out of the supply as players gain them."
    if component.represents:
        return f"Each one is a {names.get(component.represents, component.represents)} a player has gained."
    return {
        ComponentKind.BOARD: "The shared board where the actions are taken.",
        ComponentKind.DECK: "Shuffled face down; drawn by the actions that draw.",
        ComponentKind.DICE: "Rolled by the actions that roll.",
        ComponentKind.PLAYER_PIECES: "Each player's own pieces, in their colour.",
        ComponentKind.PLAYER_BOARD: "Each player's own board, where they keep what they hold.",
        ComponentKind.TILES: "Shown face up; what the actions buy or claim.",
    }.get(component.kind, "Kept beside the board.")


def _kind_of_play(action: Action, scored: set[str], shared: frozenset[str]) -> str:
    if action.draw:
        return "drawing"
    if action.roll is not None:
        return "rolling"
    if action.take:
        return "raiding"
    if any(c.resource in shared for c in action.costs) and not action.gains:
        return "fighting back"
    if action.costs and any(g.resource in scored for g in action.gains):
        return "building"
    if action.costs and action.gains:
        return "trading"
    return "gathering" if action.gains else "resting"


def phase_titles(design: GameDesign) -> list[str]:
    """Each phase named by the kinds of play its actions are ('Gathering and trading'), distinct (an
    ordinal where two phases would read the same). Asked to name phases, the model wrote 'a a',
    'Aerospace' and 'Apocalypse' for phases of dice and building in a game about fungi."""
    scored = {ref for rule in design.victory.scoring for ref in rule.counts}
    shared = frozenset(r.id for r in design.resources if r.shared)
    actions = {a.id: a for a in design.actions}
    titles: list[str] = []
    for i, phase in enumerate(design.turn_structure.phases):
        kinds = [_kind_of_play(actions[ref], scored, shared) for ref in phase.actions if ref in actions]
        title = _listed(kinds) or "resting"
        title = title[:1].upper() + title[1:]
        if title in titles:
            title = f"{title}, {ORDINALS[i % len(ORDINALS)].lower()} round"
        titles.append(title)
    return titles


def phase_sentence(phase: Phase, design: GameDesign) -> str:
    """What a phase offers, as a sentence."""
    actions = [a for a in design.actions if a.id in phase.actions]
    return f"Take {_names(actions)}." if actions else "Nothing to take."


ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth")


TITLE_PARTS_CHARS = 24
"""How long a list of three or more parts in an action's plain name may grow before it says 'and others': 'Trade Lamp
oil for Navigation and Lighthouse keepers' towe' was cut at a name's 60 characters, and a name that lists
two of three costs misleads."""


def action_title(action: Action, names: Mapping[str, str], decks: Mapping[str, Component],
                 shared: frozenset[str] = frozenset()) -> str:
    """A plain name for an action from what it does ('Trade Rope for Lamp oil'), for when its agent's
    name is generic or already names another part."""
    def named(refs: list[str]) -> str:  # every part, or the first and 'others' (a shorter list would mislead)
        parts = [names.get(ref, ref) for ref in dict.fromkeys(refs)]
        short = len(parts) <= 2 or len(_listed(parts)) <= TITLE_PARTS_CHARS
        return _listed(parts) if short else f"{parts[0]} and others"

    gains = [g.resource for g in action.gains]
    costs = [c.resource for c in action.costs]
    if action.draw:
        deck = next((ref for ref in action.components if ref in decks), None)
        title = f"Draw from the {names.get(deck, deck)}" if deck else "Draw cards"
    elif action.roll is not None:
        title = f"Roll for {named([action.roll.resource])}"
    elif action.take:
        title = f"Raid for {named([t.resource for t in action.take])}"
    elif costs and gains:
        title = f"Trade {named(costs)} for {named(gains)}"
    elif gains:
        title = f"Gather {named(gains)}"
    elif fought := [ref for ref in costs if ref in shared]:  # paying a shared pool down: fighting a threat
        title = f"Push back {named(fought)}"
    elif costs:
        title = f"Give up {named(costs)}"
    else:
        title = "Rest"
    return title[:60]


def card_effect(gains: str) -> str:
    return f"Gain {gains}." if gains else "No effect."
