"""musicnn (Pons & Serra 2019) in torch: the network of `musicnn.models.build_musicnn`, layer for layer.

The original is TensorFlow 1 (`tf.compat.v1.layers`, NHWC). This port keeps its arithmetic exactly and
only changes the layout to torch's channels-first:

- input: a log-mel patch (batch, frames, 96), batch-normalised as one channel (a single scalar BN);
- front-end, timbral: two 2-D convolutions over (time, frequency) with 204 filters each, kernels 7x38 and
  7x67 ("valid" after padding time by 3 on each side), ReLU, BN, then max over frequency;
- front-end, temporal: three convolutions along time only (kernels 128, 64, 32 by 1; TF "same" padding,
  which for an even kernel pads one frame more after than before), 51 filters each, ReLU, BN, max over
  frequency; the five maps are concatenated (204 + 204 + 3 x 51 = 561 channels);
- mid-end: three 1-D convolutions over time (kernel 7, 64 filters; TF writes them as 2-D convolutions
  spanning all features), ReLU, BN, the second and third with residual connections; the front-end and the
  three mid-end maps are concatenated (753 channels);
- back-end: max and mean over time, interleaved per channel as TF's concat-then-flatten leaves them
  (max_0, mean_0, max_1, ...), BN, dense 200 with ReLU, BN, dense to the tag logits.

Every batch normalisation uses TF's epsilon of 1e-3 and the stored moving statistics (inference only).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

N_MELS = 96
TF_BATCH_NORM_EPSILON = 1e-3
TIMBRAL_FILTERS = 204  # int(1.6 * 128)
TEMPORAL_FILTERS = 51  # int(1.6 * 32)
TIMBRAL_KERNELS = ((7, 38), (7, 67))  # 38 = int(0.4 * 96), 67 = int(0.7 * 96)
TEMPORAL_KERNELS = (128, 64, 32)
FRONTEND_CHANNELS = 2 * TIMBRAL_FILTERS + len(TEMPORAL_KERNELS) * TEMPORAL_FILTERS
MIDEND_KERNEL = 7


def _batch_norm(channels: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(channels, eps=TF_BATCH_NORM_EPSILON)


def _batch_norm_2d(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=TF_BATCH_NORM_EPSILON)


def _same_time_padding(kernel: int) -> tuple[int, int, int, int]:
    """TF "same" padding of a (kernel x 1) convolution: (kernel - 1) // 2 frames before, the rest after."""
    before = (kernel - 1) // 2
    return (0, 0, before, kernel - 1 - before)


class Musicnn(nn.Module):
    """The musicnn tagger: log-mel patches (batch, frames, 96) to tag logits (batch, classes)."""

    def __init__(self, num_classes: int = 50, midend_filters: int = 64, backend_units: int = 200) -> None:
        super().__init__()
        self.input_norm = _batch_norm_2d(1)
        self.timbral = nn.ModuleList(nn.Conv2d(1, TIMBRAL_FILTERS, kernel) for kernel in TIMBRAL_KERNELS)
        self.timbral_norms = nn.ModuleList(_batch_norm_2d(TIMBRAL_FILTERS) for _ in TIMBRAL_KERNELS)
        self.temporal = nn.ModuleList(nn.Conv2d(1, TEMPORAL_FILTERS, (kernel, 1)) for kernel in TEMPORAL_KERNELS)
        self.temporal_norms = nn.ModuleList(_batch_norm_2d(TEMPORAL_FILTERS) for _ in TEMPORAL_KERNELS)
        inputs = (FRONTEND_CHANNELS, midend_filters, midend_filters)
        self.midend = nn.ModuleList(nn.Conv1d(channels, midend_filters, MIDEND_KERNEL) for channels in inputs)
        self.midend_norms = nn.ModuleList(_batch_norm(midend_filters) for _ in inputs)
        pooled = 2 * (FRONTEND_CHANNELS + 3 * midend_filters)
        self.pool_norm = _batch_norm(pooled)
        self.dense = nn.Linear(pooled, backend_units)
        self.dense_norm = _batch_norm(backend_units)
        self.output = nn.Linear(backend_units, num_classes)

    def frontend(self, patches: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 96) -> (batch, 561, frames): timbral and temporal maps, maxed over frequency."""
        x = self.input_norm(patches.unsqueeze(1))
        maps = []
        padded = F.pad(x, (0, 0, 3, 3))
        # BN before the max over frequency, as in TF: a negative BN scale does not commute with max.
        for conv, norm in zip(self.timbral, self.timbral_norms, strict=True):
            maps.append(norm(F.relu(conv(padded))).amax(dim=3))
        for conv, norm, kernel in zip(self.temporal, self.temporal_norms, TEMPORAL_KERNELS, strict=True):
            maps.append(norm(F.relu(conv(F.pad(x, _same_time_padding(kernel))))).amax(dim=3))
        return torch.cat(maps, dim=1)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        front = self.frontend(patches)
        features = [front]
        x = front
        for index, (conv, norm) in enumerate(zip(self.midend, self.midend_norms, strict=True)):
            y = norm(F.relu(conv(F.pad(x, (3, 3)))))
            x = y if index == 0 else y + x
            features.append(x)
        midend = torch.cat(features, dim=1)
        pooled = torch.stack([midend.amax(dim=2), midend.mean(dim=2)], dim=2).flatten(1)
        hidden = self.dense_norm(F.relu(self.dense(self.pool_norm(pooled))))
        return self.output(hidden)
