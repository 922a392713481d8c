"""Turn a model specification into a ready `AccountedLM`.

One function, `build_lm`, serves every pipeline and every backend, so switching from the embedded
model to a hosted or served one is a flag (`--model`) or an environment variable (`GO_MODEL`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from agents.lm.accounted import AccountedLM
from agents.lm.engine import LlamaCppEngine
from agents.lm.errors import ModelConfigError
from agents.lm.llamacpp import LlamaCppModel
from agents.lm.usage import UsageLedger
from agents.lm.weights import embedded_model, load_embedded, weights_path
from tools.interrupts import in_background, interrupts_deferred, waited
from tools.settings import Settings

logger = logging.getLogger(__name__)

_loads: dict[tuple[str, int, int | None], Future[LlamaCppModel]] = {}
"""Each model's load, finished or under way: a retry after Ctrl-C waits for the load it interrupted
the wait for, rather than start a second one beside it; a failed load is started again."""
_loading = threading.Lock()


def is_local_spec(spec: str) -> bool:
    """True when `spec` names the embedded model or a GGUF file, i.e. runs in this process."""
    return spec == "embedded" or spec.startswith("embedded:") or spec.endswith(".gguf")


def load_local_model(spec: str, settings: Settings) -> LlamaCppModel:
    """Load (once per process) the GGUF model that `spec` names; a loaded model is not checked again."""

    def load(path: Path, name: str) -> LlamaCppModel:
        logger.info("Loading %s (context %d tokens)", path, settings.context_tokens)
        return LlamaCppModel(path, name=name, context_tokens=settings.context_tokens, threads=settings.threads,
                             cache_dir=settings.cache_dir)

    opener: Callable[[], LlamaCppModel]
    if spec.endswith(".gguf"):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ModelConfigError(f"--model {spec!r}: no such GGUF file.")
        opener = functools.partial(load, path, path.stem)
    else:
        model = embedded_model(spec.partition(":")[2] or None)
        path = weights_path(model, settings.cache_dir)
        opener = functools.partial(
            load_embedded, model, settings.cache_dir, functools.partial(load, name=model.name),
            verify=settings.verify_weights,
        )
    key = (str(path.resolve()), settings.context_tokens, settings.threads)
    with _loading, interrupts_deferred():  # a Ctrl-C between starting the load and keeping it would orphan it
        pending = _loads.get(key)
        if pending is None or (pending.done() and pending.exception() is not None):
            pending = _loads[key] = in_background(opener, "load-gguf")
    return waited(pending)  # Ctrl-C during a load (tens of seconds when busy) stops the caller at once


def build_lm(settings: Settings | None = None, *, ledger: UsageLedger | None = None, seed: int = 0) -> AccountedLM:
    """The LM for `settings.model`: embedded, a GGUF path, or a LiteLLM model string."""
    settings = settings or Settings.from_env()
    spec = settings.model.strip()
    if not spec:
        raise ModelConfigError("The model specification is empty; use 'embedded' or a LiteLLM model string.")
    common: dict[str, Any] = dict(  # AccountedLM keywords every backend shares
        ledger=ledger,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        cache=False,
    )
    if is_local_spec(spec):
        model = load_local_model(spec, settings)
        engine = LlamaCppEngine(
            model, stall_timeout_s=settings.stall_timeout_s, seed=seed, default_max_tokens=settings.max_tokens
        )
        # A local failure is not transient: retrying it would only repeat it. No wall-clock limit
        # here (request_timeout_s is a hosted call's HTTP timeout): the engine fails only on a stall.
        return AccountedLM(f"embedded/{model.name}", engine=engine, num_retries=0, **common)
    if "/" not in spec:
        raise ModelConfigError(
            f"--model {spec!r} is not 'embedded', a .gguf path, or a LiteLLM 'provider/model' string "
            "(e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest, ollama_chat/llama3.1)."
        )
    client: dict[str, Any] = {
        key: value
        for key, value in {"api_base": settings.api_base, "api_key": settings.api_key}.items()
        if value is not None
    }
    return AccountedLM(
        spec,
        num_retries=settings.max_retries,
        timeout=settings.request_timeout_s,
        **client,
        **common,
    )
