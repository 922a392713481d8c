"""Exact recovery of a point from its squared distances to a map's prototypes.

For a point x in R^D and prototypes p_i, d_i^2 = ||x||^2 - 2 p_i.x + ||p_i||^2. Subtracting one
equation from another cancels the unknown ||x||^2 and leaves a linear system. Here every equation is
taken relative to the mean equation of the prototypes used (centroid c = mean p_i):

    2 (p_i - c)^T (x - c) = ||p_i - c||^2 - mean_j ||p_j - c||^2 - (d_i^2 - mean_j d_j^2).

With exactly D+1 prototypes this has the same unique solution as subtracting the equation of p_0
(both are invertible row combinations of the same consistent equations); with more prototypes it is
the least-squares fit that treats them all alike, instead of trusting p_0 more than the rest.
The system determines x iff the matrix [p_i - c] (equivalently [p_i - p_0]) has rank D, i.e. the
prototypes are affinely independent; `invert` checks that, reports the condition number, and raises
`RankDeficientError` otherwise. `ridge` adds Tikhonov regularisation for noisy or near-degenerate
distances: it minimises ||A x - b||^2 + lambda ||x - x_ref||^2 with lambda = ridge * sigma_max(A)^2,
so `ridge` is scale-free and the regulariser pulls unseen directions to `reference` (default: c).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.music.som.som import SomInputError, check_matrix


class RankDeficientError(SomInputError):
    """The chosen prototypes are not affinely independent, so the distances do not determine the point."""


@dataclass(frozen=True)
class Recovery:
    """A recovered point and how well-posed the system that produced it was."""

    point: np.ndarray
    rank: int
    dimension: int
    condition_number: float
    """sigma_max / sigma_min of [p_i - c]; inf when rank-deficient."""
    prototype_indices: np.ndarray


def _checked_distances(squared_distances: np.ndarray | list, count: int) -> np.ndarray:
    """Activations as an n x count matrix (one row per point) of finite, non-negative numbers."""
    try:
        values = np.atleast_2d(np.asarray(squared_distances, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise SomInputError(f"Squared distances must be numbers ({exc}).") from exc
    if values.ndim != 2 or values.shape[1] != count:
        raise SomInputError(
            f"Expected {count} squared distances per point, one per prototype, got shape {values.shape}."
        )
    if not np.isfinite(values).all():
        raise SomInputError("The squared distances contain NaN or infinite values.")
    if (values < 0).any():
        raise SomInputError("Squared distances cannot be negative.")
    return values


class Inverter:
    """The inversion system of one prototype selection, factorised once (SVD) to recover many points.

    `indices=None` uses every prototype (least squares over all of them). With `ridge=0` a rank-deficient
    selection raises `RankDeficientError`; with `ridge>0` it is solved, the regulariser fixing the directions
    the prototypes cannot see.
    """

    def __init__(self, prototypes: np.ndarray, indices: np.ndarray | list[int] | None = None) -> None:
        prototypes = check_matrix(prototypes, name="prototypes", min_rows=2)
        count = prototypes.shape[0]
        chosen = np.arange(count) if indices is None else np.asarray(indices, dtype=np.int64)
        if chosen.ndim != 1 or len(np.unique(chosen)) != len(chosen) or chosen.min() < 0 or chosen.max() >= count:
            raise SomInputError(f"indices must be distinct prototype numbers in [0, {count}).")
        self.count = count
        self.indices = chosen
        self.dimension = prototypes.shape[1]
        points = prototypes[chosen]
        self.centroid = points.mean(axis=0)
        centred = points - self.centroid
        norms = (centred * centred).sum(axis=1)
        self._norm_terms = norms - norms.mean()
        self._left, self._singular, self._right_t = np.linalg.svd(2 * centred, full_matrices=False)
        tolerance = self._singular.max(initial=0.0) * max(centred.shape) * np.finfo(np.float64).eps * 16
        self.rank = int((self._singular > tolerance).sum())
        self.condition_number = (
            float(self._singular[0] / self._singular[-1]) if self.rank == self.dimension else float("inf")
        )

    def recover(
        self, squared_distances: np.ndarray | list, *, ridge: float = 0.0, reference: np.ndarray | None = None
    ) -> np.ndarray:
        """Points (n x D) whose squared distances to the prototypes are the rows of `squared_distances` (n x K).

        A single activation (length K) gives a single point (length D).
        """
        single = np.ndim(squared_distances) == 1
        values = _checked_distances(squared_distances, self.count)
        if not (np.isfinite(ridge) and ridge >= 0):
            raise SomInputError(f"ridge must be a finite number >= 0, got {ridge}.")
        if self.rank < self.dimension and ridge == 0:
            selected = len(self.indices)
            needed = "" if selected > self.dimension else f" (at least D+1 = {self.dimension + 1} are needed)"
            raise RankDeficientError(
                f"The {selected} prototypes span only {self.rank} of {self.dimension} dimensions{needed}, so their "
                "distances do not determine the point. Choose affinely independent prototypes "
                "(`affinely_independent_nearest`), reduce the dimension, or pass ridge > 0."
            )
        offset = np.zeros(self.dimension)
        if reference is not None:
            offset = check_matrix(np.atleast_2d(reference), name="reference", dimension=self.dimension)[0]
            offset = offset - self.centroid
        d2 = values[:, self.indices]
        rhs = self._norm_terms[None, :] - (d2 - d2.mean(axis=1, keepdims=True))
        residual = rhs - (self._left * self._singular) @ (self._right_t @ offset)  # b - A x_ref
        denominator = self._singular**2 + ridge * self._singular[0] ** 2
        filters = np.divide(self._singular, denominator, out=np.zeros_like(self._singular), where=denominator > 0)
        points = self.centroid + offset + ((residual @ self._left) * filters) @ self._right_t
        return points[0] if single else points


def invert(
    squared_distances: np.ndarray | list,
    prototypes: np.ndarray,
    *,
    indices: np.ndarray | list[int] | None = None,
    ridge: float = 0.0,
    reference: np.ndarray | None = None,
) -> Recovery:
    """The point whose squared distances to `prototypes[indices]` are `squared_distances[indices]`.

    `indices=None` uses every prototype; see `Inverter` for the rank check and `ridge`.
    """
    inverter = Inverter(prototypes, indices)
    return Recovery(
        point=inverter.recover(
            np.asarray(squared_distances, dtype=np.float64).reshape(-1), ridge=ridge, reference=reference
        ),
        rank=inverter.rank,
        dimension=inverter.dimension,
        condition_number=inverter.condition_number,
        prototype_indices=inverter.indices,
    )


def affinely_independent_nearest(
    squared_distances: np.ndarray | list,
    prototypes: np.ndarray,
    *,
    count: int | None = None,
    relative_tolerance: float = 1e-6,
) -> np.ndarray:
    """Indices of the `count` (default D+1) nearest prototypes that are affinely independent.

    Greedy by rank: walk the prototypes from nearest to farthest and keep one only if its offset from the
    nearest adds a new direction (Gram-Schmidt residual above `relative_tolerance` of the offset's length).
    Once D directions are found, further prototypes are taken in distance order (any extra one keeps the
    rank at D). Raises `RankDeficientError` if fewer than D+1 independent ones exist.
    """
    prototypes = check_matrix(prototypes, name="prototypes", min_rows=2)
    distances = _checked_distances(squared_distances, prototypes.shape[0])[0]
    dimension = prototypes.shape[1]
    wanted = dimension + 1 if count is None else count
    if not dimension + 1 <= wanted <= len(prototypes):
        raise SomInputError(
            f"count must be between D+1 = {dimension + 1} and the number of prototypes ({len(prototypes)}), "
            f"got {wanted}."
        )
    order = np.argsort(distances, kind="stable")
    origin = prototypes[order[0]]
    basis = np.zeros((0, dimension))
    chosen = [int(order[0])]
    for index in order[1:]:
        if len(basis) == dimension:
            break
        offset = prototypes[index] - origin
        length = np.linalg.norm(offset)
        residual = offset - basis.T @ (basis @ offset)
        residual = residual - basis.T @ (basis @ residual)  # a second pass keeps the basis orthonormal
        if length > 0 and np.linalg.norm(residual) > relative_tolerance * length:
            basis = np.vstack([basis, residual / np.linalg.norm(residual)])
            chosen.append(int(index))
    if len(basis) < dimension:
        raise RankDeficientError(
            f"The {len(prototypes)} prototypes span only {len(basis)} of {dimension} dimensions; "
            "no D+1 of them are affinely independent. Reduce the dimension (e.g. PCA) or use more prototypes."
        )
    taken = set(chosen)
    extra = [int(index) for index in order if int(index) not in taken]
    return np.array(chosen + extra[: wanted - len(chosen)], dtype=np.int64)
