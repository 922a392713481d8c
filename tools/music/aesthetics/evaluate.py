"""Evaluating a trained song-aesthetics checkpoint with the ASAE challenge's metrics.

    python -m tools.music.aesthetics.evaluate --checkpoint song_aesthetics.pt --data <folder> [--all]

Without `--all`, only the songs the training run held out are scored (the split is rebuilt from the
seed and fraction stored in the checkpoint); with it, every song of the folder (a separate test set).
Beside the model, a constant predictor (the training songs' mean rating) is scored on the same songs:
the floor any useful model must clear.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import track
from rich.table import Table

from tools.music.aesthetics.data import FeatureStore, SongRecord, read_song_folder, split_records
from tools.music.aesthetics.features import FeatureConfig
from tools.music.aesthetics.metrics import DimensionMetrics, challenge_metrics
from tools.music.aesthetics.model import ModelConfig, SongAestheticsModel, score_songs
from tools.music.checkpoints import CheckpointError, load_checkpoint
from tools.settings import Settings

KIND = "song_aesthetics"
logger = logging.getLogger(__name__)


@dataclass
class TrainedModel:
    """A loaded checkpoint and what it says about its own training."""

    model: SongAestheticsModel
    features: FeatureConfig
    trained_on: str
    synthetic: bool
    train_mean: np.ndarray
    split: dict
    metrics: dict


def load_trained(path: Path) -> TrainedModel:
    payload = load_checkpoint(path, kind=KIND)
    config = payload["config"]
    try:
        model = SongAestheticsModel(ModelConfig.from_dict(config["model"]))
        model.load_state_dict(payload["state_dict"])
        return TrainedModel(
            model=model.eval(),
            features=FeatureConfig(**config["features"]),
            trained_on=str(config["trained_on"]),
            synthetic=bool(config["synthetic"]),
            train_mean=np.asarray(config["train_mean"], dtype=np.float64),
            split=dict(config["split"]),
            metrics=payload["metrics"],
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} is not a usable {KIND} checkpoint ({exc}); retrain it with this version."
        ) from exc


def evaluate_records(
    model: SongAestheticsModel,
    records: list[SongRecord],
    store: FeatureStore,
    train_mean: np.ndarray,
    *,
    progress: bool = False,
) -> dict[str, dict[str, DimensionMetrics]]:
    """Challenge metrics of the model and of the constant training-mean predictor on `records`."""
    features = [store.features(record) for record in track(records, description="Features", disable=not progress)]
    truth = np.stack([record.scores for record in records])
    predicted = score_songs(model, features)["score"]
    dimensions = model.config.dimensions
    constant = np.broadcast_to(train_mean, truth.shape)
    return {
        "model": challenge_metrics(truth, predicted, dimensions),
        "constant": challenge_metrics(truth, constant, dimensions),
    }


def metrics_table(results: dict[str, dict[str, DimensionMetrics]], title: str) -> Table:
    table = Table(title=title)
    for column in ("predictor", "dimension", "LCC", "SRCC", "KTAU", "top-tier F1", "MSE"):
        table.add_column(column, justify="left" if column in ("predictor", "dimension") else "right")
    for predictor, per_dimension in results.items():
        for dimension, m in per_dimension.items():
            table.add_row(predictor, dimension, *(f"{v:.3f}" for v in (m.lcc, m.srcc, m.ktau, m.top_tier, m.mse)))
    return table


def serialisable(results: dict[str, dict[str, DimensionMetrics]]) -> dict:
    return {predictor: {dim: m.model_dump() for dim, m in per.items()} for predictor, per in results.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="Folder in the layout of tools.music.aesthetics.data.")
    parser.add_argument("--all", action="store_true", help="Score every song, not only the held-out split.")
    parser.add_argument("--json", type=Path, help="Also write the metrics here.")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    torch.set_num_threads(args.threads)
    trained = load_trained(args.checkpoint)
    records = read_song_folder(args.data)
    if not args.all:
        _, records = split_records(records, trained.split["valid_fraction"], trained.split["seed"])
    store = FeatureStore(trained.features, Settings.from_env().cache_dir)
    results = evaluate_records(trained.model, records, store, trained.train_mean, progress=True)
    label = "SYNTHETIC smoke-test checkpoint" if trained.synthetic else f"trained on {trained.trained_on}"
    Console().print(metrics_table(results, f"{len(records)} songs of {args.data} — {label}"))
    if args.json:
        args.json.write_text(json.dumps(serialisable(results), indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
