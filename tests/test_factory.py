"""Model specifications: environment, flags and the errors for specs that cannot work."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from agents.lm import factory
from agents.lm.errors import ModelConfigError
from agents.lm.factory import build_lm, is_local_spec
from tools.settings import Settings


def test_environment_then_explicit_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GO_MODEL", "ollama_chat/llama3.1")
    monkeypatch.setenv("GO_MAX_TOKENS", "333")
    settings = Settings.from_env()
    assert (settings.model, settings.max_tokens) == ("ollama_chat/llama3.1", 333)
    assert Settings.from_env(model="embedded").model == "embedded"


def test_hosted_spec_builds_without_touching_the_network() -> None:
    lm = build_lm(Settings(model="anthropic/claude-3-5-haiku-latest", api_key="k", max_retries=2))
    assert lm.model == "anthropic/claude-3-5-haiku-latest" and lm.num_retries == 2


@pytest.mark.parametrize("spec", ["embedded", "embedded:qwen2.5-coder-0.5b", "/models/x.gguf"])
def test_local_specs(spec: str) -> None:
    assert is_local_spec(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("", "empty"), ("gpt4", "LiteLLM"), ("embedded:nope", "Unknown embedded model"), ("/no/such.gguf", "no such")],
)
def test_specs_that_cannot_work_fail_with_guidance(spec: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match=message):
        build_lm(Settings(model=spec, cache_dir=tmp_path))


def test_a_file_that_is_not_gguf_is_a_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"this is not a model")
    with pytest.raises(ModelConfigError, match="could not load"):
        build_lm(Settings(model=str(bogus)))


class SlowModel:
    """Stands in for `LlamaCppModel`: its load takes until `release` is set (or fails with `error`)."""

    built: list[SlowModel] = []
    started = threading.Event()
    release = threading.Event()
    error: Exception | None = None

    def __init__(self, path: Path, *, name: str, context_tokens: int, threads: int | None,
                 cache_dir: Path | None = None) -> None:
        SlowModel.built.append(self)
        SlowModel.started.set()
        if not SlowModel.release.wait(10):
            raise AssertionError("the test never released the load")
        if SlowModel.error is not None:
            error, SlowModel.error = SlowModel.error, None
            raise error


@pytest.fixture
def slow_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Settings naming a GGUF path whose loads are `SlowModel`s, with no load cached yet."""
    monkeypatch.setattr(factory, "LlamaCppModel", SlowModel)
    monkeypatch.setattr(factory, "_loads", {})
    monkeypatch.setattr(SlowModel, "built", [])
    monkeypatch.setattr(SlowModel, "started", threading.Event())
    monkeypatch.setattr(SlowModel, "release", threading.Event())
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"not read by the stand-in")
    return Settings(model=str(gguf))


def test_a_load_retried_after_ctrl_c_waits_for_the_first_load_instead_of_starting_another(
        slow_loads: Settings) -> None:
    def ctrl_c_once_loading() -> None:
        SlowModel.started.wait(10)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c_once_loading, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):  # the wait is interrupted; the load goes on in its worker
        factory.load_local_model(slow_loads.model, slow_loads)
    assert len(SlowModel.built) == 1 and not SlowModel.release.is_set()
    threading.Timer(0.2, SlowModel.release.set).start()
    model = factory.load_local_model(slow_loads.model, slow_loads)  # the REPL user tries again
    assert len(SlowModel.built) == 1 and SlowModel.built[0] is model
    assert factory.load_local_model(slow_loads.model, slow_loads) is model


def test_a_failed_load_is_tried_again(slow_loads: Settings) -> None:
    SlowModel.error = ModelConfigError("llama.cpp could not load it")
    SlowModel.release.set()
    with pytest.raises(ModelConfigError, match="could not load"):
        factory.load_local_model(slow_loads.model, slow_loads)
    model = factory.load_local_model(slow_loads.model, slow_loads)
    assert SlowModel.built == [SlowModel.built[0], model]
