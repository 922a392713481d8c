"""How the top voice moves across the four-bar lines of a piece, generated against real music.

    python bench/compose_joins.py out/tools-60          # every piece.json under the folder, by style
    python bench/compose_joins.py examples/compose --bars 5 9

The features of `bench/compose_quality.py` pool a piece's intervals, so a line that leaps an octave
into every new section and moves by step everywhere else reads like one that leaps now and then
anywhere. A listener hears the joins: a middle section that starts an octave and a half over the
tune's close, a return that drops two octaves from the middle's last note. This bench takes the
interval from the top voice's last note before bars 5, 9 and 13 (the sections and phrases of a
sixteen-bar piece in fours, as the fixed plans A 4, B 4, A' 8 cut them) into its first note in them,
for every piece under the folders and for the style's reference set (the first 16 bars of each
Beethoven movement, whole Bach chorales and O'Neill tunes, `tools.music.quality.references`, whose
phrases mostly fall in fours too), and prints per bar how many move more than a fifth and more than
an octave, and the mean size of the move.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from statistics import fmean

from rich.console import Console
from rich.table import Table

from ontology.music import Piece
from tools.music.quality.features import outer_voice
from tools.music.quality.references import REFERENCE_SETS
from tools.music.quality.timeline import Timeline, timeline_from_piece
from tools.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from compose_quality import piece_style  # noqa: E402  (a sibling script, not a package)

FIFTH, OCTAVE = 7, 12


def moves_into(timeline: Timeline, bars: Sequence[int]) -> dict[int, int]:
    """The top voice's move (semitones, signed) into each of `bars` (1-based, counted from the first
    full bar): from its last note before the bar to its first note at or after the bar line; a bar the
    line does not reach is left out."""
    line = outer_voice(timeline, highest=True)
    moves = {}
    for bar in bars:
        start = timeline.downbeat + timeline.bar_length * (bar - 1)
        after = next((index for index, (onset, _) in enumerate(line) if onset >= start), None)
        if after:
            moves[bar] = line[after][1] - line[after - 1][1]
    return moves


def tabulate(console: Console, style: str, sets: dict[str, Iterable[Timeline]], bars: Sequence[int],
             caption: str) -> None:
    table = Table(title=f"{style}: the top voice's move into bars {', '.join(map(str, bars))}", caption=caption)
    for column in ("pieces", "bar", "moves", "> a fifth", "> an octave", "mean |move|"):
        table.add_column(column, justify="left" if column == "pieces" else "right")
    for name, timelines in sets.items():
        moves = [moves_into(timeline, bars) for timeline in timelines]
        for bar in bars:
            sizes = [abs(move[bar]) for move in moves if bar in move]
            if sizes:
                table.add_row(name, str(bar), str(len(sizes)), str(sum(size > FIFTH for size in sizes)),
                              str(sum(size > OCTAVE for size in sizes)), f"{fmean(sizes):.1f}")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="folders holding piece.json files")
    parser.add_argument("--bars", nargs="+", type=int, default=[5, 9, 13], help="the bars whose joins are measured")
    args = parser.parse_args(argv)
    console, settings = Console(), Settings.from_env()
    grouped: dict[str, list[Timeline]] = {}
    for folder in args.folders:
        for path in sorted(folder.rglob("piece.json")):
            piece = Piece.model_validate_json(path.read_text())
            grouped.setdefault(piece_style(path, piece), []).append(timeline_from_piece(piece, name=str(path.parent)))
    if not grouped:
        parser.error(f"no piece.json under {', '.join(map(str, args.folders))}")
    for style, timelines in sorted(grouped.items()):
        references = REFERENCE_SETS[style]
        tabulate(console, style, {"generated": timelines, "reference": references.timelines(settings)}, args.bars,
                 f"reference: {references.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
