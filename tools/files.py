"""Files the user names: read with a bound, output places checked first, results replaced as a set."""

from __future__ import annotations

import os
import select
import shutil
import stat
import tempfile
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from tools.interrupts import interrupts_deferred

STAGING_PREFIX = ".staging-"

FIFO_WRITER_WAIT_S = 10.0
"""How long a named pipe given as input may stay silent before it is refused (not waited on forever)."""

_COMMITTING = threading.Lock()
"""Held while a set's files are renamed into place, in whichever thread does it: a server runs the
pipelines in worker threads, which Ctrl-C (delivered to the main thread) does not defer."""


def write_atomically(folder: Path, files: Mapping[str, str | bytes], *, remove: Collection[str] = ()) -> None:
    """Replace `files` in `folder` as one set: every file or none of them.

    Text is written as UTF-8, bytes as they are. Each file is first written whole into a hidden
    staging folder inside `folder` (the same file system, so renames are atomic, and writable
    wherever `folder` is, unlike its parent: `--out /tmp` has `/` above it). Then, with Ctrl-C held
    back (`tools.interrupts`), each is renamed over its old version and the files named in `remove`
    that the new set lacks are taken out, so no reader or later run meets a mix of two sets. If a
    rename fails, the ones already made are undone from copies of the old files kept in the
    staging folder, and the error is raised with `folder` as it was.
    """
    folder.mkdir(parents=True, exist_ok=True)
    _sweep_stale_staging(folder)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        stale = [name for name in remove if name not in files and (folder / name).exists()]
        with interrupts_deferred(), _COMMITTING:
            _commit(folder, staging, list(files), stale)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def exit_between_commits(status: int) -> NoReturn:
    """End the process now with `status`, though not while another thread renames a set of files into
    place (`write_atomically`; milliseconds). For a server whose worker threads run pipelines: Python
    would otherwise wait for them to finish a run of minutes before exiting. Their checkpoints are
    SQLite transactions and their locks the kernel's, so nothing else is left half-done."""
    _COMMITTING.acquire()
    os._exit(status)


def _sweep_stale_staging(folder: Path) -> None:
    """Remove the staging folders that processes killed mid-write left in `folder` (a kill skips
    every cleanup); each is named after its writer's pid, so a live writer's is left alone."""
    for path in folder.glob(f"{STAGING_PREFIX}*"):
        pid = path.name.removeprefix(STAGING_PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _commit(folder: Path, staging: Path, names: list[str], stale: list[str]) -> None:
    """Rename the staged `names` into `folder` and move `stale` out, or undo every step taken."""
    previous = staging / ".previous"
    previous.mkdir()
    done: list[tuple[str, bool]] = []  # (name, whether an old file was kept to put back)
    try:
        for name in names:
            kept = _keep_copy(folder / name, previous / name)
            os.replace(staging / name, folder / name)
            done.append((name, kept))
        for name in stale:
            os.replace(folder / name, previous / name)
            done.append((name, True))
    except BaseException:
        for name, kept in reversed(done):
            if kept:
                os.replace(previous / name, folder / name)
            else:
                (folder / name).unlink(missing_ok=True)
        raise


def _keep_copy(path: Path, copy: Path) -> bool:
    """Keep `path`'s current content at `copy` (a hard link, or a copy where links are not
    supported); False when there is no file to keep."""
    try:
        os.link(path, copy)
    except FileNotFoundError:
        return False
    except OSError:
        shutil.copy2(path, copy)
    return True


class InputFileError(ValueError):
    """A file the user named cannot be read as the text it should hold; the message names the file
    and what to do. A ValueError, so the CLIs report it like any other bad input (exit status 2)."""


class OutputLocationError(ValueError):
    """A place the user named for results (or the cache) cannot hold them. Checked before any model
    loads, so a long run is never lost to a folder it could not write at the end."""


def _opened_for_reading(path: Path) -> int:
    """A blocking read descriptor of `path`. A named pipe is opened without blocking, then given
    `FIFO_WRITER_WAIT_S` for its writer to send something: a plain open would wait forever for a
    writer that never comes, and Ctrl-C would be the only way out."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if stat.S_ISFIFO(os.fstat(descriptor).st_mode):
        ready, _, _ = select.select([descriptor], [], [], FIFO_WRITER_WAIT_S)
        if not ready:
            os.close(descriptor)
            raise InputFileError(f"{path} is a pipe that nothing wrote to in {FIFO_WRITER_WAIT_S:.0f} s; "
                                 "start its writer first, or give a file.")
    os.set_blocking(descriptor, True)
    return descriptor


def read_text_limited(path: Path, limit: int) -> str:
    """The UTF-8 text of `path`, reading at most `limit` + 1 bytes, or an `InputFileError`.

    The bound is what keeps `/dev/zero`, a huge log or a pipe that never ends from filling memory:
    one byte past the limit is enough to know the file is too large. Decoding is strict, so a binary
    file is refused by name rather than read as replacement characters.
    """
    try:
        if path.is_dir():  # inside the try: a name too long for the file system raises here
            raise InputFileError(f"{path} is a folder; give the path of a text file.")
        descriptor = _opened_for_reading(path)
        with os.fdopen(descriptor, "rb") as handle:
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


def resolved_within(root: Path, path: str | Path) -> Path | None:
    """`root / path` with `..` and symbolic links resolved, or None when that lands outside `root`
    (`root` itself is inside). The one containment rule for paths a request names (the studio's and the
    MCP server's output folders); each caller adds its own refusals and message."""
    base = root.resolve()
    target = (base / path).resolve()
    return target if target.is_relative_to(base) else None


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


@contextmanager
def naming(option: str) -> Iterator[None]:
    """Put the option a bad file or location came from in front of its message ("--out: Cannot
    write in /proc ..."): the path alone does not tell a user which of several arguments to fix."""
    try:
        yield
    except (InputFileError, OutputLocationError) as exc:
        raise type(exc)(f"{option}: {exc}") from exc
