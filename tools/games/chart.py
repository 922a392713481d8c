"""The playtest on one picture: mean score over rounds per seat, and win rates by seat and by bot.

Drawn on a bare `Figure` with the Agg canvas (no pyplot: no global state, no display needed), and
returned as PNG bytes so the pipeline writes it with the other files of a run, whole or not at all.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tools.games.playtest_metrics import PlaytestReport


def playtest_chart(report: PlaytestReport, *, title: str = "") -> bytes:
    """A PNG: left, each seat's mean score after each round of random self-play; right, the win
    rate of each seat (competitive) and of each bot, with the fair rate as a dashed line."""
    m = report.measures
    figure = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(figure)
    scores, rates = figure.subplots(1, 2)
    rounds = range(1, len(m.score_by_round) + 1)
    for seat in range(m.players):
        scores.plot(rounds, [row[seat] for row in m.score_by_round], label=f"seat {seat + 1}")
    scores.set(title="Score over rounds (random self-play)", xlabel="round", ylabel="mean score")
    scores.legend(loc="upper left")
    seats = [] if m.cooperative else [(f"seat {seat + 1}", rate, "tab:blue")
                                      for seat, rate in enumerate(m.seat_win_rates)]
    bots = [(f"{bot.bot} {'team' if m.cooperative else 'vs random'}", bot.win_rate, "tab:orange")
            for bot in m.bots if m.cooperative or bot.bot != "random"]
    labels, values, colours = zip(*seats, *bots, strict=True)
    rates.bar(labels, values, color=colours)
    rates.axhline(m.fair, linestyle="--", color="grey", label=f"fair {m.fair:.0%}")
    rates.set(title="Win rate by seat and by bot", ylim=(0, 1), ylabel="win rate")
    rates.tick_params(axis="x", labelrotation=30)
    rates.legend(loc="upper right")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
