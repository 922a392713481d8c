"""Training the song-aesthetics model on rated songs.

    python -m tools.music.aesthetics.train --data <folder> --trained-on "SongEval (ASLP-lab), mean of raters" \\
        --out tools/music/checkpoints/song_aesthetics.pt

`<folder>` is in the layout `tools.music.aesthetics.data` documents (SongEval's metadata.jsonl and
mixtures, plus vocal and accompaniment stems you separate yourself, or precomputed features).
`--trained-on` is written into the checkpoint and shown by the tool; say what the ratings are.
Features are computed once per song and cached under GO_CACHE_DIR.

A folder written by `python -m tools.music.aesthetics.synthetic` (or any folder with a song marked
`"synthetic": true`) trains a checkpoint marked synthetic: a smoke test that the pipeline learns,
nothing more, which the tool refuses unless the caller opts in. A fixed number of epochs is run (no
early stopping), so the held-out figures are not tuned on.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, track

from tools.music.aesthetics.data import FeatureStore, SongRecord, read_song_folder, split_records
from tools.music.aesthetics.evaluate import KIND, evaluate_records, metrics_table, serialisable
from tools.music.aesthetics.features import FeatureConfig
from tools.music.aesthetics.metrics import DimensionMetrics
from tools.music.aesthetics.model import ModelConfig, SongAestheticsModel, batch_chunks, higia_loss, song_chunks
from tools.music.checkpoints import save_checkpoint
from tools.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 16
    train_chunks: int = 4
    """Random chunks drawn per song and step; a song is seen in different places every epoch."""
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    regression_weight: float = 1.0
    valid_fraction: float = 0.2
    seed: int = 0


@dataclass
class TrainResult:
    model: SongAestheticsModel
    train_mean: np.ndarray
    held_out: dict[str, dict[str, DimensionMetrics]]
    """Challenge metrics of the model and of the constant training-mean predictor on the held-out songs."""
    train_songs: int


def feature_statistics(
    songs: list[np.ndarray], frames_per_song: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-stream, per-mel-bin mean and std over a random sample of frames from each song."""
    sample = np.concatenate(
        [
            np.asarray(song[:, np.sort(rng.choice(song.shape[1], min(frames_per_song, song.shape[1]), replace=False))])
            for song in songs
        ],
        axis=1,
    ).astype(np.float64)
    return sample.mean(axis=1), sample.std(axis=1)


def train_model(
    train: list[SongRecord],
    valid: list[SongRecord],
    store: FeatureStore,
    model_config: ModelConfig,
    config: TrainConfig,
    *,
    progress: bool = True,
) -> TrainResult:
    """Train for a fixed number of epochs and score the held-out songs once, at the end."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    # The first run on a collection decodes every song (hours for SongEval); later runs read the cache.
    songs = [store.features(record) for record in track(train, description="Features", disable=not progress)]
    targets = torch.tensor(np.stack([record.scores for record in train]), dtype=torch.float32)
    model = SongAestheticsModel(model_config)
    model.set_feature_statistics(*feature_statistics(songs, 2000, rng))
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    steps_per_epoch = -(-len(songs) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, config.learning_rate, total_steps=config.epochs * steps_per_epoch
    )
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("Training", total=config.epochs * steps_per_epoch)
        for epoch in range(config.epochs):
            model.train()
            order = rng.permutation(len(songs))
            total = 0.0
            for start in range(0, len(order), config.batch_size):
                batch = order[start : start + config.batch_size]
                chunks, mask = batch_chunks(
                    [song_chunks(songs[i], model_config.chunk_frames, config.train_chunks, rng) for i in batch]
                )
                loss = higia_loss(
                    model(chunks, mask), targets[batch], model_config.granularities, config.regression_weight
                )
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                total += loss.item() * len(batch)
                bar.update(
                    task,
                    advance=1,
                    description=f"Epoch {epoch + 1}/{config.epochs} loss {total / (start + len(batch)):.3f}",
                )
    train_mean = targets.mean(0).numpy().astype(np.float64)
    held_out = evaluate_records(model, valid, store, train_mean)
    return TrainResult(model=model.eval(), train_mean=train_mean, held_out=held_out, train_songs=len(train))


def save_trained(
    path: Path,
    result: TrainResult,
    model_config: ModelConfig,
    features: FeatureConfig,
    config: TrainConfig,
    *,
    trained_on: str,
    synthetic: bool,
) -> None:
    save_checkpoint(
        path,
        kind=KIND,
        config={
            "model": model_config.to_dict(),
            "features": features.to_dict(),
            "trained_on": trained_on,
            "synthetic": synthetic,
            "train_mean": result.train_mean.tolist(),
            "split": {"seed": config.seed, "valid_fraction": config.valid_fraction},
            "train": asdict(config),
        },
        state_dict=result.model.state_dict(),
        metrics={"held_out": serialisable(result.held_out), "train_songs": result.train_songs},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="Rated songs (layout: tools.music.aesthetics.data).")
    parser.add_argument("--trained-on", help="What the ratings are; stored in the checkpoint (required for real data).")
    parser.add_argument("--out", type=Path, required=True, help="Checkpoint to write.")
    defaults = TrainConfig()
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--train-chunks", type=int, default=defaults.train_chunks)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--valid-fraction", type=float, default=defaults.valid_fraction)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--d-model", type=int, default=ModelConfig().d_model)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    torch.set_num_threads(args.threads)
    records = read_song_folder(args.data)
    synthetic = any(record.synthetic for record in records)
    if synthetic:
        trained_on = f"synthetic: {len(records)} generated songs from {args.data} (smoke test, not music ratings)"
    elif args.trained_on:
        trained_on = args.trained_on
    else:
        parser.error("--trained-on is required: say what the ratings are (e.g. 'SongEval, mean of raters').")
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        train_chunks=args.train_chunks,
        learning_rate=args.learning_rate,
        valid_fraction=args.valid_fraction,
        seed=args.seed,
    )
    features = FeatureConfig()
    model_config = ModelConfig(n_mels=features.n_mels, d_model=args.d_model)
    train, valid = split_records(records, config.valid_fraction, config.seed)
    result = train_model(train, valid, FeatureStore(features, Settings.from_env().cache_dir), model_config, config)
    save_trained(args.out, result, model_config, features, config, trained_on=trained_on, synthetic=synthetic)
    Console().print(metrics_table(result.held_out, f"{len(valid)} held-out songs — {trained_on}"))
    logger.info("Wrote %s", args.out)


if __name__ == "__main__":
    main()
