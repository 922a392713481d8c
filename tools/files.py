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


class InputFileError(ValueError):
    """A file the user named cannot be read as the text it should hold; the message names the file
    and what to do. A ValueError, so the CLIs report it like any other bad input (exit status 2)."""


class OutputLocationError(ValueError):
    """A place the user named for results (or the cache) cannot hold them. Checked before any model
    loads, so a long run is never lost to a folder it could not write at the end."""


def read_text_limited(path: Path, limit: int) -> str:
    """The UTF-8 text of `path`, reading at most `limit` + 1 bytes, or an `InputFileError`.

    The bound is what keeps `/dev/zero`, a huge log or a pipe that never ends from filling memory:
    one byte past the limit is enough to know the file is too large. Decoding is strict, so a binary
    file is refused by name rather than read as replacement characters.
    """
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; give the path of a text file.")
    try:
        with path.open("rb") as handle:
            data = bytearray()
            while len(data) <= limit and (chunk := handle.read(limit + 1 - len(data))):
                data += chunk
    except FileNotFoundError as exc:
        raise InputFileError(f"{path} does not exist; check the path.") from exc
    except PermissionError as exc:
        raise InputFileError(f"{path} cannot be read (permission denied); give a file you can read.") from exc
    except OSError as exc:
        raise InputFileError(f"{path} cannot be read ({exc.strerror or exc}); give a plain text file.") from exc
    if len(data) > limit:
        raise InputFileError(f"{path} is larger than {limit:,} bytes; give a smaller text file.")
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path} is not UTF-8 text (byte {exc.start:,} is not valid); "
                             "save it as UTF-8 or give a text file.") from exc


def _nearest_existing(path: Path) -> Path:
    """`path` or the closest folder above it that exists (what a `mkdir -p` would start from)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe_writable(folder: Path, purpose: str) -> None:
    """Create and remove a file in `folder`: the one test of writability that holds for every
    filesystem, user and mount option (os.access ignores read-only mounts and ACLs)."""
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe.")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputLocationError(f"Cannot write in {folder} ({exc.strerror or exc}); "
                                  f"choose {purpose} you can write to.") from exc


def checked_output_folder(path: Path, *, probe: bool = True) -> Path:
    """`path`, once it is known that it is, or can be made, a folder that takes new files; else an
    `OutputLocationError`. Nothing is created: the probe file is removed at once. With `probe` False
    only the shape is checked (a folder, or creatable as one), for a folder that may be read-only."""
    existing = _nearest_existing(path)
    if not existing.is_dir():
        blocker = "is a file" if existing == path.absolute() else f"cannot be created: {existing} is a file"
        raise OutputLocationError(f"{path} {blocker}; choose a folder.")
    if probe or existing != path.absolute():
        _probe_writable(existing, "a folder")
    return path


def checked_output_file(path: Path) -> Path:
    """`path`, once it is known that a file can be written there (it is not a folder, its folder
    takes new files, and an existing file may be overwritten); else an `OutputLocationError`."""
    if path.is_dir():
        raise OutputLocationError(f"{path} is a folder; give a file name, e.g. {path / 'answer.json'}.")
    try:
        checked_output_folder(path.parent)
    except OutputLocationError as exc:
        raise OutputLocationError(f"Cannot write {path}: {exc}") from exc
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputLocationError(f"{path} is read-only; choose another file or make it writable.")
    return path
