"""The game simulator plays each executable rule as the ontology defines it; bots of higher skill win more."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ontology.game import GameDesign
from ontology.game_rulebook import rules_sections
from tools.games import (
    Bot,
    Game,
    GameView,
    GreedyBot,
    IllegalActionError,
    PassBot,
    RandomBot,
    RestrictedBot,
    Rules,
    SearchBot,
    SeatCountError,
    play,
    simulate,
)

MYCELIUM = GameDesign.model_validate(json.loads((Path(__file__).parent / "data" / "mycelium_design.json").read_text()))


def design(actions: list[dict[str, Any]], resources: list[dict[str, Any]], *,
           components: list[dict[str, Any]] | None = None, phases: list[list[str]] | None = None,
           ends: list[dict[str, Any]] | None = None, scoring: dict[str, int] | None = None,
           income: list[dict[str, Any]] | None = None, cooperative: bool = False,
           actions_per_phase: int = 1, first_player: str = "rotates") -> GameDesign:
    """A tiny design: only the executable parts are given, the prose is filler."""
    return GameDesign.model_validate({
        "title": "Test", "tagline": "t", "theme": "t", "introduction": "t", "cooperative": cooperative,
        "complexity": 1, "players": {"min": 1, "max": 4}, "play_time_minutes": {"min": 5, "max": 10},
        "mechanisms": [{"family": "resource_management", "name": "m", "how_it_works": "m"}],
        "resources": [{"name": r["id"], "description": "r", **r} for r in resources],
        "actions": [{"name": a["id"], "description": "a", **a} for a in actions],
        "turn_structure": {"summary": "s", "actions_per_phase": actions_per_phase, "income": income or [],
                           "first_player": first_player,
                           "phases": [{"name": f"p{i}", "description": "p", "actions": p}
                                      for i, p in enumerate(phases or [[a["id"] for a in actions]])]},
        "end_conditions": [{"description": "e", **e} for e in (ends if ends is not None else
                                                                 [{"kind": "rounds", "rounds": 5}])],
        "victory": {"scoring": [{"description": "s", "counts": [c], "points": p}
                                for c, p in (scoring or {resources[0]["id"]: 1}).items()], "tie_breaker": "t"},
        "components": [{"name": c["id"], "description": "c", **c}
                       for c in components or [{"id": "board", "kind": "board", "quantity": 1}]],
        "setup": [{"instruction": "set up"}],
    })


def amount(resource: str, n: int) -> dict[str, Any]:
    return {"resource": resource, "amount": n}


def new_game(d: GameDesign, players: int, seed: int = 0, max_rounds: int = 60) -> Game:
    return Game(Rules.compile(d), players, random.Random(seed), max_rounds)


def test_scarcity_caps_gains_and_costs_return_to_the_supply() -> None:
    d = design([{"id": "mine", "gains": [amount("ore", 3)]}, {"id": "sell", "costs": [amount("ore", 2)]}],
               [{"id": "ore", "starting": 1}],
               components=[{"id": "ore_tokens", "kind": "tokens", "quantity": 7, "represents": "ore"}])
    game = new_game(d, 2)  # 7 tokens, 2 handed out at setup: 5 left
    assert game.view.supply("ore") == 5
    game.step_action("mine")
    game.step_action("mine")
    assert [game.view.holdings(s)["ore"] for s in (0, 1)] == [4, 3]  # the second gain is capped at 2
    assert game.view.supply("ore") == 0
    assert game.view.seat == 1  # round 2: the first-player marker has passed to seat 1
    game.step_action("sell")
    assert game.view.supply("ore") == 2
    assert game.view.holdings(1)["ore"] == 1


def test_without_tokens_the_supply_is_unlimited() -> None:
    d = design([{"id": "mine", "gains": [amount("ore", 30)]}], [{"id": "ore"}])
    game = new_game(d, 1)
    for _ in range(3):
        game.step_action("mine")
    assert game.view.holdings(0)["ore"] == 90
    assert game.view.supply("ore") is None


def test_limit_per_round_blocks_the_second_taker_until_the_next_round() -> None:
    d = design([{"id": "well", "gains": [amount("water", 1)], "limit_per_round": 1},
                {"id": "wait"}], [{"id": "water"}])
    game = new_game(d, 2)
    assert game.legal() == ["well", "wait"]
    game.step_action("well")
    assert game.view.seat == 1 and game.legal() == ["wait"]
    game.step_action("wait")
    assert game.view.round == 2 and game.legal() == ["well", "wait"]


@pytest.mark.parametrize("first_player,starts", [("rotates", [0, 1, 2, 0]), ("fixed", [0, 0, 0, 0])])
def test_the_first_player_marker_passes_each_round_unless_fixed(first_player: str, starts: list[int]) -> None:
    d = design([{"id": "well", "gains": [amount("water", 1)], "limit_per_round": 1}, {"id": "wait"}],
               [{"id": "water"}], first_player=first_player)
    game = new_game(d, 3)
    firsts = []
    for _ in range(4):
        firsts.append(game.view.seat)
        order = []
        for _ in range(3):
            order.append(game.view.seat)
            game.step_action("well" if "well" in game.legal() else "wait")
        assert order == [(firsts[-1] + i) % 3 for i in range(3)]  # then around the table in seat order
    assert firsts == starts
    record = game.record()
    # the round's first seat takes the only well: rotating, every seat gets it; fixed, seat 0 always does
    assert [record.actions[seat]["well"] for seat in range(3)] == ([2, 1, 1] if first_player == "rotates"
                                                                   else [4, 0, 0])


@pytest.mark.parametrize("first_player,rule", [("rotates", "the first-player marker passes to the left"),
                                                ("fixed", "the same player goes first every round")])
def test_the_rulebook_states_the_turn_order_the_simulator_plays(first_player: str, rule: str) -> None:
    d = design([{"id": "wait"}], [{"id": "water"}], first_player=first_player)
    turn = next(section.text for section in rules_sections(d) if section.heading == "Playing a turn")
    assert rule in turn


def test_price_step_raises_the_second_buyers_cost_and_resets_each_round() -> None:
    d = design([{"id": "buy", "costs": [amount("coin", 1)], "gains": [amount("silk", 1)], "price_step": 2},
                {"id": "wait"}], [{"id": "coin", "starting": 4}, {"id": "silk"}])
    game = new_game(d, 3)
    game.step_action("buy")
    game.step_action("buy")
    assert game.view.holdings(0)["coin"] == 3 and game.view.holdings(1)["coin"] == 1  # paid 1, then 3
    assert game.legal() == ["wait"]  # the third buyer would pay 5 and holds 4
    game.step_action("wait")
    assert game.view.seat == 1  # round 2 starts at seat 1
    game.step_action("buy")  # a new round: the price is back to 1
    assert game.view.holdings(1)["coin"] == 0


def test_a_rising_price_blocks_who_cannot_pay_it() -> None:
    d = design([{"id": "buy", "costs": [amount("coin", 1)], "price_step": 1}, {"id": "wait"}],
               [{"id": "coin", "starting": 1}])
    game = new_game(d, 2)
    game.step_action("buy")
    assert game.legal() == ["wait"]  # seat 1 holds 1 coin, the price is now 2


@pytest.mark.parametrize("dice,sides,per", [(2, 6, 1), (1, 6, 2), (3, 4, 2)])
def test_dice_yield_matches_the_distribution(dice: int, sides: int, per: int) -> None:
    d = design([{"id": "roll", "roll": {"resource": "grain", "dice": dice, "sides": sides, "per": per}}],
               [{"id": "grain"}], ends=[{"kind": "rounds", "rounds": 1}])
    faces = itertools.product(range(1, sides + 1), repeat=dice)
    outcomes = [sum(f) // per for f in faces]
    expected = sum(outcomes) / len(outcomes)
    records = simulate(d, lambda i: [RandomBot()], games=4000, players=1, seed=3)
    mean = sum(r.scores[0] for r in records) / len(records)
    assert abs(mean - expected) < 0.1
    assert {r.scores[0] for r in records} == set(outcomes)


def test_draws_deplete_the_deck_and_its_exhaustion_ends_the_game() -> None:
    d = design([{"id": "forage", "draw": 2, "components": ["cards"]}], [{"id": "food"}, {"id": "gem"}],
               components=[{"id": "cards", "kind": "deck", "quantity": 5, "card_types": [
                   {"id": "berry", "name": "Berry", "count": 3, "effect": "e", "gains": [amount("food", 2)]},
                   {"id": "jewel", "name": "Jewel", "count": 2, "effect": "e", "gains": [amount("gem", 1)]}]}],
               ends=[{"kind": "component_exhausted", "target": "cards"}])
    game = new_game(d, 1, seed=5)
    game.step_action("forage")
    game.step_action("forage")
    assert not game.over
    game.step_action("forage")  # one card left: drawn, the deck is empty, the round ends the game
    record = game.record()
    assert game.over and record.completed and record.ended_by == 0 and record.rounds == 3
    assert game.view.holdings(0) == {"food": 6, "gem": 2}


def test_a_draw_is_not_legal_from_an_empty_deck() -> None:
    d = design([{"id": "forage", "draw": 1, "components": ["cards"]}, {"id": "wait"}], [{"id": "food"}],
               components=[{"id": "cards", "kind": "deck", "quantity": 1, "card_types": [
                   {"id": "berry", "name": "Berry", "count": 1, "effect": "e", "gains": [amount("food", 1)]}]}])
    game = new_game(d, 1)
    game.step_action("forage")
    assert game.legal() == ["wait"]


BERRY, GEM = 0, 1  # card type indices of the market deck below


def market(*, face_up: int, draw: int = 2, ends: list[dict[str, Any]] | None = None) -> GameDesign:
    """A deck of 4 berries (1 food each) and 4 gems (1 gem each, the scored resource), drawn by `shop`."""
    return design([{"id": "shop", "draw": draw, "face_up": face_up, "components": ["stall"]}, {"id": "wait"}],
                  [{"id": "gem"}, {"id": "food"}], ends=ends,
                  components=[{"id": "stall", "kind": "deck", "quantity": 8, "card_types": [
                      {"id": "berry", "name": "Berry", "count": 4, "effect": "e", "gains": [amount("food", 1)]},
                      {"id": "gem", "name": "Gem", "count": 4, "effect": "e", "gains": [amount("gem", 1)]}]}])


def test_a_face_up_draw_lets_the_seat_choose_each_card_refilled_from_the_deck() -> None:
    game = new_game(market(face_up=3), 1)
    assert (len(game.rows[0]), len(game.decks[0])) == (3, 5)  # the row is dealt at setup
    game.rows[0], game.decks[0] = [BERRY, BERRY, GEM], [BERRY, GEM]  # the deck's top is its last card
    game.step_action("shop")
    assert game.view.picking and game.legal() == ["berry", "gem"]  # the kinds face up, in row order
    with pytest.raises(IllegalActionError):
        game.step_action("wait")
    game.step_action("gem")  # its place is refilled from the deck's top: another gem
    assert game.rows[0] == [BERRY, BERRY, GEM] and game.legal() == ["berry", "gem"]
    game.step_action(None)  # no preference: the first of the row
    assert game.rows[0] == [BERRY, BERRY, GEM] and game.decks[0] == []
    assert not game.view.picking and game.view.holdings(0) == {"gem": 1, "food": 1}
    game.step_action("shop")  # round 2: the deck is empty, the row still deals
    game.step_action("gem")  # not replaced; only berries are left, so the second card is taken without asking
    assert game.rows[0] == [BERRY] and game.view.holdings(0) == {"gem": 2, "food": 2}
    game.step_action("shop")  # round 3: one card left face up, one taken
    assert game.legal() == ["wait"]  # round 4: nothing left to draw
    record = game.record()
    assert record.decisions == (3,) and record.actions[0]["shop"] == 3 and record.noops == {}


def test_a_face_up_deck_has_run_out_when_none_is_left_face_down() -> None:
    game = new_game(market(face_up=3, ends=[{"kind": "component_exhausted", "target": "stall"}]), 1)
    game.rows[0], game.decks[0] = [BERRY, BERRY, GEM], [GEM]
    game.step_action("shop")
    game.step_action("berry")  # refilled by the last face-down card
    game.step_action("gem")
    assert game.over and game.record().ended_by == 0 and game.rows[0] == [BERRY, GEM]  # two cards still face up


def test_a_search_copy_keeps_the_face_up_row_and_reshuffles_the_deck() -> None:
    game = new_game(market(face_up=3), 2, seed=3)
    copies = [game.view.copy(random.Random(seed)) for seed in range(8)]
    assert all(c.rows == game.rows and sorted(c.decks[0]) == sorted(game.decks[0]) for c in copies)
    assert any(c.decks[0] != game.decks[0] for c in copies)


def test_bots_choose_the_face_up_card_that_scores() -> None:
    d = market(face_up=2, draw=1, ends=[{"kind": "rounds", "rounds": 1}])
    chosen: dict[str, set[str | None]] = {}
    for bot in (RandomBot(), GreedyBot(), SearchBot(playouts=4)):
        for seed in range(12):
            game = new_game(d, 2, seed=seed)
            game.rows[0], game.decks[0] = [BERRY, GEM], [BERRY] * 6  # one gem: who takes it wins
            game.step_action("shop")
            chosen.setdefault(bot.name, set()).add(bot.choose(game.view, game.legal(), random.Random(seed)))
    assert chosen == {"random": {"berry", "gem"}, "greedy": {"gem"}, "search4": {"gem"}}


def test_a_bot_restricted_to_a_face_up_draw_still_takes_its_cards() -> None:
    d = market(face_up=3, ends=[{"kind": "rounds", "rounds": 3}])
    d.victory.scoring[0].counts = ["gem", "food"]  # every card scores 1
    record = play(d, [RestrictedBot(PassBot(), only="shop")], seed=0)
    assert record.scores == (6,) and record.decisions == (3,)


@pytest.mark.parametrize("face_up,clause", [
    (0, "draw 2 cards from the stall and gain what they show"),
    (3, "choose 2 cards, one at a time, from the 3 cards of the stall dealt face up beside it at setup, and gain "
        "what they show (each card taken is replaced from the top of the deck while any is left face down")])
def test_the_rulebook_states_the_draw_the_simulator_plays(face_up: int, clause: str) -> None:
    turn = next(section.text for section in rules_sections(market(face_up=face_up))
                if section.heading == "Playing a turn")
    assert clause in turn


def test_take_moves_from_the_richest_opponent_lowest_seat_on_ties() -> None:
    d = design([{"id": "raid", "take": [amount("gold", 3)]}], [{"id": "gold"}])
    game = new_game(d, 4)
    game.hold[1][0], game.hold[2][0], game.hold[3][0] = 2, 5, 5
    game.step_action("raid")  # seat 0 takes 3 from seat 2 (5, tied with seat 3)
    assert [game.view.holdings(s)["gold"] for s in range(4)] == [3, 2, 2, 5]
    game.step_action("raid")  # seat 1 takes from seat 3
    assert [game.view.holdings(s)["gold"] for s in range(4)] == [3, 5, 2, 2]
    game.hold[0][0] = game.hold[1][0] = game.hold[3][0] = 1
    game.step_action("raid")  # seat 2: the richest opponent holds 1, only 1 moves
    assert [game.view.holdings(s)["gold"] for s in range(4)] == [0, 1, 3, 1]


def test_income_and_upkeep_are_paid_at_round_end_and_floor_at_zero() -> None:
    d = design([{"id": "wait"}], [{"id": "coin", "starting": 1}, {"id": "field", "starting": 2}, {"id": "grain"}],
               income=[{"resource": "coin", "amount": -3}, {"resource": "grain", "amount": 2, "per": "field"}],
               ends=[{"kind": "rounds", "rounds": 2}])
    game = new_game(d, 2)
    game.step_action("wait")
    game.step_action("wait")
    assert game.view.holdings(0) == {"coin": 0, "field": 2, "grain": 4}
    assert game.view.holdings(1) == {"coin": 0, "field": 2, "grain": 4}


@pytest.mark.parametrize("first_player,paid", [("rotates", [[2, 0, 0], [2, 2, 0], [2, 2, 2]]),
                                                ("fixed", [[2, 0, 0], [4, 0, 0], [6, 0, 0]])])
def test_a_short_supply_pays_income_in_turn_order_from_the_rounds_first_player(
        first_player: str, paid: list[list[int]]) -> None:
    d = design([{"id": "wait"}], [{"id": "gold"}, {"id": "mine", "starting": 1}],
               income=[{"resource": "gold", "amount": 2, "per": "mine"}],
               components=[{"id": "gold_tokens", "kind": "tokens", "quantity": 2, "represents": "gold"}],
               first_player=first_player)
    game = new_game(d, 3)
    for expected in paid:
        for _ in range(3):
            game.step_action("wait")
        assert [game.view.holdings(s)["gold"] for s in range(3)] == expected
        game.supply[0] = 2  # each round the supply holds one seat's income: the first seat paid gets it


def _cooperative(ends: list[dict[str, Any]]) -> GameDesign:
    return design([{"id": "build", "costs": [amount("stone", 1)], "gains": [amount("wall", 1)]}],
                  [{"id": "wall", "shared": True}, {"id": "stone", "shared": True, "starting": 3}],
                  cooperative=True, ends=ends, scoring={"wall": 1})


def test_shared_pool_pays_and_gains_for_the_table_and_the_team_wins() -> None:
    d = _cooperative([{"kind": "resource_threshold", "target": "wall", "threshold": 3, "team": "win"},
                      {"kind": "rounds", "rounds": 4, "team": "lose"}])
    record = play(d, [RandomBot(), RandomBot()], seed=1)
    # 2 seats build in round 1 (wall 2, stone 1), seat 1 (round 2's first player) next: the pool reaches 3
    assert record.completed and record.ended_by == 0 and record.rounds == 2
    assert record.team_won is True and record.winners == (0, 1)
    assert record.decisions == (1, 2)
    assert record.scores == (3, 3)  # the shared pool counts for every seat


def test_the_team_loses_by_a_losing_end_and_by_the_round_cap() -> None:
    lost = play(_cooperative([{"kind": "rounds", "rounds": 1, "team": "lose"}]), [RandomBot()], seed=1)
    assert lost.team_won is False and lost.winners == () and lost.completed
    capped = play(_cooperative([{"kind": "resource_threshold", "target": "wall", "threshold": 9, "team": "win"}]),
                  [RandomBot()], seed=1, max_rounds=7)
    assert capped.team_won is False and not capped.completed and capped.ended_by is None and capped.rounds == 7


def test_the_round_cap_stops_a_game_that_never_ends() -> None:
    d = design([{"id": "mine", "gains": [amount("ore", 1)]}], [{"id": "ore"}],
               ends=[{"kind": "objective"}, {"kind": "score_threshold", "threshold": 1000}])
    record = play(d, [RandomBot(), RandomBot()], seed=0, max_rounds=12)
    assert not record.completed and record.ended_by is None and record.rounds == 12
    assert record.scores == (12, 12) and record.winners == (0, 1)
    assert len(record.score_by_round) == 12 and record.score_by_round[4] == (5, 5)


def test_score_threshold_ends_in_order_of_the_conditions() -> None:
    d = design([{"id": "mine", "gains": [amount("ore", 2)]}], [{"id": "ore"}],
               ends=[{"kind": "rounds", "rounds": 3}, {"kind": "score_threshold", "threshold": 6}])
    record = play(d, [RandomBot()], seed=0)
    assert record.ended_by == 0 and record.rounds == 3  # both hold after round 3: the first one listed wins


def test_actions_per_phase_and_phases_in_order() -> None:
    d = design([{"id": "mine", "gains": [amount("ore", 1)]}, {"id": "smelt", "costs": [amount("ore", 2)],
                                                               "gains": [amount("bar", 1)]}],
               [{"id": "bar"}, {"id": "ore"}], phases=[["mine"], ["smelt"]], actions_per_phase=2,
               ends=[{"kind": "rounds", "rounds": 1}])
    game = new_game(d, 1)
    assert game.legal() == ["mine"]
    game.step_action("mine")
    assert game.legal() == ["mine"]  # a second action in the same phase
    game.step_action("mine")
    assert game.legal() == ["smelt"]
    game.step_action("smelt")
    assert game.legal() == []  # 0 ore left: nothing legal, the phase and the game end
    assert game.over and game.record().decisions == (3,)


def test_pass_ends_the_phase_and_is_not_a_decision() -> None:
    d = design([{"id": "mine", "gains": [amount("ore", 1)]}], [{"id": "ore"}], actions_per_phase=3,
               ends=[{"kind": "rounds", "rounds": 1}])
    game = new_game(d, 1)
    game.step_action("mine")
    game.step_action(None)
    assert game.over and game.record().decisions == (1,) and game.record().actions == ({"mine": 1},)


def test_noop_actions_are_counted() -> None:
    d = design([{"id": "shuffle", "costs": [amount("card", 1)], "gains": [amount("card", 1)]},
                {"id": "mine", "gains": [amount("ore", 1)]}], [{"id": "ore"}, {"id": "card", "starting": 1}])
    records = simulate(d, lambda i: [RandomBot()], games=20, players=1, seed=0)
    assert all(set(r.noops) <= {"shuffle"} and r.noops.get("shuffle", 0) == r.actions[0]["shuffle"]
               for r in records)
    assert sum(r.noops.get("shuffle", 0) for r in records) > 0


def test_unexecutable_parts_never_count() -> None:
    """A scoring rule counting a component that represents nothing, and an undeclared resource, still play."""
    d = design([{"id": "mine", "gains": [amount("ore", 1), amount("mystery", 1)]}], [{"id": "ore"}],
               scoring={"ore": 1, "board": 10})
    record = play(d, [RandomBot()], seed=0)
    assert record.scores == (5,) and record.completed


def test_illegal_actions_and_wrong_seat_counts_are_refused() -> None:
    d = design([{"id": "buy", "costs": [amount("coin", 1)]}, {"id": "wait"}], [{"id": "coin"}])
    game = new_game(d, 1)
    with pytest.raises(IllegalActionError, match="'buy' is not legal"):
        game.step_action("buy")
    with pytest.raises(SeatCountError):
        simulate(d, lambda i: [RandomBot()], games=1, players=2, seed=0)


def test_same_seed_same_records_and_another_seed_differs() -> None:
    def run(seed: int) -> list[Any]:
        return simulate(MYCELIUM_DICE, lambda i: [RandomBot(), GreedyBot(), RandomBot()], games=30, players=3,
                        seed=seed, max_rounds=15)

    assert run(7) == run(7)
    assert run(7) != run(8)


MYCELIUM_DICE = design(
    [{"id": "forage", "roll": {"resource": "food", "dice": 2, "sides": 6, "per": 3}},
     {"id": "feast", "costs": [amount("food", 3)], "gains": [amount("glory", 1)]},
     {"id": "raid", "take": [amount("food", 2)]},
     {"id": "draw", "draw": 1, "components": ["omens"]}],
    [{"id": "glory"}, {"id": "food", "starting": 1}],
    components=[{"id": "omens", "kind": "deck", "quantity": 12, "card_types": [
        {"id": "good", "name": "Good", "count": 6, "effect": "e", "gains": [amount("glory", 1)]},
        {"id": "bad", "name": "Bad", "count": 6, "effect": "e", "gains": [amount("food", 1)]}]}])

CONVERSION = design(
    [{"id": "chop", "gains": [amount("wood", 2)]},
     {"id": "build", "costs": [amount("wood", 2)], "gains": [amount("house", 1)]},
     {"id": "rest"}, {"id": "burn", "costs": [amount("wood", 1)]}],
    [{"id": "house"}, {"id": "wood", "starting": 1}],
    ends=[{"kind": "rounds", "rounds": 10}], scoring={"house": 3})


def win_rate(design_: GameDesign, hero: Bot, games: int, seed: int) -> float:
    """The hero's wins (draws half) against RandomBot, alternating seats."""
    records = simulate(design_, lambda i: [hero, RandomBot()] if i % 2 == 0 else [RandomBot(), hero],
                       games=games, players=2, seed=seed)
    total = 0.0
    for i, r in enumerate(records):
        seat = i % 2
        if seat in r.winners:
            total += 1.0 if len(r.winners) == 1 else 0.5
    return total / games


def test_greedy_beats_random_where_scoring_rewards_a_conversion() -> None:
    assert win_rate(CONVERSION, GreedyBot(), 200, seed=1) > 0.8


def test_search_beats_random() -> None:
    assert win_rate(CONVERSION, SearchBot(playouts=8), 30, seed=2) > 0.8


def test_greedy_and_search_choose_from_the_legal_actions_only() -> None:
    game = new_game(CONVERSION, 2)
    rng = random.Random(0)
    for bot in (GreedyBot(), SearchBot(playouts=2)):
        assert bot.choose(game.view, ["chop", "rest"], rng) in ("chop", "rest", None)
    assert game.legal() == ["chop", "rest", "burn"]  # the search copies left the game untouched


class Recorder:
    """Counts what the restricted bot lets through to its base bot."""

    name = "recorder"

    def __init__(self) -> None:
        self.offered: list[tuple[str, ...]] = []

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None:
        self.offered.append(tuple(legal))
        return legal[0] if legal else None


def test_restricted_bot_honours_only_and_without() -> None:
    only = play(CONVERSION, [RestrictedBot(RandomBot(), only="chop")], seed=0)
    assert only.actions[0]["chop"] == 10 and only.decisions == (10,)
    base = Recorder()
    without = play(CONVERSION, [RestrictedBot(base, without="chop")], seed=0)
    assert without.actions[0]["chop"] == 0 and all("chop" not in legal for legal in base.offered)
    fallback = Recorder()
    play(CONVERSION, [RestrictedBot(fallback, only="build")], seed=0)
    assert fallback.offered and all("build" not in legal for legal in fallback.offered)
    with pytest.raises(ValueError, match="exactly one"):
        RestrictedBot(RandomBot())


def test_two_hundred_games_of_a_typical_design_run() -> None:
    records = simulate(MYCELIUM, lambda i: [RandomBot()] * 4, games=200, players=4, seed=0)
    assert len(records) == 200 and all(sum(r.decisions) > 0 for r in records)


def test_an_exact_clone_replays_the_game_and_a_search_copy_leaves_it_alone() -> None:
    game = new_game(MYCELIUM_DICE, 3, seed=4)
    clone = game.copy()
    assert game.copy().playout(random.Random(1)) == clone.playout(random.Random(1))
    searched = game.view.copy(random.Random(2))
    searched.playout(random.Random(3))
    assert searched.over and not game.over and game.view.round == 1 and game.record().decisions == (0, 0, 0)
