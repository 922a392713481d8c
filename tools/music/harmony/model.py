"""The single-encoder masked harmoniser: melody and harmony streams in one transformer.

The input is the melody stream (per position: pitch classes sounding in the beat, rest and bar
flags) followed by the harmony stream (per position: a chord, [BAR] or [MASK]), both with one
position per bar token and one per beat (`data.beat_quarters_of`), aligned position by position.
Every layer's self-attention therefore mixes harmony-to-harmony ("self") and harmony-to-melody ("cross")
attention; the curricula decide how much of the harmony the model may lean on while it learns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tools.music.checkpoints import CheckpointError, load_checkpoint
from tools.music.harmony.chords import VOCABULARY_SIZE
from tools.music.harmony.data import MAX_BEAT_INDEX, MELODY_FEATURES, Window

CHECKPOINT_KIND = "harmony"
BAR_TOKEN = VOCABULARY_SIZE
MASK_TOKEN = VOCABULARY_SIZE + 1
PAD_TOKEN = VOCABULARY_SIZE + 2


@dataclass(frozen=True)
class HarmonyConfig:
    """Model size and the longest window (positions per stream) it reads."""

    d_model: int = 128
    layers: int = 3
    heads: int = 4
    feedforward: int = 256
    dropout: float = 0.1
    max_positions: int = 48

    def to_dict(self) -> dict:
        return asdict(self)


class HarmonyTransformer(nn.Module):
    """Predicts a chord for every harmony position from the melody and the visible chords."""

    def __init__(self, config: HarmonyConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.melody_in = nn.Linear(MELODY_FEATURES, d)
        self.harmony_in = nn.Embedding(VOCABULARY_SIZE + 3, d)
        self.position = nn.Embedding(config.max_positions, d)
        self.beat = nn.Embedding(MAX_BEAT_INDEX + 1, d)
        self.stream = nn.Embedding(2, d)
        layer = nn.TransformerEncoderLayer(
            d, config.heads, config.feedforward, config.dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, VOCABULARY_SIZE)
        self._initialise()

    def _initialise(self) -> None:
        """Positions start as sinusoids, so a harmony slot finds the melody beat at its own position
        (same index, other stream) from the first step; the other tables start small and the melody
        projection at the scale of the positions, so neither drowns the other."""
        d = self.config.d_model
        index = torch.arange(self.config.max_positions, dtype=torch.float32)[:, None]
        frequency = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32) / d)
        with torch.no_grad():
            self.position.weight[:, 0::2] = torch.sin(index * frequency)
            self.position.weight[:, 1::2] = torch.cos(index * frequency)
        for table in (self.harmony_in, self.beat, self.stream):
            nn.init.normal_(table.weight, std=0.02)
        nn.init.normal_(self.melody_in.weight, std=0.5)

    def forward(self, batch: Batch) -> torch.Tensor:
        """Chord logits (B, N, VOCABULARY_SIZE) at every harmony-stream position."""
        length = batch.harmony.shape[1]
        positions = torch.arange(length, device=batch.harmony.device)
        shared = self.position(positions)[None] + self.beat(batch.beat_in_bar)
        melody = self.melody_in(batch.melody) + shared + self.stream.weight[0]
        harmony = self.harmony_in(batch.harmony) + shared + self.stream.weight[1]
        padding = batch.harmony == PAD_TOKEN
        hidden = self.encoder(
            torch.cat([melody, harmony], dim=1), src_key_padding_mask=torch.cat([padding, padding], 1)
        )
        return self.head(self.norm(hidden[:, length:]))


@dataclass
class Batch:
    """Windows padded to one length: model inputs, targets and which positions are chord slots."""

    melody: torch.Tensor  # (B, N, MELODY_FEATURES)
    harmony: torch.Tensor  # (B, N) chord / BAR / MASK / PAD tokens
    beat_in_bar: torch.Tensor  # (B, N)
    targets: torch.Tensor  # (B, N) chord index, -1 where nothing is predicted
    slots: torch.Tensor  # (B, N) bool, beat positions (not bar tokens or padding)


def make_batch(windows: Sequence[Window], visible: Sequence[np.ndarray] | None = None) -> Batch:
    """Pad `windows`; slots whose `visible` entry is True carry their chord, every other slot [MASK].

    `visible[i]` has one entry per chord slot of window i, in order; None hides every chord.
    """
    length = max(len(window.chords) for window in windows)
    count = len(windows)
    melody = np.zeros((count, length, MELODY_FEATURES), dtype=np.float32)
    harmony = np.full((count, length), PAD_TOKEN, dtype=np.int64)
    beat = np.zeros((count, length), dtype=np.int64)
    targets = np.full((count, length), -1, dtype=np.int64)
    slots = np.zeros((count, length), dtype=bool)
    for row, window in enumerate(windows):
        n = len(window.chords)
        is_slot = window.is_slot
        melody[row, :n] = window.melody
        beat[row, :n] = window.beat_in_bar
        slots[row, :n] = is_slot
        tokens = np.where(is_slot, MASK_TOKEN, BAR_TOKEN)
        if visible is not None:
            shown = np.zeros(n, dtype=bool)
            shown[is_slot] = visible[row]
            tokens = np.where(shown & (window.chords >= 0), window.chords, tokens)
        harmony[row, :n] = tokens
        targets[row, :n] = np.where(is_slot, window.chords, -1)
    return Batch(
        melody=torch.from_numpy(melody),
        harmony=torch.from_numpy(harmony),
        beat_in_bar=torch.from_numpy(beat),
        targets=torch.from_numpy(targets),
        slots=torch.from_numpy(slots),
    )


def load_harmoniser(path: Path) -> tuple[HarmonyTransformer, dict]:
    """The trained model in a checkpoint (in eval mode) and the checkpoint's metadata."""
    payload = load_checkpoint(path, kind=CHECKPOINT_KIND)
    try:
        model = HarmonyTransformer(HarmonyConfig(**payload["config"]["model"]))
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path} does not fit this harmoniser ({exc}); retrain it.") from exc
    model.eval()
    return model, payload
