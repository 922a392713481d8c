"""One process of the concurrent index-build test (`tests/test_retrieval.py`).

Run as `python -m tests.exemplar_builder FOLDER START [DOCS]`: it imports everything, says it is ready,
waits for the START file so that all processes open the fresh FOLDER at the same moment, then opens the
exemplar store there (or, given DOCS, a local document search over that folder) and queries it. Vectors
come from a hash of the text: the race is in Chroma, not in the embeddings, and loading MiniLM in every
process would cost seconds each.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.store import ExemplarStore, RetrievalConstraints
from tools.web.documents import LocalDocumentSearch


class HashEmbedder:
    dimension = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = [
            np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))
            .standard_normal(self.dimension)
            for text in texts
        ]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dimension)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)


def main(folder: Path, start: Path, docs: Path | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    start.with_name(f"ready-{os.getpid()}").touch()
    while not start.exists():
        time.sleep(0.005)
    if docs is not None:
        search = LocalDocumentSearch(docs, path=folder, embedder=HashEmbedder())
        print(f"found {len(search.search('the moonlight sonata', max_results=3))}")
        return
    store = ExemplarStore(path=folder, embedder=HashEmbedder())
    games = store.search("a cooperative game", k=3, constraints=RetrievalConstraints(cooperative=True))
    print(f"found {len(games)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
