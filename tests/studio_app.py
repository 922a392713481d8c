"""The studio web app on scripted parts, for its tests: the model is `tests.openai_server.OpenAIStub`
(the real hosted-model path, answering from a script), the web a `tests.web_server.ScriptedServer`,
the section writer `tests.music_fakes.ScaleWriter`, the exemplar store empty and the playtest small.
Everything else is the pipelines' own code. A helper module, not a test module."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from pipelines.compose_graph import ComposeConfig
from pipelines.gamegrammar_graph import GameGrammarConfig
from pipelines.studio.services import Studio
from tests.compose_script import PLAN
from tests.music_fakes import ScaleWriter
from tests.openai_server import OpenAIStub, Reply
from tests.studio_script import NO_ISSUES, VERDICT, first_draft, reply
from tests.web_server import Reply as WebReply
from tests.web_server import ScriptedServer
from tools.games.playtest import PlaytestBudget
from tools.settings import Settings

GAME_CONFIG = GameGrammarConfig(
    playtest=PlaytestBudget(greedy_games=10, search_games=2, search_playouts=2, restricted_games=4),
    playtest_games=20, tuning=None, max_repair_rounds=0)
"""A playtest of seconds rather than minutes: the chart is drawn all the same."""

THEME = "bioluminescent fungi competing in a cave ecosystem"
QUESTION = "Who composed the Moonlight Sonata, and when did he die?"
SONATA_PAGE = """<html><head><title>Piano Sonata No. 14 (Beethoven)</title></head><body>
<p>The Piano Sonata No. 14, known as the Moonlight Sonata, was composed by Ludwig van Beethoven in 1801.</p>
<p>Beethoven died in Vienna on 26 March 1827.</p></body></html>"""
CITED = ["The Piano Sonata No. 14, known as the Moonlight Sonata, was composed by Ludwig van Beethoven in 1801.",
         "Beethoven died in Vienna on 26 March 1827."]
"""The page's sentences the answer cites, S1 and S2: a page that was read shows its own sentences, not its
search snippet, so these are all the sentences numbered."""


class NoExemplars:
    """An exemplar store with nothing in it (the real one builds a Chroma index first)."""

    def search(self, query: str, k: int, constraints: object) -> list[Any]:
        return []


def design_replies() -> list[str]:
    """A design in invented-rules mode: the six drafting steps, the critique, the verdict."""
    return [*first_draft(), NO_ISSUES, VERDICT]


def compose_replies() -> list[str]:
    return [reply("plan", PLAN), reply("theory_critic", {"changes": []}), reply("listener_critic", {"changes": []})]


def feedback_reply() -> str:
    return json.dumps({"revision": {"changes": {"changes": [
        {"section": "s3", "problem": "the ending is too bright", "action": "simpler", "cadence": "plagal"}]},
        "tempo": {"tempo_bpm": 60}}})


ANSWER = "Ludwig van Beethoven composed it in 1801; Beethoven died in 1827."
"""Worded as its quotes are: the default entailment rules drop a claim with a word no span says
("wrote" for "composed")."""


def ask_replies() -> list[str]:
    """The Researcher's query and an answer citing the sentences of the one page the search finds."""
    return [reply("plan", {"queries": ["Moonlight Sonata composer death"]}),
            reply("answer", {"answerable": True, "answer": ANSWER,
                             "citations": ["S1", "S2"],
                             "confidence": "high"})]


def script(stub: OpenAIStub, replies: list[str]) -> None:
    stub.script.extend(Reply(text) for text in replies)


def scripted_web(web: ScriptedServer) -> None:
    web.route("/search", WebReply.json({"query": "moonlight", "results": [
        {"url": web.url("/sonata"), "title": "Piano Sonata No. 14", "content": "The Moonlight Sonata...",
         "engine": "wikipedia"}]}))
    web.route("/sonata", WebReply.html(SONATA_PAGE))


def scripted_studio(out: Path, stub: OpenAIStub | None = None, web: ScriptedServer | None = None,
                    **settings: Any) -> Studio:
    """A studio whose model is `stub` (none: an address nothing answers) and whose web is `web`."""
    values: dict[str, Any] = dict(model="openai/scripted", api_base=stub.base_url if stub else "http://127.0.0.1:9/v1",
                                  api_key="test-key", max_retries=0, allow_private_fetch=True, fetch_timeout_s=5)
    if web is not None:
        values.update(search_backend="searxng", searxng_url=web.url(""))
    values.update(settings)
    return Studio(out=out, settings=Settings(**values), exemplars=NoExemplars(),  # type: ignore[arg-type]
                  section_tools=lambda _: ScaleWriter(), game_config=GAME_CONFIG, compose_config=ComposeConfig())


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn on a free 127.0.0.1 port in a thread; yields its base address."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the studio did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
