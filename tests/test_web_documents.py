"""The offline search fallback: a temporary folder of documents indexed in ChromaDB with the packaged MiniLM."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import shared_embedder
from tools.settings import Settings
from tools.web.documents import LocalDocumentSearch
from tools.web.fetch import PageFetcher
from tools.web.search import SearchBackend, SearchConfigError, SearchInputError, build_search
from tools.web.tool import FetchPageTool, LocalDocumentSearchTool

DOCUMENTS = {
    "composers/chopin.md": "# Frédéric Chopin\n\nPolish composer and pianist of the Romantic era.\n\n"
                           "## Death\n\nChopin died in Paris on 17 October 1849, aged 39.",
    "bach.txt": "Johann Sebastian Bach was a German Baroque composer. He died in Leipzig on 28 July 1750.\n\n"
                "His works include the Brandenburg Concertos and the Mass in B minor.",
    "dvorak.html": "<html><head><title>Antonín Dvořák</title><script>var claim = 'Chopin died in 1999';</script>"
                   "</head><body><nav>Home | Composers</nav><h1>Antonín Dvořák</h1><p>Dvořák wrote his Symphony "
                   "No. 9, From the New World, in 1893 while living in New York.</p></body></html>",
    "scan.pdf": "%PDF-1.7 not indexed",
    "empty.txt": "",
}


class CountingEmbedder:
    """The shared MiniLM, counting how many texts it embeds (to see when the index is rebuilt)."""

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return shared_embedder().embed(texts)


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    for name, text in DOCUMENTS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def search(docs_dir: Path, tmp_path: Path) -> LocalDocumentSearch:
    return LocalDocumentSearch(docs_dir, path=tmp_path / "chroma")


def test_the_document_that_answers_comes_first(search: LocalDocumentSearch) -> None:
    assert sorted(search.document_ids) == [
        "doc:bach.txt", "doc:composers/chopin.md", "doc:dvorak.html", "doc:empty.txt"
    ]
    best = search.search("When did Chopin die?", max_results=3)[0]
    assert best.url == "doc:composers/chopin.md" and best.title == "Frédéric Chopin"
    assert "17 October 1849" in best.snippet and best.source == "local" and best.rank == 1 and best.score > 0.3
    assert search.search("Which symphony was written in New York?", max_results=1)[0].url == "doc:dvorak.html"
    assert search.search("Leipzig Baroque", max_results=1)[0].url == "doc:bach.txt"


def test_html_documents_are_indexed_without_scripts_or_navigation(search: LocalDocumentSearch) -> None:
    snippets = [result.snippet for result in search.search("Chopin died in 1999", max_results=10)]
    assert not any("1999" in snippet or "Home | Composers" in snippet for snippet in snippets)
    document = search.read("doc:dvorak.html")
    assert document.title == "Antonín Dvořák" and document.untrusted
    assert document.text.startswith("# Antonín Dvořák\n\nDvořák wrote his Symphony No. 9")


def test_only_listed_documents_can_be_read(search: LocalDocumentSearch) -> None:
    for bad in ("doc:../secret.txt", "doc:scan.pdf", "/etc/passwd", "doc:missing.md"):
        with pytest.raises(SearchInputError, match="No local document"):
            search.read(bad)


def test_the_index_is_reused_until_a_document_changes(docs_dir: Path, tmp_path: Path) -> None:
    first = CountingEmbedder()
    LocalDocumentSearch(docs_dir, path=tmp_path / "chroma", embedder=first)
    assert first.texts >= 4
    again = CountingEmbedder()
    LocalDocumentSearch(docs_dir, path=tmp_path / "chroma", embedder=again)
    assert again.texts == 0
    changed = docs_dir / "bach.txt"
    changed.write_text("Bach's Goldberg Variations were published in 1741.", encoding="utf-8")
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 1_000_000_000))
    rebuilt = CountingEmbedder()
    search = LocalDocumentSearch(docs_dir, path=tmp_path / "chroma", embedder=rebuilt)
    assert rebuilt.texts >= 4
    assert "Goldberg" in search.search("Goldberg Variations publication year", max_results=1)[0].snippet


def test_a_missing_or_empty_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(SearchConfigError, match="does not exist"):
        LocalDocumentSearch(tmp_path / "nowhere")
    (tmp_path / "only.pdf").write_bytes(b"%PDF")
    with pytest.raises(SearchConfigError, match="no documents"):
        LocalDocumentSearch(tmp_path)


def test_local_search_works_through_the_factory_and_the_tools(docs_dir: Path, tmp_path: Path) -> None:
    documents = build_search(Settings(search_backend="local", docs_dir=docs_dir, cache_dir=tmp_path / "cache"))
    assert isinstance(documents, LocalDocumentSearch) and isinstance(documents, SearchBackend)
    found = LocalDocumentSearchTool(documents)({"query": "Chopin's death", "max_results": 2})
    assert found.backend == "local" and found.results[0].url == "doc:composers/chopin.md"
    reader = FetchPageTool(PageFetcher(), documents=documents)
    read = reader({"url": found.results[0].url, "question": "Where did Chopin die?", "max_passages": 1})
    assert read.document.source == "doc:composers/chopin.md" and "Paris" in read.passages[0].text
