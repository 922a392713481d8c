"""A self-organising map on a rectangular grid, trained with the vectorised batch rule.

Why batch: one epoch is a handful of matrix products (all best-matching units at once, then every
prototype as a neighbourhood-weighted mean of the data), so a 10x10 map on a few thousand 64-D points
trains in well under a second with numpy and needs no torch. The Gaussian neighbourhood radius and the
learning rate both decay exponentially over the epochs; the learning rate damps the batch step
(`W <- W + lr * (batch_mean - W)`), which is the plain batch SOM when it is 1.

The map's prototypes are what `inversion` and `music` work on: a point is recovered exactly from its
squared distances to D+1 affinely independent prototypes, so the map must have at least D+1 units.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from tools.base import ToolInputError

logger = logging.getLogger(__name__)


class SomInputError(ToolInputError):
    """Data or arguments a self-organising map cannot be trained or queried with."""


@dataclass(frozen=True)
class SomConfig:
    """How a map is shaped and trained; `seed` makes training reproducible."""

    rows: int = 10
    cols: int = 10
    epochs: int = 40
    radius_start: float | None = None
    """Neighbourhood sigma (in grid cells) at the first epoch; None = half the larger grid side."""
    radius_end: float = 0.5
    learning_rate_start: float = 1.0
    learning_rate_end: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rows < 1 or self.cols < 1 or self.rows * self.cols < 2:
            raise SomInputError(f"A map needs at least 2 units, got {self.rows}x{self.cols}.")
        if self.epochs < 1:
            raise SomInputError(f"epochs must be at least 1, got {self.epochs}.")
        if not 0 < self.radius_end <= self.start_radius:
            raise SomInputError("Need 0 < radius_end <= radius_start.")
        if not 0 < self.learning_rate_end <= self.learning_rate_start <= 1:
            raise SomInputError("Need 0 < learning_rate_end <= learning_rate_start <= 1.")

    @property
    def units(self) -> int:
        return self.rows * self.cols

    @property
    def start_radius(self) -> float:
        return self.radius_start if self.radius_start is not None else max(self.rows, self.cols) / 2

    def schedule(self, epoch: int) -> tuple[float, float]:
        """(radius, learning rate) at `epoch`: exponential decay from the start to the end value."""
        fraction = epoch / max(self.epochs - 1, 1)
        radius = self.start_radius * (self.radius_end / self.start_radius) ** fraction
        rate = self.learning_rate_start * (self.learning_rate_end / self.learning_rate_start) ** fraction
        return radius, rate


def squared_distances(points: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """||x - p||^2 for every point (rows) and prototype (columns): a SOM's activation pattern."""
    points = np.atleast_2d(points)
    cross = points @ prototypes.T
    result = (points * points).sum(axis=1)[:, None] - 2 * cross + (prototypes * prototypes).sum(axis=1)[None, :]
    return np.maximum(result, 0.0)


def check_matrix(data: ArrayLike, *, name: str, min_rows: int = 1, dimension: int | None = None) -> np.ndarray:
    """`data` as a finite float64 matrix, or a `SomInputError` that says what is wrong with it."""
    try:
        matrix = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SomInputError(f"{name} must be numbers in equal-length rows ({exc}).") from exc
    if matrix.ndim != 2:
        raise SomInputError(f"{name} must be a 2-D array (rows of vectors), got shape {matrix.shape}.")
    if matrix.shape[0] < min_rows:
        raise SomInputError(f"{name} needs at least {min_rows} rows, got {matrix.shape[0]}.")
    if matrix.shape[1] < 1:
        raise SomInputError(f"{name} has vectors of length 0.")
    if dimension is not None and matrix.shape[1] != dimension:
        raise SomInputError(f"{name} has dimension {matrix.shape[1]}, expected {dimension}.")
    if not np.isfinite(matrix).all():
        bad = sorted({int(row) for row in np.argwhere(~np.isfinite(matrix))[:, 0]})[:5]
        raise SomInputError(f"{name} contains NaN or infinite values (rows {bad}).")
    return matrix


class SelfOrganisingMap:
    """Prototypes on a rows x cols grid; unit k sits at grid cell (k // cols, k % cols)."""

    def __init__(self, prototypes: np.ndarray, rows: int, cols: int) -> None:
        prototypes = check_matrix(prototypes, name="prototypes", min_rows=rows * cols)
        if prototypes.shape[0] != rows * cols:
            raise SomInputError(f"{prototypes.shape[0]} prototypes do not fill a {rows}x{cols} grid.")
        self.prototypes = prototypes
        self.rows = rows
        self.cols = cols
        self.grid = np.array([(unit // cols, unit % cols) for unit in range(rows * cols)], dtype=np.float64)

    @property
    def dimension(self) -> int:
        return self.prototypes.shape[1]

    @classmethod
    def train(
        cls,
        data: np.ndarray,
        config: SomConfig = SomConfig(),  # noqa: B008 - frozen dataclass, safe as a default
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> SelfOrganisingMap:
        """Fit a map to `data` (n x D); `on_epoch(epoch, quantisation_error)` reports progress."""
        data = check_matrix(data, name="training data", min_rows=2)
        rng = np.random.default_rng(config.seed)
        start = rng.choice(data.shape[0], size=config.units, replace=data.shape[0] < config.units)
        # A little jitter keeps prototypes drawn from the same sample apart, so they stay affinely independent.
        jitter = 1e-3 * data.std(axis=0, keepdims=True) * rng.standard_normal((config.units, data.shape[1]))
        som = cls(data[start] + jitter, config.rows, config.cols)
        grid_sq = squared_distances(som.grid, som.grid)
        for epoch in range(config.epochs):
            radius, rate = config.schedule(epoch)
            neighbourhood = np.exp(-grid_sq / (2 * radius**2))  # units x units, symmetric
            winners = som.best_matching_units(data)
            weights = neighbourhood[winners]  # n x units: influence of each sample on each unit
            mass = weights.sum(axis=0)
            batch_mean = (weights.T @ data) / np.maximum(mass, 1e-12)[:, None]
            reached = mass > 1e-12
            som.prototypes[reached] += rate * (batch_mean[reached] - som.prototypes[reached])
            if on_epoch is not None:
                on_epoch(epoch, som.quantisation_error(data))
        logger.debug("trained a %dx%d SOM on %d points", config.rows, config.cols, data.shape[0])
        return som

    def activation(self, points: np.ndarray) -> np.ndarray:
        """Squared distances of each point to every prototype (n x units)."""
        return squared_distances(check_matrix(points, name="points", dimension=self.dimension), self.prototypes)

    def best_matching_units(self, points: np.ndarray) -> np.ndarray:
        return self.activation(points).argmin(axis=1)

    def cell(self, unit: int) -> tuple[int, int]:
        if not 0 <= unit < self.rows * self.cols:
            raise SomInputError(f"Unit {unit} is not on the {self.rows}x{self.cols} map.")
        return unit // self.cols, unit % self.cols

    def unit(self, row: int, col: int) -> int:
        if not (0 <= row < self.rows and 0 <= col < self.cols):
            raise SomInputError(f"Cell ({row}, {col}) is not on the {self.rows}x{self.cols} map.")
        return row * self.cols + col

    def quantisation_error(self, data: np.ndarray) -> float:
        """Mean Euclidean distance from each point to its best-matching prototype."""
        return float(np.sqrt(self.activation(data).min(axis=1)).mean())

    def topographic_error(self, data: np.ndarray) -> float:
        """Share of points whose two best-matching units are not grid neighbours (8-neighbourhood)."""
        order = np.argsort(self.activation(data), axis=1)[:, :2]
        steps = np.abs(self.grid[order[:, 0]] - self.grid[order[:, 1]]).max(axis=1)
        return float((steps > 1).mean())
