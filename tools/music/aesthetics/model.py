"""A small song-aesthetics model: multi-stem attention fusion (MSAF) and hierarchical granularity-aware
interval aggregation (HiGIA), after Lv et al., "Song Aesthetics Evaluation with Multi-Stem Attention and
Hierarchical Uncertainty Modeling" (arXiv 2601.12222).

Why this shape:
- A song's quality lives partly in how voice and band relate, which a mixture alone hides. MSAF lets
  the mixture attend to the vocal stem and to the accompaniment stem, and each stem attend back to the
  mixture; the four attended views are fused into one embedding per chunk.
- Raters do not place a score exactly; they pick a region and refine it. HiGIA predicts a distribution
  over score bins at several granularities (steps of 1, 0.5 and 0.25 on the 1-5 scale by default),
  aggregates them into an interval (mean of the expected values, plus and minus the root of the mean
  variance), and a regression head places the final score inside that interval. The score is therefore
  always inside its interval, and the interval's width is the model's own uncertainty.

Long songs are cut into fixed-size chunks; chunk embeddings are pooled per song with learned attention
weights, so the cost grows linearly with duration and the memory per chunk is fixed.

This is our reading of the paper at a small scale (about 0.2 M parameters on log-mel input); the paper's
exact aggregation rule and encoders differ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional

DIMENSIONS = ("coherence", "memorability", "naturalness", "clarity", "musicality")
"""SongEval's five dimensions: overall coherence, memorability, naturalness of vocal breathing and
phrasing, clarity of song structure, overall musicality."""
SCORE_MIN, SCORE_MAX = 1.0, 5.0


@dataclass(frozen=True)
class ModelConfig:
    n_mels: int = 64
    chunk_frames: int = 256
    d_model: int = 64
    n_heads: int = 4
    dropout: float = 0.1
    granularities: tuple[float, ...] = (1.0, 0.5, 0.25)
    dimensions: tuple[str, ...] = DIMENSIONS
    max_chunks: int = 128
    """Chunks scored per song at most (evenly spaced); 128 chunks of 256 frames cover the 10-minute cap."""
    feature_streams: int = field(default=3, init=False)

    def __post_init__(self) -> None:
        if self.chunk_frames % 4:
            raise ValueError("chunk_frames must be a multiple of 4 (the encoder halves time twice).")
        for step in self.granularities:
            bins = (SCORE_MAX - SCORE_MIN) / step
            if abs(bins - round(bins)) > 1e-9:
                raise ValueError(f"granularity {step} does not divide the {SCORE_MIN}-{SCORE_MAX} scale.")

    def to_dict(self) -> dict:
        values = asdict(self)
        values.pop("feature_streams")
        values["granularities"] = list(self.granularities)
        values["dimensions"] = list(self.dimensions)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        values = dict(values)
        values["granularities"] = tuple(values["granularities"])
        values["dimensions"] = tuple(values["dimensions"])
        return cls(**values)


def bin_centres(step: float) -> torch.Tensor:
    """Score values of the bins of one granularity: 1, 1+step, ..., 5."""
    count = round((SCORE_MAX - SCORE_MIN) / step) + 1
    return torch.linspace(SCORE_MIN, SCORE_MAX, count)


class AestheticsOutput(NamedTuple):
    logits: list[torch.Tensor]
    """Per granularity, (songs, dimensions, bins)."""
    lower: torch.Tensor
    upper: torch.Tensor
    score: torch.Tensor
    """Each (songs, dimensions); lower <= score <= upper."""


class StemEncoder(nn.Module):
    """Log-mel chunk (frames, n_mels) -> tokens (frames / 4, d_model), with learned positions."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d = config.d_model
        self.convolutions = nn.Sequential(
            nn.Conv1d(config.n_mels, d, kernel_size=5, stride=2, padding=2),
            nn.GELU(),
            nn.Conv1d(d, d, kernel_size=5, stride=2, padding=2),
            nn.GELU(),
        )
        self.positions = nn.Parameter(torch.zeros(1, config.chunk_frames // 4, d))
        self.norm = nn.LayerNorm(d)

    def forward(self, chunk: torch.Tensor) -> torch.Tensor:
        tokens = self.convolutions(chunk.transpose(1, 2)).transpose(1, 2)
        return self.norm(tokens + self.positions)


class BidirectionalCrossAttention(nn.Module):
    """The mixture attends to a stem and the stem attends to the mixture; both views are mean-pooled."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d, heads = config.d_model, config.n_heads
        self.mixture_to_stem = nn.MultiheadAttention(d, heads, dropout=config.dropout, batch_first=True)
        self.stem_to_mixture = nn.MultiheadAttention(d, heads, dropout=config.dropout, batch_first=True)
        self.mixture_norm = nn.LayerNorm(d)
        self.stem_norm = nn.LayerNorm(d)

    def forward(self, mixture: torch.Tensor, stem: torch.Tensor) -> torch.Tensor:
        mixture_view, _ = self.mixture_to_stem(mixture, stem, stem, need_weights=False)
        stem_view, _ = self.stem_to_mixture(stem, mixture, mixture, need_weights=False)
        mixture_view = self.mixture_norm(mixture + mixture_view)
        stem_view = self.stem_norm(stem + stem_view)
        return torch.cat([mixture_view.mean(dim=1), stem_view.mean(dim=1)], dim=-1)


class SongAestheticsModel(nn.Module):
    """Chunks of (mixture, vocals, accompaniment) log-mel frames -> HiGIA scores for each dimension."""

    feature_mean: torch.Tensor  # buffers, registered in __init__
    feature_std: torch.Tensor

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        dims = len(config.dimensions)
        self.register_buffer("feature_mean", torch.zeros(config.feature_streams, config.n_mels))
        self.register_buffer("feature_std", torch.ones(config.feature_streams, config.n_mels))
        self.encoders = nn.ModuleList(StemEncoder(config) for _ in range(config.feature_streams))
        self.vocal_fusion = BidirectionalCrossAttention(config)
        self.accompaniment_fusion = BidirectionalCrossAttention(config)
        self.fuse = nn.Sequential(nn.Linear(4 * d, d), nn.GELU(), nn.Dropout(config.dropout), nn.LayerNorm(d))
        self.chunk_attention = nn.Linear(d, 1)
        self.trunk = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Dropout(config.dropout))
        self.distribution_heads = nn.ModuleList(
            nn.Linear(d, dims * len(bin_centres(step))) for step in config.granularities
        )
        self.position_head = nn.Linear(d, dims)
        for step in config.granularities:
            self.register_buffer(f"centres_{_step_name(step)}", bin_centres(step), persistent=False)

    def set_feature_statistics(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Per-stream, per-mel-bin statistics of the training features, applied before the encoders."""
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.as_tensor(np.maximum(std, 1e-3), dtype=torch.float32))

    def forward(self, chunks: torch.Tensor, chunk_mask: torch.Tensor) -> AestheticsOutput:
        """`chunks`: (songs, chunks, 3, chunk_frames, n_mels); `chunk_mask`: (songs, chunks), True where real."""
        songs, count = chunk_mask.shape
        flat = chunks.reshape(songs * count, *chunks.shape[2:]).float()
        flat = (flat - self.feature_mean[None, :, None, :]) / self.feature_std[None, :, None, :]
        mixture, vocals, accompaniment = (encoder(flat[:, i]) for i, encoder in enumerate(self.encoders))
        fused = self.fuse(
            torch.cat([self.vocal_fusion(mixture, vocals), self.accompaniment_fusion(mixture, accompaniment)], -1)
        )
        fused = fused.reshape(songs, count, -1)
        weights = self.chunk_attention(fused).squeeze(-1).masked_fill(~chunk_mask, float("-inf"))
        song = torch.einsum("sc,scd->sd", torch.softmax(weights, dim=1), fused)
        hidden = self.trunk(song)
        return self._aggregate(hidden)

    def _aggregate(self, hidden: torch.Tensor) -> AestheticsOutput:
        dims = len(self.config.dimensions)
        logits, means, variances = [], [], []
        for step, head in zip(self.config.granularities, self.distribution_heads, strict=True):
            centres = getattr(self, f"centres_{_step_name(step)}")
            step_logits = head(hidden).reshape(hidden.shape[0], dims, len(centres))
            probabilities = torch.softmax(step_logits, dim=-1)
            mean = (probabilities * centres).sum(-1)
            logits.append(step_logits)
            means.append(mean)
            variances.append((probabilities * (centres - mean.unsqueeze(-1)) ** 2).sum(-1))
        centre = torch.stack(means).mean(0)
        half_width = torch.stack(variances).mean(0).sqrt().clamp(min=min(self.config.granularities) / 2)
        lower = (centre - half_width).clamp(SCORE_MIN, SCORE_MAX)
        upper = (centre + half_width).clamp(SCORE_MIN, SCORE_MAX)
        score = lower + torch.sigmoid(self.position_head(hidden)) * (upper - lower)
        return AestheticsOutput(logits=logits, lower=lower, upper=upper, score=score)


def _step_name(step: float) -> str:
    return f"{step:g}".replace(".", "_")


def soft_bin_targets(scores: torch.Tensor, step: float) -> torch.Tensor:
    """Each score split between its two neighbouring bins so that the expected bin value is the score.

    A mean rating of 3.3 at step 0.5 becomes 0.4 on 3.0 and 0.6 on 3.5: the target keeps the rating's
    position instead of rounding it away. Shape (..., bins).
    """
    count = round((SCORE_MAX - SCORE_MIN) / step) + 1
    position = ((scores.clamp(SCORE_MIN, SCORE_MAX) - SCORE_MIN) / step).clamp(0, count - 1)
    below = position.floor().clamp(max=count - 2).long()
    fraction = (position - below).unsqueeze(-1)
    targets = torch.zeros(*scores.shape, count, dtype=scores.dtype, device=scores.device)
    targets.scatter_(-1, below.unsqueeze(-1), 1 - fraction)
    targets.scatter_add_(-1, (below + 1).unsqueeze(-1), fraction)
    return targets


def higia_loss(
    output: AestheticsOutput, targets: torch.Tensor, granularities: tuple[float, ...], regression_weight: float = 1.0
) -> torch.Tensor:
    """Cross-entropy against soft bin targets at every granularity (averaged), plus the score's MSE."""
    distribution = torch.stack(
        [
            -(soft_bin_targets(targets, step) * functional.log_softmax(logits, dim=-1)).sum(-1).mean()
            for step, logits in zip(granularities, output.logits, strict=True)
        ]
    ).mean()
    return distribution + regression_weight * functional.mse_loss(output.score, targets)


def song_chunks(
    features: np.ndarray, chunk_frames: int, limit: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Cut (3, frames, n_mels) into (chunks, 3, chunk_frames, n_mels).

    Chunks start every `chunk_frames` frames; the last one ends at the song's end (overlapping its
    neighbour rather than padding with nothing), and a song shorter than a chunk is looped to fill it.
    With `rng`, `limit` chunks are drawn at random (training); without, up to `limit` evenly spaced.
    """
    frames = features.shape[1]
    if frames < chunk_frames:
        features = np.asarray(features)
        return np.pad(features, ((0, 0), (0, chunk_frames - frames), (0, 0)), mode="wrap")[None]
    starts = np.arange(0, frames - chunk_frames + 1, chunk_frames)
    if starts[-1] != frames - chunk_frames:
        starts = np.append(starts, frames - chunk_frames)
    if len(starts) > limit:
        if rng is not None:
            starts = np.sort(rng.choice(starts, size=limit, replace=False))
        else:
            starts = starts[np.linspace(0, len(starts) - 1, limit).round().astype(int)]
    return np.stack([np.asarray(features[:, start : start + chunk_frames]) for start in starts])


def batch_chunks(songs: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad songs' chunk stacks to one tensor (songs, max_chunks, ...) and a mask of the real chunks."""
    count = max(len(chunks) for chunks in songs)
    batch = np.zeros((len(songs), count, *songs[0].shape[1:]), dtype=np.float32)
    mask = np.zeros((len(songs), count), dtype=bool)
    for i, chunks in enumerate(songs):
        batch[i, : len(chunks)] = chunks
        mask[i, : len(chunks)] = True
    return torch.from_numpy(batch), torch.from_numpy(mask)


@torch.no_grad()
def score_songs(model: SongAestheticsModel, songs: list[np.ndarray], batch_size: int = 8) -> dict[str, np.ndarray]:
    """Scores, lower and upper interval bounds, (songs, dimensions) each, of whole songs' features."""
    model.eval()
    outputs = []
    for start in range(0, len(songs), batch_size):
        chunks = [
            song_chunks(song, model.config.chunk_frames, model.config.max_chunks)
            for song in songs[start : start + batch_size]
        ]
        outputs.append(model(*batch_chunks(chunks)))
    return {key: torch.cat([getattr(output, key) for output in outputs]).numpy() for key in ("score", "lower", "upper")}
