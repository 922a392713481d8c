"""The calibration games load, validate cleanly, and their broken variants break only what they say."""

from __future__ import annotations

from typing import Any

import pytest

from ontology.core import Severity
from ontology.game import GameDesign
from ontology.game_validators import validate_design
from retrieval.calibration import CALIBRATION_DIR, broken_variants, load_calibration_games

GAMES = load_calibration_games()
VARIANTS = broken_variants()

METRICS = {"never_completes", "unreachable_scoring", "noop_action", "dominant_action", "first_seat_advantage",
           "dead_action", "cooperative_out_of_band"}

# Where each variant departs from its source game, as dotted paths into the dumped design.
INTENDED_CHANGES: dict[str, tuple[str, set[str]]] = {
    "splendor_dominant_take_three": ("splendor", {"actions.0.gains.3"}),
    "agricola_noop_grove": ("agricola", {"actions.2.costs.0", "actions.2.costs.1"}),
    "waterdeep_quests_without_renown": ("lords_of_waterdeep", {"actions.6.gains.0.resource", "actions.6.gains.0.amount",
                                                               "actions.7.gains.0.resource",
                                                               "actions.7.gains.0.amount"}),
    "splendor_unreachable_threshold": ("splendor", {"end_conditions.0.threshold", "end_conditions.0.description"}),
    "waterdeep_aurora_first_seat": ("lords_of_waterdeep", {"turn_structure.first_player", "actions.4.gains.1",
                                                           "actions.4.description"}),
    "splendor_dead_palace": ("splendor", {"actions.6.costs.0.amount", "actions.6.costs.1.amount",
                                          "actions.6.description"}),
    "pandemic_unwinnable": ("pandemic", {"end_conditions.0.threshold", "end_conditions.0.description"}),
}


def changed_paths(before: Any, after: Any, path: str = "") -> set[str]:
    """Dotted paths where two dumped designs differ (a list item present in only one counts as changed)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return {p for key in before.keys() | after.keys()
                for p in changed_paths(before.get(key), after.get(key), f"{path}.{key}".lstrip("."))}
    if isinstance(before, list) and isinstance(after, list):
        return {p for i in range(max(len(before), len(after)))
                for p in changed_paths(before[i] if i < len(before) else None,
                                       after[i] if i < len(after) else None, f"{path}.{i}".lstrip("."))}
    return set() if before == after else {path}


def errors(design: GameDesign) -> list[str]:
    return [f"{f.path}: {f.message}" for f in validate_design(design) if f.severity is Severity.ERROR]


def test_at_least_twelve_games_with_unique_ids_and_titles() -> None:
    assert len(GAMES) >= 12
    assert len({design.title for design in GAMES.values()}) == len(GAMES)
    assert set(GAMES) == {path.stem for path in CALIBRATION_DIR.glob("*.json")}


@pytest.mark.parametrize("game_id", sorted(GAMES))
def test_game_validates_without_errors(game_id: str) -> None:
    assert errors(GAMES[game_id]) == []


def test_games_span_player_counts_and_cooperation() -> None:
    designs = list(GAMES.values())
    assert any(d.players.min == d.players.max == 2 for d in designs), "a 2-player-only game"
    assert any(d.players.min == 1 for d in designs), "a solo-capable game"
    assert sum(d.cooperative for d in designs) >= 2
    assert len({m.family for d in designs for m in d.mechanisms}) >= 10


def test_loaded_games_are_fresh_copies() -> None:
    first = load_calibration_games()
    first["splendor"].title = "Changed"
    assert load_calibration_games()["splendor"].title == "Splendor"


def test_broken_variants_name_playtest_metrics_and_cover_each_flaw() -> None:
    assert len(VARIANTS) >= 6
    assert {metric for _, metric in VARIANTS.values()} == METRICS


@pytest.mark.parametrize("name", sorted(INTENDED_CHANGES))
def test_broken_variant_differs_from_its_source_only_where_intended(name: str) -> None:
    source, intended = INTENDED_CHANGES[name]
    variant, metric = VARIANTS[name]
    assert changed_paths(GAMES[source].model_dump(mode="json"), variant.model_dump(mode="json")) == intended
    # The validators may catch a flaw statically (a no-op action, unreachable scoring), but then under
    # the playtest's own name; otherwise the variant would be broken in some other way than intended.
    static = {f.code for f in validate_design(variant) if f.severity is Severity.ERROR}
    assert not static or metric in static


def test_every_variant_is_checked_for_its_changes() -> None:
    assert set(VARIANTS) == set(INTENDED_CHANGES)
