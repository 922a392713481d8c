"""Web search behind one interface: SearXNG (self-hosted), the Brave Search API (hosted, by key), local documents.

Every backend returns ranked `SearchResult`s. HTTP goes through `get_json`: one deadline for the whole call
(retries included), bounded retries with exponential backoff for 429, 5xx and connection failures (honouring
a short `Retry-After`), no retry after a timeout (the deadline is spent), and typed errors whose messages say
what to change. A backend that is down fails in under two seconds; a slow one fails at the deadline.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolError, ToolInputError
from tools.settings import Settings
from tools.web.extract import html_to_text
from tools.web.passages import Passage

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BRAVE_API_BASE = "https://api.search.brave.com/res/v1"
BRAVE_MAX_COUNT = 20
MAX_QUERY_CHARS = 400
MAX_RESPONSE_BYTES = 5_000_000
LOCAL_HINT = "or set GO_SEARCH_BACKEND=local with GO_DOCS_DIR pointing at a folder of documents"


class SearchError(ToolError):
    """A search failed; the message says what to change."""


class SearchInputError(SearchError, ToolInputError):
    """The query cannot be searched (empty or too long)."""


class SearchConfigError(SearchError):
    """The configured backend lacks what it needs (API key, documents folder)."""


class SearchUnavailableError(SearchError):
    """The backend could not be reached or kept failing (connection refused, 5xx) after the retries."""


class SearchTimeoutError(SearchUnavailableError):
    """The backend did not answer within the search deadline."""


class SearchRateLimitedError(SearchUnavailableError):
    """The backend kept answering 429 Too Many Requests."""


class SearchRefusedError(SearchError):
    """The backend refused the request (401/403: a bad key, or SearXNG without JSON output)."""


class SearchResponseError(SearchError):
    """The backend answered with an error status or something that is not its documented response."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class SearchResult(BaseModel):
    """One hit. Title and snippet were written by the page's author: untrusted data."""

    model_config = ConfigDict(frozen=True)

    title: str
    url: str = Field(description="The page URL, or a local document id (doc:...).")
    snippet: str = ""
    source: str = Field(description="The backend that found it: searxng, brave or local.")
    rank: int = Field(ge=1, description="1 for the best hit.")
    engines: list[str] = Field(default_factory=list, description="Upstream engines that returned it (SearXNG).")
    score: float | None = Field(None, description="Similarity to the query (local documents).")

    def as_passage(self) -> Passage:
        """The snippet as a passage to quote (with `quote_for_prompt`) or rank."""
        return Passage(source=self.url, title=self.title, text=self.snippet, index=self.rank - 1, score=self.score)


@runtime_checkable
class SearchBackend(Protocol):
    """Anything that turns a query into ranked results."""

    name: str

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Limits of one search call: `timeout_s` covers every attempt and every pause between them."""

    timeout_s: float = 10.0
    attempts: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 4.0

    def pause(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before attempt `attempt + 1`: the server's Retry-After if given, else exponential."""
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_backoff_s)
            except ValueError:
                pass  # an HTTP date: fall back to our own schedule
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)


def checked_query(query: str) -> str:
    query = " ".join(query.split())
    if not query:
        raise SearchInputError("The search query is empty.")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchInputError(f"The search query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}.")
    return query


def _get_bounded(
    client: httpx.Client, url: str, *, params: dict[str, Any], headers: dict[str, str] | None, deadline: float
) -> tuple[httpx.Response, bytes]:
    """GET `url`, reading the body in chunks that are checked against the deadline and `MAX_RESPONSE_BYTES`."""
    timeout = httpx.Timeout(deadline - time.monotonic())
    with client.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("the answer arrived too slowly")
            if len(body) > MAX_RESPONSE_BYTES:
                raise SearchResponseError(f"The answer from {url} is larger than {MAX_RESPONSE_BYTES} bytes.")
    return response, bytes(body)


def get_json(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any],
    policy: RetryPolicy,
    backend: str,
    hint: str,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET `url` and parse its JSON body, with the retries and deadline of `policy`.

    `hint` completes every failure message with what the user can do about it. The deadline is checked
    between body chunks, so a server that drips its answer overruns it by at most one read timeout.
    """
    deadline = time.monotonic() + policy.timeout_s
    failure = ""
    status = None
    for attempt in range(1, policy.attempts + 1):
        if deadline - time.monotonic() <= 0:
            break
        retry_after = None
        try:
            response, body = _get_bounded(client, url, params=params, headers=headers, deadline=deadline)
        except httpx.TimeoutException as exc:
            raise SearchTimeoutError(
                f"{backend} at {url} did not answer within {policy.timeout_s:g} s ({type(exc).__name__}); {hint}."
            ) from exc
        except httpx.TransportError as exc:
            failure, status = f"{type(exc).__name__}: {exc}", None
        else:
            status = response.status_code
            text = body[:500].decode("utf-8", errors="replace")
            if status in (401, 403):
                raise SearchRefusedError(f"{backend} at {url} refused the request (HTTP {status}); {hint}.")
            if status not in RETRY_STATUSES:
                if not response.is_success:
                    raise SearchResponseError(
                        f"{backend} at {url} answered HTTP {status}: {text[:200]}", status=status, body=text
                    )
                try:
                    return json.loads(body)
                except ValueError as exc:
                    raise SearchResponseError(
                        f"{backend} at {url} did not answer JSON ({text[:120]!r}); {hint}."
                    ) from exc
            failure, retry_after = f"HTTP {status}", response.headers.get("retry-after")
        if attempt < policy.attempts:
            pause = policy.pause(attempt, retry_after)
            if time.monotonic() + pause >= deadline:
                break
            logger.info("%s: %s, retry %d in %.2f s", backend, failure, attempt, pause)
            time.sleep(pause)
    if status == 429:
        raise SearchRateLimitedError(f"{backend} at {url} is rate limiting (HTTP 429) after {attempt} tries; {hint}.")
    raise SearchUnavailableError(f"{backend} at {url} is unavailable ({failure}) after {attempt} tries; {hint}.")


def _web_result(url: str, *, title: str, snippet: str, source: str, rank: int, engines: list[str]) -> SearchResult:
    return SearchResult(title=title.strip() or url, url=url, snippet=snippet, source=source, rank=rank,
                        engines=engines)


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


class SearxngSearch:
    """A SearXNG instance's JSON API (`/search?q=...&format=json`; `json` must be in its `search.formats`)."""

    name = "searxng"

    def __init__(self, base_url: str, *, policy: RetryPolicy | None = None, client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._client = client or httpx.Client(headers={"Accept": "application/json"})
        self._hint = (
            f"start SearXNG at {self.base_url} with `json` listed in search.formats of its settings.yml, "
            f"point GO_SEARXNG_URL at a running instance, {LOCAL_HINT}"
        )

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]:
        payload = get_json(
            self._client,
            f"{self.base_url}/search",
            params={"q": checked_query(query), "format": "json", "pageno": 1},
            policy=self.policy,
            backend="SearXNG",
            hint=self._hint,
        )
        raw = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(raw, list):
            raise SearchResponseError(f"SearXNG at {self.base_url} answered JSON without a `results` list.")
        unresponsive = payload.get("unresponsive_engines") or []
        if unresponsive:
            logger.info("SearXNG engines that did not answer: %s", unresponsive)
        results: list[SearchResult] = []
        for item in raw:
            if not isinstance(item, dict) or not _is_web_url(item.get("url")):
                continue
            engines = item.get("engines") or ([item["engine"]] if item.get("engine") else [])
            results.append(_web_result(
                item["url"],
                title=str(item.get("title") or ""),
                snippet=html_to_text(str(item.get("content") or "")),
                source=self.name,
                rank=len(results) + 1,
                engines=[str(engine) for engine in engines],
            ))
            if len(results) == max_results:
                break
        return results

    def close(self) -> None:
        self._client.close()


class BraveSearch:
    """The Brave Search web API (`GET {base}/web/search`, key in the `X-Subscription-Token` header)."""

    name = "brave"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = BRAVE_API_BASE,
        policy: RetryPolicy | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if not api_key.strip():
            raise SearchConfigError("The Brave Search API needs a key: set GO_SEARCH_API_KEY.")
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._client = client or httpx.Client()
        self._headers = {"Accept": "application/json", "X-Subscription-Token": api_key.strip()}
        self._hint = (
            "check GO_SEARCH_API_KEY and your Brave Search plan's limits, or set GO_SEARCH_BACKEND=searxng "
            f"(a self-hosted SearXNG), {LOCAL_HINT}"
        )

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]:
        try:
            payload = get_json(
                self._client,
                f"{self.base_url}/web/search",
                params={"q": checked_query(query), "count": min(max_results, BRAVE_MAX_COUNT)},
                headers=self._headers,
                policy=self.policy,
                backend="Brave Search",
                hint=self._hint,
            )
        except SearchResponseError as exc:
            if exc.status == 422 and "SUBSCRIPTION_TOKEN_INVALID" in exc.body:  # how Brave rejects a key
                raise SearchRefusedError(f"Brave Search rejected the API key; {self._hint}.") from exc
            raise
        if not isinstance(payload, dict):
            raise SearchResponseError("Brave Search answered JSON that is not an object.")
        raw = (payload.get("web") or {}).get("results") or []
        if not isinstance(raw, list):
            raise SearchResponseError("Brave Search answered `web.results` that is not a list.")
        results: list[SearchResult] = []
        for item in raw:
            if not isinstance(item, dict) or not _is_web_url(item.get("url")):
                continue
            results.append(_web_result(
                item["url"],
                title=html_to_text(str(item.get("title") or "")),
                snippet=html_to_text(str(item.get("description") or "")),
                source=self.name,
                rank=len(results) + 1,
                engines=[],
            ))
            if len(results) == max_results:
                break
        return results

    def close(self) -> None:
        self._client.close()


def build_search(settings: Settings, *, policy: RetryPolicy | None = None) -> SearchBackend:
    """The backend `settings.search_backend` names, configured from `settings`."""
    if settings.search_backend == "searxng":
        return SearxngSearch(settings.searxng_url, policy=policy)
    if settings.search_backend == "brave":
        if not settings.search_api_key:
            raise SearchConfigError(
                "GO_SEARCH_BACKEND=brave needs a Brave Search API key in GO_SEARCH_API_KEY "
                "(or choose GO_SEARCH_BACKEND=searxng or local)."
            )
        return BraveSearch(settings.search_api_key, policy=policy)
    if settings.docs_dir is None:
        raise SearchConfigError("GO_SEARCH_BACKEND=local needs GO_DOCS_DIR: a folder of .txt, .md or .html documents.")
    from tools.web.documents import LocalDocumentSearch  # imports chromadb: only when chosen

    return LocalDocumentSearch(settings.docs_dir, path=settings.cache_dir / "chroma")
