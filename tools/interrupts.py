"""Ctrl-C that is neither lost nor half-done: a section during which SIGINT is held back.

Python runs a signal handler between bytecodes of the main thread, wherever those happen to be.
Two places make that wrong. Inside a ctypes callback (llama.cpp logs through one while a GGUF
loads) the handler's KeyboardInterrupt is printed as "Exception ignored on calling ctypes callback
function" and dropped, so the load goes on and so does the run. Inside a set of renames that
must land together (`tools.files.write_atomically`) it would leave half of the old set and half of
the new. `interrupts_deferred` records the signal instead and delivers it when the section ends.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
INTERRUPTED = 130
"""The exit status of a command line stopped by Ctrl-C (128 + SIGINT), as shells report it."""
_POLL_S = 0.1


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT back for the body; on exit restore the previous handler and, if a SIGINT
    arrived, deliver it to that handler (the default one raises KeyboardInterrupt here).

    Only the main thread receives signals, so elsewhere this does nothing. Keep the body short:
    Ctrl-C waits for it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        if not received:
            logger.warning("Interrupted: stopping as soon as this step can be left safely.")
        received.append(signum)

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        if received:
            signal.raise_signal(signal.SIGINT)


def interruptible(work: Callable[[], T], name: str) -> T:
    """`work()`, run in a worker thread while the main thread waits, so that Ctrl-C stops the caller at once.

    A signal reaches Python only between bytecodes of the main thread, so a long call into C (a GGUF or
    Whisper load, a CTranslate2 decode) holds Ctrl-C back until it returns: 20 s and more on a loaded
    machine. Here the main thread only waits, and its wait is what the KeyboardInterrupt interrupts. The
    abandoned worker (a daemon thread) runs on until the process exits, which is what an interrupted
    command line does next (`exit_promptly`); do not use this for work whose half-done state others see.
    Off the main thread, which signals never reach, `work` simply runs."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    return waited(in_background(work, name))


def in_background(work: Callable[[], T], name: str) -> Future[T]:
    """`work()` started in a daemon thread under the caller's context variables (the agent a call is
    counted to); its value or error lands in the returned future. Keep the future where a retry after
    Ctrl-C finds it (`waited`): the work goes on after an interrupted wait, and a retry that started it
    again would run it twice at once (a second GGUF load beside the first, in a REPL)."""
    future: Future[T] = Future()
    context = contextvars.copy_context()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(context.run(work))
        except BaseException as exc:  # handed to whoever waits, or kept for a retry's wait
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def waited(future: Future[T]) -> T:
    """The future's value (or its error, raised). On the main thread the wait is what Ctrl-C interrupts;
    the work behind the future goes on, and waiting on the same future again picks its result up."""
    while True:
        try:
            return future.result(timeout=_POLL_S)
        except FutureTimeout:
            continue


def exit_promptly(code: int) -> NoReturn:
    """Exit a command line with `code`; after Ctrl-C (`INTERRUPTED`) without the interpreter's teardown.

    Once an interrupted command has said so and saved what it keeps (as a set, `tools.files`), nothing is
    left to do, yet unloading torch, CTranslate2 and llama.cpp took 17 s at load 16 on two cores, and a
    worker abandoned by `interruptible` or a decode may still be inside llama.cpp while its model is freed.
    So the output streams are flushed and the process ends at once. Other exits are ordinary."""
    if code != INTERRUPTED:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream has nothing left to flush
            stream.flush()
    os._exit(code)
