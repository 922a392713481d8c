"""What real music scores on the music benches' measure: the ceiling a sample of n pieces can reach.

    python bench/compose_quality_ceiling.py              # n = 5 and 10, 300 draws each
    python bench/compose_quality_ceiling.py -n 5 --draws 1000

Issue 13 asks for an overlapping area of at least 0.6 on every feature of every style (45 cells).
`bench/compose_quality.py` measures five pieces a style, `bench/compose_tools_quality.py` ten. This
bench draws n pieces at random (without replacement) from each style's own reference set and
measures them against the whole set exactly as those benches measure generated pieces, so it says
how many cells real Bach, O'Neill and Beethoven pass at that sample size: the number a generator's
count should be read against.
"""

from __future__ import annotations

import argparse
import random
import sys

import numpy as np
from rich.console import Console
from rich.table import Table

from tools.music.quality.compare import compare
from tools.music.quality.features import NUMERIC_FEATURES, PieceFeatures
from tools.music.quality.references import STYLES, reference_features
from tools.settings import Settings

TARGET = 0.6
"""The issue's threshold for a cell."""


def cells_passed(sample_size: int, references: dict[str, list[PieceFeatures]], draw: random.Random) -> int:
    """Cells (style x feature) at or above `TARGET` for one draw of `sample_size` pieces per style, compared
    with the whole set as the benches compare generated pieces (`tools.music.quality.compare`)."""
    return sum(row.overlapping_area >= TARGET for style, pieces in references.items()
               for row in compare(style, draw.sample(pieces, sample_size), pieces).features)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, nargs="+", default=[5, 10], help="pieces per style in a draw")
    parser.add_argument("--draws", type=int, default=300, help="random draws per sample size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    references = {style: reference_features(style, settings) for style in STYLES}
    smallest = min(len(pieces) for pieces in references.values())
    if max(args.n) > smallest:
        parser.error(f"-n may be at most {smallest}, the smallest reference set")
    total = len(references) * len(NUMERIC_FEATURES)
    table = Table(title=f"Real music against its own reference sets: cells >= {TARGET} of {total}")
    for column in ("pieces per style", "median", "5th-95th percentile", f"all {total}"):
        table.add_column(column, justify="right")
    draw = random.Random(args.seed)
    for size in args.n:
        counts = np.array([cells_passed(size, references, draw) for _ in range(args.draws)])
        spread = f"{np.percentile(counts, 5):.0f}-{np.percentile(counts, 95):.0f}"
        table.add_row(str(size), f"{np.median(counts):.0f}", spread, f"{np.mean(counts == total):.0%}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
