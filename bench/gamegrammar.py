"""GameGrammar over a list of themes: time, tokens, validity and repairs per design.

    python bench/gamegrammar.py                          # the default embedded model, 10 themes
    python bench/gamegrammar.py --model embedded:qwen2.5-coder-0.5b --out out/bench-0.5b

Each design is written to --out/<n>/ exactly as the CLI writes it. A design is schema-valid when
a complete `GameDesign` was assembled, and semantically valid when no error-level finding is
left after the repairs.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ontology.core import errors
from pipelines.gamegrammar import design_game, write_run
from retrieval.store import ExemplarStore
from tools.files import write_atomically
from tools.settings import Settings

THEMES = [
    "bioluminescent fungi competing in a cave ecosystem",
    "lighthouse keepers guiding ships through a storm",
    "rival tea merchants on the Silk Road",
    "beekeepers racing to pollinate a spring orchard",
    "deep-sea salvage divers exploring a sunken liner",
    "monks illuminating manuscripts in a medieval scriptorium",
    "street food vendors competing at a night market",
    "a crew of astronauts repairing a failing space station",
    "foxes and hens in a farmyard at night",
    "cartographers mapping an unexplored archipelago",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--themes", type=int, default=len(THEMES), help="how many of the themes to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/bench-gamegrammar"))
    args = parser.parse_args()
    settings = Settings.from_env(model=args.model)
    store = ExemplarStore(path=settings.cache_dir / "chroma")
    console = Console()
    table = Table(title=f"GameGrammar, {settings.model}")
    for column in ("#", "theme", "status", "s", "gen tok", "prompt tok", "calls", "repairs", "errors", "fun"):
        table.add_column(column)
    rows = []
    for index, theme in enumerate(THEMES[: args.themes], start=1):
        with console.status(f"{index}: {theme}") as status:
            design, report = design_game(theme, settings=settings, seed=args.seed, store=store,
                                         progress=lambda message, n=index: status.update(f"{n}: {message}"))
        write_run(args.out / str(index), design, report)
        row = {
            "schema_valid": design is not None,
            "semantic_valid": design is not None and not errors(report.findings),
            "wall_s": report.wall_s,
            "completion_tokens": report.totals["completion_tokens"],
            "prompt_tokens": report.totals["prompt_tokens"],
            "calls": report.totals["calls"],
            "repairs": len(report.repairs),
            "errors": len(errors(report.findings)),
            "fun": report.verdict["fun"] if report.verdict else None,
        }
        rows.append(row)
        table.add_row(
            str(index), theme[:34], report.status[:24], f"{row['wall_s']:.0f}", f"{row['completion_tokens']:.0f}",
            f"{row['prompt_tokens']:.0f}", f"{row['calls']:.0f}", str(row["repairs"]), str(row["errors"]),
            str(row["fun"]),
        )
    console.print(table)
    summary = {
        "designs": len(rows),
        "schema_valid_rate": sum(r["schema_valid"] for r in rows) / len(rows),
        "semantic_valid_rate": sum(r["semantic_valid"] for r in rows) / len(rows),
        "median_wall_s": statistics.median(r["wall_s"] for r in rows),
        "median_completion_tokens": statistics.median(r["completion_tokens"] for r in rows),
        "mean_repairs": statistics.mean(r["repairs"] for r in rows),
    }
    console.print_json(json.dumps(summary))
    write_atomically(args.out, {"summary.json": json.dumps({"summary": summary, "runs": rows}, indent=2)})


if __name__ == "__main__":
    main()
