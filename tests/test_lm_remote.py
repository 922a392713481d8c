"""The hosted-model path (LiteLLM model strings) against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time

import dspy
import pytest

from agents.lm.errors import GenerationTimeoutError, ModelRateLimitedError, ModelUnavailableError
from agents.lm.factory import build_lm
from agents.lm.structured import StructuredPredict
from tests.idea_signature import Idea, Ideate
from tests.openai_server import OpenAIStub, Reply
from tools.settings import Settings


def settings_for(stub: OpenAIStub, **overrides: object) -> Settings:
    values = dict(model="openai/stub-model", api_base=stub.base_url, api_key="test-key", max_retries=1)
    values.update(overrides)
    return Settings(**values)


def test_structured_prediction_through_a_served_model(idea_reply: str) -> None:
    with OpenAIStub() as stub:
        stub.script.append(Reply(idea_reply))
        lm = build_lm(settings_for(stub))
        with dspy.context(lm=lm):
            prediction = StructuredPredict(Ideate)(theme="fungi")
    assert isinstance(prediction.idea, Idea)
    assert stub.requests[0]["model"] == "stub-model"
    record = lm.ledger.records[0]
    assert (record.prompt_tokens, record.completion_tokens) == (50, 7)


def test_server_errors_are_retried_with_backoff() -> None:
    with OpenAIStub() as stub:
        stub.script.extend([Reply(status=503), Reply("recovered")])
        assert build_lm(settings_for(stub))("hello") == ["recovered"]
        assert len(stub.requests) == 2


def test_rate_limit_after_retries_is_a_typed_error() -> None:
    with OpenAIStub() as stub:
        stub.script.extend([Reply(status=429), Reply(status=429)])
        with pytest.raises(ModelRateLimitedError):
            build_lm(settings_for(stub))("hello")
        assert len(stub.requests) == 2


def test_a_server_that_is_down_fails_fast_and_clearly() -> None:
    with OpenAIStub() as stub:
        url = stub.base_url
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match="could not be reached"):
        build_lm(Settings(model="openai/stub-model", api_base=url, api_key="k", max_retries=0))("hello")
    assert time.monotonic() - started < 10


def test_a_slow_server_hits_the_timeout() -> None:
    with OpenAIStub() as stub:
        stub.script.append(Reply("late", delay_s=3))
        started = time.monotonic()
        with pytest.raises((GenerationTimeoutError, ModelUnavailableError)):
            build_lm(settings_for(stub, request_timeout_s=0.5, max_retries=0))("hello")
        assert time.monotonic() - started < 3


def test_a_model_without_native_structured_output_gets_the_schema_in_the_prompt(idea_reply: str) -> None:
    with OpenAIStub() as stub:
        stub.script.append(Reply(idea_reply))
        with dspy.context(lm=build_lm(settings_for(stub))):
            StructuredPredict(Ideate)(theme="fungi")
    system = stub.requests[0]["messages"][0]["content"]
    assert "JSON schema" in system and '\\"maxLength\\": 40' in system
