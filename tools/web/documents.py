"""The offline search fallback: a local folder of documents, chunked into passages and indexed in ChromaDB.

Documents are .txt, .md and .html files anywhere under the folder; users extend the collection by adding
files. Passages are embedded with the packaged MiniLM (`retrieval.embeddings`) and stored in Chroma the way
`retrieval.store` stores exemplar games: one collection per folder, rebuilt only when a file was added,
removed or changed (the collection's metadata holds a fingerprint of names, sizes and modification times).
A document's id is `doc:<path relative to the folder>`; results and `read()` use it as their URL.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from retrieval.embeddings import MiniLMEmbedder, shared_embedder
from tools.locks import INDEX_LOCK, exclusive_lock
from tools.web.extract import extract_readable
from tools.web.passages import PASSAGE_CHARS, Passage, UntrustedDocument
from tools.web.search import SearchConfigError, SearchInputError, SearchResult, checked_query

logger = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})
MAX_DOCUMENT_BYTES = 5_000_000
ID_PREFIX = "doc:"


def read_document(path: Path, document_id: str) -> UntrustedDocument:
    """One local file as an untrusted document: HTML reduced to readable text, Markdown titled by its `# ` line."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        readable = extract_readable(raw)
        return UntrustedDocument(source=document_id, title=readable.title or path.stem, text=readable.text)
    text = raw.replace("\r\n", "\n").strip()
    first = text.split("\n", 1)[0]
    title = first.lstrip("#").strip() if first.startswith("# ") else path.stem
    return UntrustedDocument(source=document_id, title=title, text=text, content_type="text/plain")


class LocalDocumentSearch:
    """Similarity search over a folder of documents (a `SearchBackend`)."""

    name = "local"

    def __init__(
        self,
        docs_dir: Path,
        *,
        client: Any | None = None,
        path: Path | None = None,
        embedder: MiniLMEmbedder | None = None,
        passage_chars: int = PASSAGE_CHARS,
    ) -> None:
        docs_dir = Path(docs_dir).expanduser()
        if not docs_dir.is_dir():
            raise SearchConfigError(f"The documents folder {docs_dir} does not exist; set GO_DOCS_DIR to a folder.")
        self.docs_dir = docs_dir.resolve()
        self._files = self._scan()
        if not self._files:
            raise SearchConfigError(
                f"{self.docs_dir} holds no documents ({', '.join(sorted(DOCUMENT_SUFFIXES))}); add some files."
            )
        self._embedder = embedder or shared_embedder()
        self._passage_chars = passage_chars
        if client is not None or path is None:
            self._client = client or chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
            self._collection = self._index()
            return
        # several processes on one persistent folder: one (re)builds the index, the others wait and read it
        with exclusive_lock(path / INDEX_LOCK, wait=True):
            self._client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
            self._collection = self._index()

    def _scan(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for file in sorted(self.docs_dir.rglob("*")):
            if file.suffix.lower() not in DOCUMENT_SUFFIXES or not file.is_file():
                continue
            if file.stat().st_size > MAX_DOCUMENT_BYTES:
                logger.warning("Skipping %s: larger than %d bytes", file, MAX_DOCUMENT_BYTES)
                continue
            files[ID_PREFIX + file.relative_to(self.docs_dir).as_posix()] = file
        return files

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(f"passages={self._passage_chars}".encode())
        for document_id, file in self._files.items():
            stat = file.stat()
            digest.update(f"{document_id}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    def _index(self) -> Any:
        name = "local_documents_" + hashlib.sha256(str(self.docs_dir).encode()).hexdigest()[:16]
        fingerprint = self._fingerprint()
        collection = self._client.get_or_create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        if (collection.metadata or {}).get("corpus") == fingerprint and collection.count() > 0:
            return collection
        self._client.delete_collection(name)
        collection = self._client.create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine", "corpus": fingerprint}
        )
        passages: list[Passage] = []
        for document_id, file in self._files.items():
            passages += read_document(file, document_id).passages(self._passage_chars)
        logger.info("Indexing %d passages of %d documents from %s", len(passages), len(self._files), self.docs_dir)
        batch = max(1, min(1000, self._client.get_max_batch_size()))
        for start in range(0, len(passages), batch):
            chunk = passages[start:start + batch]
            collection.add(
                ids=[f"{p.source}#{p.index}" for p in chunk],
                embeddings=self._embedder.embed([f"{p.title}. {p.section}: {p.text}" for p in chunk]),
                documents=[p.text for p in chunk],
                metadatas=[{"source": p.source, "title": p.title, "section": p.section, "index": p.index}
                           for p in chunk],
            )
        return collection

    @property
    def document_ids(self) -> list[str]:
        return list(self._files)

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]:
        """The passages closest to `query`, one result each (`url` is the document id, `snippet` the passage)."""
        query = checked_query(query)
        count = self._collection.count()
        if count == 0:
            return []
        found = self._collection.query(
            query_embeddings=self._embedder.embed([query]), n_results=min(max_results, count)
        )
        results = []
        for rank, (text, meta, distance) in enumerate(
            zip(found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True), start=1
        ):
            results.append(SearchResult(
                title=str(meta["title"]), url=str(meta["source"]), snippet=text, source=self.name, rank=rank,
                score=round(1.0 - float(distance), 4),
            ))
        return results

    def read(self, document_id: str) -> UntrustedDocument:
        """The whole document with this id (`doc:...`, as in search results)."""
        base_id = document_id.split("#", 1)[0]
        file = self._files.get(base_id)
        if file is None:
            raise SearchInputError(f"No local document {document_id!r}; ids come from search results (doc:...).")
        try:
            return read_document(file, base_id)
        except OSError as exc:
            raise SearchInputError(f"The local document {base_id} can no longer be read: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: Chroma clients live as long as the process."""
