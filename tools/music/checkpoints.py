"""Saving and loading the music models' checkpoints.

A checkpoint is one `torch.save`d dict of plain types and tensors: the model kind, its
configuration, its state dict and the metrics measured when it was trained. It is loaded with
`weights_only=True`, so a checkpoint file can never run code.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from tools.base import ToolError
from tools.files import write_atomically

FORMAT_VERSION = 1
CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"
"""Where the shipped checkpoints live, beside the code that reads them."""


class CheckpointError(ToolError):
    """A checkpoint is missing, unreadable, or of another model kind or format."""


def save_checkpoint(
    path: Path,
    *,
    kind: str,
    config: dict[str, Any],
    state_dict: dict[str, torch.Tensor],
    metrics: dict[str, Any] | None = None,
) -> None:
    """Write a checkpoint atomically (a crash mid-save keeps the previous file)."""
    buffer = io.BytesIO()
    payload = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "config": config,
        "state_dict": {name: tensor.detach().cpu().contiguous() for name, tensor in state_dict.items()},
        "metrics": metrics or {},
    }
    torch.save(payload, buffer)
    write_atomically(path.parent, {path.name: buffer.getvalue()})


def load_checkpoint(path: Path, *, kind: str) -> dict[str, Any]:
    """The checkpoint's dict, or a `CheckpointError` that says how to get a usable one."""
    if not path.is_file():
        raise CheckpointError(
            f"No {kind} checkpoint at {path}. Train one with the module's `train` command "
            "or pass the path of an existing checkpoint."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise CheckpointError(f"{path} is not a readable checkpoint ({exc}). Retrain or re-download it.") from exc
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} has an unknown checkpoint format; retrain it with this version.")
    if payload.get("kind") != kind:
        raise CheckpointError(f"{path} holds a {payload.get('kind')!r} model, not a {kind!r} model.")
    return payload
