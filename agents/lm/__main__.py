"""Smoke run of the LM layer: one typed, schema-constrained call, with its accounting.

    python -m agents.lm "bioluminescent fungi"
    python -m agents.lm "lighthouses" --model openai/gpt-4o-mini
    GO_MODEL=ollama_chat/llama3.1 python -m agents.lm "tea ceremony"
"""

from __future__ import annotations

import argparse
import logging
import sys

import dspy
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from agents.lm.errors import ModelError
from agents.lm.factory import build_lm
from agents.lm.structured import StructuredPredict
from agents.lm.usage import TokenBudget, UsageLedger, attributed_to
from tools.cli import print_error
from tools.settings import Settings


class GamePitch(BaseModel):
    title: str = Field(max_length=60)
    tagline: str = Field(max_length=140)
    min_players: int = Field(ge=1, le=8)
    max_players: int = Field(ge=1, le=8)
    core_loop: str = Field(max_length=300, description="what a player does on a turn")


# mypy cannot see that dspy's SignatureMeta derives from pydantic's metaclass (`type(BaseModel)`).
class PitchGame(dspy.Signature):  # type: ignore[metaclass]
    """Pitch an original tabletop game for the theme: a title, a tagline, player count and core loop."""

    theme: str = dspy.InputField()
    pitch: GamePitch = dspy.OutputField()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.lm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("theme")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--token-budget", type=int, help="completion tokens this run may spend")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    console = Console()
    try:
        if not args.theme.strip():
            raise ValueError("The theme is empty; give a few words, e.g. 'bioluminescent fungi'.")
        settings = Settings.from_env(model=args.model)
        ledger = UsageLedger(TokenBudget(completion_tokens=args.token_budget))
        with console.status(f"Loading {settings.model}..."):
            lm = build_lm(settings, ledger=ledger, seed=args.seed)
        with console.status("Pitching..."), dspy.context(lm=lm), attributed_to("pitch"):
            pitch = StructuredPredict(PitchGame)(theme=args.theme).pitch
    except (ModelError, ValueError) as exc:
        print_error(console, str(exc))
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        return 130
    console.print_json(pitch.model_dump_json())
    table = Table(title="Model calls")
    for column in ("agent", "model", "prompt tok", "completion tok", "seconds"):
        table.add_column(column)
    for record in ledger.records:
        table.add_row(record.agent, record.model, str(record.prompt_tokens), str(record.completion_tokens),
                      f"{record.wall_s:.1f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
