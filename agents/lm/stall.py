"""Slow is not failed: the embedded decoder fails a call only when it stops making progress.

A wall-clock limit per call fails a busy machine for being busy: on two shared cores a sound call
ran past 120 s after 168 tokens and the whole design was lost. The embedded model instead reports
progress (every prompt batch it evaluates, every token it emits) and a call fails only when no
progress has been reported for `stall_s` seconds: a decoder that has stopped, not a slow one.

The decode runs in a worker thread while the calling thread watches its progress, so a stall is
reported within about `stall_s` even if one llama.cpp step never returns, and Ctrl-C reaches the
calling thread at once (a signal is only handled between Python bytecodes, never inside a C call).
The worker is then asked to stop and does so before its next step; until it has, the model's lock
keeps other calls off the llama.cpp context. Progress is recorded on a clock shared by every call
on the same model, so a call queued behind another is judged by the decoder's progress, not by how
long it has waited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from agents.lm.errors import GenerationStalledError

T = TypeVar("T")

_LONGEST_POLL_S = 0.25
_SHORTEST_POLL_S = 0.005


class DecodeCancelledError(Exception):
    """Raised inside the worker when its caller stopped waiting (stall or Ctrl-C); nobody sees it."""


class DecoderClock:
    """When one decoder last made progress, whichever call made it."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def tick(self) -> None:
        self.last = time.monotonic()

    def idle_s(self, since: float) -> float:
        """Seconds without progress, counted from `since` at the earliest (a call's start)."""
        return time.monotonic() - max(self.last, since)


class DecodeProgress:
    """What one call's decode has done so far: the worker reports it, the caller watches it."""

    def __init__(self, clock: DecoderClock, prompt_tokens: int) -> None:
        self.clock = clock
        self.prompt_tokens = prompt_tokens
        self.prompt_evaluated = 0
        self.generated = 0
        self._cancelled = threading.Event()

    def check(self) -> None:
        """Stop the worker before its next step once the caller has given up."""
        if self._cancelled.is_set():
            raise DecodeCancelledError

    def prompt_batch(self, tokens: int) -> None:
        self.prompt_evaluated += tokens
        self.clock.tick()
        self.check()

    def tokens(self, count: int = 1) -> None:
        self.generated += count
        self.clock.tick()
        self.check()

    def cancel(self) -> None:
        self._cancelled.set()

    def summary(self) -> str:
        return (f"{self.prompt_evaluated} of {self.prompt_tokens} prompt tokens evaluated, "
                f"{self.generated} tokens generated")


def run_watched(
    decode: Callable[[DecodeProgress], T],
    *,
    clock: DecoderClock,
    prompt_tokens: int,
    stall_s: float,
    name: str,
) -> T:
    """Run `decode` in a worker thread; return its result or raise its error, or raise
    `GenerationStalledError` once `clock` has seen no progress for `stall_s` seconds."""
    if stall_s <= 0:
        raise ValueError("stall_s must be positive")
    progress = DecodeProgress(clock, prompt_tokens)
    outcome: list[T] = []
    failure: list[BaseException] = []
    finished = threading.Event()

    def work() -> None:
        try:
            outcome.append(decode(progress))
        except BaseException as exc:  # handed to the caller, or dropped if it has stopped waiting
            failure.append(exc)
        finally:
            finished.set()

    started = time.monotonic()
    worker = threading.Thread(target=work, name=f"decode-{name}", daemon=True)
    poll_s = min(_LONGEST_POLL_S, max(_SHORTEST_POLL_S, stall_s / 10))
    try:
        worker.start()
        while not finished.wait(poll_s):
            if clock.idle_s(started) > stall_s:
                raise GenerationStalledError(
                    f"{name} made no progress for {stall_s:g} s ({progress.summary()}): the decoder is "
                    "stuck or starved of CPU. Free some CPU (or set GO_THREADS below the number of cores), "
                    "raise GO_STALL_TIMEOUT_S, or choose a served model with --model."
                )
    finally:
        if not finished.is_set():  # a stall, Ctrl-C or any other exit: the worker stops at its next step
            progress.cancel()
    if failure:
        raise failure[0]
    return outcome[0]
