"""Inference-time unmasking: the order in which a trained model fills a fully masked harmony.

- **one_shot**: one forward pass, every slot takes its own prediction at once.
- **confidence**: repeatedly predict every masked slot and fix the `per_step` most confident ones
  (highest probability of the chosen chord), so later chords see the confident ones.
- **left_to_right**: fix `per_step` slots at a time from the start of the window.
- **midpoint**: fix the slots of each bisection depth together (middle first, then the middles of
  the halves, ...), the inference counterpart of the midpoint-doubling curriculum.

`temperature` 0 takes the most probable chord; above 0 chords are sampled with the given seed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import torch

from tools.music.harmony.chords import VOCABULARY_SIZE
from tools.music.harmony.curricula import bisection_depths
from tools.music.harmony.data import Piece, Window, tile_windows
from tools.music.harmony.model import MASK_TOKEN, HarmonyTransformer, make_batch

Strategy = Literal["one_shot", "confidence", "left_to_right", "midpoint"]
STRATEGIES: tuple[Strategy, ...] = ("one_shot", "confidence", "left_to_right", "midpoint")


@torch.no_grad()
def harmonise_windows(
    model: HarmonyTransformer,
    windows: list[Window],
    strategy: Strategy = "confidence",
    *,
    per_step: int = 4,
    temperature: float = 0.0,
    seed: int = 0,
    banned: Sequence[Mapping[int, Collection[int]]] | None = None,
) -> list[np.ndarray]:
    """One chord index per beat slot of each window, filled in the strategy's order; slots whose
    window chord is set (>= 0) keep it and condition the rest (inpainting). `banned[i]` maps a
    position of window i to chords it may not take (the model's next choice is taken instead)."""
    model.eval()
    batch = make_batch(windows, [window.chords[window.is_slot] >= 0 for window in windows])
    harmony = batch.harmony.clone()
    masked = batch.slots & (harmony == MASK_TOKEN)  # chords a window carries are given, not predicted
    order = _fill_order(batch.slots, strategy)
    generator = torch.Generator().manual_seed(seed)
    forbidden = torch.zeros((*harmony.shape, VOCABULARY_SIZE), dtype=torch.bool)  # the chord logits' shape
    for row, positions in enumerate(banned or ()):
        for position, chords in positions.items():
            forbidden[row, position, list(chords)] = True
    while masked.any():
        logits = model(replace(batch, harmony=harmony)).masked_fill(forbidden, float("-inf"))
        probabilities = torch.softmax(logits / max(temperature, 1e-6), dim=-1)
        if temperature > 0:
            flat = torch.multinomial(probabilities.reshape(-1, probabilities.shape[-1]), 1, generator=generator)
            choice = flat.reshape(probabilities.shape[:2])
        else:
            choice = probabilities.argmax(-1)
        if strategy == "one_shot":
            chosen = masked
        else:
            confidence = probabilities.gather(-1, choice[..., None])[..., 0]
            chosen = _next_slots(masked, strategy, order, confidence, per_step)
        harmony = torch.where(chosen, choice, harmony)
        masked &= ~chosen
    return [harmony[row][batch.slots[row]].numpy() for row in range(len(windows))]


def _fill_order(slots: torch.Tensor, strategy: Strategy) -> torch.Tensor:
    """Per position, a rank (lower fills first) for the order-driven strategies."""
    order = torch.full(slots.shape, 10**6, dtype=torch.long)
    for row in range(slots.shape[0]):
        count = int(slots[row].sum())
        ranks = bisection_depths(count) if strategy == "midpoint" else range(count)
        order[row, slots[row]] = torch.as_tensor(list(ranks), dtype=torch.long)
    return order


def _next_slots(
    masked: torch.Tensor, strategy: Strategy, order: torch.Tensor, confidence: torch.Tensor, per_step: int
) -> torch.Tensor:
    chosen = torch.zeros_like(masked)
    for row in range(masked.shape[0]):
        candidates = masked[row].nonzero()[:, 0]
        if len(candidates) == 0:
            continue
        if strategy == "midpoint":
            ranks = order[row, candidates]
            chosen[row, candidates[ranks == ranks.min()]] = True
        elif strategy == "left_to_right":
            chosen[row, candidates[order[row, candidates].argsort()[:per_step]]] = True
        else:
            chosen[row, candidates[confidence[row, candidates].argsort(descending=True)[:per_step]]] = True
    return chosen


def harmonise_pieces(
    model: HarmonyTransformer,
    pieces: list[Piece],
    strategy: Strategy = "confidence",
    *,
    batch_size: int = 64,
    given: Sequence[Mapping[int, int]] | None = None,
    banned: Sequence[Mapping[int, Collection[int]]] | None = None,
    **options,
) -> list[list[int]]:
    """One chord index per beat of each piece (in the common key); long pieces go window by window.

    `given[i]` fixes chords of piece i by beat (a cadence, say); the model fills the rest around
    them. `banned[i]` maps beats of piece i to chords they may not take. A piece's own reference
    chords are never shown.
    """
    tiled = []
    for index, piece in enumerate(pieces):
        fixed = given[index] if given else {}
        barred = banned[index] if banned else {}
        for window in tile_windows(piece, model.config.max_positions):
            chords = np.array([fixed.get(int(beat), -1) if beat >= 0 else -1 for beat in window.slot_beats],
                              dtype=np.int64)
            excluded = {position: barred[int(beat)] for position, beat in enumerate(window.slot_beats)
                        if int(beat) in barred}
            tiled.append((index, replace(window, chords=chords), excluded))
    harmonised = [[0] * piece.n_beats for piece in pieces]
    for start in range(0, len(tiled), batch_size):
        chunk = tiled[start : start + batch_size]
        predictions = harmonise_windows(model, [window for _, window, _ in chunk], strategy,
                                        banned=[excluded for _, _, excluded in chunk] if banned else None, **options)
        for (index, window, _), predicted in zip(chunk, predictions, strict=True):
            for beat, chord in zip(window.slot_beats[window.is_slot], predicted, strict=True):
                harmonised[index][int(beat)] = int(chord)
    return harmonised
