"""Project-wide configuration, read from the environment in one place.

Every knob a user may turn without code lives here, named `GO_<FIELD>` in the environment
(`GO_MODEL`, `GO_MAX_TOKENS`, `GO_ALLOW_PRIVATE_FETCH=1`, ...); pydantic-settings maps and validates
them, and an empty variable counts as unset. Command-line flags override these values through
`Settings.from_env(**overrides)`; library callers pass a `Settings` explicitly.

It sits in `tools`, the lowest run-time layer, because tools, agents and pipelines all read it and
tools must not depend on agents. Defaults that code outside `Settings` also needs (an engine built
without settings, a benchmark) are the named constants below, so each is written once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.files import checked_output_folder, naming

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_MODEL = "embedded"
DEFAULT_REQUEST_TIMEOUT_S = 120.0
DEFAULT_STALL_TIMEOUT_S = 60.0
DEFAULT_CONTEXT_TOKENS = 8192
DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 1024
DEFAULT_FETCH_TIMEOUT_S = 15.0
DEFAULT_FETCH_MAX_BYTES = 2_000_000
EntailmentCheckerName = Literal["rules", "lm"]
"""How claims are checked against their spans: `tools.web.entailment.SpanRules`, or the language model."""
DEFAULT_ENTAILMENT_CHECKER: EntailmentCheckerName = "rules"  # measured the more accurate (docs/benchmarks.md)
HEARD_MIN_SCORE = 0.3  # a listener finding (tag likelihood, key/tempo confidence) below this is not citable
HEARD_INSTRUMENT_MIN_SCORE = 0.5  # an instrument family is citable from this tag score: 24 of 25 right on the
# GM clips of bench/music_tags.py (31 of 38 at 0.3); single instruments are not (violin for cello at 0.84)
WEIGHTS_MARKER_TRUST_S = 24 * 3600  # a weights file's "verified" marker spares its re-hash for at most this long
STUDIO_HOST = "127.0.0.1"  # the studio web app listens on loopback unless --host asks otherwise
STUDIO_PORT = 8765
DEFAULT_STUDIO_MAX_UPLOAD_BYTES = 50_000_000  # a few minutes of CD-quality WAV; AudioRAG listens to clips
MCP_HOST = "127.0.0.1"  # the MCP server's HTTP transport listens on loopback unless --host asks otherwise
MCP_PORT = 8766  # beside the studio's, so both can run at once
MIN_TOKEN_CHARS = 16  # a shared secret shorter than this is guessable
DEFAULT_MUSIC_THREADS = 1
"""Torch threads the music models (piano model, harmoniser) run with. Their steps are tiny (one token
of a 128-wide model), so a second thread speeds nothing up, and torch's default (one per core) made
its parallel operations (GELU, attention) wait on each other: a free piano's 8-bar section took 0.8
CPU s with one thread and 4.2-12.6 s with two on a loaded 2-core machine (docs/benchmarks.md)."""


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "generative-ontology"


class Settings(BaseSettings):
    """Run-time settings shared by the pipelines.

    `model` accepts `embedded` (the default embedded model), `embedded:<name>`, a path to a
    `.gguf` file, or any LiteLLM model string (`openai/gpt-4o-mini`, `anthropic/claude-...`,
    `ollama_chat/llama3.1`, `openai/<name>` with `api_base` for a vLLM or other
    OpenAI-compatible server).
    """

    model_config = SettingsConfigDict(env_prefix="GO_", env_ignore_empty=True, extra="forbid")

    model: str = Field(DEFAULT_MODEL, description="Model specification (see class docstring).")
    api_base: str | None = Field(None, description="Base URL of a served model (vLLM, Ollama, proxy).")
    api_key: str | None = Field(None, description="API key for a hosted model; provider env vars also work.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Assembled weights, indexes.")
    request_timeout_s: float = Field(
        DEFAULT_REQUEST_TIMEOUT_S, gt=0,
        description="Client timeout of one hosted or served model call (HTTP); not the embedded model.",
    )
    stall_timeout_s: float = Field(
        DEFAULT_STALL_TIMEOUT_S, gt=0,
        description="An embedded model call fails after this long without a new token or prompt batch.",
    )
    max_retries: int = Field(3, ge=0, le=10, description="Retries of a hosted call (exponential backoff).")
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0, le=2)
    max_tokens: int = Field(DEFAULT_MAX_TOKENS, gt=0, le=32768, description="Completion tokens of one call, at most.")
    context_tokens: int = Field(DEFAULT_CONTEXT_TOKENS, ge=512, le=131072,
                                description="Context window of an embedded model.")
    threads: int | None = Field(None, ge=1, description="CPU threads for an embedded model (default: all).")
    verify_weights: bool = Field(
        False, description="Hash the packaged weights on this start even when their verified marker is fresh."
    )
    music_threads: int = Field(
        DEFAULT_MUSIC_THREADS, ge=1,
        description="Torch threads of the music models while they write (their steps are too small to share).",
    )
    beethoven_dir: Path = Field(
        REPO_ROOT.parent / "shared" / "data" / "beethoven-piano-sonatas",
        description="Folder of Beethoven piano sonata **kern files (training data of the piano model).",
    )
    soundfont: Path | None = Field(
        None, description="General MIDI soundfont for rendering WAV (default: Debian's fluid-soundfont-gm)."
    )
    piano_checkpoint: Path | None = Field(
        None, description="The piano model's checkpoint (default: the shipped GPU-trained "
                          "piano_factorised_d192.pt; tools/music/checkpoints/piano_factorised.pt is the smaller "
                          "CPU-trained one)."
    )
    song_aesthetics_checkpoint: Path | None = Field(
        None, description="A song-aesthetics checkpoint trained on real ratings (none ships with the project)."
    )
    # Web search and page fetching (AudioRAG)
    search_backend: Literal["searxng", "brave", "local"] = Field(
        "searxng", description="Web search: a SearXNG instance, the Brave Search API (key), or local documents."
    )
    searxng_url: str = Field("http://127.0.0.1:8888", description="Base URL of a SearXNG instance with JSON output.")
    search_api_key: str | None = Field(None, description="Key of a hosted search API (Brave Search).")
    docs_dir: Path | None = Field(None, description="Folder of local documents, the offline search fallback.")
    allow_private_fetch: bool = Field(
        False, description="Let the page fetcher reach private, loopback and link-local addresses."
    )
    fetch_timeout_s: float = Field(
        DEFAULT_FETCH_TIMEOUT_S, gt=0, le=300, description="Wall-clock limit of one page fetch."
    )
    fetch_max_bytes: int = Field(
        DEFAULT_FETCH_MAX_BYTES, ge=1024, le=100_000_000, description="Largest page body read."
    )
    entailment_checker: EntailmentCheckerName = Field(
        DEFAULT_ENTAILMENT_CHECKER, description="How an answer's claims are checked against their quoted spans: "
        "deterministic span rules, or the language model asked yes/no (measured in docs/benchmarks.md)."
    )
    # Listening (AudioRAG)
    whisper_model: Literal["tiny", "base"] = Field("base", description="Packaged Whisper weights to transcribe with.")
    audio_llm_base: str | None = Field(None, description="OpenAI-compatible endpoint of an audio-language model.")
    audio_llm_model: str | None = Field(None, description="Model name to send to the audio-language endpoint.")
    audio_llm_api_key: str | None = Field(None, description="Key for the audio-language endpoint, if it needs one.")
    # The studio web app (python -m pipelines.studio)
    studio_token: str | None = Field(
        None,
        description="The token every studio request must carry; required beyond loopback (default there: generated).",
    )
    studio_max_upload_bytes: int = Field(
        DEFAULT_STUDIO_MAX_UPLOAD_BYTES, ge=1024, le=2_000_000_000, description="Largest clip the studio accepts.",
    )
    # MCP server (pipelines.mcp)
    mcp_token: str | None = Field(
        None, min_length=MIN_TOKEN_CHARS,
        description="The bearer token the MCP server's HTTP transport requires of every client when it binds "
                    "beyond loopback (--host).",
    )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from the `GO_*` environment, then `overrides`; a None override (an unset
        command-line flag) leaves the environment's or the default value in place."""
        # Any, not object: each value is validated by its field, which is what types it.
        present: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
        return cls(**present)

    def with_checked_cache(self) -> Settings:
        """These settings, once `cache_dir` is known to be a folder or creatable as one, else an
        `OutputLocationError`. The CLIs call it before any model loads, so a cache that is a file
        fails in a second, not after the run. An existing cache is not probed for writing: a
        read-only cache that already holds assembled weights is a valid shared setup."""
        with naming("the cache (GO_CACHE_DIR)"):
            checked_output_folder(self.cache_dir, probe=False)
        return self
