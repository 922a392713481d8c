"""Train the piano model twice, with a joint and with a factorised (pitch + hand) note embedding, and compare.

    python -m tools.music.piano.train --seed 0
    python -m tools.music.piano.train --seed 0 --data-dir ~/data/beethoven-piano-sonatas --steps 600 --out piano.pt
    python -m tools.music.piano.train --device cuda --d-model 192 --layers 3 --dropout 0.25 --batch-size 64 \\
        --steps 4000 --eval-every 500 --out tools/music/checkpoints/piano_factorised_d192.pt   # on a GPU, 4 min

Data: the Beethoven sonatas' **kern files in --data-dir, else `GO_BEETHOVEN_DIR`, else
`<repo>/../shared/data/beethoven-piano-sonatas` (see `tools.music.piano.data`). The first run
parses them (minutes) and caches the tokens under `GO_CACHE_DIR/piano/`.

Both variants get the same seed, the same training batches in the same order, the same number of
steps and the same validation windows from whole held-out movements; both losses are the negative
log-likelihood (nats per token) of the same events, because both models give a distribution over
the same vocabulary. The factorised model is saved with the comparison in its metrics: by default as
the smaller CPU-trained checkpoint (`model.CPU_CHECKPOINT`); the tools write with the larger one the
GPU command above trained (`model.DEFAULT_CHECKPOINT`).

With `--eval-every N` each variant is scored on the held-out movements every N steps and keeps the
weights of its best score (the corpus is small: 0.56 M training tokens, which a longer run passes
over hundreds of times, so a long run overfits and the best score comes before its end). Both
variants are chosen the same way, so the comparison stays even; the held-out loss of the chosen
weights is then a slightly optimistic estimate (it chose them), said so beside the figures.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from torch.nn import functional

from tools.base import ToolError
from tools.cli import print_error
from tools.music.checkpoints import save_checkpoint
from tools.music.piano.data import kern_files, load_corpus, split_by_movement
from tools.music.piano.model import (
    CHECKPOINT_KIND,
    CPU_CHECKPOINT,
    PREFIX_LENGTH,
    ModelConfig,
    PianoTransformer,
    seed_everything,
    sequence_loss,
)
from tools.music.piano.tokens import VOCAB, Segment, encode_segment, pitch_hand_nmi
from tools.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingConfig:
    steps: int = 3000  # the shipped checkpoint's (validation NLL 1.634 nats; 2.717 at 450 steps)
    batch_size: int = 16
    learning_rate: float = 2e-3
    warmup_steps: int = 50
    weight_decay: float = 0.01
    validation_fraction: float = 0.1
    seed: int = 0
    eval_every: int = 0  # score the held-out movements every so many steps and keep the best; 0: the last
    device: str = "cpu"


class TokenWindows:
    """Fixed-length training windows: the segment's meter and mode, then tokens from a bar line on."""

    def __init__(self, segments: Sequence[Segment], context: int) -> None:
        self.sequences = [np.array(encode_segment(segment), dtype=np.int64) for segment in segments]
        self.bar_starts = [np.flatnonzero(sequence == VOCAB.bar) for sequence in self.sequences]
        lengths = np.array([len(sequence) for sequence in self.sequences], dtype=float)
        self.weights = lengths / lengths.sum()
        self.context = context

    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of (inputs, targets), windows drawn in proportion to the segments' lengths."""
        windows = []
        for index in rng.choice(len(self.sequences), size=batch_size, p=self.weights):
            start = rng.choice(self.bar_starts[index])
            sequence = self.sequences[index]
            windows.append(np.concatenate([sequence[:PREFIX_LENGTH], sequence[start : start + self.context - 1]]))
        return pack(windows, self.context)

    def evaluation_batches(self, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Every token after each segment's prefix exactly once, in windows that start at bar lines."""
        windows = []
        room = self.context - 1
        for sequence, starts in zip(self.sequences, self.bar_starts, strict=True):
            ends = [*starts[1:], len(sequence)]
            start = int(starts[0]) if len(starts) else len(sequence)
            while start < len(sequence):
                end = max((int(e) for e in ends if start < e <= start + room), default=start + room)
                windows.append(np.concatenate([sequence[:PREFIX_LENGTH], sequence[start:end]]))
                start = end
        return [pack(windows[i : i + batch_size], self.context) for i in range(0, len(windows), batch_size)]


def pack(windows: Sequence[np.ndarray], context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad windows to `context + 1` tokens and split them into inputs and next-token targets.

    The mode token is given, not predicted, so the first target is masked like padding.
    """
    batch = np.full((len(windows), context + 1), VOCAB.pad, dtype=np.int64)
    for row, window in enumerate(windows):
        batch[row, : len(window)] = window
    inputs, targets = torch.from_numpy(batch[:, :-1]), torch.from_numpy(batch[:, 1:].copy())
    targets[:, : PREFIX_LENGTH - 1] = VOCAB.pad
    return inputs, targets


@torch.no_grad()
def evaluate(model: PianoTransformer, batches: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, float]:
    """Mean NLL in nats per token over all targets, and separately over note and other tokens."""
    model.eval()
    device = model.head.weight.device
    total = {"all": 0.0, "notes": 0.0, "events": 0.0}
    count = dict.fromkeys(total, 0)
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        nll = functional.nll_loss(model(inputs).flatten(0, 1), targets.flatten(), reduction="none")
        flat = targets.flatten()
        scored = flat != VOCAB.pad
        notes = flat >= VOCAB.num_events
        for name, mask in (("all", scored), ("notes", notes), ("events", scored & ~notes)):
            total[name] += float(nll[mask].sum())
            count[name] += int(mask.sum())
    return {f"validation_nll_{name}": total[name] / max(count[name], 1) for name in total} | {
        "validation_tokens": count["all"]
    }


def learning_rate(step: int, config: TrainingConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def train_variant(
    model_config: ModelConfig,
    train: TokenWindows,
    validation: Sequence[tuple[torch.Tensor, torch.Tensor]],
    config: TrainingConfig,
    progress: Progress | None = None,
) -> tuple[PianoTransformer, dict[str, float]]:
    """Train one variant from `config.seed`; the batches depend only on the seed, not on the variant.

    With `config.eval_every` the returned model holds the weights of the best held-out score seen
    (every `eval_every` steps and at the end), and its metrics that score, else the last step's.
    """
    seed_everything(config.seed)
    batches = np.random.default_rng(config.seed)
    device = torch.device(config.device)
    model = PianoTransformer(model_config).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    task = progress.add_task(model_config.embedding, total=config.steps, loss=float("nan")) if progress else None
    started = time.perf_counter()
    running = torch.zeros((), device=device)
    best: tuple[dict[str, float], int, dict[str, torch.Tensor]] | None = None  # its scores, step and weights
    for step in range(1, config.steps + 1):
        model.train()
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(step - 1, config)
        inputs, targets = (part.to(device, non_blocking=True) for part in train.sample(config.batch_size, batches))
        loss = sequence_loss(model, inputs, targets)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        running = loss.detach() if step == 1 else 0.95 * running + 0.05 * loss.detach()  # no sync with a GPU
        if progress is not None and task is not None and (step % 50 == 0 or step == config.steps):
            progress.update(task, completed=step, loss=float(running))
        if config.eval_every and (step % config.eval_every == 0 or step == config.steps):
            scores = evaluate(model, validation)
            log.info("%s step %d: held-out NLL %.4f", model_config.embedding, step, scores["validation_nll_all"])
            if best is None or scores["validation_nll_all"] < best[0]["validation_nll_all"]:
                weights = {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}
                best = (scores, step, weights)
    train_seconds = time.perf_counter() - started
    kept = {"train_nll_running": float(running), "train_seconds": train_seconds, "kept_step": config.steps}
    if best is not None:
        model.load_state_dict(best[2])
        kept["kept_step"] = best[1]
    metrics = (best[0] if best is not None else evaluate(model, validation)) | kept
    return model.cpu(), metrics | {f"parameters_{name}": value for name, value in model.parameter_counts().items()}


def compare_embeddings(
    segments: Sequence[Segment], model_config: ModelConfig, config: TrainingConfig, progress: Progress | None = None
) -> tuple[PianoTransformer, dict]:
    """Train both variants on the same split; the factorised model and all metrics."""
    train_segments, validation_segments = split_by_movement(segments, config.validation_fraction, config.seed)
    train = TokenWindows(train_segments, model_config.context)
    validation = TokenWindows(validation_segments, model_config.context).evaluation_batches(config.batch_size * 2)
    hands = [int(note.hand) for segment in segments for note in segment.notes()]
    metrics: dict = {
        "nmi_pitch_hand": pitch_hand_nmi([note.pitch for segment in segments for note in segment.notes()], hands),
        "nmi_pitch_hand_untransposed": pitch_hand_nmi(
            [note.pitch - segment.shift for segment in segments for note in segment.notes()], hands
        ),
        "notes": len(hands),
        "train_movements": len({segment.movement for segment in train_segments}),
        "validation_movements": sorted({segment.movement for segment in validation_segments}),
        "train_tokens": int(sum(len(sequence) for sequence in train.sequences)),
        "training": config.__dict__,
    }
    models: dict[str, PianoTransformer] = {}
    for embedding in ("joint", "factorised"):
        models[embedding], metrics[embedding] = train_variant(
            replace(model_config, embedding=embedding), train, validation, config, progress
        )
    joint, smart = metrics["joint"], metrics["factorised"]
    metrics["embedding_parameter_reduction"] = 1 - smart["parameters_embedding"] / joint["parameters_embedding"]
    metrics["validation_loss_reduction"] = 1 - smart["validation_nll_all"] / joint["validation_nll_all"]
    return models["factorised"], metrics


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.music.piano.train",
        description="Train the piano model with a joint and a factorised note embedding; save the factorised one.",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder of the Beethoven sonatas' **kern files (default: GO_BEETHOVEN_DIR or the shared data folder)",
    )
    parser.add_argument("--steps", type=int, default=TrainingConfig.steps, help="optimiser steps per variant")
    parser.add_argument("--batch-size", type=int, default=TrainingConfig.batch_size)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default=TrainingConfig.device, help="torch device to train on: cpu, cuda, cuda:1")
    parser.add_argument("--d-model", type=int, default=ModelConfig.d_model,
                        help="model width; heads of 32 dimensions, a feed-forward layer 4 times as wide")
    parser.add_argument("--layers", type=int, default=ModelConfig.layers, help="transformer layers")
    parser.add_argument("--dropout", type=float, default=ModelConfig.dropout)
    parser.add_argument("--eval-every", type=int, default=TrainingConfig.eval_every,
                        help="score the held-out movements every N steps and keep the best weights (0: the last)")
    parser.add_argument("--out", type=Path, default=CPU_CHECKPOINT, help="where to save the factorised model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True)
    if min(args.steps, args.batch_size, args.layers) < 1 or args.eval_every < 0:
        print_error(console, "--steps, --batch-size and --layers must be positive, --eval-every 0 or more.")
        return 2
    if args.d_model < 32 or args.d_model % 32 or not 0 <= args.dropout < 1:
        print_error(console, "--d-model must be a multiple of 32 (heads of 32 dimensions), --dropout in [0, 1).")
        return 2
    try:
        device = torch.device(args.device)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:  # an unknown name, or no such device on this machine
        print_error(console, f"Cannot train on --device {args.device!r}: {exc}")
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    settings = Settings.from_env(beethoven_dir=args.data_dir)
    config = TrainingConfig(steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                            eval_every=args.eval_every, device=str(device))
    model_config = ModelConfig(embedding="factorised", d_model=args.d_model, layers=args.layers,
                               heads=args.d_model // 32, feedforward=4 * args.d_model, dropout=args.dropout)
    started = time.perf_counter()
    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        files = kern_files(settings.beethoven_dir)
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("parsing", total=len(files))
            segments = load_corpus(
                settings.beethoven_dir, settings.cache_dir, on_movement=lambda _: progress.advance(task)
            )
            progress.update(task, completed=len(files))
        loss_column = TextColumn("loss {task.fields[loss]:.3f}")
        with Progress(*columns, loss_column, console=console) as progress:
            model, metrics = compare_embeddings(segments, model_config, config, progress)
    except ToolError as exc:
        print_error(console, str(exc))
        return 2
    metrics["wall_seconds"] = time.perf_counter() - started
    save_checkpoint(
        args.out, kind=CHECKPOINT_KIND, config=model.config.as_dict(), state_dict=model.state_dict(), metrics=metrics
    )
    console.print(comparison_table(metrics))
    console.print(
        f"NMI(pitch; hand) = {metrics['nmi_pitch_hand']:.3f} on the transposed tokens, "
        f"{metrics['nmi_pitch_hand_untransposed']:.3f} on the original pitches ({metrics['notes']:,} notes). "
        f"Kept step {metrics['joint']['kept_step']:,} (joint) and {metrics['factorised']['kept_step']:,} "
        f"(factorised) of {args.steps:,}. Saved {args.out} in {metrics['wall_seconds']:.0f} s."
    )
    return 0


def comparison_table(metrics: dict) -> Table:
    table = Table(
        title=f"Joint vs factorised note embedding ({len(metrics['validation_movements'])} held-out movements)"
    )
    table.add_column("")
    for name in ("joint", "factorised"):
        table.add_column(name, justify="right")
    table.add_column("change", justify="right")
    rows = [
        ("embedding parameters", "parameters_embedding", "{:,}"),
        ("output-head parameters", "parameters_head", "{:,}"),
        ("total parameters", "parameters_total", "{:,}"),
        ("validation NLL, all tokens", "validation_nll_all", "{:.4f}"),
        ("validation NLL, note tokens", "validation_nll_notes", "{:.4f}"),
        ("validation NLL, other tokens", "validation_nll_events", "{:.4f}"),
        ("training seconds", "train_seconds", "{:.0f}"),
    ]
    for label, key, form in rows:
        joint, factorised = metrics["joint"][key], metrics["factorised"][key]
        table.add_row(label, form.format(joint), form.format(factorised), f"{factorised / joint - 1:+.2%}")
    return table


if __name__ == "__main__":
    sys.exit(main())
