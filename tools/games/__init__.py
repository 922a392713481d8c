"""Executable game designs: a seeded simulator that plays a `GameDesign` by its rules, and bots
(random, greedy, flat Monte Carlo search, restricted) to play it for playtests."""

from tools.games.bots import GreedyBot, PassBot, RandomBot, RestrictedBot, SearchBot
from tools.games.simulator import (
    Bot,
    Game,
    GameRecord,
    GameView,
    IllegalActionError,
    Rules,
    SeatCountError,
    play,
    simulate,
)

__all__ = [
    "Bot",
    "Game",
    "GameRecord",
    "GameView",
    "GreedyBot",
    "IllegalActionError",
    "PassBot",
    "RandomBot",
    "RestrictedBot",
    "Rules",
    "SearchBot",
    "SeatCountError",
    "play",
    "simulate",
]
