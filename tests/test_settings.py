"""Configuration from the environment: the `GO_` prefix, empty means unset, flags override, typos fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tools.settings import DEFAULT_MAX_TOKENS, DEFAULT_REQUEST_TIMEOUT_S, DEFAULT_TEMPERATURE, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"GO_{name.upper()}", raising=False)


def test_defaults_are_the_named_constants() -> None:
    settings = Settings.from_env()
    assert (settings.max_tokens, settings.temperature, settings.request_timeout_s) == (
        DEFAULT_MAX_TOKENS,
        DEFAULT_TEMPERATURE,
        DEFAULT_REQUEST_TIMEOUT_S,
    )
    assert settings.allow_private_fetch is False and settings.docs_dir is None


def test_every_field_reads_its_go_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GO_ALLOW_PRIVATE_FETCH", "1")
    monkeypatch.setenv("GO_FETCH_MAX_BYTES", "4096")
    monkeypatch.setenv("GO_DOCS_DIR", str(tmp_path))
    monkeypatch.setenv("GO_SEARCH_BACKEND", "local")
    monkeypatch.setenv("GO_AUDIO_LLM_API_KEY", "secret")
    settings = Settings.from_env()
    assert settings.allow_private_fetch is True and settings.fetch_max_bytes == 4096
    assert (settings.docs_dir, settings.search_backend, settings.audio_llm_api_key) == (tmp_path, "local", "secret")


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GO_MODEL", "")
    monkeypatch.setenv("GO_THREADS", "")
    settings = Settings.from_env()
    assert (settings.model, settings.threads) == ("embedded", None)


def test_a_none_override_keeps_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GO_MODEL", "ollama_chat/llama3.1")
    assert Settings.from_env(model=None).model == "ollama_chat/llama3.1"
    assert Settings.from_env(model="embedded").model == "embedded"


def test_bad_values_and_unknown_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="max_tokens"):
        Settings.from_env(max_tokens=0)
    with pytest.raises(ValidationError, match="max_token"):
        Settings.from_env(max_token=10)
    monkeypatch.setenv("GO_SEARCH_BACKEND", "bing")
    with pytest.raises(ValidationError, match="search_backend"):
        Settings.from_env()
