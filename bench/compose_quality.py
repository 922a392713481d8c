"""Generated music against real music, per style (issue 13): features, overlapping areas, key and cadence rates.

    python bench/compose_quality.py examples/compose                   # measure existing sessions
    python bench/compose_quality.py --generate 5                       # 5 fresh requests per style (slow)
    python bench/compose_quality.py out/compose --style waltz --json out/quality.json
    python bench/compose_quality.py --references                        # the reference sets side by side

Every `piece.json` under the given folders is measured; its style is `--style`, or the style the
piece was written in (a piece from before styles existed: the style its request in the
`report.json` beside it names, else free piano). Each version's wall time (the run that rendered
it, model load included) is printed per style beside the issue's target of 60 s.
`--generate N` composes N requests per style first (`--styles` narrows them), with the compose
pipeline and the configured model, into `--root`. Reference features are cached under
GO_CACHE_DIR (`--refresh` recomputes them); the first run parses the corpus for a few minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from statistics import fmean

from rich.console import Console
from rich.table import Table

from ontology.music import Piece
from ontology.music_styles import style_named_in
from tools.music.quality.compare import StyleComparison, compare, rates
from tools.music.quality.features import NUMERIC_FEATURES, Cadence, PieceFeatures, measure
from tools.music.quality.references import REFERENCE_SETS, STYLES, reference_features
from tools.music.quality.timeline import timeline_from_piece
from tools.settings import Settings

FREE_PIANO = "free piano"

REQUESTS: dict[str, tuple[str, ...]] = {
    "chorale": ("a four-part chorale in A major, 16 bars", "a chorale in D minor for a winter evening, 16 bars",
                "a hymn-like chorale in F major, 16 bars", "a chorale in G major, 16 bars",
                "a solemn chorale in E minor, 16 bars"),
    "waltz": ("a waltz in G major, 16 bars", "a gentle waltz in D major, 3/4, 16 bars",
              "a melancholic waltz in A minor, 16 bars", "a waltz in F major, 16 bars",
              "a salon waltz in Eb major, 16 bars"),
    "nocturne": ("a nocturne in Eb major, 16 bars", "a quiet nocturne in C minor, 16 bars",
                 "a nocturne in Db major, 16 bars", "a dreamy nocturne in B minor, 16 bars",
                 "a nocturne in F major, 16 bars"),
    "jig": ("a jig in D major, 6/8, 16 bars", "an Irish jig in G major, 6/8, 16 bars",
            "a jig in E minor, 6/8, 16 bars", "a lively jig in A major, 6/8, 16 bars",
            "a jig in A minor, 6/8, 16 bars"),
    FREE_PIANO: ("a piano piece in C minor, 16 bars", "a lyrical piano piece in F major, 16 bars",
                 "a stormy piano piece in D minor, 16 bars", "a piano piece in A major, 16 bars",
                 "a playful piano piece in G major, 16 bars"),
}
"""Requests `--generate` sends, cycled per style."""


def piece_style(piece_file: Path, piece: Piece) -> str:
    """The style the piece was written in, or for a piece from before styles, its request's."""
    if "style" in json.loads(piece_file.read_text()):
        return piece.style.value
    report = piece_file.with_name("report.json")
    request = json.loads(report.read_text()).get("request", "") if report.is_file() else ""
    named = style_named_in(request or "")
    return named.value if named else FREE_PIANO


def version_seconds(piece_file: Path) -> float | None:
    """Wall seconds of the run that rendered this version (the report's last run), if recorded."""
    report = piece_file.with_name("report.json")
    runs = json.loads(report.read_text()).get("runs", []) if report.is_file() else []
    return float(runs[-1]["wall_s"]) if runs else None


def measure_folders(folders: list[Path], style: str | None) -> tuple[dict[str, list[PieceFeatures]],
                                                                    dict[str, list[float]]]:
    """Features of every `piece.json` under the folders, and the versions' wall times, by style."""
    grouped: dict[str, list[PieceFeatures]] = {}
    seconds: dict[str, list[float]] = {}
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(folder.rglob("piece.json"))
        for path in files:
            piece = Piece.model_validate_json(path.read_text())
            name = style or piece_style(path, piece)
            grouped.setdefault(name, []).append(measure(timeline_from_piece(piece, name=str(path.parent))))
            if (wall := version_seconds(path)) is not None:
                seconds.setdefault(name, []).append(wall)
    return grouped, seconds


def generate(count: int, styles: list[str], root: Path, settings: Settings, console: Console) -> list[Path]:
    """Compose `count` requests per style into `root` (one session each); the sessions' folders.
    The pipeline (DSPy, the model) is imported here, so measuring existing sessions stays light."""
    from pipelines.compose import ComposeSessions, default_tools
    from pipelines.compose_graph import ComposeConfig

    sessions = ComposeSessions(root, default_tools(settings), settings=settings, config=ComposeConfig(audio=False),
                               progress=lambda message: None)
    made = []
    try:
        for style in styles:
            for index in range(count):
                request = REQUESTS[style][index % len(REQUESTS[style])]
                console.print(f"composing {style} {index + 1}/{count}: {request}")
                session, _ = sessions.start(request, seed=index)
                made.append(root / session)
    finally:
        sessions.close()
    return made


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def print_comparison(console: Console, result: StyleComparison, reference: str) -> None:
    table = Table(title=f"{result.style}: {result.generated} generated vs {result.references} real ({reference})")
    table.add_column("feature")
    for column in ("generated mean", "reference mean", "overlapping area"):
        table.add_column(column, justify="right")
    for row in result.features:
        table.add_row(NUMERIC_FEATURES[row.feature], f"{row.generated_mean:.3g}", f"{row.reference_mean:.3g}",
                      f"{row.overlapping_area:.2f}")
    table.add_row("key established (rate)", _rate(result.generated_rates.key_established),
                  _rate(result.reference_rates.key_established), "")
    for cadence in Cadence:
        table.add_row(f"{cadence.value} cadence at the end (rate)", _rate(result.generated_rates.cadences[cadence]),
                      _rate(result.reference_rates.cadences[cadence]), "")
    console.print(table)


def print_reference_summary(console: Console, styles: list[str], settings: Settings) -> None:
    """Each style's reference means side by side, so the sets can be compared with each other."""
    table = Table(title="reference sets: feature means")
    table.add_column("feature")
    measured = {style: reference_features(style, settings) for style in styles}
    for style in styles:
        table.add_column(f"{style} ({len(measured[style])})", justify="right")
    for name, label in NUMERIC_FEATURES.items():
        table.add_row(label, *(f"{fmean(getattr(piece, name) for piece in measured[style]):.3g}"
                               for style in styles))
    summaries = [rates(measured[style]) for style in styles]
    table.add_row("key established (rate)", *(_rate(summary.key_established) for summary in summaries))
    for cadence in Cadence:
        table.add_row(f"{cadence.value} cadence at the end (rate)",
                      *(_rate(summary.cadences[cadence]) for summary in summaries))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, help="session folders (or piece.json files) to measure")
    parser.add_argument("--style", choices=STYLES, help="the style of every piece in the folders")
    parser.add_argument("--generate", type=int, default=0, metavar="N", help="compose N requests per style first")
    parser.add_argument("--styles", nargs="+", choices=STYLES, default=list(STYLES), help="styles to generate")
    parser.add_argument("--root", type=Path, default=Path("out/compose-quality"), help="where --generate composes")
    parser.add_argument("--model", help="the model --generate composes with (default: GO_MODEL)")
    parser.add_argument("--refresh", action="store_true", help="recompute the cached reference features")
    parser.add_argument("--json", type=Path, help="also write the comparisons here")
    parser.add_argument("--references", action="store_true", help="only print the reference sets of --styles")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    console = Console()
    settings = Settings.from_env(model=args.model)
    if args.references:
        print_reference_summary(console, args.styles, settings)
        return 0
    folders = list(args.folders)
    if args.generate:
        folders += generate(args.generate, args.styles, args.root, settings, console)
    grouped, seconds = measure_folders(folders, args.style)
    if not grouped:
        console.print("[red]error:[/red] no piece.json found; give session folders or --generate N.")
        return 2
    results = []
    for style in STYLES:
        if style in grouped:
            result = compare(style, grouped[style], reference_features(style, settings, refresh=args.refresh))
            print_comparison(console, result, REFERENCE_SETS[style].description)
            if seconds.get(style):
                walls = sorted(seconds[style])
                console.print(f"{style}: seconds per version (wall, model load included): median "
                              f"{walls[len(walls) // 2]:.0f}, max {walls[-1]:.0f} (target <= 60)")
            results.append(result)
    if args.json:
        write_comparisons(args.json, results)
    return 0


def write_comparisons(path: Path, results: list[StyleComparison]) -> None:
    """The comparisons as JSON (the tables' numbers), for docs and later runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([result.model_dump(mode="json") for result in results], indent=2))


if __name__ == "__main__":
    sys.exit(main())
