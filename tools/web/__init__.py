"""Searching for the AudioRAG agent: web search backends, a guarded page fetcher, readable-text extraction,
a local document collection, and typed tools over them. Retrieved text is untrusted data throughout.

    backend = build_search(settings)                      # SearxngSearch | BraveSearch | LocalDocumentSearch
    results = backend.search("Chopin death year", max_results=5)
    page = PageFetcher.from_settings(settings).fetch(results[0].url)
    passages = select_passages(question, document_from_page(page).passages(), k=3)
    prompt_part = quote_for_prompt(passages)

`tools.web.documents` (LocalDocumentSearch) is imported on demand: it loads chromadb.
"""

from tools.web.extract import ReadableText, extract_readable, html_to_text
from tools.web.fetch import (
    AddressPolicy,
    BlockedAddressError,
    BlockedURLError,
    FetchConnectionError,
    FetchedPage,
    FetchError,
    FetchStatusError,
    FetchTimeoutError,
    PageFetcher,
    TooManyRedirectsError,
    UnsupportedContentError,
    document_from_page,
    fetch_page,
)
from tools.web.passages import Passage, UntrustedDocument, quote_for_prompt, select_passages, split_passages
from tools.web.search import (
    BraveSearch,
    RetryPolicy,
    SearchBackend,
    SearchConfigError,
    SearchError,
    SearchInputError,
    SearchRateLimitedError,
    SearchRefusedError,
    SearchResponseError,
    SearchResult,
    SearchTimeoutError,
    SearchUnavailableError,
    SearxngSearch,
    build_search,
)
from tools.web.tool import FetchPageTool, LocalDocumentSearchTool, WebSearchTool

__all__ = [
    "AddressPolicy", "BlockedAddressError", "BlockedURLError", "BraveSearch", "FetchConnectionError",
    "FetchError", "FetchPageTool", "FetchStatusError", "FetchTimeoutError", "FetchedPage", "LocalDocumentSearchTool",
    "PageFetcher", "Passage", "ReadableText", "RetryPolicy", "SearchBackend", "SearchConfigError", "SearchError",
    "SearchInputError", "SearchRateLimitedError", "SearchRefusedError", "SearchResponseError", "SearchResult",
    "SearchTimeoutError", "SearchUnavailableError", "SearxngSearch", "TooManyRedirectsError", "UntrustedDocument",
    "UnsupportedContentError", "WebSearchTool", "build_search", "document_from_page", "extract_readable",
    "fetch_page", "html_to_text", "quote_for_prompt", "select_passages", "split_passages",
]
