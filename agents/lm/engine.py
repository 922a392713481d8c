"""`LlamaCppEngine`: the embedded model behind DSPy's engine contract.

DSPy 3.4 routes every `dspy.LM` call through an engine with `complete(Request) -> Response`.
Plugging the embedded model in here (rather than overriding `forward`) means DSPy's adapters,
history, usage tracking and modules (`Predict`, `ChainOfThought`, `Refine`) treat it exactly
like a hosted model. Declaring `supports_response_schema` makes DSPy's JSONAdapter send the
output schema, which this engine enforces at decoding time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from dspy.lm15 import (
    Message,
    Request,
    Response,
    StreamDeltaEvent,
    StreamEndEvent,
    StreamErrorEvent,
    StreamStartEvent,
    TextPart,
    Usage,
    response_to_events,
)

from agents.lm.errors import ModelConfigError
from agents.lm.llamacpp import LlamaCppModel, SamplingParams
from tools.settings import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE

StreamEvent = StreamStartEvent | StreamDeltaEvent | StreamEndEvent | StreamErrorEvent
"""What an engine's `stream` yields (DSPy's engine contract; lm15 names the union only privately)."""

_TEXT_ONLY = (
    "The embedded model reads text only; this request carries images, audio or tool parts. "
    "Use a multimodal hosted model with --model."
)


def _text_of(message: Message) -> str:
    text = message.text
    if text is None:
        raise ModelConfigError(_TEXT_ONLY)
    return text


def _system_text(system: str | tuple[object, ...]) -> str:
    if isinstance(system, str):
        return system
    texts = [part.text for part in system if isinstance(part, TextPart)]
    if len(texts) < len(system):
        raise ModelConfigError(_TEXT_ONLY)
    return "".join(texts)


def _schema_of(response_format: dict[str, Any] | None) -> tuple[bool, dict[str, Any] | None]:
    """(constrained, schema) for an lm15 response_format."""
    if not response_format:
        return False, None
    if response_format.get("type") == "json_schema":
        return True, response_format["schema"]
    return True, None


class LlamaCppEngine:
    """Serves DSPy requests from an in-process `LlamaCppModel`.

    A call has no wall-clock limit: it fails only when the decoder stalls (`stall_timeout_s`
    seconds without a new token or prompt batch), so a slow machine is slow, not failed."""

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = frozenset({"temperature", "max_tokens", "top_p", "top_k", "stop", "seed", "response_format"})

    def __init__(
        self,
        model: LlamaCppModel,
        *,
        stall_timeout_s: float,
        seed: int = 0,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self.model = model
        self.stall_timeout_s = stall_timeout_s
        self.default_max_tokens = default_max_tokens
        self._seeds = itertools.count(seed)

    def messages(self, request: Request) -> list[dict[str, str]]:
        """The request as chat-template messages."""
        rendered: list[dict[str, str]] = []
        if request.system is not None:
            rendered.append({"role": "system", "content": _system_text(request.system)})
        for message in request.messages:
            role = "system" if message.role == "developer" else message.role
            rendered.append({"role": role, "content": _text_of(message)})
        return rendered

    def complete(self, request: Request) -> Response:
        config = request.config
        constrained, schema = _schema_of(config.response_format)
        params = SamplingParams(
            max_tokens=config.max_tokens or self.default_max_tokens,
            temperature=DEFAULT_TEMPERATURE if config.temperature is None else config.temperature,
            top_p=config.top_p if config.top_p is not None else 0.9,
            top_k=config.top_k or 40,
            seed=config.seed if config.seed is not None else next(self._seeds),
            stop=tuple(config.stop),
        )
        messages = self.messages(request)
        tokens = self.model.chat_tokens(messages)
        generation = self.model.generate(
            tokens,
            params,
            schema=schema,
            constrained=constrained,
            stall_timeout_s=self.stall_timeout_s,
            keep_prefix=self.model.fixed_prefix(messages, tokens),
        )
        return Response(
            id=None,
            model=self.model.name,
            message=Message.assistant([TextPart(generation.text)]),
            finish_reason=generation.finish_reason,
            usage=Usage(input_tokens=generation.prompt_tokens, output_tokens=generation.completion_tokens,
                        cache_read_tokens=generation.cached_prompt_tokens),
        )

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        return response_to_events(self.complete(request))

    def close(self) -> None:
        """The model is shared and outlives DSPy's handles to this engine."""
