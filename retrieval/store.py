"""Exemplar retrieval over ChromaDB, filtered by the design's constraints.

Embedded by default (a persistent folder under the cache, built by one process at a time under
`INDEX_LOCK`); pass a `chromadb.HttpClient` to use a Chroma server instead — the
documented scale-out path, with the same code. Embeddings are computed here
(`retrieval.embeddings`) and handed to Chroma, so no Chroma embedding function ever tries to
download a model.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel, Field

from retrieval.embeddings import MiniLMEmbedder, shared_embedder
from retrieval.exemplars import ExemplarGame, load_exemplars
from tools.locks import INDEX_LOCK, exclusive_lock

logger = logging.getLogger(__name__)

COLLECTION = "exemplar_games"


class RetrievalConstraints(BaseModel):
    """Hard filters on exemplars; None means no filter."""

    players: int | None = Field(None, ge=1, le=20, description="the game must support this many players")
    cooperative: bool | None = None
    max_complexity: int | None = Field(None, ge=1, le=5)

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.players is not None:
            clauses += [{"min_players": {"$lte": self.players}}, {"max_players": {"$gte": self.players}}]
        if self.cooperative is not None:
            clauses.append({"cooperative": self.cooperative})
        if self.max_complexity is not None:
            clauses.append({"complexity": {"$lte": self.max_complexity}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _fingerprint(games: Sequence[ExemplarGame]) -> str:
    digest = hashlib.sha256()
    for game in games:
        digest.update(game.model_dump_json().encode())
    return digest.hexdigest()[:16]


class ExemplarStore:
    """Index the exemplar corpus once; answer similarity queries with filters."""

    def __init__(
        self,
        client: Any | None = None,
        *,
        path: Path | None = None,
        embedder: MiniLMEmbedder | None = None,
        games: Sequence[ExemplarGame] | None = None,
    ) -> None:
        self._embedder = embedder or shared_embedder()
        self._games = {game.id: game for game in (games or load_exemplars())}
        if client is not None:
            self._client = client
            self._collection = self._index()
            return
        if path is None:
            raise ValueError("ExemplarStore needs a chromadb client or a persistence path")
        # several processes on a fresh cache: one builds, the others wait and read
        with exclusive_lock(path / INDEX_LOCK, wait=True):
            self._client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
            )
            self._collection = self._index()

    def _index(self) -> Any:
        fingerprint = _fingerprint(list(self._games.values()))
        collection = self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        current = (collection.metadata or {}).get("corpus")
        if current == fingerprint and collection.count() == len(self._games):
            return collection
        logger.info("Indexing %d exemplar games into Chroma", len(self._games))
        self._client.delete_collection(COLLECTION)
        collection = self._client.create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine", "corpus": fingerprint}
        )
        games = list(self._games.values())
        collection.add(
            ids=[game.id for game in games],
            embeddings=self._embedder.embed([game.as_text() for game in games]),
            documents=[game.as_text() for game in games],
            metadatas=[
                {
                    "min_players": game.min_players,
                    "max_players": game.max_players,
                    "complexity": game.complexity,
                    "cooperative": game.cooperative,
                }
                for game in games
            ],
        )
        return collection

    def search(self, query: str, *, k: int = 4, constraints: RetrievalConstraints | None = None) -> list[ExemplarGame]:
        """The `k` exemplars closest to `query` that satisfy `constraints` (fewer if few match)."""
        if not query.strip():
            raise ValueError("The retrieval query is empty.")
        where = (constraints or RetrievalConstraints()).where()
        result = self._collection.query(
            query_embeddings=self._embedder.embed([query]),
            n_results=min(k, len(self._games)),
            where=where,
        )
        return [self._games[ident] for ident in result["ids"][0]]
