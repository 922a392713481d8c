"""Compare the curricula: FF vs random vs midpoint, in domain (Bach test chorales) and out of domain (folk).

    python -m tools.music.harmony.evaluate                      # shipped checkpoints, every strategy
    python -m tools.music.harmony.evaluate --strategies one_shot confidence --markdown /tmp/harmony.md

Every checkpoint harmonises every melody from fully masked harmony with each unmasking strategy
(greedy, 4 slots per step for the iterative ones, so the tables are reproducible). In domain,
chord accuracy (with its standard error over chorales) is measured against the labels derived from
Bach's four voices, and the labels' own reference-free values form the first row; out of domain
there are no chords to compare with, only the reference-free metrics. The tables are printed with
rich and written as markdown.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from tools.files import write_atomically
from tools.music.checkpoints import CHECKPOINT_DIR
from tools.music.harmony.curricula import CURRICULA
from tools.music.harmony.data import Piece, load_bach_chorales, load_folk_melodies, split_by_piece
from tools.music.harmony.metrics import average, harmonisation_metrics
from tools.music.harmony.model import load_harmoniser
from tools.music.harmony.train import SPLIT_SEED, checkpoint_path
from tools.music.harmony.unmasking import STRATEGIES, harmonise_pieces
from tools.settings import Settings

COLUMNS = {
    "accuracy": "acc ↑",
    "accuracy_se": "acc s.e.",
    "che": "CHE",
    "cc": "CC",
    "ctd": "CTD",
    "ctnctr": "CTnCTR ↑",
    "pcs": "PCS ↑",
    "mctd": "MCTD ↓",
    "pc_agreement": "PC agree ↑",
    "changes_per_bar": "changes/bar",
    "mean_chord_duration": "chord dur (q)",
    "hrhe": "HRHE",
    "hrc": "HRC",
    "downbeat_changes": "downbeat chg",
}
"""Metric key -> column title; ↑/↓ mark metrics where higher/lower is better, the rest compare to the reference."""


def reference_chords(piece: Piece) -> list[int]:
    """The piece's labelled chords, or a ValueError: a reference row needs every piece labelled."""
    if piece.chords is None:
        raise ValueError(f"{piece.name} has no reference chords; evaluate it without the reference row.")
    return piece.chords


def evaluate_rows(
    pieces: Sequence[Piece], checkpoint_dir: Path, strategies: Sequence[str], with_reference: bool
) -> list[tuple[str, dict[str, float]]]:
    """(row label, averaged metrics) for the reference (if any) and every curriculum x strategy."""
    rows = []
    if with_reference:
        rows.append(("ground truth", average([harmonisation_metrics(p, reference_chords(p)) for p in pieces])))
    for curriculum in CURRICULA:
        model, _ = load_harmoniser(checkpoint_path(curriculum, checkpoint_dir))
        for strategy in strategies:
            predicted = harmonise_pieces(model, list(pieces), strategy)  # type: ignore[arg-type]
            scored = [
                harmonisation_metrics(piece, chords, piece.chords if with_reference else None)
                for piece, chords in zip(pieces, predicted, strict=True)
            ]
            means = average(scored)
            if with_reference:
                means["accuracy_se"] = standard_error([row["accuracy"] for row in scored])
            rows.append((f"{curriculum} / {strategy}", means))
    return rows


def standard_error(values: Sequence[float]) -> float:
    """Standard error of the mean over pieces (how far apart two rows must be to mean anything)."""
    return float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan


def _format(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


def render(title: str, rows: Sequence[tuple[str, dict[str, float]]], console: Console) -> str:
    """Print the rows as a rich table and return them as a markdown table."""
    keys = [key for key in COLUMNS if any(key in values for _, values in rows)]
    table = Table(title=title)
    table.add_column("curriculum / unmasking")
    for key in keys:
        table.add_column(COLUMNS[key], justify="right")
    lines = [
        f"**{title}**",
        "",
        "| curriculum / unmasking | " + " | ".join(COLUMNS[k] for k in keys) + " |",
        "|---" + "|---:" * len(keys) + "|",
    ]
    for label, values in rows:
        cells = [_format(values.get(key, math.nan)) for key in keys]
        table.add_row(label, *cells)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    console.print(table)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint-dir", type=Path, default=CHECKPOINT_DIR)
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=list(STRATEGIES))
    parser.add_argument("--folk-count", type=int, default=60, help="Essen folk melodies used out of domain.")
    parser.add_argument("--markdown", type=Path, default=Path("out/harmony/evaluation.md"))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    console = Console()
    if not console.is_terminal:  # a log file gets the whole table, not 80 wrapped columns
        console = Console(width=220)
    started = time.perf_counter()
    cache_dir = Settings.from_env().cache_dir
    test = split_by_piece(load_bach_chorales(cache_dir), seed=SPLIT_SEED)["test"]
    folk = load_folk_melodies(cache_dir, args.folk_count)
    sections = [
        render(
            f"In domain: {len(test)} Bach test chorales",
            evaluate_rows(test, args.checkpoint_dir, args.strategies, True),
            console,
        ),
        render(
            f"Out of domain: {len(folk)} Essen folk melodies (no reference chords)",
            evaluate_rows(folk, args.checkpoint_dir, args.strategies, False),
            console,
        ),
    ]
    write_atomically(args.markdown.parent, {args.markdown.name: "\n".join(sections)})
    console.print(f"wrote {args.markdown} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
