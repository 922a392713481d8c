"""Playtest metrics on hand-built game records: each metric's arithmetic, each finding's trigger and owner.

The records are built by hand (a private stand-in with the fields of `tools.games.simulator.GameRecord`),
so these tests need no simulator and no bots: they pin what the numbers mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from ontology.core import Severity
from ontology.game import MinutesRange
from ontology.game_rulebook import playtested_section, render_section
from ontology.game_validators import DraftStep, Role
from tools.games.chart import playtest_chart
from tools.games.playtest_metrics import (
    PLAYTEST_CHECKS,
    SECONDS_PER_DECISION,
    PlaytestGames,
    Seated,
    completion,
    decision_share,
    draw_rate,
    edge,
    lead_changes,
    margin,
    mean_scores_by_round,
    measure,
    noop_share,
    playtest_report,
    seat_win_rates,
    win_credit,
    win_rate,
)

ACTIONS = ("harvest", "trade")
DECLARED = MinutesRange(min=5, max=30)


@dataclass(frozen=True)
class Record:
    """The fields of a simulator `GameRecord` that the metrics read."""

    scores: tuple[int, ...]
    winners: tuple[int, ...]
    team_won: bool | None = None
    completed: bool = True
    rounds: int = 5
    decisions: tuple[int, ...] = (10, 10)
    actions: tuple[dict[str, int], ...] = ({"harvest": 5, "trade": 5}, {"harvest": 5, "trade": 5})
    noops: dict[str, int] = field(default_factory=dict)
    score_by_round: tuple[tuple[int, ...], ...] = ()
    ended_by: int | None = 0

    @property
    def seats(self) -> int:
        return len(self.scores)


def won_by(seat: int, **changes: object) -> Record:
    scores = (3, 1) if seat == 0 else (1, 3)
    return replace(Record(scores=scores, winners=(seat,), score_by_round=((0, 0), scores)), **changes)  # type: ignore[arg-type]


def seated_wins(wins: int, losses: int, **changes: object) -> list[Seated]:
    """The bot under test in seat 0 and 1 in turn, winning `wins` games and losing `losses`."""
    games = [Seated(won_by(i % 2, **changes), i % 2) for i in range(wins)]
    return games + [Seated(won_by(1 - i % 2, **changes), i % 2) for i in range(losses)]


def clean_games(**changes: object) -> PlaytestGames:
    """A sound two-player game: fair seats, a clear skill gap, every action used, none dominant."""
    games = {
        "self_play": [won_by(i % 2) for i in range(4)],
        "greedy": seated_wins(3, 1),
        "search": seated_wins(4, 1),
        "only": {action: seated_wins(0, 4) for action in ACTIONS},  # one action alone loses to greedy play
        "without": {action: seated_wins(1, 3) for action in ACTIONS},
    }
    return PlaytestGames(**{**games, **changes})  # type: ignore[arg-type]


def findings(games: PlaytestGames, *, cooperative: bool = False, declared: MinutesRange = DECLARED) -> dict[str, tuple]:
    report = playtest_report(games, action_ids=ACTIONS, cooperative=cooperative, declared_minutes=declared)
    return {f.code: (f.severity, f.owner, f.step, f.path) for f in report.findings}


# --- the arithmetic -------------------------------------------------------------------------------------------


def test_a_win_counts_one_a_draw_is_shared_and_a_team_wins_together() -> None:
    assert win_credit(won_by(0), 0) == 1 and win_credit(won_by(0), 1) == 0
    three_way = Record(scores=(2, 2, 2), winners=(0, 1, 2))
    assert win_credit(three_way, 1) == pytest.approx(1 / 3)
    assert win_credit(Record(scores=(1, 1), winners=(0, 1), team_won=True), 1) == 1
    assert win_credit(Record(scores=(1, 1), winners=(), team_won=False), 0) == 0


def test_seat_win_rates_add_up_to_one_with_draws() -> None:
    records = [won_by(0), won_by(0), won_by(1), Record(scores=(2, 2), winners=(0, 1))]
    assert seat_win_rates(records) == pytest.approx([2.5 / 4, 1.5 / 4])
    assert draw_rate(records) == 0.25


def test_completion_is_the_share_of_games_ended_before_the_cap() -> None:
    assert completion([won_by(0), won_by(1, completed=False), won_by(0), won_by(0)]) == 0.75


def test_lead_changes_count_new_sole_leaders_and_skip_ties() -> None:
    record = won_by(0, score_by_round=((1, 0), (1, 1), (1, 2), (3, 2), (3, 3), (4, 3)))
    assert lead_changes(record) == 2  # seat 0, tie, seat 1 (change), seat 0 (change), tie, seat 0 (same)
    assert lead_changes(won_by(0, score_by_round=((0, 0), (0, 0)))) == 0


def test_margin_is_the_winners_lead_over_the_runner_up() -> None:
    assert margin(Record(scores=(4, 9, 7), winners=(1,))) == 2
    assert margin(Record(scores=(5, 5), winners=(0, 1))) == 0


def test_scores_over_rounds_keep_a_finished_games_final_score() -> None:
    short = won_by(0, scores=(2, 0), score_by_round=((2, 0),))
    long = won_by(1, scores=(1, 4), score_by_round=((0, 2), (1, 4)))
    assert mean_scores_by_round([short, long]) == [[1.0, 1.0], [1.5, 2.0]]


def test_decision_share_reads_the_seat_of_the_bot_under_test() -> None:
    game = won_by(0, decisions=(10, 4), actions=({"harvest": 1, "trade": 9}, {"harvest": 4}))
    assert decision_share([Seated(game, 0)], "harvest") == 0.1
    assert decision_share([Seated(game, 1)], "harvest") == 1.0


def test_noop_share_is_over_the_times_taken() -> None:
    records = [won_by(0, noops={"trade": 4}), won_by(1, noops={"trade": 6})]
    assert noop_share(records, "trade") == 0.5  # 10 of the 20 times taken
    assert noop_share(records, "build") is None


def test_edge_measures_the_way_from_fair_to_always_winning() -> None:
    assert edge(0.8, 0.5) == pytest.approx(0.6)
    assert edge(0.5, 0.5) == 0
    assert edge(0.5, 1 / 3) == pytest.approx(0.25)
    assert win_rate(seated_wins(3, 1)) == 0.75


def test_measure_estimates_the_play_time_from_the_decisions() -> None:
    m = measure(clean_games(), action_ids=ACTIONS, cooperative=False, declared_minutes=DECLARED)
    assert m.estimated_minutes == 20 * SECONDS_PER_DECISION / 60
    assert m.decisions_per_player == 10
    assert m.fair == 0.5 and m.seat_win_rates == [0.5, 0.5]
    assert [(bot.bot, bot.games, bot.win_rate) for bot in m.bots] == [
        ("random", 4, 0.5), ("greedy", 4, 0.75), ("search", 5, 0.8)]
    assert m.actions[0].skilled_share == 0.5  # the search bot's decisions


# --- the findings ---------------------------------------------------------------------------------------------


def test_every_check_is_registered() -> None:
    assert len(PLAYTEST_CHECKS.names) == 10


def test_a_sound_game_has_no_findings() -> None:
    assert findings(clean_games()) == {}


FLOW = (Role.MECHANICS, DraftStep.FLOW)
ACTS = (Role.MECHANICS, DraftStep.ACTIONS)

CASES = [
    ("most games hit the round cap",
     {"self_play": [won_by(0), won_by(1, completed=False), won_by(0, completed=False), won_by(1, completed=False)]},
     "never_completes", Severity.ERROR, FLOW, "end_conditions"),
    ("no one ever scores",
     {"self_play": [Record(scores=(0, 0), winners=(0, 1))] * 4, "greedy": [], "search": [], "only": {},
      "without": {}},
     "unreachable_scoring", Severity.ERROR, FLOW, "victory.scoring"),
    ("every game is a draw though players score",
     {"self_play": [Record(scores=(3, 3), winners=(0, 1))] * 4},
     "drawish", Severity.ERROR, FLOW, "victory.scoring"),
    ("trade changes nothing, every time",
     {"self_play": [won_by(i % 2, noops={"trade": 5 + 5}) for i in range(4)]},
     "noop_action", Severity.ERROR, ACTS, "actions[1]"),
    ("only harvesting still wins 40% against greedy players (0.8 of the fair 50%)",
     {"only": {"harvest": seated_wins(2, 3), "trade": seated_wins(0, 4)}},
     "dominant_action", Severity.ERROR, ACTS, "actions[0]"),
    ("the first seat wins 80% of random games",
     {"self_play": [won_by(0), won_by(0), won_by(0), won_by(0), won_by(1)]},
     "first_seat_advantage", Severity.ERROR, FLOW, "turn_structure"),
    ("search never trades and forbidding trade changes nothing",
     {"search": seated_wins(4, 1, actions=({"harvest": 10}, {"harvest": 10})),
      "without": {"harvest": seated_wins(1, 3), "trade": seated_wins(3, 1)}},
     "dead_action", Severity.WARNING, ACTS, "actions[1]"),
    ("search wins only 60%",
     {"search": seated_wins(3, 2)},
     "weak_skill_gap", Severity.WARNING, ACTS, "actions"),
]


@pytest.mark.parametrize(("case", "games", "code", "severity", "owner", "path"), CASES, ids=[c[0] for c in CASES])
def test_each_finding_is_triggered_and_owned(case: str, games: dict, code: str, severity: Severity,
                                             owner: tuple[Role, DraftStep], path: str) -> None:
    found = findings(clean_games(**games))
    assert code in found, case
    assert found[code] == (severity, *owner, path)


def test_a_dead_action_needs_both_signs() -> None:
    rarely = {"search": seated_wins(4, 1, actions=({"harvest": 10}, {"harvest": 10})),
              "greedy": seated_wins(15, 5), "without": {action: seated_wins(5, 15) for action in ACTIONS}}
    assert "dead_action" not in findings(clean_games(**rarely))  # forbidding trade costs wins: 75% -> 25% of 20
    useful = {"without": {"harvest": seated_wins(1, 3), "trade": seated_wins(3, 1)}}
    assert "dead_action" not in findings(clean_games(**useful))  # search trades half the time


def test_a_drop_within_sampling_noise_is_no_change() -> None:
    never = seated_wins(4, 1, actions=({"harvest": 10}, {"harvest": 10}))
    few = {"search": never, "greedy": seated_wins(3, 1), "without": {"harvest": seated_wins(3, 1),
                                                                     "trade": seated_wins(2, 2)}}
    assert "dead_action" in findings(clean_games(**few))  # 75% -> 50% of 4 games: chance can do that
    many = {"search": never, "greedy": seated_wins(30, 10), "without": {"harvest": seated_wins(30, 10),
                                                                        "trade": seated_wins(20, 20)}}
    assert "dead_action" not in findings(clean_games(**many))  # 75% -> 50% of 40 games: a real loss


def test_greedy_self_play_shows_a_first_seat_edge_random_play_hides() -> None:
    fair_random = [won_by(i % 2) for i in range(4)]
    seats = {"self_play": fair_random, "greedy_self_play": [won_by(0)] * 4}
    assert "first_seat_advantage" in findings(clean_games(**seats))
    assert "first_seat_advantage" not in findings(clean_games(self_play=fair_random, greedy_self_play=fair_random))


def test_a_game_that_never_ends_is_not_judged_on_its_seats() -> None:
    endless = [won_by(0, completed=False)] * 4
    assert "first_seat_advantage" not in findings(clean_games(self_play=endless))


def test_the_first_seat_may_stray_up_to_the_tolerance_with_a_warning_beyond_the_band() -> None:
    seats = {"self_play": [won_by(0), won_by(0), won_by(0), won_by(1)]}  # 75%: 25 points from fair
    found = findings(clean_games(**seats))
    assert "first_seat_advantage" not in found and found["first_seat_edge"][:3] == (Severity.WARNING, *FLOW)
    near = {"self_play": [won_by(0)] * 11 + [won_by(1)] * 9}  # 55%: within 10 points
    assert "first_seat_edge" not in findings(clean_games(**near))


def test_play_time_outside_the_declared_range_is_a_warning() -> None:
    found = findings(clean_games(), declared=MinutesRange(min=45, max=60))  # estimated 10 minutes
    assert found["play_time_mismatch"] == (Severity.WARNING, *FLOW, "play_time_minutes")


def coop(team_won: bool, **changes: object) -> Record:
    return replace(Record(scores=(2, 2), winners=(0, 1) if team_won else (), team_won=team_won,
                          score_by_round=((1, 1), (2, 2))), **changes)  # type: ignore[arg-type]


def test_a_cooperative_game_is_measured_by_team_and_kept_in_band() -> None:
    hopeless = [coop(False)] * 19 + [coop(True)]  # the random team wins 5%
    games = PlaytestGames(self_play=hopeless, greedy=[Seated(coop(i < 2), i % 2) for i in range(4)],
                          search=[Seated(coop(i < 4), i % 2) for i in range(4)])
    report = playtest_report(games, action_ids=ACTIONS, cooperative=True, declared_minutes=DECLARED)
    assert report.measures.fair == 0.05
    band = [f for f in report.findings if f.code == "cooperative_out_of_band"]
    assert [(f.severity, f.owner, f.step) for f in band] == [(Severity.WARNING, *FLOW)] * 2
    assert "random" in band[0].message and "hopeless" in band[0].message  # random 5%; greedy 50% is in band
    assert "search" in band[1].message and "trivial" in band[1].message  # search 100%
    assert {f.code for f in report.findings} == {"cooperative_out_of_band"}  # no seats, no skill gap


@pytest.mark.parametrize("random_wins,greedy_wins,search_wins,errors", [
    (0, 0, 0, ["greedy", "search"]),  # no skilled team can win: broken; random losing alone is only a warning
    (0, 0, 1, []),  # the search team wins 1 in 4: hard, not broken; greedy and random teams are warned about
    (19, 4, 4, ["random"]),  # even random teams win 95%: nobody can lose; skilled teams winning is a warning
    (17, 4, 4, []),  # random teams win 85%: in band; the skilled teams' 100% is a warning
])
def test_a_cooperative_game_no_skilled_team_wins_or_no_team_loses_is_an_error(
        random_wins: int, greedy_wins: int, search_wins: int, errors: list[str]) -> None:
    games = PlaytestGames(self_play=[coop(i < random_wins) for i in range(20)],
                          greedy=[Seated(coop(i < greedy_wins), i % 2) for i in range(4)],
                          search=[Seated(coop(i < search_wins), i % 2) for i in range(4)])
    report = playtest_report(games, action_ids=ACTIONS, cooperative=True, declared_minutes=DECLARED)
    band = [f for f in report.findings if f.code == "cooperative_out_of_band"]
    assert [f.message.split()[3] for f in band if f.severity is Severity.ERROR] == errors
    assert all(f.severity is Severity.WARNING for f in band if f.message.split()[3] not in errors)
    assert band, "every case has a team out of band"


# --- the report, the rulebook and the chart ------------------------------------------------------------------


def test_the_table_flags_what_the_findings_flag() -> None:
    report = playtest_report(clean_games(only={"harvest": seated_wins(4, 1)}), action_ids=ACTIONS,
                             cooperative=False, declared_minutes=DECLARED)
    rows = {row.metric: row for row in report.table()}
    assert rows["action harvest"].ok is False and "dominant_action" in rows["action harvest"].expected
    assert rows["action trade"].ok is True
    assert rows["win rate by seat"].value == "50% / 50%"
    assert rows["search vs random"].value == "80% of 5" and rows["search vs random"].ok is True


def test_the_rulebook_section_states_the_figures_and_findings() -> None:
    report = playtest_report(clean_games(only={"harvest": seated_wins(4, 1)}), action_ids=ACTIONS,
                             cooperative=False, declared_minutes=DECLARED)
    text = render_section(report.rulebook_section())
    assert text.startswith("## Playtested\n\nMeasured over 4 simulated games with 2 players")
    assert "| estimated minutes | 10 |" in text
    assert "- error: a player who takes only 'harvest' wins 80%" in text


def test_a_section_without_findings_lists_only_figures() -> None:
    text = playtested_section([("completion", "100%")], games=10, players=3).text
    assert text.endswith("| completion | 100% |") and "findings" not in text


@pytest.mark.parametrize("cooperative", [False, True])
def test_the_chart_is_a_png(cooperative: bool) -> None:
    games = clean_games() if not cooperative else PlaytestGames(self_play=[coop(True), coop(False)])
    report = playtest_report(games, action_ids=ACTIONS, cooperative=cooperative, declared_minutes=DECLARED)
    png = playtest_chart(report, title="Test")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
