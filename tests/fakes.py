"""A scripted DSPy engine: deterministic model answers for testing the logic around models."""

from __future__ import annotations

from collections import deque

from dspy.lm15 import Message, Request, Response, TextPart, Usage, response_to_events


class ScriptedEngine:
    """Answers each request with the next scripted text, or raises the next scripted exception.

    Declares structured-output support like the embedded engine, so DSPy's JSONAdapter sends it
    the output schema; the requests it received are kept for assertions.
    """

    supports_response_schema = True
    supported_params = frozenset({"temperature", "max_tokens", "response_format", "seed", "stop"})

    def __init__(self, *replies: str | BaseException, completion_tokens: int = 10) -> None:
        self.replies: deque[str | BaseException] = deque(replies)
        self.requests: list[Request] = []
        self.completion_tokens = completion_tokens

    def script(self, *replies: str | BaseException) -> ScriptedEngine:
        self.replies.extend(replies)
        return self

    def complete(self, request: Request) -> Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError("ScriptedEngine ran out of scripted replies")
        reply = self.replies.popleft()
        if isinstance(reply, BaseException):
            raise reply
        prompt_tokens = sum(len((m.text or "").split()) for m in request.messages)
        return Response(
            id=None,
            model="scripted",
            message=Message.assistant([TextPart(reply)]),
            finish_reason="stop",
            usage=Usage(input_tokens=prompt_tokens, output_tokens=self.completion_tokens),
        )

    def stream(self, request: Request):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        pass
