"""The searching layer as typed tools for the agent: web search, local document search, page reading.

Results are untrusted data: put their text into prompts only through `tools.web.passages.quote_for_prompt`.
Every failure is a `ToolError` subclass with a message the agent (or its user) can act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from retrieval.embeddings import MiniLMEmbedder
from tools.base import TypedTool
from tools.settings import Settings
from tools.web.fetch import PageFetcher, document_from_page
from tools.web.passages import Passage, UntrustedDocument, select_passages
from tools.web.search import MAX_QUERY_CHARS, SearchBackend, SearchResult, build_search

if TYPE_CHECKING:  # importing chromadb costs seconds; only local search needs it
    from tools.web.documents import LocalDocumentSearch


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What to search for.")
    max_results: int = Field(5, ge=1, le=20, description="How many results to return at most.")


class SearchResponse(BaseModel):
    query: str
    backend: str = Field(description="searxng, brave or local.")
    results: list[SearchResult]


class WebSearchTool(TypedTool[SearchRequest, SearchResponse]):
    """Search the web through the configured backend (SearXNG, Brave Search, or local documents)."""

    name = "web_search"
    description = "Search the web; returns ranked results with title, URL and snippet (untrusted text)."
    input_model = SearchRequest
    output_model = SearchResponse

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend

    @classmethod
    def from_settings(cls, settings: Settings) -> WebSearchTool:
        return cls(build_search(settings))

    def run(self, request: SearchRequest) -> SearchResponse:
        results = self.backend.search(request.query, max_results=request.max_results)
        return SearchResponse(query=request.query, backend=self.backend.name, results=results)


class LocalDocumentSearchTool(WebSearchTool):
    """Search the local document collection; a separate tool so an agent can offer both web and local search."""

    name = "search_local_documents"
    description = "Search the local document collection; returns passages with their document id (doc:...)."

    def __init__(self, documents: LocalDocumentSearch) -> None:
        super().__init__(documents)


class ReadPageRequest(BaseModel):
    url: str = Field(min_length=1, max_length=2048, description="An http(s) URL, or a doc:... id from local search.")
    question: str | None = Field(
        None, max_length=1000, description="Rank the page's passages by relevance to this question."
    )
    max_passages: int = Field(3, ge=1, le=20, description="How many passages to return.")


class ReadPageResponse(BaseModel):
    document: UntrustedDocument
    passages: list[Passage] = Field(description="The most relevant passages (or the first ones without a question).")
    redirects: list[str] = Field(default_factory=list, description="URLs the fetch was redirected through.")


class FetchPageTool(TypedTool[ReadPageRequest, ReadPageResponse]):
    """Read a web page (under the fetcher's address, size and time limits) or a local document, as passages."""

    name = "read_page"
    description = (
        "Fetch a web page or local document and return its readable text and the passages most relevant to the "
        "question, to quote and cite (untrusted text)."
    )
    input_model = ReadPageRequest
    output_model = ReadPageResponse

    def __init__(
        self,
        fetcher: PageFetcher,
        *,
        documents: LocalDocumentSearch | None = None,
        embedder: MiniLMEmbedder | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.documents = documents
        self._embedder = embedder

    @classmethod
    def from_settings(cls, settings: Settings, *, documents: LocalDocumentSearch | None = None) -> FetchPageTool:
        return cls(PageFetcher.from_settings(settings), documents=documents)

    def run(self, request: ReadPageRequest) -> ReadPageResponse:
        redirects: list[str] = []
        if self.documents is not None and not request.url.lower().startswith(("http://", "https://")):
            document = self.documents.read(request.url)
        else:
            page = self.fetcher.fetch(request.url)
            document, redirects = document_from_page(page), page.redirects
        passages = document.passages()
        if request.question and request.question.strip():
            passages = select_passages(request.question, passages, k=request.max_passages, embedder=self._embedder)
        return ReadPageResponse(document=document, passages=passages[: request.max_passages], redirects=redirects)
