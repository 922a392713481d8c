"""How much two distributions of a feature agree: the overlapping area of their kernel density estimates.

Yang & Lerch (2018, "On the evaluation of generative models in music") smooth each set's values
with a Gaussian kernel density estimate and report the area under the smaller of the two curves:
1 when the sets are distributed alike, 0 when they share no values. (They apply it to the
distributions of pairwise distances between pieces; here it is applied to the feature values
themselves, which reads directly as "does generated music have real music's leaps, rests, ...".)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GRID_POINTS = 2048
"""Points the two densities are evaluated on; the integral is a trapezoid sum over them."""
GRID_MARGIN = 4.0
"""The grid reaches this many bandwidths beyond the outermost value, where a Gaussian has ~no mass left."""
BANDWIDTH_FLOOR = 0.05
"""When both sets are constant (but differ), their kernels are this fraction of the pooled standard
deviation wide: narrow enough that two different constants do not overlap."""


def scott_bandwidth(values: np.ndarray) -> float:
    """Scott's rule for one-dimensional data: 1.06 sigma n^(-1/5); exactly 0 for a constant sample, whose
    floating-point sigma need not be (ten values of 0.031 have sigma 7e-18, a needle that overlapped nothing)."""
    if values.min() == values.max():
        return 0.0
    return float(1.06 * values.std() * len(values) ** -0.2)


def _density(values: np.ndarray, bandwidth: float, grid: np.ndarray) -> np.ndarray:
    z = (grid[:, None] - values[None, :]) / bandwidth
    return np.exp(-0.5 * z**2).sum(axis=1) / (len(values) * bandwidth * np.sqrt(2 * np.pi))


def overlapping_area(first: Sequence[float], second: Sequence[float]) -> float:
    """Area of the overlap of the Gaussian KDEs of two samples, in [0, 1].

    Identical constant samples overlap fully (1.0). Each sample's bandwidth is Scott's; a constant
    sample (every chorale has no tuplets) has none and borrows the other sample's, so a set of zeros
    against a set of mostly zeros overlaps as much as the values do, not as much as a needle and a
    bell curve would; two constants get `BANDWIDTH_FLOOR`. Raises ValueError on an empty sample.
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if not len(a) or not len(b):
        raise ValueError("overlapping area needs at least one value in each sample")
    pooled = np.concatenate([a, b])
    if pooled.min() == pooled.max():
        return 1.0
    spread = float(pooled.std())
    own = scott_bandwidth(a), scott_bandwidth(b)
    widths = own[0] or own[1] or BANDWIDTH_FLOOR * spread, own[1] or own[0] or BANDWIDTH_FLOOR * spread
    reach = GRID_MARGIN * max(widths)
    grid = np.linspace(pooled.min() - reach, pooled.max() + reach, GRID_POINTS)
    smaller = np.minimum(_density(a, widths[0], grid), _density(b, widths[1], grid))
    return float(min(1.0, np.trapezoid(smaller, grid)))
