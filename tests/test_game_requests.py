"""The request's own words are facts: read before the agents run, fixed in the engine step's schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ontology.game_drafts import engine_schema
from ontology.game_requests import GameRequestError, facts_from_request
from tests.studio_script import answers


@pytest.mark.parametrize("text", ["A duel of wizards, 2 players only", "two players only", "for exactly 2 players",
                                  "a 2-player card duel", "for two players"])
def test_two_players_only(text: str) -> None:
    facts = facts_from_request(text)
    assert (facts.players_min, facts.players_max) == (2, 2)


@pytest.mark.parametrize("text", ["a solo game about a lighthouse", "Solitaire expedition", "single-player puzzle",
                                  "a one-player dungeon"])
def test_solo_is_one_player_against_the_game(text: str) -> None:
    facts = facts_from_request(text)
    assert (facts.players_min, facts.players_max, facts.cooperative) == (1, 1, True)


@pytest.mark.parametrize("text", ["for 3-5 players", "3 to 5 players", "three–five players", "for 3–5 people"])
def test_a_player_range(text: str) -> None:
    facts = facts_from_request("Bees in a storm", text)
    assert (facts.players_min, facts.players_max) == (3, 5)


@pytest.mark.parametrize(("text", "cooperative"), [
    ("a cooperative game", True), ("co-op against the monsoon", True), ("players work together", True),
    ("a competitive race", False), ("rivals compete for the hive", False), ("Bees gather honey", None)])
def test_the_mode(text: str, cooperative: bool | None) -> None:
    assert facts_from_request(text).cooperative is cooperative


@pytest.mark.parametrize("text", ["under 30 minutes", "less than 30 min", "at most 30 minutes",
                                  "30 minutes or less", "no more than 30 minutes", "within 30 mins"])
def test_a_play_time_bound(text: str) -> None:
    assert facts_from_request("Foxes", text).max_minutes == 30


def test_players_flag_and_up_to_leave_the_range_to_the_agents() -> None:
    facts = facts_from_request("Foxes for up to 4 players", "the player range must include 3 players")
    assert (facts.players_min, facts.players_max, facts.includes_players) == (None, None, 3)


@pytest.mark.parametrize(("theme", "constraints", "said"), [
    ("a solo game", "2 players only", "different player counts"),
    ("a cooperative game", "competitive", "keep one"),
    ("a solo game", "competitive", "no one to compete"),
    ("for 5-3 players", "", "smallest player count last"),
    ("for 20 players", "", "1 to 12"),
    ("under 2 minutes", "", "too short"),
    ("2 players only", "the player range must include 3 players", "must include 3"),
])
def test_impossible_requests_are_refused(theme: str, constraints: str, said: str) -> None:
    with pytest.raises(GameRequestError, match=said):
        facts_from_request(theme, constraints)


def test_the_engine_schema_fixes_the_stated_facts() -> None:
    engine = answers()["engine"]  # competitive, 2-4 players, 30-45 minutes
    schema = engine_schema(facts_from_request("a cooperative game for 2-4 players, under 45 minutes"))
    with pytest.raises(ValidationError):
        schema.model_validate(engine)
    schema.model_validate({**engine, "cooperative": True})
    for wrong in ({"players": {"min": 1, "max": 4}}, {"play_time_minutes": {"min": 30, "max": 60}}):
        with pytest.raises(ValidationError):
            schema.model_validate({**engine, "cooperative": True, **wrong})
    included = engine_schema(facts_from_request("Foxes", "the player range must include 5 players"))
    with pytest.raises(ValidationError):
        included.model_validate(engine)
    included.model_validate({**engine, "players": {"min": 2, "max": 5}})


def test_the_cli_refuses_an_impossible_request() -> None:
    from pipelines.gamegrammar import InvalidThemeError, start_state

    with pytest.raises(InvalidThemeError, match="must include 3"):
        start_state("A solo game of lighthouse keeping on a stormy coast", players=3)
