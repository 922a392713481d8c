"""The ICASSP 2026 Automatic Song Aesthetics Evaluation (ASAE) challenge's metrics.

Per dimension: LCC (Pearson), SRCC (Spearman), KTAU (Kendall's tau-b, as `scipy.stats.kendalltau`
computes it) and top-tier accuracy; the challenge averages each over the dimensions.

Top-tier accuracy, as defined here: a song is "top tier" in a dimension when its mean rating is at or
above that dimension's threshold (`TOP_TIER_THRESHOLDS`); the model calls a song top tier when its
predicted score is at or above the same threshold; the metric is the F1 score of the model's top-tier
calls against the true ones (precision and recall of "top tier"). The challenge FAQ describes the metric
as identifying top songs against a threshold without publishing numbers; the thresholds and the F1 form
are those of a participant's public scoring code (Eps-Acoustic-Revolution-Lab/EAR_HEAR, `utils.py`).
When no song is truly top tier and none is predicted so, F1 is reported as 0, as in that code.

A correlation with a constant input is undefined; it is reported as 0 (also as in that code), so a
constant predictor scores 0 on LCC, SRCC and KTAU.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel
from scipy import stats

TOP_TIER_THRESHOLDS = {
    "coherence": 4.0,
    "memorability": 3.75,
    "naturalness": 4.0,
    "clarity": 3.75,
    "musicality": 4.0,
}


class DimensionMetrics(BaseModel):
    lcc: float
    srcc: float
    ktau: float
    top_tier: float
    mse: float


def _correlation(kind: str, truth: np.ndarray, predicted: np.ndarray) -> float:
    if len(truth) < 2 or np.std(truth) == 0 or np.std(predicted) == 0:
        return 0.0
    function = {"lcc": stats.pearsonr, "srcc": stats.spearmanr, "ktau": stats.kendalltau}[kind]
    value = float(function(truth, predicted)[0])
    return 0.0 if np.isnan(value) else value


def top_tier_f1(truth: np.ndarray, predicted: np.ndarray, threshold: float) -> float:
    """F1 of "predicted >= threshold" against "truth >= threshold"."""
    true_top = np.asarray(truth) >= threshold
    predicted_top = np.asarray(predicted) >= threshold
    hits = int(np.sum(true_top & predicted_top))
    if hits == 0:
        return 0.0
    precision = hits / int(np.sum(predicted_top))
    recall = hits / int(np.sum(true_top))
    return 2 * precision * recall / (precision + recall)


def dimension_metrics(truth: np.ndarray, predicted: np.ndarray, threshold: float) -> DimensionMetrics:
    truth, predicted = np.asarray(truth, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    return DimensionMetrics(
        lcc=_correlation("lcc", truth, predicted),
        srcc=_correlation("srcc", truth, predicted),
        ktau=_correlation("ktau", truth, predicted),
        top_tier=top_tier_f1(truth, predicted, threshold),
        mse=float(np.mean((truth - predicted) ** 2)),
    )


def challenge_metrics(
    truth: np.ndarray, predicted: np.ndarray, dimensions: tuple[str, ...]
) -> dict[str, DimensionMetrics]:
    """Metrics per dimension for (songs, dimensions) arrays, plus their average under the key "mean"."""
    per_dimension = {
        name: dimension_metrics(truth[:, i], predicted[:, i], TOP_TIER_THRESHOLDS[name])
        for i, name in enumerate(dimensions)
    }
    fields = DimensionMetrics.model_fields
    mean = DimensionMetrics(
        **{key: float(np.mean([getattr(m, key) for m in per_dimension.values()])) for key in fields}
    )
    return {**per_dimension, "mean": mean}
