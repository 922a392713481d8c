"""Model specifications: environment, flags and the errors for specs that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

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
