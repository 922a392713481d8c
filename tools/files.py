"""Writing results so that an interrupted or failed run never leaves a half-written set behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

from tools.interrupts import interrupts_deferred

STAGING_PREFIX = ".staging-"


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
        with interrupts_deferred():
            _commit(folder, staging, list(files), stale)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
