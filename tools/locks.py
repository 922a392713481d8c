"""One process at a time on a session or run: an exclusive, non-blocking file lock.

Two processes resuming the same session would both write its next version (one run's record is
lost, checkpoints interleave). The lock is `fcntl.flock` on a file that names its holder's pid:
the kernel releases it when the holder exits, however it exits, so a killed process never leaves
a session locked, and the lock file itself is never deleted (deleting it would let two processes
lock two different files of the same name).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

INDEX_LOCK = "index.lock"
"""The lock file in a persistent Chroma folder, held while a process opens, checks and (re)builds an
index there: Chroma's embedded client is not safe across processes, and two that find a stale index
would each delete and recreate the collection under the other."""


class InUseError(RuntimeError):
    """Another process holds the lock; `pid` is its process id when it could be read."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        super().__init__(f"{path} is locked by another process ({self.holder}); wait for it to finish or stop it.")

    @property
    def holder(self) -> str:
        """The holder as a user can look it up: 'pid 1234' (or 'pid unknown')."""
        return f"pid {self.pid}" if self.pid is not None else "pid unknown"


def _holder_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):  # the holder has not written its pid yet, or the file is not ours
        return None


@contextmanager
def exclusive_lock(path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the lock on `path` (created with its folder) for the body. If another process holds it,
    raise `InUseError` at once, or with `wait` block until it is released (for work that another
    process may be doing for us, like building a shared index). Not re-entrant: a second hold in the
    same process is refused, or with `wait` deadlocks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise InUseError(path, _holder_pid(path)) from None
            logger.info("Waiting for %s (held by %s)", path, InUseError(path, _holder_pid(path)).holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode("ascii"))
        yield
    finally:
        os.close(handle)  # closing the last descriptor releases the lock
