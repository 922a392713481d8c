"""AccountedLM and StructuredPredict on a scripted engine: accounting, budgets, errors, re-asks."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy import lm15

from agents.lm.errors import (
    BudgetExceededError,
    EmptyPromptError,
    GenerationTimeoutError,
    ModelError,
    ModelRateLimitedError,
    ModelUnavailableError,
    StructuredOutputError,
)
from agents.lm.structured import StructuredPredict
from agents.lm.testing import ScriptedEngine, scripted_lm
from agents.lm.usage import TokenBudget, attributed_to
from tests.idea_signature import Idea, Ideate, Range


def test_typed_prediction_and_per_agent_accounting(idea_reply: str) -> None:
    engine = ScriptedEngine(idea_reply, idea_reply)
    lm = scripted_lm(engine)
    with dspy.context(lm=lm):
        with attributed_to("Theme Weaver"):
            first = StructuredPredict(Ideate)(theme="fungi")
        with attributed_to("Fun Judge"):
            StructuredPredict(Ideate)(theme="fungi")
    assert first.idea == Idea(title="Spore Wars", players=Range(low=2, high=4), tags=["area control"])
    records = lm.ledger.records
    assert [r.agent for r in records] == ["Theme Weaver", "Fun Judge"]
    assert all(r.completion_tokens == 10 and r.prompt_tokens > 0 and r.wall_s >= 0 for r in records)
    assert lm.ledger.by_agent()["Fun Judge"].calls == 1
    # DSPy's own history and usage tracking see the same calls.
    assert len(lm.history) == 2 and lm.history[-1]["usage"]["completion_tokens"] == 10


def test_the_output_schema_reaches_the_engine_with_its_bounds(idea_reply: str) -> None:
    engine = ScriptedEngine(idea_reply)
    with dspy.context(lm=scripted_lm(engine)):
        StructuredPredict(Ideate)(theme="fungi")
    response_format = engine.requests[0].config.response_format
    assert response_format["type"] == "json_schema"
    schema = json.dumps(response_format["schema"])
    assert '"maxLength": 40' in schema and '"maxItems": 3' in schema


def test_reask_carries_the_validation_error_and_then_succeeds(idea_reply: str) -> None:
    bad = json.dumps({"idea": {"title": "Spore Wars", "players": {"low": 0, "high": 4}, "tags": []}})
    engine = ScriptedEngine(bad, idea_reply)
    with dspy.context(lm=scripted_lm(engine)):
        prediction = StructuredPredict(Ideate, max_reasks=1)(theme="fungi")
    assert prediction.idea.players.low == 2
    second_prompt = engine.requests[1].system if isinstance(engine.requests[1].system, str) else ""
    assert "previous answer could not be used" in second_prompt


def test_structured_error_keeps_raw_text_and_errors_after_bounded_reasks() -> None:
    engine = ScriptedEngine("not json at all", '{"idea": {"title": "x"', "still nothing")
    with dspy.context(lm=scripted_lm(engine)), pytest.raises(StructuredOutputError) as caught:
        StructuredPredict(Ideate, max_reasks=2)(theme="fungi")
    assert len(engine.requests) == 3
    assert caught.value.raw_text == "still nothing"
    assert len(caught.value.errors) == 3


def test_budget_stops_the_run_with_a_clear_error(idea_reply: str) -> None:
    engine = ScriptedEngine(idea_reply, idea_reply, idea_reply)
    lm = scripted_lm(engine, budget=TokenBudget(completion_tokens=20))
    with dspy.context(lm=lm):
        StructuredPredict(Ideate)(theme="a")
        StructuredPredict(Ideate)(theme="b")
        with pytest.raises(BudgetExceededError, match="20 completion tokens used of 20"):
            StructuredPredict(Ideate)(theme="c")
    assert len(engine.requests) == 2


def test_budget_caps_the_next_call_to_what_is_left(idea_reply: str) -> None:
    engine = ScriptedEngine(idea_reply, idea_reply)
    lm = scripted_lm(engine, budget=TokenBudget(completion_tokens=15))
    with dspy.context(lm=lm):
        StructuredPredict(Ideate)(theme="a")
        StructuredPredict(Ideate)(theme="b")
    assert engine.requests[1].config.max_tokens == 5


@pytest.mark.parametrize("prompt", ["", "   \n\t"])
def test_empty_prompt_is_refused_before_any_call(prompt: str, idea_reply: str) -> None:
    engine = ScriptedEngine(idea_reply)
    with pytest.raises(EmptyPromptError):
        scripted_lm(engine)(prompt)
    assert engine.requests == []


def test_rate_limit_is_retried_then_reported() -> None:
    errors = [lm15.RateLimitError("slow down", retry_after=0) for _ in range(3)]
    lm = scripted_lm(ScriptedEngine(*errors), num_retries=2)
    with pytest.raises(ModelRateLimitedError, match="rate-limiting"):
        lm("hello")
    assert len(lm.ledger.records) == 1 and lm.ledger.records[0].error


def test_transient_failure_recovers_within_retries() -> None:
    engine = ScriptedEngine(lm15.ServerError("503", retry_after=0), "fine")
    assert scripted_lm(engine, num_retries=1)("hello") == ["fine"]


def test_unreachable_and_timeout_map_to_typed_errors() -> None:
    with pytest.raises(ModelUnavailableError, match="could not be reached"):
        scripted_lm(ScriptedEngine(lm15.TransportError("connection refused")))("hello")
    with pytest.raises(GenerationTimeoutError):
        scripted_lm(ScriptedEngine(lm15.TimeoutError("too slow")))("hello")


def test_engine_errors_of_our_own_pass_through_unchanged() -> None:
    original = GenerationTimeoutError("local model passed its limit")
    with pytest.raises(GenerationTimeoutError) as caught:
        scripted_lm(ScriptedEngine(original))("hello")
    assert caught.value is original


def test_a_scripted_engine_takes_more_replies_and_says_when_it_runs_out() -> None:
    engine = ScriptedEngine("first")
    lm = scripted_lm(engine)
    assert lm("one") == ["first"]
    assert engine.script("second") is engine and lm("two") == ["second"]
    with pytest.raises(ModelError, match="ran out of scripted replies"):
        lm("three")
    assert [r.messages[-1].text for r in engine.requests] == ["one", "two", "three"]
    assert [r.error is not None for r in lm.ledger.records] == [False, False, True]
