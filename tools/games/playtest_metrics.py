"""Playtest metrics: what simulated games say about a design, and the findings they raise.

Pure arithmetic over `GameRecord`s (no bots, no simulator run here: `tools.games.playtest` decides
which games are played), so each metric can be checked on hand-built records. The metrics follow
the game-evaluation literature:

- Browne & Maire 2010 / Browne 2008 (Ludi) and Ludii's evaluation metrics: completion, duration,
  balance between seats (first-player advantage), draws, lead changes, decisiveness (margins).
- Jaffe et al. 2012, "Evaluating competitive game balance with restricted play": an action is
  dominant when a player restricted to it loses (almost) nothing against skilled play, dead when
  the strong bot (almost) never takes it and a bot forbidden to take it does as well as one that may.
- Zook et al. 2015, "Exploring Game Space of Minimal Action Games via Parameter Tuning and
  Survival Analysis" (simulated skill levels): a game worth playing rewards skill, so a search
  bot beats random play clearly; a cooperative game is neither won nor lost whatever the team does.

Findings are made as the design validators make theirs: checks registered on a `ValidatorRegistry`
yield `Problem`s located in the design, owned by the Mechanics Architect at the drafting step
that rewrites the part (actions, or the flow: turn structure, end conditions, victory).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ontology.core import Finding, Problem, Severity, ValidatorRegistry, at
from ontology.game import MinutesRange, RulesSection
from ontology.game_rulebook import playtested_section
from ontology.game_validators import ACTIONS, FLOW

if TYPE_CHECKING:
    from tools.games.simulator import GameRecord

SECONDS_PER_DECISION = 30
"""Table time per decision (one action taken), the basis of the estimated play time."""

MIN_COMPLETION = 0.5
"""Error below this share of games ending before the round cap: the game does not end (Browne 2008,
completion)."""

SEAT_BAND = 0.10
"""Warning when the first seat's win rate in random self-play (the larger sample) is further than this
from fair: the band a published game keeps (issue 12's target), below the decisive edge that is an error."""

SEAT_TOLERANCE = 0.25
"""Error when the first seat's win rate in random self-play, or in greedy self-play, is further than
this from the fair 1/players (Browne 2008 and Ludii, balance; a decisive first-player advantage).
Ludii measures balance with its playing agents: random players do not reach for the best space, so
an edge only a player who wants it can take (the first seat blocking the best space every round) shows
in greedy self-play alone."""

DOMINANT_SHARE = 0.8
"""Error when a player who takes only one action (and passes otherwise) still wins at least this
share of what unrestricted skilled play wins: against greedy opponents, 0.8 of the fair 1/players;
in a cooperative game, a team that takes only it against the greedy team's rate. Restricting play to
that action costs almost nothing, so it dominates (Jaffe et al. 2012, restricted play)."""

DEAD_SHARE = 0.02
"""Warning when the strongest bot takes an action in fewer than this share of its decisions ...
(Jaffe et al. 2012)."""

DEAD_TOLERANCE = 0.05
"""... and the bot forbidden to take it wins at least the unrestricted bot's rate minus this, or minus
`DEAD_NOISE` standard errors of the difference where the samples are too small for this tolerance:
restricting the action changes nothing that the games can tell apart from chance."""

DEAD_NOISE = 2.0
"""Standard errors of the difference between two win rates that a drop must exceed to count as a
change (about 95% confidence)."""

MIN_SKILL_EDGE = 0.3
"""Warning when the strongest bot's edge over random play is below this: it wins fewer than
fair + 0.3 × (1 − fair) of its games, 65% with two players (Zook et al. 2015, skill gap)."""

MAX_DRAWS = 0.5
"""Error when at least this share of random competitive games end in a draw: the scoring cannot
separate the players (Browne 2008, drawishness and decisiveness)."""

COOP_BAND = (0.1, 0.9)
"""A cooperative team of one bot that wins less or more often than this finds the game hopeless or
trivial at that skill (Zook et al. 2015). An error when the game is broken for every skill level:
no skilled team (greedy or search, whichever wins more) wins even the band's low share, or a team
of random players wins more than its high share; otherwise a warning (random teams losing nearly
always, or the search team nearly always winning, is what a skill gap looks like)."""


@dataclass(frozen=True)
class Seated:
    """A game played by the bot under test, and the seat it sat in (rotated from game to game)."""

    record: GameRecord
    seat: int


@dataclass(frozen=True)
class PlaytestGames:
    """The games a playtest measures: random and greedy self-play; the greedy and search bots, each against
    random opponents in a competitive game or as the whole team in a cooperative one; and per action,
    a player who takes only it against greedy play (`only`) and a greedy bot forbidden it (`without`)."""

    self_play: Sequence[GameRecord]
    greedy_self_play: Sequence[GameRecord] = ()
    greedy: Sequence[Seated] = ()
    search: Sequence[Seated] = ()
    only: dict[str, Sequence[Seated]] = field(default_factory=dict)
    without: dict[str, Sequence[Seated]] = field(default_factory=dict)


def win_credit(record: GameRecord, seat: int) -> float:
    """What the game was worth to `seat`: 1 for a win, a shared part of 1 for a draw, 0 for a loss;
    in a cooperative game, 1 if the team won."""
    if record.team_won is not None:
        return 1.0 if record.team_won else 0.0
    return 1 / len(record.winners) if seat in record.winners else 0.0


def win_rate(games: Sequence[Seated]) -> float:
    return fmean(win_credit(game.record, game.seat) for game in games)


def seat_win_rates(records: Sequence[GameRecord]) -> list[float]:
    """Each seat's mean win credit (a draw shares the win, so the rates add up to 1)."""
    return [fmean(win_credit(record, seat) for record in records) for seat in range(records[0].seats)]


def completion(records: Sequence[GameRecord]) -> float:
    return fmean(1.0 if record.completed else 0.0 for record in records)


def draw_rate(records: Sequence[GameRecord]) -> float:
    return fmean(1.0 if len(record.winners) > 1 else 0.0 for record in records)


def lead_changes(record: GameRecord) -> int:
    """How often the sole leader after a round differs from the last sole leader (ties lead no one)."""
    changes, leader = 0, None
    for scores in record.score_by_round:
        top = max(scores)
        if scores.count(top) != 1:
            continue
        now = scores.index(top)
        changes += leader is not None and now != leader
        leader = now
    return changes


def margin(record: GameRecord) -> int:
    """The winner's lead over the runner-up at the end (decisiveness)."""
    ranked = sorted(record.scores, reverse=True)
    return ranked[0] - ranked[1] if len(ranked) > 1 else 0


def mean_scores_by_round(records: Sequence[GameRecord]) -> list[list[float]]:
    """Per round, each seat's mean score; a game that has ended keeps its final scores."""
    rounds = max(len(record.score_by_round) for record in records)
    seats = records[0].seats
    padded = [[*record.score_by_round, *[record.scores] * (rounds - len(record.score_by_round))]
              for record in records]
    return [[fmean(game[r][seat] for game in padded) for seat in range(seats)] for r in range(rounds)]


def decision_share(games: Sequence[Seated], action: str) -> float:
    """The share of the bot's decisions that took `action`."""
    taken = sum(game.record.actions[game.seat].get(action, 0) for game in games)
    decided = sum(game.record.decisions[game.seat] for game in games)
    return taken / decided if decided else 0.0


def noop_share(records: Sequence[GameRecord], action: str) -> float | None:
    """Of the times `action` was taken, the share that changed nothing (None: never taken)."""
    taken = sum(seat.get(action, 0) for record in records for seat in record.actions)
    return sum(record.noops.get(action, 0) for record in records) / taken if taken else None


def edge(rate: float, fair: float) -> float:
    """How far `rate` is from `fair` towards always winning: 0 = fair, 1 = wins every game."""
    return (rate - fair) / (1 - fair) if fair < 1 else 0.0


class BotResult(BaseModel):
    """How one bot fared: competitive, against random opponents with seats rotated; cooperative,
    as the whole team."""

    bot: str
    games: int
    win_rate: float


class ActionStats(BaseModel):
    """One action of the design (in the design's order), as the bots used it."""

    action: str
    taken: int = Field(description="times taken in random self-play")
    noop_share: float | None = Field(description="of those, the share that changed nothing; None if never taken")
    skilled_share: float | None = Field(description="share of the strongest bot's decisions that took it")
    only_win_rate: float | None = Field(description="win rate of a bot taking only it, against skilled play")
    without_win_rate: float | None = Field(description="win rate of a greedy bot forbidden it")
    without_games: int = Field(0, description="games the greedy bot forbidden it played")


class PlaytestMeasures(BaseModel):
    """The measured figures of a playtest."""

    players: int
    games: int = Field(description="random self-play games")
    cooperative: bool
    completion: float
    rounds: float = Field(description="mean rounds per game")
    decisions_per_player: float
    estimated_minutes: float
    declared_minutes: MinutesRange
    seat_win_rates: list[float]
    greedy_seat_win_rates: list[float] | None = Field(None, description="the same in greedy self-play, if played")
    fair: float = Field(description="the win rate of random play: 1/players, or the random team's")
    skilled_rate: float = Field(description="what unrestricted skilled play wins in the restricted games' "
                                            "setting: 1/players, or the greedy team's rate")
    draws: float
    lead_changes: float = Field(description="mean per game")
    margin: float = Field(description="mean lead of the winner over the runner-up, in points")
    max_score: int = Field(description="the highest score any seat reached in any game")
    score_by_round: list[list[float]] = Field(description="per round, each seat's mean score in random self-play")
    bots: list[BotResult]
    actions: list[ActionStats]


def _bot(name: str, games: Sequence[Seated]) -> list[BotResult]:
    return [BotResult(bot=name, games=len(games), win_rate=win_rate(games))] if games else []


def measure(games: PlaytestGames, *, action_ids: Sequence[str], cooperative: bool,
            declared_minutes: MinutesRange) -> PlaytestMeasures:
    """The figures of a playtest from its games; `action_ids` are the design's actions, in order."""
    records = games.self_play
    everything = [*records, *games.greedy_self_play,
                  *(g.record for group in (games.greedy, games.search, *games.only.values(),
                                           *games.without.values()) for g in group)]
    players = records[0].seats
    seats = seat_win_rates(records)
    fair = seats[0] if cooperative else 1 / players
    decisions = fmean(sum(record.decisions) for record in records)
    skilled = games.search or games.greedy
    return PlaytestMeasures(
        players=players,
        games=len(records),
        cooperative=cooperative,
        completion=completion(records),
        rounds=fmean(record.rounds for record in records),
        decisions_per_player=decisions / players,
        estimated_minutes=decisions * SECONDS_PER_DECISION / 60,
        declared_minutes=declared_minutes,
        seat_win_rates=seats,
        greedy_seat_win_rates=seat_win_rates(games.greedy_self_play) if games.greedy_self_play else None,
        fair=fair,
        skilled_rate=(fmean(g.record.team_won is True for g in games.greedy) if games.greedy else fair)
        if cooperative else 1 / players,
        draws=0.0 if cooperative else draw_rate(records),
        lead_changes=fmean(lead_changes(record) for record in records),
        margin=fmean(margin(record) for record in records),
        max_score=max(max(record.scores) for record in everything),
        score_by_round=mean_scores_by_round(records),
        bots=[BotResult(bot="random", games=len(records), win_rate=fair),
              *_bot("greedy", games.greedy), *_bot("search", games.search)],
        actions=[ActionStats(
            action=action,
            taken=sum(seat.get(action, 0) for record in records for seat in record.actions),
            noop_share=noop_share(records, action),
            skilled_share=decision_share(skilled, action) if skilled else None,
            only_win_rate=win_rate(games.only[action]) if games.only.get(action) else None,
            without_win_rate=win_rate(games.without[action]) if games.without.get(action) else None,
            without_games=len(games.without.get(action, ())),
        ) for action in action_ids],
    )


PLAYTEST_CHECKS: ValidatorRegistry[PlaytestMeasures] = ValidatorRegistry()


@PLAYTEST_CHECKS.register(FLOW)
def the_game_completes(m: PlaytestMeasures) -> Iterator[Problem]:
    if m.completion < MIN_COMPLETION:
        yield Problem(Severity.ERROR, "never_completes",
                      f"only {m.completion:.0%} of random games ended before the round cap; make an end "
                      "condition reachable (fewer rounds, a lower threshold)", at("end_conditions"))


@PLAYTEST_CHECKS.register(FLOW)
def scoring_is_reachable(m: PlaytestMeasures) -> Iterator[Problem]:
    if m.max_score <= 0:
        yield Problem(Severity.ERROR, "unreachable_scoring",
                      "no seat scored above 0 in any simulated game; score something actions gain",
                      at("victory", field="scoring"))


@PLAYTEST_CHECKS.register(FLOW)
def games_are_decided(m: PlaytestMeasures) -> Iterator[Problem]:
    if not m.cooperative and m.max_score > 0 and m.draws >= MAX_DRAWS:  # no score at all is unreachable_scoring
        yield Problem(Severity.ERROR, "drawish",
                      f"{m.draws:.0%} of random games end in a draw; score something players gain by "
                      "different choices, not what every player gets alike", at("victory", field="scoring"))


@PLAYTEST_CHECKS.register(ACTIONS)
def actions_change_something(m: PlaytestMeasures) -> Iterator[Problem]:
    for i, stats in enumerate(m.actions):
        if stats.noop_share is not None and stats.noop_share >= 1:
            yield Problem(Severity.ERROR, "noop_action",
                          f"'{stats.action}' changed nothing each of the {stats.taken} times it was taken; "
                          "make it gain something other than what it costs", at("actions", i))


def dominates(stats: ActionStats, m: PlaytestMeasures) -> bool:
    """Whether taking only this action loses (almost) nothing against skilled play (`DOMINANT_SHARE`).
    A game whose scoring cannot separate the players (no score, or mostly draws) is reported as such,
    not as every action dominating."""
    decided = m.max_score > 0 and (m.cooperative or m.draws < MAX_DRAWS)
    return decided and stats.only_win_rate is not None and m.skilled_rate > 0 and \
        stats.only_win_rate >= DOMINANT_SHARE * m.skilled_rate


@PLAYTEST_CHECKS.register(ACTIONS)
def no_action_dominates(m: PlaytestMeasures) -> Iterator[Problem]:
    against = "the greedy team's" if m.cooperative else "a fair share against greedy players:"
    for i, stats in enumerate(m.actions):
        if dominates(stats, m):
            yield Problem(Severity.ERROR, "dominant_action",
                          f"a player who takes only '{stats.action}' wins {stats.only_win_rate:.0%} of its games "
                          f"({against} {m.skilled_rate:.0%}); raise its costs or lower its gains",
                          at("actions", i))


def first_seat_rates(m: PlaytestMeasures) -> list[tuple[str, float]]:
    """The first seat's win rate in each self-play measured (random, then greedy), by player kind."""
    rates = [("random", m.seat_win_rates[0])]
    return rates + [("greedy", m.greedy_seat_win_rates[0])] if m.greedy_seat_win_rates else rates


def first_seat_gap(m: PlaytestMeasures) -> tuple[str, float]:
    """The self-play whose first seat is furthest from fair, and its win rate there."""
    return max(first_seat_rates(m), key=lambda kind_rate: abs(kind_rate[1] - m.fair))


@PLAYTEST_CHECKS.register(FLOW)
def seats_are_fair(m: PlaytestMeasures) -> Iterator[Problem]:
    # a game that does not end has no winner worth comparing: that is never_completes
    if m.cooperative or m.players < 2 or m.completion < MIN_COMPLETION:
        return
    kind, rate = first_seat_gap(m)
    if abs(rate - m.fair) > SEAT_TOLERANCE:
        yield Problem(Severity.ERROR, "first_seat_advantage",
                      f"the first seat wins {rate:.0%} of {kind} self-play games (fair: {m.fair:.0%}); pass the "
                      "first-player marker each round, compensate later seats or end on a full round",
                      at("turn_structure"))
    elif abs(m.seat_win_rates[0] - m.fair) > SEAT_BAND:
        yield Problem(Severity.WARNING, "first_seat_edge",
                      f"the first seat wins {m.seat_win_rates[0]:.0%} of random self-play games (fair: {m.fair:.0%} "
                      f"± {SEAT_BAND:.0%}); compensate later seats or change what the first turn can take",
                      at("turn_structure"))


def noise(rate: float, games: int, other_rate: float, other_games: int) -> float:
    """The standard error of the difference between two win rates measured on `games` and `other_games`
    games (a rate of 0 or 1 counts as 1/(2 games), so a small sample never looks certain)."""
    def variance(p: float, n: int) -> float:
        p = min(max(p, 1 / (2 * n)), 1 - 1 / (2 * n))
        return p * (1 - p) / n
    return math.sqrt(variance(rate, games) + variance(other_rate, other_games))


def unchanged_without(stats: ActionStats, greedy: BotResult) -> bool:
    """Whether the greedy bot forbidden the action wins as often as the unrestricted one, up to
    `DEAD_TOLERANCE` or the sampling noise (`DEAD_NOISE`), whichever is larger."""
    if stats.without_win_rate is None or not stats.without_games or not greedy.games:
        return False
    spread = DEAD_NOISE * noise(stats.without_win_rate, stats.without_games, greedy.win_rate, greedy.games)
    return stats.without_win_rate >= greedy.win_rate - max(DEAD_TOLERANCE, spread)


@PLAYTEST_CHECKS.register(ACTIONS)
def no_action_is_dead(m: PlaytestMeasures) -> Iterator[Problem]:
    greedy_bot = next((bot for bot in m.bots if bot.bot == "greedy"), None)
    for i, stats in enumerate(m.actions):
        if (stats.skilled_share is not None and stats.skilled_share < DEAD_SHARE and greedy_bot is not None
                and unchanged_without(stats, greedy_bot)):
            yield Problem(Severity.WARNING, "dead_action",
                          f"the strongest bot took '{stats.action}' in {stats.skilled_share:.0%} of its decisions, "
                          f"and forbidding it changes nothing ({stats.without_win_rate:.0%} vs "
                          f"{greedy_bot.win_rate:.0%} wins); "
                          "make it cheaper or its yield larger", at("actions", i))


@PLAYTEST_CHECKS.register(ACTIONS)
def skill_pays(m: PlaytestMeasures) -> Iterator[Problem]:
    skilled = [bot for bot in m.bots if bot.bot != "random"]
    if m.cooperative or m.players < 2 or not skilled:
        return
    best = skilled[-1]
    if edge(best.win_rate, m.fair) < MIN_SKILL_EDGE:
        yield Problem(Severity.WARNING, "weak_skill_gap",
                      f"the {best.bot} bot wins only {best.win_rate:.0%} of its games against random play "
                      f"(fair: {m.fair:.0%}); give choices consequences: costs and yields that differ",
                      at("actions"))


def cooperative_severity(bot: BotResult, m: PlaytestMeasures) -> Severity | None:
    """How broken a cooperative game is at this bot's skill (`COOP_BAND`): None in band; an error when
    the bot is skilled and no skilled team wins the band's low share (nobody can win), or the bot
    plays at random and still wins more than its high share (nobody can lose); else a warning."""
    low, high = COOP_BAND
    if low <= bot.win_rate <= high:
        return None
    skilled = bot.bot != "random"
    best_skilled = max((other.win_rate for other in m.bots if other.bot != "random"), default=None)
    hopeless = skilled and best_skilled is not None and best_skilled < low
    trivial = not skilled and bot.win_rate > high
    return Severity.ERROR if hopeless or trivial else Severity.WARNING


@PLAYTEST_CHECKS.register(FLOW)
def cooperative_play_is_balanced(m: PlaytestMeasures) -> Iterator[Problem]:
    low, high = COOP_BAND
    for bot in m.bots if m.cooperative else []:
        if (severity := cooperative_severity(bot, m)) is not None:
            verdict = "hopeless" if bot.win_rate < low else "trivial"
            yield Problem(severity, "cooperative_out_of_band",
                          f"a team of {bot.bot} bots wins {bot.win_rate:.0%} of games: the game is {verdict} at "
                          f"that skill (aim for {low:.0%}-{high:.0%}); tune the thresholds or the upkeep",
                          at("end_conditions"))


@PLAYTEST_CHECKS.register(FLOW)
def duration_matches_the_box(m: PlaytestMeasures) -> Iterator[Problem]:
    declared = m.declared_minutes
    if not declared.min <= m.estimated_minutes <= declared.max:
        yield Problem(Severity.WARNING, "play_time_mismatch",
                      f"an estimated {m.estimated_minutes:.0f} minutes ({m.decisions_per_player:.0f} decisions per "
                      f"player at {SECONDS_PER_DECISION} s) against the declared {declared.min}-{declared.max}; "
                      "change the rounds or thresholds, or the declared time", at("play_time_minutes"))


class MetricRow(BaseModel):
    """One line of the playtest table: what was measured, its value, and what a sound game shows."""

    metric: str
    value: str
    expected: str
    ok: bool | None = Field(None, description="None where the literature gives no band")


class PlaytestReport(BaseModel):
    """A design's playtest: the measured figures and the findings they raise."""

    measures: PlaytestMeasures
    findings: list[Finding]

    def table(self) -> list[MetricRow]:
        """The figures beside what is expected of them; a row whose check raised a finding is not ok
        (the checks are the one place the thresholds are applied)."""
        m = self.measures
        declared = m.declared_minutes
        raised = {f.code for f in self.findings}
        rows = [
            MetricRow(metric="completion", value=f"{m.completion:.0%}", expected=f">= {MIN_COMPLETION:.0%}",
                      ok="never_completes" not in raised),
            MetricRow(metric="rounds per game", value=f"{m.rounds:.1f}", expected="-"),
            MetricRow(metric="decisions per player", value=f"{m.decisions_per_player:.1f}", expected="-"),
            MetricRow(metric="estimated minutes", value=f"{m.estimated_minutes:.0f}",
                      expected=f"{declared.min}-{declared.max}", ok="play_time_mismatch" not in raised),
            MetricRow(metric="highest score", value=str(m.max_score), expected="> 0",
                      ok="unreachable_scoring" not in raised),
        ]
        if not m.cooperative:
            rows += [
                MetricRow(metric="win rate by seat", value=" / ".join(f"{rate:.0%}" for rate in m.seat_win_rates),
                          expected=f"first within {SEAT_BAND * 100:.0f} points of {m.fair:.0%}",
                          ok=not raised & {"first_seat_advantage", "first_seat_edge"}),
                *([MetricRow(metric="win rate by seat, greedy self-play",
                             value=" / ".join(f"{rate:.0%}" for rate in m.greedy_seat_win_rates),
                             expected=f"first within {SEAT_TOLERANCE * 100:.0f} points of {m.fair:.0%}",
                             ok="first_seat_advantage" not in raised)] if m.greedy_seat_win_rates else []),
                MetricRow(metric="draws", value=f"{m.draws:.0%}", expected=f"< {MAX_DRAWS:.0%}",
                          ok="drawish" not in raised),
                MetricRow(metric="lead changes per game", value=f"{m.lead_changes:.1f}", expected="-"),
                MetricRow(metric="winning margin", value=f"{m.margin:.1f} points", expected="-"),
            ]
        low, high = COOP_BAND
        skill_floor = m.fair + MIN_SKILL_EDGE * (1 - m.fair)
        for bot in m.bots:
            if m.cooperative:
                rows.append(MetricRow(metric=f"team win rate, {bot.bot}", value=f"{bot.win_rate:.0%}",
                                      expected=f"{low:.0%}-{high:.0%}", ok=low <= bot.win_rate <= high))
            elif bot.bot != "random":
                rows.append(MetricRow(metric=f"{bot.bot} vs random", value=f"{bot.win_rate:.0%} of {bot.games}",
                                      expected=f">= {skill_floor:.0%}", ok=bot.win_rate >= skill_floor))
        flagged = {(f.code, f.location.index) for f in self.findings if f.location.part == "actions"}
        for i, stats in enumerate(m.actions):
            share = "-" if stats.skilled_share is None else f"{stats.skilled_share:.0%} of strong play"
            only = "" if stats.only_win_rate is None else f", only it: {stats.only_win_rate:.0%} wins"
            codes = [code for code in ("noop_action", "dominant_action", "dead_action") if (code, i) in flagged]
            rows.append(MetricRow(metric=f"action {stats.action}", value=share + only,
                                  expected=", ".join(codes) or "used, not dominant", ok=not codes))
        return rows

    def rulebook_section(self) -> RulesSection:
        """The rulebook's "Playtested" section: the table's figures and the findings."""
        return playtested_section([(row.metric, row.value) for row in self.table()], games=self.measures.games,
                                  players=self.measures.players,
                                  findings=[f"{finding.severity}: {finding.message}" for finding in self.findings])


def playtest_report(games: PlaytestGames, *, action_ids: Sequence[str], cooperative: bool,
                    declared_minutes: MinutesRange) -> PlaytestReport:
    """Measure `games` and check the figures."""
    measures = measure(games, action_ids=action_ids, cooperative=cooperative, declared_minutes=declared_minutes)
    return PlaytestReport(measures=measures, findings=PLAYTEST_CHECKS.validate(measures))
