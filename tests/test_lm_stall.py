"""Slow is not failed: a scripted decoder that is slow finishes, one that stops raises a stall error,
Ctrl-C still interrupts, and prompts are evaluated in batches that count as progress."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from agents.lm.errors import GenerationStalledError, GenerationTimeoutError
from agents.lm.llamacpp import PROMPT_BATCH_TOKENS, evaluate_prompt
from agents.lm.stall import DecodeProgress, DecoderClock, run_watched
from tools.settings import Settings


def steady(tokens: int, every_s: float):
    """A decoder that emits one token every `every_s` seconds."""

    def decode(progress: DecodeProgress) -> int:
        for _ in range(tokens):
            time.sleep(every_s)
            progress.tokens()
        return progress.generated

    return decode


def test_a_slow_decoder_that_keeps_producing_finishes_long_after_the_stall_limit() -> None:
    started = time.monotonic()
    generated = run_watched(steady(16, 0.25), clock=DecoderClock(), prompt_tokens=0, stall_s=1.0, name="slow")
    assert generated == 16 and time.monotonic() - started > 3.5


def test_prompt_batches_count_as_progress() -> None:
    def decode(progress: DecodeProgress) -> str:
        for _ in range(8):
            time.sleep(0.3)
            progress.prompt_batch(128)
        return "read"

    assert run_watched(decode, clock=DecoderClock(), prompt_tokens=1024, stall_s=1.0, name="slow") == "read"


class StoppingDecoder:
    """Emits `tokens` tokens, then waits on a gate; once let go, it records every further step."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens
        self.gate = threading.Event()
        self.steps_after_gate = 0
        self.ended = threading.Event()

    def __call__(self, progress: DecodeProgress) -> None:
        try:
            for _ in range(self.tokens):
                progress.tokens()
            self.gate.wait()
            for _ in range(100):
                progress.tokens()
                self.steps_after_gate += 1
        finally:
            self.ended.set()


def test_a_decoder_that_stops_producing_raises_the_stall_error_within_about_the_limit() -> None:
    decoder = StoppingDecoder(tokens=3)
    started = time.monotonic()
    try:
        with pytest.raises(GenerationStalledError) as caught:
            run_watched(decoder, clock=DecoderClock(), prompt_tokens=40, stall_s=1.0, name="stuck-model")
        assert 1.0 <= time.monotonic() - started < 2.0
    finally:
        decoder.gate.set()
    message = str(caught.value)
    assert "stuck-model made no progress for 1 s" in message and "3 tokens generated" in message
    assert "GO_STALL_TIMEOUT_S" in message and isinstance(caught.value, GenerationTimeoutError)
    # the abandoned worker stops at its next step instead of decoding on
    assert decoder.ended.wait(2.0) and decoder.steps_after_gate == 0


def test_ctrl_c_interrupts_a_decode_at_once_and_stops_the_worker() -> None:
    decoder = StoppingDecoder(tokens=1)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_watched(decoder, clock=DecoderClock(), prompt_tokens=10, stall_s=30.0, name="model")
        assert time.monotonic() - started < 1.5
    finally:
        timer.cancel()
        decoder.gate.set()
    assert decoder.ended.wait(2.0) and decoder.steps_after_gate == 0


def test_an_error_inside_the_decode_reaches_the_caller_as_raised() -> None:
    def decode(progress: DecodeProgress) -> None:
        raise RuntimeError("llama_decode returned 1")

    with pytest.raises(RuntimeError, match="returned 1"):
        run_watched(decode, clock=DecoderClock(), prompt_tokens=10, stall_s=1.0, name="model")


def test_a_call_queued_behind_a_slow_one_is_judged_by_the_decoders_progress() -> None:
    clock, lock = DecoderClock(), threading.Lock()

    def serialised(decode):
        def locked(progress: DecodeProgress):
            with lock:
                return decode(progress)
        return locked

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(
        run_watched(serialised(steady(12, 0.2)), clock=clock, prompt_tokens=0, stall_s=1.0, name="model")))
    first.start()
    time.sleep(0.1)
    # waits 2.4 s for the lock, more than twice its stall limit, and still finishes
    results.append(run_watched(serialised(steady(2, 0.2)), clock=clock, prompt_tokens=0, stall_s=1.0, name="model"))
    first.join()
    assert sorted(results) == [2, 12]


class RecordingLlama:
    """The part of `llama_cpp.Llama` that prompt evaluation uses: `eval` continues at `n_tokens`."""

    def __init__(self) -> None:
        self.input_ids = np.zeros(4096, dtype=np.intc)
        self.n_tokens = 0
        self.batches: list[int] = []

    def eval(self, tokens: list[int]) -> None:
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)
        self.batches.append(len(tokens))


def test_a_long_prompt_is_evaluated_in_batches_each_reported_and_the_shared_prefix_is_reused() -> None:
    llm, clock = RecordingLlama(), DecoderClock()
    prompt = list(range(1, 3 * PROMPT_BATCH_TOKENS + 21))
    progress = DecodeProgress(clock, len(prompt))
    assert evaluate_prompt(llm, prompt, progress) == 0
    assert llm.batches == [PROMPT_BATCH_TOKENS] * 3 + [20]
    assert progress.prompt_evaluated == len(prompt) and llm.n_tokens == len(prompt)
    assert list(llm.input_ids[: llm.n_tokens]) == prompt

    llm.batches.clear()
    longer = prompt + [7, 8, 9]
    again = DecodeProgress(clock, len(longer))
    assert evaluate_prompt(llm, longer, again) == len(prompt)
    assert llm.batches == [3] and again.prompt_evaluated == len(longer)


def test_the_stall_limit_is_a_setting_apart_from_the_hosted_request_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GO_STALL_TIMEOUT_S", "12.5")
    monkeypatch.setenv("GO_REQUEST_TIMEOUT_S", "30")
    settings = Settings.from_env()
    assert (settings.stall_timeout_s, settings.request_timeout_s) == (12.5, 30.0)
    monkeypatch.delenv("GO_STALL_TIMEOUT_S")
    assert Settings().stall_timeout_s == 60.0
