"""Ctrl-C that is neither lost nor half-done: a section during which SIGINT is held back.

Python runs a signal handler between bytecodes of the main thread, wherever those happen to be.
Two places make that wrong. Inside a ctypes callback (llama.cpp logs through one while a GGUF
loads) the handler's KeyboardInterrupt is printed as "Exception ignored on calling ctypes callback
function" and dropped, so the load goes on and so does the run. Inside a set of renames that
must land together (`tools.files.write_atomically`) it would leave half of the old set and half of
the new. `interrupts_deferred` records the signal instead and delivers it when the section ends.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

logger = logging.getLogger(__name__)


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
