"""Names for a proven engine's parts, assigned from the theme's words by what each part does.

Asked to name an engine's resources and components one by one, the embedded 1.5B model mapped the
theme's words onto parts without sense ("pay 2 Lighthouse keeper, gain 2 Anchor"), gave one word to
several parts in 8 of 10 bench designs, and turned a deck into "Shark". It is good at one thing
here: listing the nouns of a world by kind. So it lists them (materials from the commonest to the
most precious, the works players build or win, creatures, objects, places, and the danger at the
heart of the theme), and this module gives each part a word of the kind that fits its role in the
rules: a gathered resource takes a material, in the order of how common it is in play; a scored one
takes a work, in the order of its points; a shared resource the team fights takes the danger; a
board takes a place, pieces a creature, decks and tiles objects. Every name is distinct by
construction, and a word is never reused; when a kind runs out, the next kind's words are used,
then pairs of words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum

from pydantic import BaseModel, Field

from ontology.game import ComponentKind, GameDesign, TeamOutcome
from ontology.game_prose import stem


class ThemeWords(BaseModel):
    """The theme's own nouns by kind, which every part's name is chosen from (see `EngineChoice` in
    `ontology.game_reskin` for how each list is asked for)."""

    materials: list[str] = Field(default_factory=list)
    works: list[str] = Field(default_factory=list)
    creatures: list[str] = Field(default_factory=list)
    objects: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    threat: str = ""

    def pools(self) -> dict[str, list[str]]:
        return {"materials": self.materials, "works": self.works, "creatures": self.creatures,
                "objects": self.objects, "places": self.places}


class ResourceRole(StrEnum):
    MATERIAL = "material"
    """Gathered and spent, not scored."""
    WORK = "work"
    """Counted by a scoring rule: what players build or win."""
    THREAT = "threat"
    """A shared pool the team fights: it grows each round or its threshold loses the game."""


def resource_roles(engine: GameDesign) -> dict[str, ResourceRole]:
    """Each resource's role in the engine's rules (see `ResourceRole`)."""
    scored = {ref for rule in engine.victory.scoring for ref in rule.counts}
    growing = {i.resource for i in engine.turn_structure.income if i.amount > 0 and i.per is None}
    losing = {e.target for e in engine.end_conditions if e.team is TeamOutcome.LOSE}
    roles = {}
    for resource in engine.resources:
        if resource.shared and resource.id not in scored and (resource.id in growing or resource.id in losing):
            roles[resource.id] = ResourceRole.THREAT
        elif resource.id in scored:
            roles[resource.id] = ResourceRole.WORK
        else:
            roles[resource.id] = ResourceRole.MATERIAL
    return roles


def commonness(engine: GameDesign) -> dict[str, float]:
    """How much of each resource comes into play per action or round: what a player gathers freely,
    by dice, cards and income, counts more than what they must pay for."""
    amount = dict.fromkeys((r.id for r in engine.resources), 0.0)
    for resource in engine.resources:
        amount[resource.id] += resource.starting
    for action in engine.actions:
        weight = 0.5 if action.costs else 1.0
        for gain in action.gains:
            amount[gain.resource] += weight * gain.amount
        if action.roll is not None:
            amount[action.roll.resource] += action.roll.dice * 3.5 / action.roll.per
    for income in engine.turn_structure.income:
        amount[income.resource] += max(0, income.amount)
    for component in engine.components:
        for card in component.card_types:
            for gain in card.gains:
                amount[gain.resource] += card.count * gain.amount / max(1, component.quantity)
    return amount


def _points(engine: GameDesign, rid: str) -> int:
    return max((rule.points for rule in engine.victory.scoring if rid in rule.counts), default=0)


def pressure_target(engine: GameDesign) -> str | None:
    """The material the theme's danger takes each round where the engine has no pressure of its own:
    the commonest one players come by freely (from free actions, dice, cards or income), so losing
    one a round is felt and never blocks an action that must be paid for first."""
    roles, common = resource_roles(engine), commonness(engine)
    free = {g.resource for a in engine.actions if not a.costs for g in a.gains}
    free |= {a.roll.resource for a in engine.actions if a.roll is not None}
    free |= {g.resource for c in engine.components for card in c.card_types for g in card.gains}
    free |= {i.resource for i in engine.turn_structure.income if i.amount > 0}
    shared = {r.id for r in engine.resources if r.shared}
    options = [r.id for r in engine.resources
               if roles[r.id] is ResourceRole.MATERIAL and r.id in free and r.id not in shared]
    return max(options, key=lambda rid: common.get(rid, 0.0)) if options else None


def same_name_key(name: str) -> str:
    """What makes two names the same at the table: case, spaces, hyphens, apostrophes and plural endings
    aside ('Bee hive' and 'Beehives' are one name)."""
    return "".join(stem(word) for word in re.findall(r"[a-z0-9]+", name.lower()))


class _Namer:
    """Hands out the theme's words by kind, each once (case-insensitive), falling back to other kinds,
    then to pairs of words, so no two parts share a name."""

    FALLBACK = {"materials": ("objects", "creatures", "places", "works"),
                "works": ("places", "objects", "materials", "creatures"),
                "creatures": ("objects", "places", "materials", "works"),
                "objects": ("materials", "places", "works", "creatures"),
                "places": ("objects", "works", "materials", "creatures")}

    def __init__(self, words: ThemeWords) -> None:
        self.pools = words.pools()
        self.taken: set[str] = set()

    def take(self, name: str) -> str:
        self.taken.add(same_name_key(name))
        return name

    def free(self, name: str) -> bool:
        return same_name_key(name) not in self.taken

    def _candidates(self, kind: str) -> Iterator[str]:
        for pool in (kind, *self.FALLBACK[kind]):
            yield from self.pools[pool]
        for first in self.pools["places"] + self.pools["creatures"]:
            for second in self.pools[kind]:
                yield f"{first} {second}"

    def next(self, kind: str, suffix: str = "") -> str:
        for word in self._candidates(kind):
            name = f"{word} {suffix}".strip()
            if self.free(name) and self.free(word):
                self.take(word)
                return self.take(name)
        return self.take(f"{kind.title()} {len(self.taken) + 1} {suffix}".strip())


def tokens_name(resource_name: str) -> str:
    """The name of the tokens that stand for a resource."""
    return f"{resource_name} tokens"[:60]


def themed_names(engine: GameDesign, words: ThemeWords) -> dict[str, str]:
    """Engine id -> its name in the theme's words, for every resource, component and card type (cards
    keyed `<deck id>.<card id>`)."""
    roles, common = resource_roles(engine), commonness(engine)
    namer = _Namer(words)
    names: dict[str, str] = {}
    threats = [r.id for r in engine.resources if roles[r.id] is ResourceRole.THREAT]
    for i, rid in enumerate(threats):
        first = i == 0 and words.threat and namer.free(words.threat)
        names[rid] = namer.take(words.threat) if first else namer.next("places")
    materials = sorted((r.id for r in engine.resources if roles[r.id] is ResourceRole.MATERIAL),
                       key=lambda rid: -common.get(rid, 0.0))
    works = sorted((r.id for r in engine.resources if roles[r.id] is ResourceRole.WORK),
                   key=lambda rid: _points(engine, rid))
    names |= {rid: namer.next("materials") for rid in materials}
    names |= {rid: namer.next("works") for rid in works}
    for component in engine.components:
        if component.represents in names:
            name = tokens_name(names[component.represents]) if component.kind is ComponentKind.TOKENS else \
                f"{names[component.represents]} {component.kind.value.replace('_', ' ')}"
            names[component.id] = namer.take(name)
        elif component.kind is ComponentKind.BOARD:
            names[component.id] = namer.next("places")
        elif component.kind is ComponentKind.PLAYER_PIECES:
            names[component.id] = namer.next("creatures")
        elif component.kind is ComponentKind.PLAYER_BOARD:
            names[component.id] = namer.next("creatures", "mat")
        elif component.kind is ComponentKind.DICE:  # 'Fungus spore pods dice' read badly
            place = next((word for word in words.places if namer.free(f"Dice of the {word}")), None)
            names[component.id] = namer.take(f"Dice of the {place}") if place else namer.next("objects", "dice")
        elif component.kind is ComponentKind.DECK:
            names[component.id] = namer.next("objects", "deck")
        else:
            names[component.id] = namer.next("objects", component.kind.value.replace("_", " "))
        for card in component.card_types:
            gained = [names.get(gain.resource, gain.resource) for gain in card.gains]
            names[f"{component.id}.{card.id}"] = " and ".join(dict.fromkeys(gained)) or card.name
    return names

