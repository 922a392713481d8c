"""GameGrammar over a list of themes: time, tokens, validity and repairs per design.

    python bench/gamegrammar.py                          # the default embedded model, 10 themes
    python bench/gamegrammar.py --model embedded:qwen2.5-coder-0.5b --out out/bench-0.5b

Each design is written to --out/<n>/ exactly as the CLI writes it. A design is schema-valid when
a complete `GameDesign` was assembled, semantically valid when no validator error is left after the
repairs, and playtest-clean when its playtest (of the tuned numbers) has no error-level finding.
Themed-name share: the share of resource, action and component names with no `generic_name` finding.
Engine nouns: for a re-themed engine, the names that reuse a word (4+ letters) of the engine's own part
names that the theme does not use (Wood in a game about fungi).

    python bench/gamegrammar.py --invent-rules         # the free mode: the agents write the rules too
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ontology.core import errors
from ontology.game_reskin import engine_nouns
from ontology.game_validators import validate_design
from pipelines.gamegrammar import design_game, write_run
from pipelines.gamegrammar_graph import GameGrammarConfig
from retrieval.calibration import load_calibration_games
from retrieval.store import ExemplarStore
from tools.files import write_atomically
from tools.games.playtest import playtest
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


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--themes", type=int, default=len(THEMES), help="how many of the themes to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/bench-gamegrammar"))
    parser.add_argument("--invent-rules", action="store_true", help="the free mode, no proven engine")
    args = parser.parse_args()
    config = GameGrammarConfig(proven_engines=not args.invent_rules)
    engines = load_calibration_games()
    settings = Settings.from_env(model=args.model)
    store = ExemplarStore(path=settings.cache_dir / "chroma")
    console = Console(width=220)
    table = Table(title=f"GameGrammar, {settings.model}")
    for column in ("#", "theme", "engine", "status", "s", "gen tok", "calls", "repairs", "validator errors",
                   "playtest errors", "search vs random", "first seat", "minutes (box)", "themed", "engine nouns",
                   "tuned", "fun"):
        table.add_column(column)
    rows = []
    for index, theme in enumerate(THEMES[: args.themes], start=1):
        with console.status(f"{index}: {theme}") as status:
            design, report = design_game(theme, settings=settings, seed=args.seed, store=store, config=config,
                                         progress=lambda message, n=index: status.update(f"{n}: {message}"))
        write_run(args.out / str(index), design, report)
        validator_errors = errors(validate_design(design)) if design else []
        playtest_errors = errors(report.playtest.findings) if report.playtest else []
        measures = report.playtest.measures if report.playtest else None
        search = next((bot.win_rate for bot in measures.bots if bot.bot == "search"), None) if measures else None
        names = len(design.resources) + len(design.actions) + len(design.components) if design else 0
        generic = sum(f.code == "generic_name" for f in validate_design(design)) if design else 0
        copied = len(engine_nouns(design, engines[report.engine], theme)) if design and report.engine else None
        started = time.perf_counter()  # one playtest of the final design at the pipeline's budget, timed alone
        if design is not None and config.playtest is not None:
            playtest(design, games=config.playtest_games, seed=args.seed, budget=config.playtest)
        playtest_s = time.perf_counter() - started if design is not None else None
        row = {
            "engine": report.engine,
            "engine_nouns": copied,
            "schema_valid": design is not None,
            "semantic_valid": design is not None and not validator_errors,
            "playtest_clean": measures is not None and not playtest_errors,
            "playtest_errors": sorted({f.code for f in playtest_errors}),
            "search_win_rate": search,
            "fair": measures.fair if measures else None,
            "first_seat_win_rate": measures.seat_win_rates[0] if measures else None,
            "estimated_minutes": measures.estimated_minutes if measures else None,
            "declared_minutes": [design.play_time_minutes.min, design.play_time_minutes.max] if design else None,
            "themed_share": (names - generic) / names if names else None,
            "tuning_changes": len(report.tuning),
            "playtest_s": playtest_s,
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
            str(index), theme[:34], report.engine or "-", report.status[:24], f"{row['wall_s']:.0f}",
            f"{row['completion_tokens']:.0f}",
            f"{row['calls']:.0f}", str(row["repairs"]), str(len(validator_errors)),
            ", ".join(row["playtest_errors"]) or "-", "-" if search is None else f"{search:.0%}",
            "-" if measures is None else f"{measures.seat_win_rates[0]:.0%} (fair {measures.fair:.0%})",
            "-" if measures is None or design is None else
            f"{measures.estimated_minutes:.0f} ({design.play_time_minutes.min}-{design.play_time_minutes.max})",
            "-" if row["themed_share"] is None else f"{row['themed_share']:.2f}",
            "-" if copied is None else f"{copied}/{names}", str(row["tuning_changes"]),
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
        "playtest_clean_rate": sum(r["playtest_clean"] for r in rows) / len(rows),
        "median_search_win_rate": _median([r["search_win_rate"] for r in rows]),
        "median_themed_share": _median([r["themed_share"] for r in rows]),
        "median_playtest_s": _median([r["playtest_s"] for r in rows]),
    }
    console.print_json(json.dumps(summary))
    write_atomically(args.out, {"summary.json": json.dumps({"summary": summary, "runs": rows}, indent=2)})


if __name__ == "__main__":
    main()
