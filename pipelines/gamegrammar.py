"""GameGrammar: a theme in, a complete, validated tabletop game design out.

    python -m pipelines.gamegrammar "bioluminescent fungi competing in a cave ecosystem"
    python -m pipelines.gamegrammar --theme-file theme.txt --players 3 --out designs/fungi
    python -m pipelines.gamegrammar "tea ceremony" --model openai/gpt-4o-mini
    python -m pipelines.gamegrammar validate designs/fungi/design.json

Writes `design.json` (the ontology instance), `rulebook.md` and `report.json` (findings,
repairs, tokens and time per agent) into --out. Files are written whole or not at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import dspy
from pydantic import BaseModel, Field, ValidationError
from rich.console import Console
from rich.table import Table

from agents.lm.errors import ModelError
from agents.lm.factory import build_lm
from agents.lm.usage import TokenBudget, UsageLedger
from ontology.core import Finding, Severity, errors
from ontology.game import GameDesign
from ontology.game_rulebook import render_rulebook
from ontology.game_validators import validate_design
from pipelines.gamegrammar_graph import GameGrammarConfig, build_graph
from retrieval.exemplars import ExemplarGame
from retrieval.store import ExemplarStore, RetrievalConstraints
from tools.files import write_atomically
from tools.settings import Settings

MAX_THEME_CHARS = 10_000


class InvalidThemeError(ValueError):
    """The theme cannot be designed from; the message says why."""


def clean_theme(theme: str) -> str:
    """The theme with whitespace normalised, or an `InvalidThemeError` a user can act on."""
    if not isinstance(theme, str):
        raise InvalidThemeError("The theme must be text.")
    if len(theme) > MAX_THEME_CHARS:
        raise InvalidThemeError(
            f"The theme is {len(theme):,} characters; keep it under {MAX_THEME_CHARS:,} (a sentence or two works best)."
        )
    if "\x00" in theme or sum(not (ch.isprintable() or ch.isspace()) for ch in theme) > len(theme) // 10:
        raise InvalidThemeError("The theme does not look like text (binary or control characters).")
    cleaned = " ".join(theme.split())
    if not cleaned:
        raise InvalidThemeError("The theme is empty; describe the game's world in a few words.")
    return cleaned


class RunReport(BaseModel):
    status: str
    theme: str
    model: str
    seed: int
    exemplars: list[str]
    findings: list[Finding]
    repairs: list[dict[str, Any]]
    critique: dict[str, Any] | None
    stale_critique: list[dict[str, Any]] = Field(
        default_factory=list, description="critique issues dropped as repeats of findings already fixed"
    )
    verdict: dict[str, Any] | None
    agents: dict[str, dict[str, float]]
    totals: dict[str, float]
    wall_s: float


def design_game(
    theme: str,
    *,
    settings: Settings,
    players: int | None = None,
    constraints: str = "",
    seed: int = 0,
    token_budget: int | None = None,
    store: ExemplarStore | None = None,
    config: GameGrammarConfig | None = None,
    progress=None,
) -> tuple[GameDesign | None, RunReport]:
    """Run the pipeline; returns the design (None if no complete draft was reached) and the report."""
    theme = clean_theme(theme)
    started = time.perf_counter()
    ledger = UsageLedger(TokenBudget(completion_tokens=token_budget))
    lm = build_lm(settings, ledger=ledger, seed=seed)
    store = store or ExemplarStore(path=settings.cache_dir / "chroma")

    def search(query: str, filters: RetrievalConstraints, k: int) -> list[ExemplarGame]:
        return store.search(query, k=k, constraints=filters)

    wanted = [f"the player range must include {players} players" if players else "", constraints.strip()]
    state = {
        "theme": theme,
        "constraints": "; ".join(part for part in wanted if part) or "none",
        "retrieval": RetrievalConstraints(players=players),
    }
    graph = build_graph(search, config, progress)
    with dspy.context(lm=lm):
        final = graph.invoke(state, {"recursion_limit": 60})
    design: GameDesign | None = final.get("design")
    findings: list[Finding] = final.get("findings", []) if design else []
    if final.get("failure"):
        status = f"incomplete: {final['failure']}"
    elif errors(findings):
        status = "finished with unresolved errors"
    else:
        status = "complete"
    totals = ledger.totals()
    report = RunReport(
        status=status,
        theme=theme,
        model=lm.model,
        seed=seed,
        exemplars=[game.name for game in final.get("exemplars", [])],
        findings=findings,
        repairs=[repair.model_dump(mode="json") for repair in final.get("repairs", [])],
        critique=final["critique"].model_dump() if final.get("critique") else None,
        stale_critique=[issue.model_dump() for issue in final.get("stale_issues", [])],
        verdict=final["verdict"].model_dump() if final.get("verdict") else None,
        agents={agent: usage.model_dump() for agent, usage in ledger.by_agent().items()},
        totals=totals.model_dump(),
        wall_s=round(time.perf_counter() - started, 1),
    )
    return design, report


def _print_findings(console: Console, findings: list[Finding]) -> None:
    colour = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
    for finding in findings:
        console.print(f"[{colour[finding.severity]}]{finding.severity}[/] {finding.path}: {finding.message} "
                      f"[dim]({finding.owner})[/]")


def validate_command(path: str, console: Console) -> int:
    try:
        design = GameDesign.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        console.print(f"[red]error:[/red] cannot read {path}: {exc}")
        return 2
    except ValidationError as exc:
        console.print(f"[red]error:[/red] {path} is not a valid game design:\n{exc}")
        return 1
    findings = validate_design(design)
    _print_findings(console, findings)
    console.print(f"{len(errors(findings))} errors, {len(findings) - len(errors(findings))} other findings")
    return 1 if errors(findings) else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    console = Console(stderr=True)
    if argv[:1] == ["validate"]:
        if len(argv) != 2:
            console.print("usage: python -m pipelines.gamegrammar validate DESIGN.json")
            return 2
        return validate_command(argv[1], console)
    parser = argparse.ArgumentParser(prog="python -m pipelines.gamegrammar", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("theme", nargs="?", help="the game's theme")
    parser.add_argument("--theme-file", type=Path, help="read the theme from a text file")
    parser.add_argument("--players", type=int, help="the design must support this many players")
    parser.add_argument("--constraints", default="", help="free-text requirements, e.g. 'cooperative, under 30 min'")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--token-budget", type=int, default=12000, help="completion tokens the run may spend")
    parser.add_argument("--out", type=Path, default=Path("out/gamegrammar"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        if args.theme_file:
            try:
                theme = args.theme_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidThemeError(f"Cannot read the theme file {args.theme_file}: {exc}") from exc
        elif args.theme is not None:
            theme = args.theme
        else:
            raise InvalidThemeError("Give a theme, e.g. python -m pipelines.gamegrammar \"bioluminescent fungi\".")
        if args.players is not None and not 1 <= args.players <= 12:
            raise InvalidThemeError("--players must be between 1 and 12.")
        clean_theme(theme)
        settings = Settings.from_env(model=args.model)
        with console.status("Starting...") as status:
            design, report = design_game(
                theme, settings=settings, players=args.players, constraints=args.constraints,
                seed=args.seed, token_budget=args.token_budget, progress=lambda message: status.update(message),
            )
    except (InvalidThemeError, ModelError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; nothing was written[/yellow]")
        return 130
    files = {"report.json": report.model_dump_json(indent=2)}
    if design is not None:
        files["design.json"] = design.model_dump_json(indent=2)
        files["rulebook.md"] = render_rulebook(design)
    write_atomically(args.out, files)
    _print_findings(console, report.findings)
    table = Table(title=f"{report.status} in {report.wall_s:.0f} s — {args.out}")
    for column in ("agent", "calls", "prompt tok", "completion tok", "seconds"):
        table.add_column(column)
    for agent, usage in report.agents.items():
        table.add_row(agent, str(int(usage["calls"])), str(int(usage["prompt_tokens"])),
                      str(int(usage["completion_tokens"])), f"{usage['wall_s']:.1f}")
    console.print(table)
    if report.verdict:
        console.print("Fun Judge: " + json.dumps(report.verdict))
    return 0 if report.status == "complete" else 1


if __name__ == "__main__":
    sys.exit(main())
