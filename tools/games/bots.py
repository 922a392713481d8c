"""Bots of increasing skill, for simulated playtests (Zook et al.: skill levels as simulated players).

RandomBot is the floor; GreedyBot looks one action ahead on its own score; SearchBot plays each
candidate out many times at random (flat Monte Carlo); RestrictedBot forces or forbids one action
(Jaffe et al. 2012, restricted play) to expose dominant and dead actions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from tools.games.simulator import Bot, GameRecord, GameView


def _best(values: dict[str | None, float], rng: random.Random) -> str | None:
    """The highest-valued choice, ties broken at random (so equal options are explored evenly)."""
    top = max(values.values())
    return rng.choice([choice for choice, value in values.items() if value == top])


class RandomBot:
    """Takes a uniformly random legal action; never passes while something is legal."""

    name = "random"

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None:
        return legal[rng.randrange(len(legal))] if legal else None


class GreedyBot:
    """One ply on its own score: the action (or face-up card) whose immediate result scores most
    (random tie-break); passes only when every action would lower its score."""

    name = "greedy"

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None:
        if not legal:
            return None
        seat = view.seat
        values: dict[str | None, float] = {}
        for action in legal:
            game = view.copy(rng)
            game.step_action(action)
            values[action] = game.score_of(seat)
        if not view.picking and max(values.values()) < view.score_of(seat):
            return None
        return _best(values, rng)


def _result(record: GameRecord, seat: int) -> float:
    """A playout's worth to `seat`: a win 1, a shared top score 0.5, a cooperative team win 1."""
    if record.team_won is not None:
        return 1.0 if record.team_won else 0.0
    if seat not in record.winners:
        return 0.0
    return 1.0 if len(record.winners) == 1 else 0.5


class SearchBot:
    """Flat Monte Carlo: each legal action (and passing) is played out `playouts` times with random
    moves for every seat, on copies that reroll dice and reshuffle decks; the best mean result wins.
    A face-up card of a draw is chosen the same way, among the cards shown (a draw is never passed).

    Passing is chosen only when it beats the best action by two standard errors of a playout mean:
    with few playouts a pass otherwise wins on noise (measured: the 6-playout bot passed in a third of
    its Ticket to Ride turns, where drawing beat passing by 8-17 points over 400 playouts), and like
    the other bots a player does not skip a turn without a reason."""

    def __init__(self, playouts: int = 16) -> None:
        if playouts < 1:
            raise ValueError(f"SearchBot needs at least one playout per action, got {playouts}")
        self.playouts = playouts
        self.name = f"search{playouts}"
        self.pass_margin = 2 * 0.5 / math.sqrt(playouts)  # two standard errors of a mean of 0/1 results

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None:
        if not legal:
            return None
        seat = view.seat
        values: dict[str | None, float] = {}
        for action in legal if view.picking else [*legal, None]:
            total = 0.0
            for _ in range(self.playouts):
                game = view.copy(rng)
                game.step_action(action)
                total += _result(game.playout(rng), seat)
            values[action] = total / self.playouts
        passing = values.pop(None, None)
        best = _best(values, rng)
        return None if passing is not None and passing > values[best] + self.pass_margin else best


class PassBot:
    """Never acts: the base of a bot restricted to one action, so it plays that action and nothing
    else (Jaffe et al. 2012: if one action alone wins, it dominates)."""

    name = "pass"

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None:
        return None


class RestrictedBot:
    """Restricted play: with `only`, takes that action whenever it is legal (else plays as `base`);
    with `without`, never takes that action. The cards of a face-up draw are chosen by `base`."""

    def __init__(self, base: Bot, only: str | None = None, without: str | None = None) -> None:
        if (only is None) == (without is None):
            raise ValueError("RestrictedBot needs exactly one of only= or without=")
        self.base, self.only, self.without = base, only, without
        self.name = f"{base.name} only {only}" if only is not None else f"{base.name} without {without}"

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None:
        if view.picking:
            return self.base.choose(view, legal, rng)
        if self.only is not None:
            return self.only if self.only in legal else self.base.choose(view, legal, rng)
        allowed = [action for action in legal if action != self.without]
        return self.base.choose(view, allowed, rng) if allowed else None
