"""Numbers by search, not by guess: tune a design's numbers until its playtest is in band.

A small model chooses a game's structure and names well enough, but not its costs and yields
("pay 4 X, gain 2 X" beside "pay 1 X, gain 1 Y"). `tune` keeps the structure and every name, and
searches only the numbers the simulator reads, each within its schema bounds (the `ge`/`le` of its
field in `ontology.game`): action costs, gains and takes, dice count and pips per unit, a set
`limit_per_round` and a set `price_step`, income and upkeep amounts, starting amounts, end-condition
rounds and thresholds, and the quantity of the tokens that set a resource's supply. A number that is
absent or zero in the design (no per-round limit, no market) stays so: adding one would change the
structure.

The objective is one weighted distance from the playtest's bands (the thresholds of
`tools.games.playtest_metrics`, so "in band" means what the playtest means; see `band_gaps`):

    objective = Σ weight × distance-from-band,   0 exactly when every band holds

with, per metric, a distance normalised so 1 is "as far out as it gets": completion below
MIN_COMPLETION (weight 4); the first seat's win rate beyond SEAT_BAND of fair in random self-play or
beyond SEAT_TOLERANCE in greedy self-play (2); draws at or above MAX_DRAWS (2); each action whose
restricted player keeps DOMINANT_SHARE of skilled play's win rate (2 per action); the skill gap, the
strongest bot's edge over random below MIN_SKILL_EDGE (1);
estimated minutes outside the declared range, as |log(estimate / nearest bound)| (1); a cooperative
team's win rate outside COOP_BAND (1 per bot), as the share of the way from the band's edge to 0 or
1 on the side the playtest calls an error (a skilled team that cannot win, a random one that cannot
lose; at 0 or 1 as far out as it gets), as the plain difference on the side it warns about; any other
error-level finding,
such as a no-op action (3 each); and, read from the rules, each action worse in every way than another
of its phase or than passing (2 each; `dominated_actions`: the playtest calls such an action dead only
when its search bot notices, the rules say it outright).
While most games run to the round cap, the search adds how far the unfinished games got towards
their end conditions, so lowering a far-off threshold is a step downhill even before games finish;
likewise, while no skilled team wins a cooperative game, how far the lost games got towards a win.

The search is a seeded (1+λ) hill climb on that vector with a fast evaluator: random self-play,
the greedy bot against random opponents, and per action a random bot restricted to it (no search
bot), every candidate on the same game seeds (common random numbers). Each generation proposes
candidates one step on one number away: steps aimed at the worst band that numbers can move (a
dominant action's costs up and gains down; a game too long or never ending, its rounds, thresholds
or supply down; a cooperative game too hard, its winning end sooner and its losing ends later, and
the reverse when too easy), then at the next band when those do not help, and once no aimed step helps,
seeded steps anywhere; the best candidate is kept when it lowers the objective. No candidate may
move a resource threshold an end condition waits for beyond what the resource's tokens can ever hold
(a cooperative game won at 5 cures with 4 cure markers is never won). The full playtest
runs only on the design as given and on the final candidate; a design already in band comes back
unchanged, and a candidate that is no better by the full playtest is dropped. What stays out of band is said in
`TuningResult.unresolved`. With the evaluation budget binding (not the seconds), the same design and
seed always give the same result.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from annotated_types import Ge, Le
from pydantic import BaseModel, Field

from ontology.core import Location, Severity, at
from ontology.game import (
    Action,
    Component,
    ComponentKind,
    DiceGain,
    EndCondition,
    EndKind,
    GameDesign,
    Income,
    Resource,
    ResourceAmount,
    TeamOutcome,
)
from tools.games.bots import GreedyBot, RandomBot
from tools.games.playtest import PlaytestBudget, PlaytestError, default_players, only_player, playtest, rotated
from tools.games.playtest_metrics import (
    COOP_BAND,
    DOMINANT_SHARE,
    MAX_DRAWS,
    MIN_COMPLETION,
    MIN_SKILL_EDGE,
    SEAT_BAND,
    SEAT_TOLERANCE,
    PlaytestGames,
    PlaytestReport,
    edge,
    first_seat_gap,
    playtest_report,
)
from tools.games.simulator import Bot, Game, GameRecord, Rules, play

__all__ = ["BandGap", "Dominated", "TuningBudget", "TuningChange", "TuningResult", "band_gaps", "dominated_actions",
           "objective", "tune", "unreachable_ends"]

log = logging.getLogger(__name__)

WEIGHTS = {"completion": 4.0, "first_seat": 2.0, "draws": 2.0, "dominant": 2.0, "dominated": 2.0, "skill_gap": 1.0,
           "play_time": 1.0, "cooperative": 1.0, "error": 3.0}
"""The objective's weight per band: errors that stop a game being a game weigh most."""

STRICT = 0.01
"""Distance of a metric sitting exactly on a bound the playtest flags inclusively (draws, dominance)."""

MIN_GAIN = 1e-6
"""A candidate must lower the objective by more than this to be kept (no churn on noise-free ties)."""


class TuningBudget(BaseModel):
    """How much the search may spend, and how the final candidate is confirmed."""

    evaluations: int = Field(60, ge=1, description="candidate designs the fast evaluator may score")
    seconds: float = Field(12.0, gt=0, description="wall-clock limit of the search (the confirming playtest "
                                                    "comes on top); binding it makes the result timing-dependent")
    candidates: int = Field(6, ge=1, description="λ: candidates per generation")
    stall: int = Field(3, ge=1, description="generations without improvement before the search stops")
    self_play_games: int = Field(60, ge=1, description="random self-play games per evaluation")
    greedy_games: int = Field(24, ge=0, description="greedy bot against random play, and greedy self-play, "
                                                     "per evaluation")
    restricted_games: int = Field(16, ge=0, description="per action, a random bot restricted to it, per evaluation")
    max_rounds: int = Field(60, ge=1, description="the round cap of every simulated game")
    confirm_games: int = Field(200, ge=1, description="random self-play games of the confirming playtest")
    playtest: PlaytestBudget = Field(default_factory=PlaytestBudget, description="the confirming playtest's budget")


class TuningChange(BaseModel):
    """One number the search changed, for report.json: where, from what to what, and why."""

    location: Location
    field: str
    before: int
    after: int
    reason: str


class BandGap(BaseModel):
    """How far one metric is from its band (0 = in band), and its weight in the objective."""

    band: str = Field(description="a key of WEIGHTS")
    metric: str
    distance: float
    detail: str
    action: int | None = Field(None, description="the action (index) the band is about, if one")
    bot: str | None = Field(None, description="the bot whose team the band is about (cooperative), if one")

    @property
    def weight(self) -> float:
        return WEIGHTS[self.band]


class TuningResult(BaseModel):
    """The tuned design, its playtest before and after, what was changed, and what stayed out of band."""

    design: GameDesign
    before: PlaytestReport
    after: PlaytestReport
    changes: list[TuningChange]
    unresolved: list[str] = Field(description="'could not bring X into band' for each band still missed")
    evaluations: int = Field(description="candidates the fast evaluator scored")
    seconds: float = Field(description="wall-clock time of the whole tuning, playtests included")


def _over(value: float, limit: float, *, strict: bool = False) -> float:
    """How far `value` is above `limit`; with `strict`, sitting on the limit is already out."""
    excess = value - limit
    return excess + STRICT if strict and excess >= 0 else max(excess, 0.0)


def band_gaps(report: PlaytestReport, design: GameDesign) -> list[BandGap]:
    """Every band the playtest checks, and whether each action is worth taking, with its distance:
    the terms of `objective`."""
    m = report.measures
    gaps = [BandGap(metric="completion", band="completion",
                    distance=_over(MIN_COMPLETION, m.completion) / MIN_COMPLETION,
                    detail=f"{m.completion:.0%} of random games end (band >= {MIN_COMPLETION:.0%})")]
    competitive = not m.cooperative and m.players > 1
    if competitive:
        kind, first = first_seat_gap(m)
        random_first = m.seat_win_rates[0]
        gaps.append(BandGap(metric="first-seat fairness", band="first_seat",
                            distance=max(_over(abs(first - m.fair), SEAT_TOLERANCE),
                                         _over(abs(random_first - m.fair), SEAT_BAND)) / (1 - m.fair),
                            detail=f"the first seat wins {first:.0%} in {kind} self-play, {random_first:.0%} in "
                                   f"random self-play (fair {m.fair:.0%} ± {SEAT_BAND:.0%}, never beyond "
                                   f"{SEAT_TOLERANCE:.0%})"))
        if m.max_score > 0:
            gaps.append(BandGap(metric="draws", band="draws",
                                distance=_over(m.draws, MAX_DRAWS, strict=True) / (1 - MAX_DRAWS),
                                detail=f"{m.draws:.0%} of random games are draws (band < {MAX_DRAWS:.0%})"))
        skilled = [bot for bot in m.bots if bot.bot != "random"]
        if skilled:
            best = skilled[-1]
            gaps.append(BandGap(metric="skill gap", band="skill_gap",
                                distance=_over(MIN_SKILL_EDGE, edge(best.win_rate, m.fair)) / MIN_SKILL_EDGE,
                                detail=f"the {best.bot} bot wins {best.win_rate:.0%} against random play "
                                       f"(band: edge >= {MIN_SKILL_EDGE:.0%})"))
    for i, stats in enumerate(m.actions):
        if stats.only_win_rate is not None:
            # where skilled play wins nothing there is no share of it to keep: nothing can dominate
            kept = _over(stats.only_win_rate, DOMINANT_SHARE * m.skilled_rate, strict=True) if m.skilled_rate else 0
            gaps.append(BandGap(band="dominant", action=i, metric=f"action '{stats.action}' not dominant",
                                distance=kept,
                                detail=f"a bot taking only '{stats.action}' wins {stats.only_win_rate:.0%}"))
    declared, minutes = m.declared_minutes, max(m.estimated_minutes, 0.1)
    gaps.append(BandGap(metric="play time", band="play_time",
                        distance=max(math.log(minutes / declared.max), math.log(declared.min / minutes), 0.0),
                        detail=f"an estimated {m.estimated_minutes:.0f} minutes (declared "
                               f"{declared.min}-{declared.max})"))
    low, high = COOP_BAND
    for bot in m.bots if m.cooperative else []:
        # normalised on the side where the playtest calls it an error (a skilled team that cannot win, a
        # random team that cannot lose), a plain difference on the side it warns about
        trained = bot.bot != "random"
        below, above = _over(low, bot.win_rate), _over(bot.win_rate, high)
        gaps.append(BandGap(metric=f"team win rate, {bot.bot}", band="cooperative", bot=bot.bot,
                            distance=below / low + above if trained else below + above / (1 - high),
                            detail=f"a team of {bot.bot} bots wins {bot.win_rate:.0%} (band {low:.0%}-{high:.0%})"))
    measured = {"never_completes", "drawish", "dominant_action", "first_seat_advantage", "first_seat_edge",
                "cooperative_out_of_band"}
    for finding in report.findings:
        if finding.severity == Severity.ERROR and finding.code not in measured:
            gaps.append(BandGap(band="error", metric=f"{finding.code} at {finding.path}", distance=1.0,
                                detail=finding.message,
                                action=finding.location.index if finding.location.part == "actions" else None))
    for found in dominated_actions(design):
        action = design.actions[found.action]
        detail = (f"'{action.id}' costs more than it yields: passing is better" if found.better is None else
                  f"'{action.id}' is worse in every way than '{design.actions[found.better].id}' in the same phase")
        gaps.append(BandGap(band="dominated", action=found.action, metric=f"action '{action.id}' worth taking",
                            distance=found.shortfall / (found.shortfall + 1), detail=detail))
    return gaps


def objective(report: PlaytestReport, design: GameDesign) -> float:
    """The weighted distance from every band: 0 exactly when the design's playtest is in band."""
    return sum(gap.weight * gap.distance for gap in band_gaps(report, design))


def _plain(action: Action) -> bool:
    """Only costs and gains: an action whose worth is its net exchange."""
    return (action.roll is None and not action.draw and not action.take and action.limit_per_round is None
            and not action.price_step)


def _tally(items: Sequence[ResourceAmount]) -> Counter[str]:
    tally: Counter[str] = Counter()
    for item in items:
        tally[item.resource] += item.amount
    return tally


@dataclass(frozen=True)
class Dominated:
    """An action no one should take: `better` (an action of the same phase, or None for passing) is
    at least as good in every way; `shortfall` is by how many units in all it falls short of it."""

    action: int
    better: int | None
    shortfall: int


def dominated_actions(design: GameDesign) -> list[Dominated]:
    """Actions no one should take (the issue's "pay 4 X, gain 2 X" beside "pay 1 X, gain 1 Y"): for
    each, the worst case of another action of its phase that costs no more of anything and leaves the
    player no worse off in anything, one strictly; or passing, when its net exchange only loses.
    Read from the rules, not from play: only where more of a resource is never worse (a competitive
    game with no negative points and no upkeep) and only between plain exchanges."""
    if (design.cooperative or any(rule.points < 0 for rule in design.victory.scoring)
            or any(income.amount < 0 for income in design.turn_structure.income)):
        return []
    found: dict[int, Dominated] = {}

    def note(i: int, better: int | None, shortfall: int) -> None:
        if i not in found or shortfall > found[i].shortfall:
            found[i] = Dominated(i, better, shortfall)

    for phase in design.turn_structure.phases:
        members = [i for i, action in enumerate(design.actions) if action.id in phase.actions and _plain(action)]
        for i in members:
            costs, net = _tally(design.actions[i].costs), _tally(design.actions[i].gains)
            net.subtract(costs)
            if any(v < 0 for v in net.values()) and all(v <= 0 for v in net.values()):
                note(i, None, -sum(net.values()))
            for j in members:
                other_costs, other_net = _tally(design.actions[j].costs), _tally(design.actions[j].gains)
                other_net.subtract(other_costs)
                resources = {*costs, *net, *other_costs, *other_net}
                shortfall = sum(max(0, costs[r] - other_costs[r]) + max(0, other_net[r] - net[r]) for r in resources)
                if shortfall and all(other_costs[r] <= costs[r] and other_net[r] >= net[r] for r in resources):
                    note(i, j, shortfall)
    return [found[i] for i in sorted(found)]


@dataclass(frozen=True)
class _Knob:
    """One number of the design the search may set: where it is, and its schema bounds."""

    path: tuple[str | int, ...]  # keys into the design's JSON form
    low: int
    high: int
    location: Location
    field: str
    action: int | None = None  # the action it belongs to, if any
    ending: bool = False  # moves how soon the game ends (rounds, thresholds, a supply an end watches)
    cost_like: bool = False  # raising it makes its action weaker
    team: int = 0  # cooperative: +1 raising it makes the team's win likelier (a losing end later), -1 less likely


def _bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    """The `ge`/`le` of a field as the schema declares it."""
    metadata = model.model_fields[name].metadata
    low = next(m.ge for m in metadata if isinstance(m, Ge))
    high = next(m.le for m in metadata if isinstance(m, Le))
    return cast(int, low), cast(int, high)


def _knobs(design: GameDesign) -> list[_Knob]:
    """Every number the search may set, in the design's order."""
    knobs: list[_Knob] = []
    amount = _bounds(ResourceAmount, "amount")
    for i, action in enumerate(design.actions):
        for part, weaker in (("costs", True), ("gains", False), ("take", False)):
            for j, _ in enumerate(getattr(action, part)):
                knobs.append(_Knob(("actions", i, part, j, "amount"), *amount, at("actions", i, part, j), "amount",
                                   action=i, cost_like=weaker))
        if action.roll is not None:
            for name, weaker in (("dice", False), ("per", True)):
                knobs.append(_Knob(("actions", i, "roll", name), *_bounds(DiceGain, name), at("actions", i, "roll"),
                                   name, action=i, cost_like=weaker))
        if action.limit_per_round is not None:
            knobs.append(_Knob(("actions", i, "limit_per_round"), *_bounds(Action, "limit_per_round"),
                               at("actions", i), "limit_per_round", action=i))
        if action.price_step:
            knobs.append(_Knob(("actions", i, "price_step"), 1, _bounds(Action, "price_step")[1], at("actions", i),
                               "price_step", action=i, cost_like=True))
    low, high = _bounds(Income, "amount")
    for i, income in enumerate(design.turn_structure.income):  # income keeps its sign: upkeep stays upkeep
        bounds = (1, high) if income.amount > 0 else (low, -1)
        knobs.append(_Knob(("turn_structure", "income", i, "amount"), *bounds,
                           at("turn_structure", field="income", item=i), "amount"))
    for i, _ in enumerate(design.resources):
        knobs.append(_Knob(("resources", i, "starting"), *_bounds(Resource, "starting"), at("resources", i),
                           "starting"))
    watched = {end.target: _later_is_easier(design, end) for end in reversed(design.end_conditions)
               if end.kind == EndKind.COMPONENT_EXHAUSTED}
    for i, end in enumerate(design.end_conditions):
        for name in ("rounds", "threshold"):
            if getattr(end, name) is not None:
                knobs.append(_Knob(("end_conditions", i, name), *_bounds(EndCondition, name), at("end_conditions", i),
                                   name, ending=True, team=_later_is_easier(design, end)))
    for i, component in enumerate(design.components):
        if component.kind == ComponentKind.TOKENS and component.represents:
            knobs.append(_Knob(("components", i, "quantity"), *_bounds(Component, "quantity"), at("components", i),
                               "quantity", ending=component.id in watched, team=watched.get(component.id, 0)))
    return knobs


def _later_is_easier(design: GameDesign, end: EndCondition) -> int:
    """For a cooperative team, what putting this end off does: +1 a losing end comes later (easier),
    -1 the winning end comes later (harder); 0 in a competitive game."""
    if not design.cooperative:
        return 0
    return -1 if end.team == TeamOutcome.WIN else 1


def unreachable_ends(design: GameDesign) -> set[int]:
    """The resource-threshold end conditions (indices) that can never hold: the threshold is more than
    the resource's tokens can ever put in one place (the box's quantity, or its starting amount if more)."""
    quantity: Counter[str] = Counter()
    for component in design.components:
        if component.kind == ComponentKind.TOKENS and component.represents:
            quantity[component.represents] += component.quantity
    starting = {resource.id: resource.starting for resource in reversed(design.resources)}
    return {i for i, end in enumerate(design.end_conditions)
            if end.kind == EndKind.RESOURCE_THRESHOLD and end.threshold is not None and end.target is not None
            and end.target in quantity and end.threshold > max(quantity[end.target], starting.get(end.target, 0))}


Vector = tuple[int, ...]


def _read(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _build(base: dict[str, Any], knobs: Sequence[_Knob], vector: Vector) -> GameDesign:
    """The design with every knob set from `vector` (validated, so bounds hold)."""
    data = GameDesign.model_validate(base).model_dump(mode="json")
    for knob, value in zip(knobs, vector, strict=True):
        *head, last = knob.path
        _read(data, tuple(head))[last] = value
    return GameDesign.model_validate(data)


def _steps(value: int, direction: int, knob: _Knob) -> list[int]:
    """Values one step from `value` in `direction`: by one, and by half or double (far-off numbers)."""
    if direction > 0:
        candidates = [value + 1, value * 2 if value > 0 else -(-value // 2)]
    else:
        candidates = [value - 1, -(-value // 2) if value > 0 else value * 2]
    return sorted({min(max(c, knob.low), knob.high) for c in candidates} - {value})


@dataclass(frozen=True)
class _Evaluation:
    report: PlaytestReport
    gaps: list[BandGap]
    score: float  # the objective, plus how far unfinished games got while completion is out of band


def _progress(game: Game, start_supply: Sequence[int], *, winning: bool = False) -> float:
    """How close a game came to its nearest end condition (with `winning`, the nearest the team wins
    by), 0-1."""
    best = 0.0
    scores = game.scores()
    for end in game.rules.ends:
        if winning and not end.team_wins:
            continue
        if end.kind == EndKind.ROUNDS and end.rounds:
            best = max(best, game.round / end.rounds)
        elif end.kind == EndKind.SCORE_THRESHOLD and end.threshold:
            best = max(best, max(scores) / end.threshold)
        elif end.kind == EndKind.RESOURCE_THRESHOLD and end.threshold and end.resource is not None:
            r = end.resource
            held = game.pool[r] if game.rules.shared[r] else max(h[r] for h in game.hold)
            best = max(best, held / end.threshold)
        elif end.kind == EndKind.COMPONENT_EXHAUSTED:
            if end.deck is not None and game.rules.decks[end.deck]:
                best = max(best, 1 - len(game.decks[end.deck]) / len(game.rules.decks[end.deck]))
            if end.supply is not None and 0 < start_supply[end.supply] < (1 << 59):
                best = max(best, 1 - game.supply[end.supply] / start_supply[end.supply])
    return min(best, 1.0)


class _Evaluator:
    """The fast playtest: random self-play, greedy against random, random restricted to each action;
    every design on the same seeds."""

    def __init__(self, players: int, seed: int, budget: TuningBudget) -> None:
        self.players, self.seed, self.budget = players, seed, budget

    def __call__(self, design: GameDesign) -> _Evaluation:
        rules, budget, players = Rules.compile(design), self.budget, self.players
        seeds = random.Random(f"tuning-{self.seed}")
        self_play, progress, win_progress = [], [], []
        for _ in range(budget.self_play_games):
            game_seed = seeds.getrandbits(63)
            game = Game(rules, players, random.Random(game_seed), budget.max_rounds)
            start_supply = list(game.supply)
            record = game.playout(random.Random(f"bots-{game_seed}"), [RandomBot() for _ in range(players)])
            self_play.append(record)
            if not record.completed:
                progress.append(_progress(game, start_supply))
            if record.team_won is False:
                win_progress.append(_progress(game, start_supply, winning=True))

        def one(bots: list[Bot]) -> GameRecord:
            return play(rules, bots, seed=seeds.getrandbits(63), max_rounds=budget.max_rounds)

        actions = [action.id for action in design.actions]
        games = PlaytestGames(
            self_play=self_play,
            greedy=rotated(one, GreedyBot, budget.greedy_games, players,
                           others=GreedyBot if design.cooperative else RandomBot),
            only={a: rotated(one, only_player(a), budget.restricted_games, players, others=GreedyBot)
                  for a in actions} if players > 1 and not design.cooperative else {},
            # played last, so the games above keep their seeds
            greedy_self_play=[] if design.cooperative else
            [one([GreedyBot() for _ in range(players)]) for _ in range(budget.greedy_games)],
        )
        report = playtest_report(games, action_ids=actions, cooperative=design.cooperative,
                                 declared_minutes=design.play_time_minutes)
        gaps = band_gaps(report, design)
        score = sum(gap.weight * gap.distance for gap in gaps)
        if report.measures.completion < MIN_COMPLETION and progress:
            score += WEIGHTS["completion"] * (1 - report.measures.completion) * (1 - sum(progress) / len(progress))
        skilled = [bot.win_rate for bot in report.measures.bots if bot.bot != "random"]
        if design.cooperative and win_progress and skilled and max(skilled) < COOP_BAND[0]:
            score += WEIGHTS["cooperative"] * (1 - sum(win_progress) / len(win_progress))
        return _Evaluation(report, gaps, score)


def _aims(report: PlaytestReport, design: GameDesign, knobs: Sequence[_Knob]) -> list[list[tuple[int, int]]]:
    """Per band missed that some number can move, worst first: the (knob, direction) steps aimed at it."""
    gaps = sorted(band_gaps(report, design), key=lambda g: -g.weight * g.distance)
    return [aimed for gap in gaps if gap.distance > 0 and (aimed := list(_aim(gap, report, knobs)))]


def _aim(gap: BandGap, report: PlaytestReport, knobs: Sequence[_Knob]) -> Iterator[tuple[int, int]]:
    """A game too long or never ending ends sooner, one too short later; a dominant action grows
    weaker, a dominated or no-op one stronger."""
    m = report.measures
    if gap.band == "completion" or (gap.band == "play_time" and m.estimated_minutes > m.declared_minutes.max):
        yield from ((k, -1) for k, knob in enumerate(knobs) if knob.ending)
    elif gap.band == "play_time":
        yield from ((k, +1) for k, knob in enumerate(knobs) if knob.ending)
    elif gap.band == "cooperative":
        rate = next(bot.win_rate for bot in m.bots if bot.bot == gap.bot)
        easier = 1 if rate < COOP_BAND[0] else -1
        yield from ((k, easier * knob.team) for k, knob in enumerate(knobs) if knob.team)
    elif gap.action is not None:
        weaker = 1 if gap.band == "dominant" else -1
        yield from ((k, weaker if knob.cost_like else -weaker) for k, knob in enumerate(knobs)
                    if knob.action == gap.action)


def _reason(before: _Evaluation, after: _Evaluation) -> str:
    """Which bands the step moved towards, in the fast evaluator's figures."""
    old = {gap.metric: gap for gap in before.gaps}
    moved = [f"{gap.metric}: {old[gap.metric].detail} -> {gap.detail}" for gap in after.gaps
             if gap.metric in old and gap.distance < old[gap.metric].distance]
    moved += [f"{gap.metric}: now in band" for gap in before.gaps if gap.metric not in {g.metric for g in after.gaps}]
    return "; ".join(moved) or "brings unfinished games closer to their end"


def tune(design: GameDesign, *, players: int | None = None, seed: int = 0,
         budget: TuningBudget | None = None, before: PlaytestReport | None = None) -> TuningResult:
    """Search the design's numbers until its playtest is in band (see the module docstring).

    `before` is the design's playtest if the caller already has one (run with this `seed`, `players`
    and `budget.playtest`), saving a playtest."""
    budget = budget or TuningBudget()
    started = time.monotonic()
    players = players or default_players(design)
    if not design.players.min <= players <= design.players.max:
        raise PlaytestError(f"the design is for {design.players.min}-{design.players.max} players, not {players}")

    def confirm(candidate: GameDesign) -> PlaytestReport:
        return playtest(candidate, games=budget.confirm_games, players=players, seed=seed, budget=budget.playtest)

    before = before or confirm(design)
    if objective(before, design) == 0:
        return TuningResult(design=design, before=before, after=before, changes=[], unresolved=[], evaluations=0,
                            seconds=time.monotonic() - started)

    knobs = _knobs(design)
    base = design.model_dump(mode="json")
    start: Vector = tuple(_read(base, knob.path) for knob in knobs)
    evaluate = _Evaluator(players, seed, budget)
    unreachable = unreachable_ends(design)  # a design given so keeps them; the search makes no new ones

    def allowed(vector: Vector) -> bool:
        return unreachable_ends(_build(base, knobs, vector)) <= unreachable

    rng = random.Random(f"tuning-moves-{seed}")
    seen: dict[Vector, _Evaluation] = {start: evaluate(design)}
    current, history = start, []  # history: (knob, old value, new value, reason) per accepted step
    stalled, aim = 0, 0  # aim: which band's aimed steps to try (past the last: steps anywhere)
    while (seen[current].score > 0 and stalled < budget.stall and len(seen) < budget.evaluations
           and time.monotonic() - started < budget.seconds):
        groups = _aims(seen[current].report, design, knobs)
        aimed = groups[aim] if aim < len(groups) else []
        anywhere = [(k, d) for k in range(len(knobs)) for d in (-1, 1)]
        rng.shuffle(anywhere)
        proposals: list[Vector] = []
        for k, direction in aimed or anywhere:
            for value in _steps(current[k], direction, knobs[k]):
                vector = current[:k] + (value,) + current[k + 1:]
                if vector not in seen and vector not in proposals and allowed(vector):
                    proposals.append(vector)
            if len(proposals) >= budget.candidates:
                break
        if not proposals:
            if aimed:
                aim += 1
                continue
            break
        for vector in proposals[:budget.candidates]:
            if len(seen) >= budget.evaluations or time.monotonic() - started >= budget.seconds:
                break
            seen[vector] = evaluate(_build(base, knobs, vector))
        best = min((v for v in proposals if v in seen), key=lambda v: seen[v].score, default=current)
        if seen[best].score < seen[current].score - MIN_GAIN:
            k = next(i for i, (a, b) in enumerate(zip(current, best, strict=True)) if a != b)
            history.append((k, current[k], best[k], _reason(seen[current], seen[best])))
            log.info("tuning: %s.%s %d -> %d (objective %.3f -> %.3f)", knobs[k].location, knobs[k].field,
                     current[k], best[k], seen[current].score, seen[best].score)
            current, stalled, aim = best, 0, 0
        elif aimed:
            aim += 1  # this band's steps failed: aim at the next one
        else:
            stalled += 1

    tuned, after, changes = design, before, []
    if current != start:
        candidate = _build(base, knobs, current)
        confirmed = confirm(candidate)
        if objective(confirmed, candidate) < objective(before, design):
            tuned, after = candidate, confirmed
            changes = _changes(knobs, start, current, history)
        else:
            log.info("tuning: the search's candidate is no better by the full playtest; the design is kept")
    unresolved = [f"could not bring {gap.metric} into band: {gap.detail}" for gap in band_gaps(after, tuned)
                  if gap.distance > 0]
    return TuningResult(design=tuned, before=before, after=after, changes=changes, unresolved=unresolved,
                        evaluations=len(seen), seconds=time.monotonic() - started)


def _changes(knobs: Sequence[_Knob], start: Vector, end: Vector,
             history: Sequence[tuple[int, int, int, str]]) -> list[TuningChange]:
    """One change per number that ended different, with the reasons of every step it took."""
    return [TuningChange(location=knob.location, field=knob.field, before=start[k], after=end[k],
                         reason=" | ".join(dict.fromkeys(reason for step, _, _, reason in history if step == k)))
            for k, knob in enumerate(knobs) if start[k] != end[k]]
