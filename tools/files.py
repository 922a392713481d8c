"""Writing results so that an interrupted run never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write each file to a temporary name in `folder`, then rename it into place.

    Text is written as UTF-8, bytes as they are. A reader sees either the old file or the whole
    new one, never a prefix, and Ctrl-C in the middle leaves only the files already renamed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the results from other users
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
