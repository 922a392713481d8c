"""Playtests of the hand-written calibration games and their deliberately broken variants.

    python bench/game_calibration.py                # every good game and every broken variant
    python bench/game_calibration.py --games 200    # more random self-play games per design

For each design: the bots' win rates (random self-play is fair by definition; greedy and search
against random players, or as the whole team of a cooperative game), seat win rates, draws,
completion, estimated minutes, the error-level findings and, for a broken variant, the metric that
must catch it. A good game should have no error and a clear skill gap; a broken variant should be
caught by its metric.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from ontology.core import Severity
from ontology.game import GameDesign
from retrieval.calibration import broken_variants, load_calibration_games
from tools.games.playtest import PlaytestBudget, playtest

BUDGET = PlaytestBudget(greedy_games=60, search_games=8, search_playouts=6, restricted_games=20)


def row(name: str, design: GameDesign, games: int, seed: int, wanted: str = "") -> list[str]:
    started = time.perf_counter()
    report = playtest(design, games=games, seed=seed, budget=BUDGET)
    m = report.measures
    bots = " / ".join(f"{bot.bot} {bot.win_rate:.0%}" for bot in m.bots)
    codes = sorted({f.code for f in report.findings if f.severity is Severity.ERROR})
    caught = "" if not wanted else ("caught" if wanted in {f.code for f in report.findings} else "MISSED")
    return [name, str(m.players), bots, " / ".join(f"{rate:.0%}" for rate in m.seat_win_rates)
            + ("" if m.greedy_seat_win_rates is None else
               " (greedy " + " / ".join(f"{rate:.0%}" for rate in m.greedy_seat_win_rates) + ")"), f"{m.draws:.0%}",
            f"{m.completion:.0%}", f"{m.estimated_minutes:.0f} ({m.declared_minutes.min}-{m.declared_minutes.max})",
            ", ".join(codes) or "-", f"{wanted} {caught}".strip(), f"{time.perf_counter() - started:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=120, help="random self-play games per design")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    table = Table(title=f"Calibration playtests ({args.games} self-play games each, seed {args.seed})")
    for column in ("design", "players", "win rate by bot", "by seat: random (greedy) self-play", "draws", "completed",
                   "minutes (box)",
                   "errors", "must catch", "s"):
        table.add_column(column)
    for name, design in load_calibration_games().items():
        table.add_row(*row(name, design, args.games, args.seed))
    for name, (design, metric) in broken_variants().items():
        table.add_row(*row(name, design, args.games, args.seed, metric))
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
