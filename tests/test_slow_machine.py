"""Slow is not failed, end to end: a GameGrammar design and a composition version run through the
embedded engine on a scripted slow decoder while two CPU-bound processes compete. Every call takes
several times the hosted request timeout and both pipelines still finish; only a stall would fail them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.lm.llamacpp import Generation, SamplingParams
from agents.lm.stall import DecodeProgress, DecoderClock, run_watched
from pipelines.compose import ComposeSessions
from pipelines.compose_graph import ComposeConfig
from pipelines.gamegrammar import design_game
from pipelines.gamegrammar_graph import GameGrammarConfig
from retrieval.exemplars import ExemplarGame
from retrieval.store import RetrievalConstraints
from tests.compose_script import PLAN, REQUEST
from tests.music_fakes import ScaleWriter
from tests.studio_script import EXEMPLAR, NO_ISSUES, VERDICT, first_draft, reply
from tools.settings import Settings

REQUEST_TIMEOUT_S = 0.25  # a hosted call's limit; the embedded calls below each take over three times as long
TOKEN_EVERY_S = 0.1
TOKENS_PER_REPLY = 8
PROMPT_BATCH_S = 0.05

class SlowScriptedModel:
    """Stands in for `LlamaCppModel` behind the real engine: answers from a reply list, evaluating
    the prompt in timed batches and emitting each reply in timed tokens, all under the real stall watch."""

    name = "slow-scripted"

    def __init__(self, *replies: str) -> None:
        self.replies = deque(replies)
        self.call_s: list[float] = []
        self._clock = DecoderClock()

    def chat_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        return list(range(sum(len(m["content"].split()) for m in messages) + 1))

    def fixed_prefix(self, messages: list[dict[str, str]], tokens: list[int]) -> int:
        return 0

    def generate(self, prompt_tokens: list[int], params: SamplingParams, *, stall_timeout_s: float,
                 schema: dict[str, Any] | None = None, constrained: bool = False, keep_prefix: int = 0) -> Generation:
        text = self.replies.popleft()

        def decode(progress: DecodeProgress) -> Generation:
            for _ in range(0, len(prompt_tokens), 128):
                time.sleep(PROMPT_BATCH_S)
                progress.prompt_batch(128)
            for _ in range(TOKENS_PER_REPLY):
                time.sleep(TOKEN_EVERY_S)
                progress.tokens()
            return Generation(text=text, prompt_tokens=len(prompt_tokens), completion_tokens=TOKENS_PER_REPLY,
                              finish_reason="stop", wall_s=0.0)

        started = time.monotonic()
        generation = run_watched(decode, clock=self._clock, prompt_tokens=len(prompt_tokens),
                                 stall_s=stall_timeout_s, name=self.name)
        self.call_s.append(time.monotonic() - started)
        return generation


@pytest.fixture
def busy_cpus() -> Iterator[None]:
    """Two CPU-bound processes competing for the cores for the length of the test."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait()


def slow_settings(cache_dir: Path) -> Settings:
    return Settings(model="embedded", cache_dir=cache_dir, request_timeout_s=REQUEST_TIMEOUT_S, stall_timeout_s=0.6)


def embedded(monkeypatch: pytest.MonkeyPatch, model: SlowScriptedModel) -> None:
    """Route `build_lm`'s embedded spec to `model`, through the real factory and engine."""
    monkeypatch.setattr("agents.lm.factory.load_local_model", lambda spec, settings: model)


class OneExemplar:
    def search(self, query: str, *, k: int, constraints: RetrievalConstraints) -> list[ExemplarGame]:
        return [EXEMPLAR]


def assert_slow_but_finished(model: SlowScriptedModel, calls: int) -> None:
    assert len(model.call_s) == calls and not model.replies
    assert min(model.call_s) > 3 * REQUEST_TIMEOUT_S
    assert sum(model.call_s) > 8 * REQUEST_TIMEOUT_S


@pytest.mark.usefixtures("busy_cpus")
def test_a_game_design_finishes_on_a_slow_embedded_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = SlowScriptedModel(*first_draft(), NO_ISSUES, VERDICT)
    embedded(monkeypatch, model)
    # No playtest: the scripted Mycelium design is drawish and would ask for a repair; this test is about time.
    design, report = design_game("glowing fungi", settings=slow_settings(tmp_path), store=OneExemplar(),
                                 config=GameGrammarConfig(proven_engines=False, playtest=None))
    assert report.status == "complete" and design is not None
    assert report.model == "embedded/slow-scripted" and report.verdict is not None
    assert_slow_but_finished(model, calls=8)


@pytest.mark.usefixtures("busy_cpus")
def test_a_composition_version_finishes_on_a_slow_embedded_model(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    no_changes = {"changes": []}
    model = SlowScriptedModel(reply("plan", PLAN), reply("theory_critic", no_changes),
                              reply("listener_critic", no_changes))
    embedded(monkeypatch, model)
    store = ComposeSessions(tmp_path, ScaleWriter(), settings=slow_settings(tmp_path),
                            config=ComposeConfig(audio=False))
    try:
        session, state = store.start(REQUEST, seed=1, session="winter")
    finally:
        store.close()
    assert state.version == 1 and state.rendered is not None
    report = json.loads((tmp_path / "winter" / "v1" / "report.json").read_text())
    assert report["runs"][0]["model_calls"] == 3 and state.rendered.midi.is_file()
    assert_slow_but_finished(model, calls=3)
