"""Playtest a design: which simulated games are played, and the report their metrics make.

The games (each seeded from `seed`, so a playtest is reproducible):

- random self-play, `games` games: completion, duration, seat win rates, draws, lead changes,
  margins, no-op actions, reachable scoring;
- greedy self-play, `greedy_games` games: seat win rates when every seat reaches for what scores;
- the greedy bot and the search bot: in a competitive game one seat against random opponents, the
  seat rotated from game to game (so seat order does not favour it); in a cooperative game the whole
  team: the skill gap, and the cooperative band;
- per action, restricted play: a player who takes only that action (and passes otherwise) against
  greedy opponents (a cooperative game: a whole team of it), and a greedy bot forbidden it against
  random opponents, rotated: dominant and dead actions.

The search bot plays many playouts per decision, so its games are few and every count is set in
one `PlaytestBudget`. The metrics and thresholds live in `tools.games.playtest_metrics`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from pydantic import BaseModel, Field

from ontology.game import GameDesign
from tools.games.bots import GreedyBot, PassBot, RandomBot, RestrictedBot, SearchBot
from tools.games.playtest_metrics import PlaytestGames, PlaytestReport, Seated, playtest_report
from tools.games.simulator import Bot, GameRecord, play

__all__ = ["PlaytestBudget", "PlaytestError", "PlaytestReport", "playtest"]


class PlaytestError(ValueError):
    """A playtest that cannot be run as asked; the message says why."""


class PlaytestBudget(BaseModel):
    """How many games each part of a playtest plays (random self-play is `playtest(games=...)`)."""

    greedy_games: int = Field(100, ge=0, description="greedy bot against random play, and greedy self-play")
    search_games: int = Field(12, ge=0, description="search bot against random play: slow, keep it small")
    search_playouts: int = Field(8, ge=1, description="random playouts per legal action of the search bot")
    restricted_games: int = Field(40, ge=0, description="per action, for each restricted bot")
    max_rounds: int = Field(60, ge=1, description="the round cap: a game still going is not completed")


BotFactory = Callable[[], Bot]


def rotated(play_one: Callable[[list[Bot]], GameRecord], tested: BotFactory, count: int, players: int, *,
            others: BotFactory) -> list[Seated]:
    """`count` games of `tested` in a seat that moves on each game (so seat order does not favour
    it), the other seats `others` (`tested` itself for a cooperative team)."""
    return [Seated(play_one([tested() if seat == game % players else others() for seat in range(players)]),
                   game % players) for game in range(count)]


def only_player(action: str) -> BotFactory:
    """Restricted play (Jaffe et al. 2012): a player who takes `action` whenever it can and passes
    otherwise; measured against greedy opponents, it shows whether that action alone wins."""
    return lambda: RestrictedBot(PassBot(), only=action)


def default_players(design: GameDesign) -> int:
    """The smallest player count the design supports, at least two where it allows two."""
    return min(max(2, design.players.min), design.players.max)


def playtest(design: GameDesign, *, games: int = 200, players: int | None = None, seed: int = 0,
             budget: PlaytestBudget | None = None) -> PlaytestReport:
    """Play the design with bots and measure it (see the module docstring for which games)."""
    budget = budget or PlaytestBudget()
    players = players or default_players(design)
    if not design.players.min <= players <= design.players.max:
        raise PlaytestError(f"the design is for {design.players.min}-{design.players.max} players, not {players}")
    if games < 1:
        raise PlaytestError("play at least one game")
    seeds = itertools.count(seed * 1_000_003)

    def one(bots: list[Bot]) -> GameRecord:
        return play(design, bots, seed=next(seeds), max_rounds=budget.max_rounds)

    def seated(tested: BotFactory, count: int, others: BotFactory = RandomBot) -> list[Seated]:
        return rotated(one, tested, count, players, others=tested if design.cooperative else others)

    def without(action: str) -> BotFactory:
        return lambda: RestrictedBot(GreedyBot(), without=action)

    actions = [action.id for action in design.actions]
    played = PlaytestGames(
        self_play=[one([RandomBot() for _ in range(players)]) for _ in range(games)],
        greedy=seated(GreedyBot, budget.greedy_games),
        search=seated(lambda: SearchBot(playouts=budget.search_playouts), budget.search_games),
        only={action: seated(only_player(action), budget.restricted_games, GreedyBot) for action in actions},
        without={action: rotated(one, without(action), budget.restricted_games, players, others=RandomBot)
                 for action in actions},
        # played last, so the games above keep the seeds they had before greedy self-play was added
        greedy_self_play=[] if design.cooperative else
        [one([GreedyBot() for _ in range(players)]) for _ in range(budget.greedy_games)],
    )
    return playtest_report(played, action_ids=actions, cooperative=design.cooperative,
                           declared_minutes=design.play_time_minutes)
