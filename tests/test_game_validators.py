"""Semantic validators of the game ontology on a hand-made design and its broken variants."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ontology.core import Severity, errors
from ontology.game import (
    CardType,
    Component,
    ComponentKind,
    EndCondition,
    EndKind,
    GameDesign,
    Mechanism,
    MechanismFamily,
    ResourceAmount,
    TeamOutcome,
)
from ontology.game_validators import GAME_VALIDATORS, Role, validate_design

GOOD = GameDesign.model_validate(json.loads((Path(__file__).parent / "data" / "mycelium_design.json").read_text()))


def broken(change: Callable[[GameDesign], None]) -> GameDesign:
    design = GOOD.model_copy(deep=True)
    change(design)
    return design


def test_the_hand_made_design_is_clean() -> None:
    assert validate_design(GOOD) == []


def test_every_check_is_registered() -> None:
    assert len(GAME_VALIDATORS.names) == 29


CASES: list[tuple[str, Callable[[GameDesign], None], str, Severity, Role]] = [
    ("a competitive game scoring a pool every player shares",
     lambda d: d.resources[1].__setattr__("shared", True),
     "scored_shared_pool", Severity.ERROR, Role.MECHANICS),
    ("dangling action resource",
     lambda d: d.actions[0].costs[0].__setattr__("resource", "spores"),
     "dangling_reference", Severity.ERROR, Role.MECHANICS),
    ("dangling setup component",
     lambda d: d.setup[0].components.append("dice"),
     "dangling_reference", Severity.ERROR, Role.COMPONENTS),
    ("dangling phase action",
     lambda d: d.turn_structure.phases[0].actions.append("trade"),
     "dangling_reference", Severity.ERROR, Role.MECHANICS),
    ("deck building without cards",
     lambda d: d.mechanisms.append(Mechanism(family=MechanismFamily.DECK_BUILDING, name="Deck", how_it_works="Buy")),
     "mechanism_without_components", Severity.ERROR, Role.COMPONENTS),
    ("dice rolling without dice",
     lambda d: d.mechanisms.append(Mechanism(family=MechanismFamily.DICE_ROLLING, name="Roll", how_it_works="Roll")),
     "mechanism_without_components", Severity.ERROR, Role.COMPONENTS),
    ("deck with no card types",
     lambda d: d.components[1].__setattr__("kind", ComponentKind.DECK),
     "empty_deck", Severity.ERROR, Role.COMPONENTS),
    ("too few pieces for max players",
     lambda d: d.players.__setattr__("max", 5),
     "too_few_components", Severity.ERROR, Role.COMPONENTS),
    ("inverted player range",
     lambda d: d.players.__setattr__("min", 4) or d.players.__setattr__("max", 2),
     "inverted_range", Severity.ERROR, Role.MECHANICS),
    ("no end condition",
     lambda d: d.end_conditions.clear(),
     "no_end_condition", Severity.ERROR, Role.MECHANICS),
    ("end on a component nothing uses",
     lambda d: d.end_conditions.__setitem__(0, EndCondition(
         kind=EndKind.COMPONENT_EXHAUSTED, description="board runs out", target="cave_board")),
     "end_cannot_trigger", Severity.ERROR, Role.MECHANICS),
    ("rounds without a number",
     lambda d: d.end_conditions.__setitem__(0, EndCondition(kind=EndKind.ROUNDS, description="after rounds")),
     "end_cannot_trigger", Severity.ERROR, Role.MECHANICS),
    ("victory worth nothing",
     lambda d: d.victory.scoring[0].__setattr__("points", 0),
     "victory_counts_nothing", Severity.ERROR, Role.MECHANICS),
    ("spent but never produced",
     lambda d: d.actions[1].gains.clear(),
     "spent_never_produced", Severity.WARNING, Role.MECHANICS),
    ("component missing from setup",
     lambda d: d.setup.pop(1),
     "component_not_set_up", Severity.WARNING, Role.COMPONENTS),
    ("action in no phase",
     lambda d: d.turn_structure.phases.pop(1),
     "action_without_phase", Severity.WARNING, Role.MECHANICS),
    ("duplicate id",
     lambda d: d.resources[1].__setattr__("id", "nutrients"),
     "duplicate_id", Severity.ERROR, Role.MECHANICS),
    ("resource nobody starts with or gains",
     lambda d: d.actions[2].gains.clear(),
     "resource_never_held", Severity.ERROR, Role.MECHANICS),
    ("scored resource nothing produces",
     lambda d: (d.resources[1].__setattr__("starting", 5), d.actions[2].gains.clear()),
     "unreachable_scoring", Severity.ERROR, Role.MECHANICS),
    ("scored component that stands for nothing",
     lambda d: d.victory.scoring[0].counts.append("colonies"),
     "unreachable_scoring", Severity.ERROR, Role.MECHANICS),
    ("action that gives back what it costs",
     lambda d: d.actions[1].costs.append(ResourceAmount(resource="nutrients", amount=3)),
     "noop_action", Severity.ERROR, Role.MECHANICS),
    ("draw without a deck",
     lambda d: d.actions[1].__setattr__("draw", 1),
     "draw_without_deck", Severity.ERROR, Role.MECHANICS),
    ("deck whose cards give nothing",
     lambda d: (d.components[1].__setattr__("kind", ComponentKind.DECK),
                d.components[1].card_types.append(CardType(id="tunnel", name="Tunnel", count=40, effect="Dig."))),
     "cards_give_nothing", Severity.ERROR, Role.COMPONENTS),
    ("end on an objective",
     lambda d: d.end_conditions.append(EndCondition(kind=EndKind.OBJECTIVE, description="Light the cave.")),
     "end_not_executable", Severity.WARNING, Role.MECHANICS),
    ("cooperative without a winning and a losing end",
     lambda d: d.__setattr__("cooperative", True),
     "team_outcome_missing", Severity.ERROR, Role.MECHANICS),
    ("competitive with a team outcome",
     lambda d: d.end_conditions[0].__setattr__("team", TeamOutcome.WIN),
     "team_outcome_in_competitive_game", Severity.WARNING, Role.MECHANICS),
    ("resource named generically",
     lambda d: d.resources[0].__setattr__("name", "Materials"),
     "generic_name", Severity.WARNING, Role.MECHANICS),
    ("two resources with one name",
     lambda d: d.resources[1].__setattr__("name", d.resources[0].name.upper()),
     "duplicate_name", Severity.WARNING, Role.MECHANICS),
    ("component named after a mechanism",
     lambda d: d.components[1].__setattr__("name", "Tile Placement"),
     "generic_name", Severity.WARNING, Role.COMPONENTS),
    ("rulebook as a component",
     lambda d: d.components.append(Component(id="rulebook", name="Rulebook", kind=ComponentKind.BOARD, quantity=1,
                                             description="The rules.")),
     "rulebook_component", Severity.ERROR, Role.COMPONENTS),
    ("deck with sides",
     lambda d: (d.components[1].__setattr__("kind", ComponentKind.DECK), d.components[1].__setattr__("sides", 6)),
     "deck_with_sides", Severity.ERROR, Role.COMPONENTS),
    ("dice with card types",
     lambda d: (d.components[1].__setattr__("kind", ComponentKind.DICE), d.components[1].__setattr__("sides", 6),
                d.components[1].card_types.append(CardType(id="one", name="One", count=1, effect="x"))),
     "dice_with_cards", Severity.ERROR, Role.COMPONENTS),
]


@pytest.mark.parametrize(("label", "change", "code", "severity", "owner"), CASES, ids=[c[0] for c in CASES])
def test_each_broken_design_gets_the_right_finding_routed_to_its_owner(
    label: str, change: Callable[[GameDesign], None], code: str, severity: Severity, owner: Role
) -> None:
    findings = validate_design(broken(change))
    matching = [f for f in findings if f.code == code]
    assert matching, f"{label}: expected {code}, got {[str(f) for f in findings]}"
    assert all(f.severity is severity and f.owner == owner for f in matching)


@pytest.mark.parametrize("name", ["Cave tiles", "Nutrient tokens", "Glow", "Spore cards", "Harvest"])
def test_a_name_with_a_word_of_its_own_is_themed(name: str) -> None:
    assert not [f for f in validate_design(broken(lambda d: d.components[1].__setattr__("name", name)))
                if f.code == "generic_name"]


@pytest.mark.parametrize("name", ["Game Pieces", "Action Points", "Draw a card", "Card Drafting", "Victory points"])
def test_a_name_any_game_could_use_is_generic(name: str) -> None:
    assert [f for f in validate_design(broken(lambda d: d.actions[0].__setattr__("name", name)))
            if f.code == "generic_name"]


def test_errors_come_first() -> None:
    findings = validate_design(broken(lambda d: (d.setup.pop(1), d.end_conditions.clear())))
    assert findings[0].severity is Severity.ERROR and errors(findings) == findings[:1]
