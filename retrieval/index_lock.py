"""One process at a time builds a persistent Chroma index.

Chroma's embedded client is not safe across processes: two processes that find an empty or stale
index each delete and recreate the collection, and the one whose collection was deleted under it fails
with `NotFoundError`. Holding an exclusive `flock` on a file in the index folder while a process opens
the folder, checks the index and (re)builds it serialises that; the next process then finds the index
current and only reads it. The lock is the kernel's, so it is released when its holder exits, however.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

LOCK_NAME = "index.lock"


@contextmanager
def index_lock(folder: Path) -> Iterator[None]:
    """Hold the build lock of the index in `folder` (created if missing), waiting for another holder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("Waiting for another process to finish building the index in %s", folder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
