"""Named items (songs, games, anything with an embedding) laid out on an invertible SOM.

Exact inversion needs at least D+1 prototypes in general position, and a small item set cannot train
hundreds of them. So the embeddings are first reduced with PCA to `components` dimensions (default 8,
and at most items - 1, the most a sample of that size can span); the map then needs only D+1 = 9 units
and a 70-item set trains a 6x7 map (units ~ 5 sqrt(n), the usual rule of thumb). The share of variance
the PCA keeps is recorded, so a caller sees what the reduction costs. Distances to items are measured in
the reduced space, the space the map and its trajectories live in.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tools.music.checkpoints import CHECKPOINT_DIR, load_checkpoint, save_checkpoint
from tools.music.som.som import SelfOrganisingMap, SomConfig, SomInputError, check_matrix

logger = logging.getLogger(__name__)

CHECKPOINT_KIND = "som_item_map"
EXEMPLAR_GAMES_CHECKPOINT = CHECKPOINT_DIR / "som_exemplar_games.pt"
MIN_ITEMS = 4
MAX_ITEMS = 100_000


def grid_shape(items: int, dimension: int) -> tuple[int, int]:
    """A near-square grid with about 5 sqrt(items) units, and never fewer than D+1."""
    units = max(round(5 * math.sqrt(items)), dimension + 1, 4)
    rows = max(2, math.floor(math.sqrt(units)))
    return rows, math.ceil(units / rows)


@dataclass
class ItemMap:
    """Items, the PCA that reduces their embeddings, and the SOM trained on the reduced vectors."""

    ids: list[str]
    names: list[str]
    coordinates: np.ndarray
    """items x components: the reduced embeddings."""
    mean: np.ndarray
    components: np.ndarray
    """components x embedding dimension (orthonormal rows)."""
    explained_variance: float
    som: SelfOrganisingMap
    seed: int

    @classmethod
    def fit(
        cls,
        ids: Sequence[str],
        vectors: np.ndarray | Sequence[Sequence[float]],
        *,
        names: Sequence[str] | None = None,
        components: int = 8,
        seed: int = 0,
        epochs: int = 60,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> ItemMap:
        """Reduce `vectors` (one row per id) with PCA and train a seeded SOM on them."""
        ids = [str(ident) for ident in ids]
        if len(ids) > MAX_ITEMS:
            raise SomInputError(f"At most {MAX_ITEMS} items are supported, got {len(ids)}.")
        matrix = check_matrix(vectors, name="item embeddings", min_rows=MIN_ITEMS)
        if matrix.shape[0] != len(ids):
            raise SomInputError(f"{len(ids)} ids but {matrix.shape[0]} embeddings; give one embedding per id.")
        duplicates = sorted(ident for ident, count in Counter(ids).items() if count > 1)
        if duplicates:
            raise SomInputError(f"Item ids must be unique; repeated: {duplicates[:5]}.")
        names = list(names) if names is not None else list(ids)
        if len(names) != len(ids):
            raise SomInputError(f"{len(names)} names for {len(ids)} items.")
        if components < 2:
            raise SomInputError(f"components must be at least 2, got {components}.")
        mean = matrix.mean(axis=0)
        _, singular, right_t = np.linalg.svd(matrix - mean, full_matrices=False)
        spanned = int((singular > singular.max(initial=0.0) * 1e-9).sum())
        kept = min(components, matrix.shape[1], spanned)
        if kept < 2:
            raise SomInputError(
                f"The item embeddings span {spanned} dimension(s); at least 2 distinct directions are needed."
            )
        basis = right_t[:kept]
        coordinates = (matrix - mean) @ basis.T
        explained = float((singular[:kept] ** 2).sum() / max((singular**2).sum(), 1e-300))
        rows, cols = grid_shape(len(ids), kept)
        som = SelfOrganisingMap.train(coordinates, SomConfig(rows=rows, cols=cols, epochs=epochs, seed=seed), on_epoch)
        logger.info(
            "item map: %d items, PCA %d -> %d (%.0f%% variance), %dx%d SOM",
            len(ids),
            matrix.shape[1],
            kept,
            100 * explained,
            rows,
            cols,
        )
        return cls(ids, names, coordinates, mean, basis, explained, som, seed)

    def index_of(self, ident: str) -> int | None:
        try:
            return self.ids.index(ident)
        except ValueError:
            return None

    def nearest_items(self, point: np.ndarray, count: int) -> list[tuple[int, float]]:
        """The `count` items nearest to `point` (reduced space), as (index, Euclidean distance)."""
        distances = np.linalg.norm(self.coordinates - point, axis=1)
        order = np.argsort(distances, kind="stable")[:count]
        return [(int(index), float(distances[index])) for index in order]

    def save(self, path: Path, *, metrics: dict[str, float] | None = None) -> None:
        save_checkpoint(
            path,
            kind=CHECKPOINT_KIND,
            config={
                "ids": self.ids,
                "names": self.names,
                "rows": self.som.rows,
                "cols": self.som.cols,
                "explained_variance": self.explained_variance,
                "seed": self.seed,
            },
            state_dict={
                "prototypes": torch.from_numpy(self.som.prototypes),
                "coordinates": torch.from_numpy(self.coordinates),
                "mean": torch.from_numpy(self.mean),
                "components": torch.from_numpy(self.components),
            },
            metrics=metrics,
        )

    @classmethod
    def load(cls, path: Path) -> ItemMap:
        payload = load_checkpoint(path, kind=CHECKPOINT_KIND)
        config, state = payload["config"], payload["state_dict"]
        som = SelfOrganisingMap(state["prototypes"].double().numpy(), config["rows"], config["cols"])
        return cls(
            ids=list(config["ids"]),
            names=list(config["names"]),
            coordinates=state["coordinates"].double().numpy(),
            mean=state["mean"].double().numpy(),
            components=state["components"].double().numpy(),
            explained_variance=float(config["explained_variance"]),
            som=som,
            seed=int(config["seed"]),
        )


def read_embeddings(path: Path, ids: Sequence[str] | None = None) -> tuple[list[str], list[str], np.ndarray]:
    """(ids, names, vectors) from a .npy matrix (ids given separately) or a .json file.

    JSON forms: a list of {"id", "vector", optional "name"} objects, or {"ids": [...], "vectors": [[...]]}
    with optional "names".
    """
    if not path.is_file():
        raise SomInputError(f"No embeddings file at {path}.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise SomInputError(f"{path} is not a readable .npy array ({exc}).") from exc
        if ids is None:
            raise SomInputError(f"{path} holds only vectors; pass the item ids, one per row, with it.")
        return list(ids), list(ids), vectors
    if suffix != ".json":
        raise SomInputError(f"Embeddings must be a .npy or .json file, got {path.name}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SomInputError(f"{path} is not readable JSON ({exc}).") from exc
    try:
        if isinstance(data, list):
            rows = [(str(row["id"]), str(row.get("name", row["id"])), row["vector"]) for row in data]
            return [r[0] for r in rows], [r[1] for r in rows], np.asarray([r[2] for r in rows], dtype=np.float64)
        found = [str(ident) for ident in data["ids"]]
        return found, [str(name) for name in data.get("names", found)], np.asarray(data["vectors"], dtype=np.float64)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise SomInputError(
            f"{path}: expected a list of {{'id', 'vector'}} objects or {{'ids': [...], 'vectors': [[...]]}} ({exc})."
        ) from exc


def exemplar_game_items() -> tuple[list[str], list[str], np.ndarray]:
    """The project's exemplar games as items: ids, names, and 384-D MiniLM embeddings of their descriptions."""
    from retrieval.embeddings import shared_embedder
    from retrieval.exemplars import load_exemplars

    games = load_exemplars()
    vectors = shared_embedder().embed([game.as_text() for game in games])
    return [game.id for game in games], [game.name for game in games], vectors.astype(np.float64)
