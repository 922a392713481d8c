"""Training curricula: which harmony positions the model sees while it learns to fill the rest.

Each curriculum maps (training step, total steps, the number of chord slots of each example) to a
boolean "visible" mask over those slots; every hidden slot is replaced by [MASK] and predicted.

- **ff** (full-to-full, arXiv 2601.16150): the visible fraction is v = (step / total)^5 for the
  whole batch and floor(v * L) random slots are shown, at most L - 1. With L around 30 the
  harmony stays fully masked for roughly the first half of training, so the model must learn
  chords from the melody alone before it can lean on neighbouring chords.
- **random**: each example draws its own visible fraction uniformly in [0, 1) and shows that many
  random slots, at every step (the step is ignored; a discrete-diffusion-style baseline).
- **midpoint** (midpoint doubling, our definition): slots are ranked by bisection depth, the middle
  slot at depth 0, the middles of the two halves at depth 1, their halves' middles at depth 2, ...
  so each depth doubles the number of anchors. Each example draws a level l uniformly from
  0..D (D = the deepest depth) and shows every slot of depth < l, i.e. 0, 1, 3, 7, 15, ...
  anchors, never all L. The step is ignored, as for random.

The `midpoint` inference order in `unmasking.py` walks the same bisection depths.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Literal

import numpy as np

Curriculum = Literal["ff", "random", "midpoint"]
CURRICULA: tuple[Curriculum, ...] = ("ff", "random", "midpoint")
FF_EXPONENT = 5


def ff_visible_fraction(step: int, total_steps: int) -> float:
    """(step / total)^5, clipped to [0, 1]."""
    return min(max(step / max(total_steps, 1), 0.0), 1.0) ** FF_EXPONENT


def visible_count(fraction: float, length: int) -> int:
    """min(floor(fraction * L), L - 1): never every slot, so there is always something to predict."""
    return max(0, min(int(np.floor(fraction * length)), length - 1))


@cache
def bisection_depths(length: int) -> tuple[int, ...]:
    """Depth of each of `length` slots in the midpoint-first bisection (the middle slot has depth 0)."""
    depths = [0] * length
    intervals = [(0, length, 0)]
    while intervals:
        low, high, depth = intervals.pop()
        if low >= high:
            continue
        middle = (low + high) // 2
        depths[middle] = depth
        intervals += [(low, middle, depth + 1), (middle + 1, high, depth + 1)]
    return tuple(depths)


def visible_slots(
    curriculum: Curriculum,
    step: int,
    total_steps: int,
    lengths: Sequence[int],
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """For each example with `lengths[i]` chord slots, a boolean array: True where the chord is shown."""
    masks = []
    for length in lengths:
        visible = np.zeros(length, dtype=bool)
        if length == 0:
            masks.append(visible)
            continue
        if curriculum == "midpoint":
            depths = np.asarray(bisection_depths(length))
            level = int(rng.integers(0, depths.max() + 1))
            visible = depths < level
        else:
            fraction = ff_visible_fraction(step, total_steps) if curriculum == "ff" else float(rng.random())
            shown = rng.choice(length, size=visible_count(fraction, length), replace=False)
            visible[shown] = True
        masks.append(visible)
    return masks
