"""What real music scores on the music benches' measure: the ceiling a sample of n pieces can reach.

    python bench/compose_quality_ceiling.py              # n = 5 and 10, 300 draws each
    python bench/compose_quality_ceiling.py -n 5 --draws 1000
    python bench/compose_quality_ceiling.py --pieces out/tools-60   # generated pieces drawn the same way

Issue 13 asks for an overlapping area of at least 0.6 on every feature of every style (45 cells).
`bench/compose_quality.py` measures five pieces a style, `bench/compose_tools_quality.py` ten. This
bench draws n pieces at random (without replacement) from each style's own reference set and
measures them against the whole set exactly as those benches measure generated pieces, so it says
how many cells real Bach, O'Neill and Beethoven pass at that sample size: the number a generator's
count should be read against. With `--pieces DIR` the draws come instead from the generated pieces
under DIR (every `piece.json`, e.g. `compose_tools_quality.py -n 60 --scores DIR`), compared with the
reference sets: what a bench of n of those pieces scores, draw by draw, so one run's count can be
told from its luck.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from tools.music.quality.compare import compare
from tools.music.quality.features import NUMERIC_FEATURES, PieceFeatures
from tools.music.quality.references import STYLES, reference_features
from tools.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from compose_quality import measure_folders  # noqa: E402  (a sibling script, not a package)

TARGET = 0.6
"""The issue's threshold for a cell."""
WEAK = 0.9
"""A cell passed in fewer draws than this is listed: where a bench of that many pieces is likely to fail."""


def cells_passed(sample_size: int, pool: dict[str, list[PieceFeatures]], references: dict[str, list[PieceFeatures]],
                 draw: random.Random) -> set[tuple[str, str]]:
    """The cells (style, feature) at or above `TARGET` for one draw of `sample_size` pieces per style
    from `pool`, compared with the style's reference set as the benches compare generated pieces
    (`tools.music.quality.compare`)."""
    return {(style, row.feature) for style, pieces in pool.items()
            for row in compare(style, draw.sample(pieces, sample_size), references[style]).features
            if row.overlapping_area >= TARGET}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, nargs="+", default=[5, 10], help="pieces per style in a draw")
    parser.add_argument("--draws", type=int, default=300, help="random draws per sample size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pieces", type=Path, help="draw from the generated pieces (piece.json) under this folder")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    references = {style: reference_features(style, settings) for style in STYLES}
    pool = measure_folders([args.pieces], None)[0] if args.pieces else references
    if not pool:
        parser.error(f"no piece.json under {args.pieces}")
    smallest = min(len(pieces) for pieces in pool.values())
    if max(args.n) > smallest:
        parser.error(f"-n may be at most {smallest}, the fewest pieces of a style ({smallest})")
    total = len(pool) * len(NUMERIC_FEATURES)
    title = f"Pieces under {args.pieces}" if args.pieces else "Real music"
    table = Table(title=f"{title} against the reference sets: cells >= {TARGET} of {total}")
    for column in ("pieces per style", "median", "5th-95th percentile", f"all {total}"):
        table.add_column(column, justify="right")
    draw = random.Random(args.seed)
    weakest = Table(title=f"Cells passed in fewer than {WEAK:.0%} of the draws of {max(args.n)} pieces")
    for column in ("style", "feature", "draws passed"):
        weakest.add_column(column, justify="right" if column == "draws passed" else "left")
    for size in args.n:
        draws = [cells_passed(size, pool, references, draw) for _ in range(args.draws)]
        counts = np.array([len(passed) for passed in draws])
        spread = f"{np.percentile(counts, 5):.0f}-{np.percentile(counts, 95):.0f}"
        table.add_row(str(size), f"{np.median(counts):.0f}", spread, f"{np.mean(counts == total):.0%}")
        if size == max(args.n):
            rates = {(style, feature): sum((style, feature) in passed for passed in draws) / len(draws)
                     for style in pool for feature in NUMERIC_FEATURES}
            for (style, feature), rate in sorted(rates.items(), key=lambda item: item[1]):
                if rate < WEAK:
                    weakest.add_row(style, NUMERIC_FEATURES[feature], f"{rate:.0%}")
    Console().print(table)
    Console().print(weakest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
