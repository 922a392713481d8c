"""Train the shipped item map of the project's exemplar games (MiniLM embeddings -> PCA -> SOM).

    python -m tools.music.som.train [--seed 0] [--components 8] [--out tools/music/checkpoints/som_exemplar_games.pt]

Embeds every game's description with the packaged all-MiniLM-L6-v2 (offline), reduces the 384-D vectors
with PCA, trains the seeded map, checks that every game is recovered exactly from its distances to the
prototypes, saves the checkpoint (a few kB) and prints its quality and one example path.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tools.music.som.inversion import Inverter
from tools.music.som.items import EXEMPLAR_GAMES_CHECKPOINT, ItemMap, exemplar_game_items
from tools.music.som.tool import VariationsTool


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--components", type=int, default=8, help="PCA dimensions of the map")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", type=Path, default=EXEMPLAR_GAMES_CHECKPOINT)
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 120))
    began = time.perf_counter()

    with console.status("embedding the exemplar games with all-MiniLM-L6-v2"):
        ids, names, vectors = exemplar_game_items()
    embedded = time.perf_counter()
    errors: list[float] = []
    with Progress(console=console) as progress:
        task = progress.add_task("training the SOM", total=args.epochs)

        def on_epoch(_: int, error: float) -> None:
            errors.append(error)
            progress.advance(task)

        item_map = ItemMap.fit(
            ids, vectors, names=names, components=args.components, seed=args.seed, epochs=args.epochs, on_epoch=on_epoch
        )
    som = item_map.som
    inverter = Inverter(som.prototypes)
    recovery = float(np.abs(inverter.recover(som.activation(item_map.coordinates)) - item_map.coordinates).max())
    metrics = {
        "quantisation_error": som.quantisation_error(item_map.coordinates),
        "topographic_error": som.topographic_error(item_map.coordinates),
        "explained_variance": item_map.explained_variance,
        "max_recovery_error": recovery,
        "condition_number": inverter.condition_number,
    }
    item_map.save(args.out, metrics=metrics)

    table = Table(title=f"Exemplar-games item map ({args.out}, {args.out.stat().st_size / 1024:.1f} kB)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("games x embedding dim", f"{len(ids)} x {vectors.shape[1]}")
    table.add_row("PCA dims (variance kept)", f"{som.dimension} ({item_map.explained_variance:.1%})")
    table.add_row("map", f"{som.rows}x{som.cols}")
    table.add_row("quantisation error first -> last epoch", f"{errors[0]:.4f} -> {errors[-1]:.4f}")
    table.add_row("topographic error", f"{metrics['topographic_error']:.3f}")
    table.add_row("condition number (all prototypes)", f"{inverter.condition_number:.3g}")
    table.add_row("max recovery error over games", f"{recovery:.2e}")
    trained = time.perf_counter() - embedded
    table.add_row("wall time: embedding / fit, checks, save", f"{embedded - began:.1f} s / {trained:.2f} s")
    console.print(table)

    example = VariationsTool(exemplar_checkpoint=args.out)(
        {"exemplar_games": True, "start": "chess", "target_item": "pandemic", "points": 6}
    )
    path = Table(title=f"Variations of chess toward pandemic (reached: {example.reached}, {example.total_steps} steps)")
    for column in ("step", "cell", "distance to target", "nearest games"):
        path.add_column(column)
    for point in example.points:
        path.add_row(
            str(point.step),
            str(point.cell),
            f"{point.target_distance:.3f}",
            ", ".join(f"{n.name} ({n.distance:.2f})" for n in point.neighbours),
        )
    console.print(path)


if __name__ == "__main__":
    main()
