"""The audio-LLM backend against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
import soundfile as sf

from tests.openai_server import OpenAIStub, Reply
from tools.audio.audio_llm import describe_with_audio_llm
from tools.audio.errors import AudioLLMError, AudioLLMUnavailableError
from tools.audio.load import Audio
from tools.settings import Settings

CLIP = Audio((0.3 * np.sin(2 * np.pi * 440 * np.arange(44_100 * 2) / 44_100)).astype(np.float32), 44_100)


def settings_for(base: str, **overrides: object) -> Settings:
    values: dict[str, object] = dict(audio_llm_base=base, audio_llm_model="qwen2-audio", max_retries=1,
                                     request_timeout_s=5.0)
    values.update(overrides)
    return Settings(**values)


def test_sends_the_clip_as_an_input_audio_part_and_returns_the_description() -> None:
    with OpenAIStub() as stub:
        stub.script.append(Reply("A steady 440 Hz sine tone, two seconds long."))
        description = describe_with_audio_llm(CLIP, settings_for(stub.base_url), prompt="What is this?")
    assert description.text == "A steady 440 Hz sine tone, two seconds long."
    assert description.model == "qwen2-audio" and description.seconds_sent == pytest.approx(2.0)
    request = stub.requests[0]
    assert request["model"] == "qwen2-audio"
    (message,) = request["messages"]
    text_part, audio_part = message["content"]
    assert text_part == {"type": "text", "text": "What is this?"}
    assert audio_part["type"] == "input_audio" and audio_part["input_audio"]["format"] == "wav"
    samples, rate = sf.read(io.BytesIO(base64.b64decode(audio_part["input_audio"]["data"])))
    assert rate == 16_000 and samples.ndim == 1 and len(samples) == 32_000


def test_long_clips_are_cut_and_say_so() -> None:
    with OpenAIStub() as stub:
        stub.script.append(Reply("tone"))
        description = describe_with_audio_llm(CLIP, settings_for(stub.base_url), max_seconds=0.5)
    assert description.truncated and description.seconds_sent == pytest.approx(0.5)


def test_server_errors_are_retried_then_succeed() -> None:
    with OpenAIStub() as stub:
        stub.script.extend([Reply(status=503), Reply("recovered")])
        assert describe_with_audio_llm(CLIP, settings_for(stub.base_url)).text == "recovered"
        assert len(stub.requests) == 2


def test_a_refusal_is_not_retried() -> None:
    with OpenAIStub() as stub:
        stub.script.extend([Reply(status=400), Reply("never asked")])
        with pytest.raises(AudioLLMError, match="HTTP 400"):
            describe_with_audio_llm(CLIP, settings_for(stub.base_url))
        assert len(stub.requests) == 1


def test_a_slow_server_times_out_within_the_bounds() -> None:
    with OpenAIStub() as stub:
        stub.script.extend([Reply("late", delay_s=2.0), Reply("late", delay_s=2.0)])
        started = time.monotonic()
        with pytest.raises(AudioLLMUnavailableError, match="2 attempts"):
            describe_with_audio_llm(CLIP, settings_for(stub.base_url, request_timeout_s=0.5))
        assert time.monotonic() - started < 4.0


def test_an_unreachable_endpoint_is_a_typed_error(refused_port: int) -> None:
    with pytest.raises(AudioLLMUnavailableError, match="did not answer"):
        describe_with_audio_llm(CLIP, settings_for(f"http://127.0.0.1:{refused_port}/v1"))


def test_not_configured() -> None:
    with pytest.raises(AudioLLMError, match="GO_AUDIO_LLM_BASE"):
        describe_with_audio_llm(CLIP, Settings())
