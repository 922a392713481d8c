"""Search backends against real HTTP servers on 127.0.0.1: SearXNG's and Brave's response shapes, retries,
rate limits, a backend that is down and one that is slow."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.web_server import Reply, ScriptedServer
from tools.base import ToolInputError
from tools.settings import Settings
from tools.web.passages import quote_for_prompt
from tools.web.search import (
    BraveSearch,
    RetryPolicy,
    SearchBackend,
    SearchConfigError,
    SearchRateLimitedError,
    SearchRefusedError,
    SearchResponseError,
    SearchTimeoutError,
    SearchUnavailableError,
    SearxngSearch,
    build_search,
)
from tools.web.tool import WebSearchTool

FAST = RetryPolicy(timeout_s=5.0, attempts=3, backoff_s=0.05)

# The shape SearXNG 2024-2025 answers for /search?format=json (fields trimmed to those it always sends).
SEARXNG_PAYLOAD = {
    "query": "chopin death",
    "number_of_results": 0,
    "results": [
        {
            "url": "https://en.wikipedia.org/wiki/Fr%C3%A9d%C3%A9ric_Chopin",
            "title": "Frédéric Chopin - Wikipedia",
            "content": "Frédéric François Chopin (1810 &ndash; 17 October 1849) was a Polish composer",
            "engine": "wikipedia",
            "parsed_url": ["https", "en.wikipedia.org", "/wiki/Fr%C3%A9d%C3%A9ric_Chopin", "", "", ""],
            "template": "default.html",
            "engines": ["wikipedia", "duckduckgo"],
            "positions": [1, 2],
            "score": 4.0,
            "category": "general",
        },
        {"url": "javascript:alert(1)", "title": "not a page", "content": "", "engine": "bad", "engines": ["bad"]},
        {
            "url": "https://www.britannica.com/biography/Frederic-Chopin",
            "title": "Frédéric Chopin | Biography, Music, & Facts",
            "engine": "bing",
            "engines": ["bing"],
            "positions": [3],
            "score": 1.0,
            "category": "general",
        },
    ],
    "answers": [],
    "corrections": [],
    "infoboxes": [],
    "suggestions": ["chopin nocturnes"],
    "unresponsive_engines": [["google", "timeout"]],
}

BRAVE_PAYLOAD = {
    "type": "search",
    "query": {"original": "chopin death", "more_results_available": True},
    "web": {
        "type": "search",
        "results": [
            {
                "title": "Frédéric <strong>Chopin</strong> - Wikipedia",
                "url": "https://en.wikipedia.org/wiki/Fr%C3%A9d%C3%A9ric_Chopin",
                "is_source_local": False,
                "description": "<strong>Chopin</strong> died in Paris on 17 October 1849 &amp; was buried there.",
                "age": "2 days ago",
                "language": "en",
                "profile": {"name": "Wikipedia", "url": "https://en.wikipedia.org/"},
            },
            {"title": "Chopin Institute", "url": "https://nifc.pl/en/", "description": "The institute."},
        ],
    },
}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def test_searxng_json_is_parsed_into_ranked_results(server: ScriptedServer) -> None:
    server.route("/search", Reply.json(SEARXNG_PAYLOAD))
    results = SearxngSearch(server.url(""), policy=FAST).search("  chopin   death ", max_results=5)
    assert [r.rank for r in results] == [1, 2]
    first, second = results
    assert first.url == "https://en.wikipedia.org/wiki/Fr%C3%A9d%C3%A9ric_Chopin"
    assert first.title == "Frédéric Chopin - Wikipedia"
    assert first.snippet == "Frédéric François Chopin (1810 – 17 October 1849) was a Polish composer"
    assert first.engines == ["wikipedia", "duckduckgo"] and first.source == "searxng"
    assert second.snippet == "" and second.engines == ["bing"]
    quoted = quote_for_prompt([first.as_passage()])
    assert f'source="{first.url}"' in quoted and "untrusted data" in quoted
    (seen,) = server.requests_to("/search")
    assert seen.query == {"q": ["chopin death"], "format": ["json"], "pageno": ["1"]}


def test_searxng_without_json_output_says_how_to_enable_it(server: ScriptedServer) -> None:
    server.route("/search", Reply(403, b"Forbidden", {"Content-Type": "text/html"}))
    with pytest.raises(SearchRefusedError, match="search.formats"):
        SearxngSearch(server.url(""), policy=FAST).search("chopin")


def test_brave_sends_the_key_and_strips_markup_from_snippets(server: ScriptedServer) -> None:
    server.route("/res/v1/web/search", Reply.json(BRAVE_PAYLOAD))
    brave = BraveSearch("test-key-123", base_url=server.url("/res/v1"), policy=FAST)
    results = brave.search("chopin death", max_results=1)
    assert len(results) == 1
    assert results[0].title == "Frédéric Chopin - Wikipedia"
    assert results[0].snippet == "Chopin died in Paris on 17 October 1849 & was buried there."
    (seen,) = server.requests_to("/res/v1/web/search")
    assert seen.headers["x-subscription-token"] == "test-key-123"
    assert seen.query == {"q": ["chopin death"], "count": ["1"]}


BRAVE_BAD_KEY = {
    "type": "ErrorResponse",
    "error": {"id": "0c1d", "status": 422, "code": "SUBSCRIPTION_TOKEN_INVALID",
              "detail": "The provided subscription token is invalid.", "meta": {}},
    "time": 1754364294,
}


@pytest.mark.parametrize("reply", [Reply.json(BRAVE_BAD_KEY, status=422), Reply.json({}, status=401)])
def test_brave_with_a_wrong_key_names_the_setting(server: ScriptedServer, reply: Reply) -> None:
    server.route("/res/v1/web/search", reply)
    with pytest.raises(SearchRefusedError, match="GO_SEARCH_API_KEY"):
        BraveSearch("wrong", base_url=server.url("/res/v1"), policy=FAST).search("chopin")
    assert len(server.requests_to("/res/v1/web/search")) == 1


def test_503_is_retried_until_it_succeeds(server: ScriptedServer) -> None:
    server.route("/search", Reply(503), Reply(503), Reply.json(SEARXNG_PAYLOAD))
    results = SearxngSearch(server.url(""), policy=FAST).search("chopin")
    assert len(results) == 2
    assert len(server.requests_to("/search")) == 3


def test_429_until_the_retries_run_out_is_a_rate_limit_error(server: ScriptedServer) -> None:
    server.route("/res/v1/web/search", Reply.json({"type": "ErrorResponse"}, status=429, **{"Retry-After": "0"}))
    with pytest.raises(SearchRateLimitedError, match="429.*GO_SEARCH_BACKEND"):
        BraveSearch("key", base_url=server.url("/res/v1"), policy=FAST).search("chopin")
    assert len(server.requests_to("/res/v1/web/search")) == FAST.attempts


def test_a_backend_that_is_down_fails_quickly_with_what_to_do(refused_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(SearchUnavailableError, match="start SearXNG at .*GO_SEARCH_BACKEND=local") as caught:
        SearxngSearch(f"http://127.0.0.1:{refused_port}", policy=RetryPolicy(timeout_s=10.0)).search("chopin")
    assert time.monotonic() - started < 3.0
    assert "ConnectError" in str(caught.value) and "3 tries" in str(caught.value)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"{}", {"Content-Type": "application/json"}, delay_s=30),
        Reply(200, b'{"results": []}' + b" " * 400, {"Content-Type": "application/json"}, drip_s=0.02),
    ],
    ids=["stalls", "drips"],
)
def test_a_slow_backend_times_out_within_the_bound(server: ScriptedServer, reply: Reply) -> None:
    server.route("/search", reply)
    started = time.monotonic()
    with pytest.raises(SearchTimeoutError, match="did not answer within 0.5 s"):
        SearxngSearch(server.url(""), policy=RetryPolicy(timeout_s=0.5)).search("chopin")
    assert time.monotonic() - started < 1.25
    assert len(server.requests_to("/search")) == 1


def test_an_answer_that_is_not_the_documented_json_is_a_response_error(server: ScriptedServer) -> None:
    server.route("/search", Reply(200, b"<html>SearXNG</html>", {"Content-Type": "text/html"}))
    with pytest.raises(SearchResponseError, match="did not answer JSON"):
        SearxngSearch(server.url(""), policy=FAST).search("chopin")
    server.route("/search", Reply.json({"answers": []}))
    with pytest.raises(SearchResponseError, match="results"):
        SearxngSearch(server.url(""), policy=FAST).search("chopin")


def test_the_factory_picks_the_configured_backend(tmp_path) -> None:
    searxng = build_search(Settings(search_backend="searxng"))
    brave = build_search(Settings(search_backend="brave", search_api_key="k"))
    assert isinstance(searxng, SearxngSearch) and isinstance(brave, BraveSearch)
    assert isinstance(searxng, SearchBackend) and isinstance(brave, SearchBackend)
    with pytest.raises(SearchConfigError, match="GO_SEARCH_API_KEY"):
        build_search(Settings(search_backend="brave"))
    with pytest.raises(SearchConfigError, match="GO_DOCS_DIR"):
        build_search(Settings(search_backend="local"))
    with pytest.raises(SearchConfigError, match="no documents"):
        build_search(Settings(search_backend="local", docs_dir=tmp_path, cache_dir=tmp_path / "cache"))


def test_the_search_tool_validates_its_input_and_returns_typed_results(server: ScriptedServer) -> None:
    server.route("/search", Reply.json(SEARXNG_PAYLOAD))
    tool = WebSearchTool(SearxngSearch(server.url(""), policy=FAST))
    response = tool({"query": "chopin death", "max_results": 1})
    assert response.backend == "searxng" and [r.url for r in response.results] == [SEARXNG_PAYLOAD["results"][0]["url"]]
    with pytest.raises(ToolInputError):
        tool({"query": ""})
    with pytest.raises(ToolInputError):
        SearxngSearch(server.url(""), policy=FAST).search("   ")
