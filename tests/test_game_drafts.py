"""Step schemas that tighten as ids appear: what they make impossible to generate."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ontology.game import ComponentKind, MinutesRange, PlayerRange
from ontology.game_drafts import (
    ComponentNeed,
    EngineDraft,
    MechanismDraft,
    ResourceDraft,
    actions_schema,
    build_components,
    complete_needs,
    components_schema,
    distinct_extras,
    flow_schema,
    merge_amounts,
    playable_actions,
    setup_schema,
)


def test_actions_can_only_name_declared_resources_and_components() -> None:
    schema = actions_schema(["sap"], ["board"])
    good = {"id": "grow", "name": "Grow", "description": "Grow.", "costs": [{"resource": "sap", "amount": 1}],
            "gains": [], "components": ["board"]}
    schema.model_validate({"actions": [good, {**good, "id": "wait"}]})
    with pytest.raises(ValidationError):
        schema.model_validate({"actions": [{**good, "costs": [{"resource": "gold", "amount": 1}]}, good]})
    with pytest.raises(ValidationError):
        schema.model_validate({"actions": [{**good, "components": ["dice"]}, good]})


def test_end_conditions_can_only_watch_what_actions_produce_or_use() -> None:
    schema = flow_schema(["grow"], ["sap", "board"], gained=["sap"], used=["board"])
    flow = {
        "turn_structure": {"summary": "Grow.", "phases": [{"name": "Act", "description": "Act.", "actions": ["grow"]}]},
        "end_conditions": [{"kind": "resource_threshold", "description": "Sap.", "threshold": 9, "target": "sap"}],
        "victory": {"scoring": [{"description": "Sap.", "counts": ["sap"], "points": 1}], "tie_breaker": "None."},
    }
    schema.model_validate(flow)
    for end in (
        {"kind": "resource_threshold", "description": "x", "threshold": 9, "target": "board"},
        {"kind": "rounds", "description": "x"},
        {"kind": "component_exhausted", "description": "x", "target": "sap"},
    ):
        with pytest.raises(ValidationError):
            schema.model_validate({**flow, "end_conditions": [end]})
    with pytest.raises(ValidationError):
        schema.model_validate({**flow, "victory": {"scoring": [{"description": "x", "counts": ["sap"], "points": 0}],
                                                   "tie_breaker": "x"}})


def test_component_counts_always_cover_the_largest_player_count() -> None:
    needs = [ComponentNeed(id="spores", kind=ComponentKind.TOKENS, purpose="x"),
             ComponentNeed(id="deck", kind=ComponentKind.DECK, purpose="x")]
    answer = components_schema(needs, ["sap"]).model_validate({
        "spores": {"name": "Spores", "per_player": 5, "supply": 10, "description": "x", "represents": "sap"},
        "deck": {"name": "Deck", "card_types": [{"id": "a", "name": "A", "count": 7, "effect": "x",
                                                "gains": [{"resource": "sap", "amount": 1}]}],
                 "description": "x"},
        "extra_components": [],
    }).model_dump()
    spores, deck = build_components(needs, answer, max_players=4)
    assert (spores.quantity, spores.per_player, spores.represents) == (30, 5, "sap")
    assert deck.quantity == 7


def test_setup_has_one_instruction_per_component() -> None:
    schema = setup_schema(["board", "spores"])
    schema.model_validate({"board": "Put it down.", "spores": "Each player takes five."})
    with pytest.raises(ValidationError):
        schema.model_validate({"board": "Put it down."})


def engine_with(mechanisms: list[tuple[str, str]], resource: str, need: tuple[str, ComponentKind]) -> EngineDraft:
    """A two-to-four player engine step with these (family, name) mechanisms, one resource and one need."""
    return EngineDraft(
        cooperative=False, complexity=2, players=PlayerRange(min=2, max=4),
        play_time_minutes=MinutesRange(min=30, max=40),
        mechanisms=[MechanismDraft(family=family, name=name, how_it_works="x") for family, name in mechanisms],
        resources=[ResourceDraft(id=resource, name=resource.title(), description="x", starting=0, shared=False)],
        component_needs=[ComponentNeed(id=need[0], kind=need[1], purpose="x")],
    )


def test_a_component_need_that_reuses_a_resource_id_is_renamed() -> None:
    engine = engine_with([("set_collection", "Collect")], "spores", ("spores", ComponentKind.TOKENS))
    assert [need.id for need in complete_needs(engine).component_needs] == ["spores_tokens"]


def test_a_mechanism_without_the_components_it_is_played_with_gets_them_declared() -> None:
    engine = engine_with([("worker_placement", "Hive work"), ("dice_rolling", "Weather")], "honey",
                         ("dice", ComponentKind.DICE))
    needs = complete_needs(engine).component_needs
    assert [(need.id, need.kind) for need in needs] == [
        ("dice", ComponentKind.DICE), ("worker_placement_player_pieces", ComponentKind.PLAYER_PIECES)]
    assert "Hive work" in needs[1].purpose


def test_an_extra_component_that_reuses_an_id_is_renamed() -> None:
    engine = engine_with([("set_collection", "Collect")], "supplies", ("board", ComponentKind.BOARD))
    extra = {"id": "supplies", "kind": "tokens", "name": "Crates", "per_player": 0, "supply": 9, "description": "x"}
    answer = distinct_extras({"board": {}, "extra_components": [extra, {**extra, "kind": "board", "id": "board"}]},
                             engine)
    assert [e["id"] for e in answer["extra_components"]] == ["supplies_tokens", "board_board"]


def drafted_action(ident: str, cost: int, gain: int, resource: str = "spores") -> dict[str, object]:
    return {"id": ident, "name": ident.title(), "description": "x", "components": [],
            "costs": [{"resource": resource, "amount": cost}], "gains": [{"resource": resource, "amount": gain}]}


def test_an_action_that_reuses_an_id_is_renamed_and_one_that_changes_nothing_is_left_out() -> None:
    engine = engine_with([("set_collection", "Collect")], "spores", ("cave_tiles", ComponentKind.TILES))
    answer = playable_actions({"actions": [drafted_action("cave_tiles", 1, 3), drafted_action("shuffle", 2, 2),
                                           drafted_action("spores", 1, 2)]}, engine)
    assert [action["id"] for action in answer["actions"]] == ["cave_tiles_action", "spores_action"]


def test_when_every_action_changes_nothing_they_stay_for_the_validators_to_report() -> None:
    engine = engine_with([("set_collection", "Collect")], "spores", ("cave_tiles", ComponentKind.TILES))
    answer = playable_actions({"actions": [drafted_action("shuffle", 2, 2)]}, engine)
    assert [action["id"] for action in answer["actions"]] == ["shuffle"]


def test_repeated_amounts_of_one_resource_are_merged() -> None:
    amounts = [{"resource": "sap", "amount": 1}, {"resource": "ore", "amount": 2}, {"resource": "sap", "amount": 1}]
    merged = merge_amounts(amounts)
    assert [(m.resource, m.amount) for m in merged] == [("sap", 2), ("ore", 2)]


def test_a_declared_resource_nothing_mentions_is_left_out_of_the_design() -> None:
    from agents.game_studio import Draft
    from tests.studio_script import answers

    draft = Draft()
    draft.answers = answers()
    draft.answers["engine"]["resources"].append({"id": "moonstone", "name": "Moonstone", "description": "Unused.",
                                                  "starting": 0, "shared": False})
    design = draft.design()
    ids = [resource.id for resource in design.resources]
    assert "moonstone" not in ids
    assert set(ids) == {r["id"] for r in answers()["engine"]["resources"]}


def test_a_cooperative_flow_writes_the_end_the_team_wins_by_and_the_one_it_loses_by() -> None:
    from ontology.game_drafts import end_conditions_of

    schema = flow_schema(["grow"], ["sap"], gained=["sap"], used=[], resources=["sap"], cooperative=True)
    turn = {"summary": "Grow.", "phases": [{"name": "Act", "description": "Act.", "actions": ["grow"]}],
            "income": [{"resource": "sap", "amount": -1}]}
    victory = {"scoring": [{"description": "Sap.", "counts": ["sap"], "points": 1}], "tie_breaker": "None."}
    win = {"kind": "resource_threshold", "description": "Sap.", "threshold": 9, "target": "sap"}
    lose = {"kind": "rounds", "description": "Storm.", "rounds": 8}
    with pytest.raises(ValidationError):
        schema.model_validate({"turn_structure": turn, "end_conditions": [win], "victory": victory})
    flow = schema.model_validate({"turn_structure": turn, "team_wins_when": win, "team_loses_when": lose,
                                  "victory": victory}).model_dump()
    assert [(end["kind"], end["team"]) for end in end_conditions_of(flow)] == [
        ("resource_threshold", "win"), ("rounds", "lose")]


def test_draws_name_a_declared_deck_and_the_deck_comes_first_among_the_components() -> None:
    from ontology.game_drafts import build_action

    schema = actions_schema(["sap"], ["board", "deck"], decks=["deck"])
    good = {"id": "forage", "name": "Forage", "description": "Forage.", "costs": [], "gains": [],
            "components": ["board"], "draw": {"deck": "deck", "cards": 2}, "limit_per_round": 1,
            "roll": {"resource": "sap", "dice": 2, "sides": 6, "per": 3}}
    answer = schema.model_validate({"actions": [good, {**good, "id": "wait"}]}).model_dump()
    with pytest.raises(ValidationError):
        schema.model_validate({"actions": [{**good, "draw": {"deck": "board", "cards": 1}}, good]})
    without_decks = actions_schema(["sap"], ["board"]).model_json_schema()["$defs"]["ActionDraft"]["properties"]
    assert "draw" not in without_decks and "roll" in without_decks
    action = build_action(answer["actions"][0])
    assert (action.draw, action.components, action.limit_per_round) == (2, ["deck", "board"], 1)
    assert action.roll is not None and (action.roll.dice, action.roll.per) == (2, 3)
