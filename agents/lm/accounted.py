"""`AccountedLM`: a `dspy.LM` that records every call and keeps to a token budget.

It is the one LM class the agents see, whether the tokens come from the embedded llama.cpp
engine or from a hosted provider through DSPy's own engines, so accounting, budgets, empty-prompt
checks and error translation happen in exactly one place.
"""

from __future__ import annotations

import time
from typing import Any

import dspy
from dspy.lm15 import Response
from dspy.utils import exceptions as dspy_errors
from dspy.utils.usage_tracker import track_usage

from agents.lm.errors import (
    EmptyPromptError,
    GenerationTimeoutError,
    ModelConfigError,
    ModelError,
    ModelRateLimitedError,
    ModelUnavailableError,
    PromptTooLongError,
)
from agents.lm.usage import CallRecord, UsageLedger, current_agent


def _has_content(prompt: Any, messages: list[dict[str, Any]] | None) -> bool:
    if isinstance(prompt, str) and prompt.strip():
        return True
    for message in messages or []:
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            return True
        if isinstance(content, list) and content:
            return True
    return False


def translate_error(exc: BaseException, model: str) -> ModelError:
    """Map a DSPy/LiteLLM failure to the project's typed errors, keeping engine errors as raised."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ModelError):
            return cause
        cause = cause.__cause__
    detail = str(exc)
    if isinstance(exc, dspy_errors.LMRateLimitError):
        return ModelRateLimitedError(f"{model} is rate-limiting requests and retries ran out: {detail}")
    if isinstance(exc, dspy_errors.ContextWindowExceededError):
        return PromptTooLongError(f"The prompt does not fit {model}'s context window: {detail}")
    if isinstance(exc, dspy_errors.LMTimeoutError):
        return GenerationTimeoutError(f"{model} did not answer in time: {detail}")
    if isinstance(exc, dspy_errors.LMAuthError):
        return ModelConfigError(f"{model} refused the credentials; check the API key: {detail}")
    if isinstance(exc, dspy_errors.LMConfigurationError):
        return ModelConfigError(f"{model} is not configured correctly: {detail}")
    if isinstance(exc, (dspy_errors.LMTransportError, dspy_errors.LMServerError)):
        return ModelUnavailableError(
            f"{model} could not be reached after retries: {detail}. Check that the server is up "
            "(api_base) or choose another model with --model."
        )
    return ModelError(f"{model} failed: {detail}")


class AccountedLM(dspy.LM):
    """A DSPy LM whose calls are checked, timed, counted and attributed to agents."""

    def __init__(self, model: str, *, ledger: UsageLedger | None = None, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.ledger = ledger or UsageLedger()

    def __call__(
        self, prompt: Any = None, *, messages: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> list[str | dict[str, Any]] | Response:
        """DSPy's outputs (one text, or dict with reasoning or tool calls, per completion; an lm15
        `Response` for an explicit `Request`), once the call is checked and recorded."""
        if not _has_content(prompt, messages):
            raise EmptyPromptError("The prompt is empty; there is nothing to send to the model.")
        self.ledger.check()
        requested = kwargs.get("max_tokens") or self.kwargs.get("max_tokens") or 1024
        kwargs["max_tokens"] = self.ledger.cap_completion(int(requested))
        record = CallRecord(model=self.model, agent=current_agent())
        started = time.perf_counter()
        with track_usage() as tracker:
            try:
                outputs: list[str | dict[str, Any]] | Response = super().__call__(prompt, messages=messages, **kwargs)
            except Exception as exc:
                record.error = type(exc).__name__
                raise translate_error(exc, self.model) from exc
            finally:
                record.wall_s = time.perf_counter() - started
                usage = tracker.get_total_tokens().get(self.model, {})
                record.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                record.completion_tokens = int(usage.get("completion_tokens") or 0)
                record.cached_prompt_tokens = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
                self.ledger.record(record)
        return outputs
