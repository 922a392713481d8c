"""Measure SOM inversion and MUSIC on synthetic Gaussian mixtures and scikit-learn's bundled digits.

    python -m tools.music.som.verify [--seed 0] [--pairs 20]

Prints three tables: map quality and exact recovery (every prototype, and the D+1 nearest affinely
independent ones), Tikhonov recovery of noisy distances, and MUSIC trajectories against straight lines
("gap to data": mean distance from the path's points to the nearest data point; "held/edited": how much
the first step moved the held anchor's squared distance, relative to the edited target's).
The digits come with scikit-learn (no download); their 3 always-blank pixels are dropped for the 61-D rows,
because no prototype can vary there, and the full 64-D row shows the rank check refusing.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from tools.music.som.inversion import Inverter, RankDeficientError, affinely_independent_nearest, invert
from tools.music.som.music import MusicConfig, music_step, music_trajectory
from tools.music.som.som import SelfOrganisingMap, SomConfig, squared_distances

RIDGES = (0.0, 1e-8, 1e-6, 1e-4)


@dataclass(frozen=True)
class Dataset:
    name: str
    data: np.ndarray
    config: SomConfig


def gaussian_mixture(dimension: int, *, clusters: int = 4, per_cluster: int = 200, seed: int = 0) -> np.ndarray:
    """`clusters` unit-variance Gaussian blobs with centres drawn from N(0, 5^2)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (clusters, dimension))
    return np.concatenate([centre + rng.standard_normal((per_cluster, dimension)) for centre in centres])


def digits(*, drop_blank: bool) -> np.ndarray:
    from sklearn.datasets import load_digits

    data = load_digits().data.astype(np.float64)
    return data[:, data.std(axis=0) > 0] if drop_blank else data


def datasets(seed: int) -> list[Dataset]:
    small, large = SomConfig(rows=6, cols=6, epochs=40, seed=seed), SomConfig(rows=10, cols=10, epochs=40, seed=seed)
    return [
        Dataset("gaussians 2-D", gaussian_mixture(2, seed=seed), small),
        Dataset("gaussians 8-D", gaussian_mixture(8, seed=seed), small),
        Dataset("gaussians 16-D", gaussian_mixture(16, seed=seed), small),
        Dataset("digits 61-D", digits(drop_blank=True), large),
        Dataset("digits 64-D", digits(drop_blank=False), large),
    ]


def recovery_errors(som: SelfOrganisingMap, data: np.ndarray, *, nearest: bool) -> tuple[float, float, float]:
    """(max abs error, max error / data scale, median condition number) over the points of `data`."""
    activations = som.activation(data)
    if nearest:
        errors, conditions = [], []
        for point, activation in zip(data, activations, strict=True):
            indices = affinely_independent_nearest(activation, som.prototypes)
            recovery = invert(activation, som.prototypes, indices=indices)
            errors.append(np.abs(recovery.point - point).max())
            conditions.append(recovery.condition_number)
        error, condition = float(max(errors)), float(np.median(conditions))
    else:
        inverter = Inverter(som.prototypes)
        error, condition = float(np.abs(inverter.recover(activations) - data).max()), inverter.condition_number
    return error, error / float(np.abs(data).max()), condition


def noisy_recovery(som: SelfOrganisingMap, data: np.ndarray, noise: float, seed: int) -> list[float]:
    """RMS recovery error / data RMS spread, per ridge, with relative Gaussian noise on the squared distances."""
    rng = np.random.default_rng(seed)
    activation = som.activation(data)
    noisy = activation * (1 + noise * rng.standard_normal(activation.shape))
    spread = float(np.sqrt(((data - data.mean(axis=0)) ** 2).sum(axis=1).mean()))
    inverter = Inverter(som.prototypes)
    results = []
    for ridge in RIDGES:
        points = inverter.recover(noisy, ridge=ridge)
        results.append(float(np.sqrt(((points - data) ** 2).sum(axis=1).mean())) / spread)
    return results


def music_statistics(som: SelfOrganisingMap, data: np.ndarray, pairs: int, seed: int) -> dict[str, float]:
    """Trajectories from random data points to the units of other random points, against straight lines."""
    rng = np.random.default_rng(seed)
    config = MusicConfig()
    reached, steps, music_gap, line_gap, preserved = [], [], [], [], []
    for _ in range(pairs):
        start, goal = data[rng.integers(len(data))], data[rng.integers(len(data))]
        target = int(som.best_matching_units(goal[None])[0])
        path = music_trajectory(start, som, [target], config)
        line = start + np.linspace(0, 1, len(path.points))[:, None] * (som.prototypes[target] - start)
        reached.append(path.reached)
        steps.append(len(path.points) - 1)
        music_gap.append(np.sqrt(squared_distances(path.points, data).min(axis=1)).mean())
        line_gap.append(np.sqrt(squared_distances(line, data).min(axis=1)).mean())
        # The first step: how much does the held distance move compared with the edited one?
        moved = music_step(start, som.prototypes, [target], config)
        before = squared_distances(start, som.prototypes)[0]
        after = squared_distances(moved.point, som.prototypes)[0]
        preserved.append(np.abs(after - before)[moved.anchors].max() / abs(after[target] - before[target]))
    return {
        "reached": float(np.mean(reached)),
        "steps": float(np.mean(steps)),
        "music_gap": float(np.mean(music_gap)),
        "line_gap": float(np.mean(line_gap)),
        "held_vs_edited": float(np.median(preserved)),
    }


def appending_to(errors: list[float]) -> Callable[[int, float], None]:
    """An `on_epoch` callback that collects each epoch's quantisation error in `errors`."""
    return lambda _, error: errors.append(error)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs", type=int, default=20, help="MUSIC start/target pairs per data set")
    parser.add_argument("--sample", type=int, default=300, help="points recovered from their D+1 nearest prototypes")
    parser.add_argument("--noise", type=float, default=1e-3, help="relative noise on squared distances")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 150))
    began = time.perf_counter()

    quality = Table(title="SOM quality and exact recovery (max |x_rec - x|; 'rel' = / max |x|)")
    for column in (
        "data",
        "n x D",
        "map",
        "QE start->end",
        "TE",
        "rank",
        "cond (all)",
        "err (all)",
        "rel (all)",
        "err (D+1 nearest)*",
        "median cond (D+1)*",
    ):
        quality.add_column(column, justify="right" if column not in ("data", "map") else "left")
    noise_table = Table(
        title=f"Tikhonov recovery, squared distances x (1 + {args.noise} N(0,1)): RMS error / RMS spread"
    )
    noise_table.add_column("data")
    for ridge in RIDGES:
        noise_table.add_column(f"ridge {ridge:g}", justify="right")
    music_table = Table(title=f"MUSIC trajectories ({args.pairs} random start/target pairs, default config)")
    for column in (
        "data",
        "reached",
        "mean steps",
        "gap to data: MUSIC",
        "gap: straight line",
        "held/edited change (step 1)",
    ):
        music_table.add_column(column, justify="right" if column != "data" else "left")

    for dataset in track(datasets(args.seed), description="maps", console=console):
        errors: list[float] = []
        som = SelfOrganisingMap.train(
            dataset.data, dataset.config, on_epoch=appending_to(errors)
        )
        shape = f"{dataset.data.shape[0]} x {dataset.data.shape[1]}"
        grid = f"{som.rows}x{som.cols}"
        qe = f"{errors[0]:.3f}->{errors[-1]:.3f}"
        te = f"{som.topographic_error(dataset.data):.3f}"
        try:
            overall = invert(som.activation(dataset.data[:1])[0], som.prototypes)
        except RankDeficientError as exc:
            rank = np.linalg.matrix_rank(som.prototypes - som.prototypes.mean(axis=0))
            quality.add_row(
                dataset.name, shape, grid, qe, te, f"{rank}/{som.dimension}", "refused", type(exc).__name__, "", "", ""
            )
            continue
        error_all, relative_all, _ = recovery_errors(som, dataset.data, nearest=False)
        sample = np.random.default_rng(args.seed).permutation(len(dataset.data))[: args.sample]
        error_nearest, _, condition_nearest = recovery_errors(som, dataset.data[sample], nearest=True)
        quality.add_row(
            dataset.name,
            shape,
            grid,
            qe,
            te,
            f"{overall.rank}/{som.dimension}",
            f"{overall.condition_number:.3g}",
            f"{error_all:.2e}",
            f"{relative_all:.2e}",
            f"{error_nearest:.2e}",
            f"{condition_nearest:.3g}",
        )
        noise_table.add_row(
            dataset.name, *(f"{value:.3g}" for value in noisy_recovery(som, dataset.data, args.noise, args.seed))
        )
        stats = music_statistics(som, dataset.data, args.pairs, args.seed)
        music_table.add_row(
            dataset.name,
            f"{stats['reached']:.2f}",
            f"{stats['steps']:.1f}",
            f"{stats['music_gap']:.3f}",
            f"{stats['line_gap']:.3f}",
            f"{stats['held_vs_edited']:.2e}",
        )

    console.print(quality)
    console.print(f"* on {args.sample} sampled points per data set; the other columns use every point.")
    console.print(noise_table, music_table)
    console.print(f"wall time {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
