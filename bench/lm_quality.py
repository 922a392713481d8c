"""Structured-output quality of the embedded models on tasks with known answers.

    python bench/lm_quality.py --models embedded:qwen2.5-coder-0.5b embedded:qwen2.5-coder-1.5b

Each task is a short description of a game written for this benchmark; the model fills a typed
record through `StructuredPredict` (the same path the agents use) at temperature 0, and every
field is scored against the answer. Decoding is schema-constrained, so the score measures
understanding, not JSON syntax.
"""

from __future__ import annotations

import argparse
import time
from typing import Literal

import dspy
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from agents.lm.factory import build_lm
from agents.lm.structured import StructuredPredict
from tools.settings import Settings

Mechanism = Literal[
    "worker placement", "deck building", "area control", "set collection", "tile placement",
    "drafting", "push your luck", "auction", "cooperative", "hidden roles", "dice rolling", "trick taking",
]


class Facts(BaseModel):
    min_players: int = Field(ge=1, le=10)
    max_players: int = Field(ge=1, le=10)
    cooperative: bool
    mechanisms: list[Mechanism] = Field(max_length=3, description="the main mechanisms named or described")
    ends_when: str = Field(max_length=80, description="the end condition, in a few words")


class ExtractFacts(dspy.Signature):
    """Read the game description and record its facts exactly as stated."""

    description: str = dspy.InputField()
    facts: Facts = dspy.OutputField()


TASKS: list[tuple[str, dict[str, object]]] = [
    ("Two to four players send their workers to the harbour, the market and the guild hall to gather "
     "goods. The game ends after the eighth round.",
     dict(min_players=2, max_players=4, cooperative=False, mechanisms={"worker placement"}, end="round")),
    ("All players win or lose together against the spreading fire; one to five firefighters roll dice "
     "each turn to see where the flames spread. The game ends when the building collapses.",
     dict(min_players=1, max_players=5, cooperative=True, mechanisms={"cooperative", "dice rolling"}, end="collapse")),
    ("Each of the 3 to 6 players secretly gets a role: loyal knight or traitor. Nobody knows who is who. "
     "The game ends when three quests have failed or succeeded.",
     dict(min_players=3, max_players=6, cooperative=False, mechanisms={"hidden roles"}, end="quests")),
    ("Players bid coins for paintings; the highest bid wins each painting. For 3 to 5 players. After the "
     "fourth season the richest player wins.",
     dict(min_players=3, max_players=5, cooperative=False, mechanisms={"auction"}, end="season")),
    ("Starting with ten weak cards, two to four players buy stronger cards into their own decks. The game "
     "ends when the province pile is empty.",
     dict(min_players=2, max_players=4, cooperative=False, mechanisms={"deck building"}, end="empty")),
    ("Players take turns placing square landscape tiles to build roads and cities, then claim them with "
     "followers. Two to five players. It ends when the last tile is placed.",
     dict(min_players=2, max_players=5, cooperative=False, mechanisms={"tile placement"}, end="tile")),
    ("A solo or two-player game: keep flipping cards from the deck for treasure, but stop before a "
     "second monster appears or you lose everything this turn. Ends after ten turns.",
     dict(min_players=1, max_players=2, cooperative=False, mechanisms={"push your luck"}, end="turn")),
    ("Four players pick one card from their hand and pass the rest to the left, collecting sets of "
     "sushi for points. The game ends after three rounds.",
     dict(min_players=4, max_players=4, cooperative=False, mechanisms={"drafting", "set collection"}, end="round")),
]


def score(facts: Facts, answer: dict[str, object]) -> float:
    checks = [
        facts.min_players == answer["min_players"],
        facts.max_players == answer["max_players"],
        facts.cooperative == answer["cooperative"],
        bool(set(facts.mechanisms) & answer["mechanisms"]),  # type: ignore[operator]
        str(answer["end"]) in facts.ends_when.lower(),
    ]
    return sum(checks) / len(checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["embedded"])
    args = parser.parse_args()
    table = Table(title=f"Structured extraction, {len(TASKS)} tasks x 5 fields, temperature 0")
    for column in ("model", "field accuracy", "valid outputs", "s / task", "completion tok / task"):
        table.add_column(column)
    for spec in args.models:
        lm = build_lm(Settings(model=spec, temperature=0.0, max_tokens=200, context_tokens=4096))
        predict = StructuredPredict(ExtractFacts, max_reasks=0)
        scores: list[float] = []
        started = time.perf_counter()
        with dspy.context(lm=lm):
            for description, answer in TASKS:
                scores.append(score(predict(description=description).facts, answer))
        elapsed = time.perf_counter() - started
        totals = lm.ledger.totals()
        table.add_row(
            spec,
            f"{100 * sum(scores) / len(scores):.0f}%",
            f"{len(scores)}/{len(TASKS)}",
            f"{elapsed / len(TASKS):.1f}",
            f"{totals.completion_tokens / len(TASKS):.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
