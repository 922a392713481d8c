"""Where a question's time goes: each stage's wall and CPU seconds and model tokens, measured by
`tools.costs.StageMeter` and reported with every AudioRAG answer (and so in the bench's results)."""

from __future__ import annotations

import time

import pytest

from agents.lm.testing import ScriptedEngine, scripted_lm
from agents.lm.usage import CallRecord, UsageLedger
from pipelines.audiorag import ask
from tests.test_audiorag_graph import PLAN, answer, server  # noqa: F401 - the fixture is used by name
from tests.web_server import ScriptedServer
from tools.costs import StageMeter, TokenCount
from tools.settings import Settings


def busy(seconds: float) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def test_a_stage_entered_twice_adds_up_its_cpu_seconds_and_the_tokens_spent_inside_it() -> None:
    spent = [TokenCount()]
    meter = StageMeter(lambda: spent[-1])
    for _ in range(2):
        with meter.stage("research"):
            busy(0.05)
            spent.append(TokenCount(calls=spent[-1].calls + 1, prompt_tokens=spent[-1].prompt_tokens + 100,
                                    cached_prompt_tokens=spent[-1].cached_prompt_tokens + 60,
                                    completion_tokens=spent[-1].completion_tokens + 20))
    with meter.stage("search"):
        time.sleep(0.05)  # waiting costs wall seconds, not CPU seconds
    research, search = meter.costs["research"], meter.costs["search"]
    assert research.cpu_s >= 0.1 and research.wall_s >= research.cpu_s * 0.5
    assert (research.calls, research.prompt_tokens, research.cached_prompt_tokens, research.completion_tokens) == (
        2, 200, 120, 40)
    assert search.wall_s >= 0.05 and search.cpu_s < 0.04 and search.calls == 0
    assert meter.total().prompt_tokens == 200 and list(meter.costs) == ["research", "search"]


def test_a_meter_reads_a_ledger_s_totals_and_counts_only_the_calls_inside_a_stage() -> None:
    ledger = UsageLedger()
    meter = StageMeter(ledger.totals)
    ledger.record(CallRecord(model="m", agent="Researcher", prompt_tokens=5, completion_tokens=1))
    with meter.stage("answer"):
        ledger.record(CallRecord(model="m", agent="Answerer", prompt_tokens=100, cached_prompt_tokens=40,
                                 completion_tokens=9, wall_s=2.0, error="timed out"))
    answer = meter.costs["answer"]
    assert (answer.calls, answer.prompt_tokens, answer.cached_prompt_tokens, answer.completion_tokens) == (
        1, 100, 40, 9)
    totals = ledger.totals()
    assert (totals.calls, totals.prompt_tokens, totals.completion_tokens, totals.wall_s, totals.errors) == (
        2, 105, 10, 2.0, 1)


def test_a_stage_that_raises_is_still_counted() -> None:
    meter = StageMeter()
    with pytest.raises(RuntimeError), meter.stage("fetch"):
        raise RuntimeError("page down")
    assert "fetch" in meter.costs


def test_every_answer_says_what_each_stage_cost_and_which_prompt_tokens_came_from_the_kv_cache(
        server: ScriptedServer) -> None:  # noqa: F811 - the fixture
    engine = ScriptedEngine(PLAN, answer("Beethoven died in Vienna on 26 March 1827"), cached_prompt_tokens=7)
    settings = Settings(allow_private_fetch=True, searxng_url=server.url(""), fetch_timeout_s=5)
    result = ask("Who composed the Moonlight Sonata, and when did he die?", None, settings, lm=scripted_lm(engine))
    stages = result.stages
    assert {"research", "search", "fetch", "read", "answer", "check"} <= set(stages)
    assert "load_lm" not in stages  # the model was given, not loaded
    assert stages["research"].calls == 1 and stages["answer"].calls == 1
    assert stages["answer"].prompt_tokens > stages["research"].prompt_tokens > 0  # the sources are in the answer's
    assert stages["answer"].cached_prompt_tokens == 7 and stages["answer"].completion_tokens == 10
    assert stages["search"].calls == stages["fetch"].calls == stages["check"].calls == 0
    assert stages["fetch"].wall_s > 0


def test_the_answerer_is_shown_four_passages_by_default() -> None:
    """The Answerer's prompt is the largest part of a question's time (docs/benchmarks.md): four passages."""
    from pipelines.audiorag_graph import AudioRAGState, read
    from tests.test_audiorag_graph import HEARD, QUESTION, deps, hit

    results = [hit(f"https://a.example/{number}", number, f"Beethoven sonata number {number}")
               for number in range(1, 9)]
    update = read(AudioRAGState(question=QUESTION, heard=HEARD, results=results), deps(pages_per_round=0))
    assert len(update["passages"]) == 4
