"""Using the LM layer never makes DSPy fetch its model-metadata map from the network."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from dspy.clients import model_metadata

import agents.lm  # noqa: F401  (the import is what sets the offline default)


def test_dspy_model_metadata_comes_from_the_bundled_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Any] = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: opened.append(args))
    monkeypatch.setattr(model_metadata, "_data", None)
    model_metadata._load()
    assert opened == []
    assert model_metadata.source_info()["source"] == "local"
