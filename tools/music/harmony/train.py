"""Train the harmoniser once per curriculum, same seed, size and step budget, and ship the checkpoints.

    python -m tools.music.harmony.train       # ff, random and midpoint (about 8 min on a busy 2-core CPU)
    python -m tools.music.harmony.train --curricula ff --steps 200 --out-dir /tmp/harmony

Data: the Bach chorales of music21's corpus, split by chorale (seed 0: 80 % train, 10 % valid,
10 % test), parsed once into the cache folder. Each step draws `batch_size` windows of whole bars
(up to `max_positions` positions per stream) from random training chorales and bars, hides the
chord slots the curriculum does not show, and minimises cross-entropy on the hidden ones.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tools.music.checkpoints import CHECKPOINT_DIR, save_checkpoint
from tools.music.harmony.curricula import CURRICULA, Curriculum, visible_slots
from tools.music.harmony.data import Piece, Window, encode_window, load_bach_chorales, split_by_piece
from tools.music.harmony.model import CHECKPOINT_KIND, MASK_TOKEN, HarmonyConfig, HarmonyTransformer, make_batch
from tools.settings import Settings

logger = logging.getLogger(__name__)
SPLIT_SEED = 0


@dataclass(frozen=True)
class TrainingPlan:
    """Everything but the curriculum that must be equal across the compared runs."""

    steps: int = 700
    batch_size: int = 16
    learning_rate: float = 2e-3
    warmup_fraction: float = 0.05
    seed: int = 0


def checkpoint_path(curriculum: Curriculum, folder: Path = CHECKPOINT_DIR) -> Path:
    return folder / f"harmony_{curriculum}.pt"


def training_windows(pieces: Sequence[Piece], max_positions: int) -> list[Window]:
    """A window starting at every bar of every piece (the pool training batches are drawn from)."""
    return [encode_window(piece, bar, max_positions) for piece in pieces for bar in range(len(piece.bar_starts))]


def masked_loss(model: HarmonyTransformer, windows: Sequence[Window], visible: Sequence[np.ndarray]) -> torch.Tensor:
    """Cross-entropy of the hidden chord slots."""
    batch = make_batch(windows, visible)
    logits = model(batch)
    hidden = (batch.harmony == MASK_TOKEN) & (batch.targets >= 0)
    return torch.nn.functional.cross_entropy(logits[hidden], batch.targets[hidden])


def learning_rate_at(step: int, plan: TrainingPlan) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    warmup = max(1, int(plan.warmup_fraction * plan.steps))
    if step < warmup:
        return plan.learning_rate * (step + 1) / warmup
    progress = (step - warmup) / max(1, plan.steps - warmup)
    return plan.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_model(
    curriculum: Curriculum,
    windows: Sequence[Window],
    config: HarmonyConfig,
    plan: TrainingPlan,
    progress: Progress | None = None,
) -> HarmonyTransformer:
    """Train one model with `curriculum` from the same initial weights and batch order as any other run."""
    torch.manual_seed(plan.seed)
    model = HarmonyTransformer(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=plan.learning_rate, weight_decay=0.01)
    batches = np.random.default_rng(plan.seed)
    masks = np.random.default_rng(plan.seed + 1)
    task = progress.add_task(f"{curriculum:>8}", total=plan.steps, loss=math.nan) if progress else None
    model.train()
    for step in range(plan.steps):
        chosen = [windows[i] for i in batches.integers(0, len(windows), plan.batch_size)]
        visible = visible_slots(curriculum, step, plan.steps, [int(w.is_slot.sum()) for w in chosen], masks)
        for group in optimiser.param_groups:
            group["lr"] = learning_rate_at(step, plan)
        loss = masked_loss(model, chosen, visible)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        if progress is not None and task is not None:
            progress.update(task, advance=1, loss=loss.item())
    model.eval()
    return model


@torch.no_grad()
def fully_masked_scores(model: HarmonyTransformer, windows: Sequence[Window]) -> dict[str, float]:
    """Loss and one-shot accuracy with every chord hidden (how well the melody alone is used)."""
    model.eval()
    batch = make_batch(windows)
    logits = model(batch)
    known = batch.targets >= 0
    loss = torch.nn.functional.cross_entropy(logits[known], batch.targets[known]).item()
    accuracy = (logits.argmax(-1)[known] == batch.targets[known]).float().mean().item()
    return {"valid_masked_loss": round(loss, 4), "valid_one_shot_accuracy": round(accuracy, 4)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--curricula", nargs="+", choices=CURRICULA, default=list(CURRICULA))
    parser.add_argument("--steps", type=int, default=TrainingPlan.steps)
    parser.add_argument("--batch-size", type=int, default=TrainingPlan.batch_size)
    parser.add_argument("--seed", type=int, default=TrainingPlan.seed)
    parser.add_argument("--out-dir", type=Path, default=CHECKPOINT_DIR)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    console = Console()
    config = HarmonyConfig()
    plan = TrainingPlan(steps=args.steps, batch_size=args.batch_size, seed=args.seed)
    splits = split_by_piece(load_bach_chorales(Settings.from_env().cache_dir), seed=SPLIT_SEED)
    console.print({name: len(pieces) for name, pieces in splits.items()}, "chorales per split")
    train_windows = training_windows(splits["train"], config.max_positions)
    valid_windows = training_windows(splits["valid"], config.max_positions)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
    )
    with Progress(*columns, console=console) as progress:
        for curriculum in args.curricula:
            started = time.perf_counter()
            model = train_model(curriculum, train_windows, config, plan, progress)
            metrics = {
                "curriculum": curriculum,
                "train_seconds": round(time.perf_counter() - started, 1),
                "train_chorales": len(splits["train"]),
                **fully_masked_scores(model, valid_windows),
            }
            path = checkpoint_path(curriculum, args.out_dir)
            save_checkpoint(
                path,
                kind=CHECKPOINT_KIND,
                config={"model": config.to_dict(), "plan": asdict(plan), "split_seed": SPLIT_SEED},
                state_dict=model.state_dict(),
                metrics=metrics,
            )
            console.print(f"{curriculum}: {metrics} -> {path}")


if __name__ == "__main__":
    main()
