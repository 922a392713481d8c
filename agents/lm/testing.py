"""Scripted models for testing code that calls an LM, without a model.

Agents, pipelines and your own DSPy programs are logic around model calls: prompts, typed outputs,
re-asks, repair routing, budgets. `ScriptedEngine` answers each request with the next scripted
text, so that logic can be tested deterministically and in milliseconds (as DSPy's `DummyLM` and
pydantic-ai's `TestModel` do for theirs). `scripted_lm` wraps it in the same `AccountedLM` the
pipelines use, so accounting, budgets and error translation behave as in production::

    from agents.lm.testing import ScriptedEngine, scripted_lm

    engine = ScriptedEngine('{"idea": {"title": "Spore Wars"}}')
    with dspy.context(lm=scripted_lm(engine)):
        prediction = StructuredPredict(Ideate)(theme="fungi")
    assert "fungi" in engine.requests[0].messages[-1].text

A reply may also be a function of the request, for a model whose answer depends on what it was shown
(the id under which a prompt numbered a sentence, say).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from dspy.lm15 import Message, Request, Response, TextPart, Usage, response_to_events

from agents.lm.accounted import AccountedLM
from agents.lm.usage import TokenBudget, UsageLedger

if TYPE_CHECKING:  # the engine module loads llama.cpp; a test needs only the name of the type
    from agents.lm.engine import StreamEvent

__all__ = ["Reply", "ScriptedEngine", "scripted_lm"]

Reply = str | BaseException | Callable[[Request], str]
"""A scripted reply: the text, the exception to raise, or a function of the request giving the text."""


class ScriptedEngine:
    """Answers each request with the next scripted text, or raises the next scripted exception.

    Declares structured-output support like the embedded engine, so DSPy's JSONAdapter sends it
    the output schema; the requests it received are kept in `requests` for assertions. Running
    out of replies is an `AssertionError`: the code under test asked the model more often than
    the test expected.
    """

    supports_response_schema = True
    supported_params = frozenset({"temperature", "max_tokens", "response_format", "seed", "stop"})

    def __init__(self, *replies: Reply, completion_tokens: int = 10, cached_prompt_tokens: int = 0) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[Request] = []
        self.completion_tokens = completion_tokens
        self.cached_prompt_tokens = cached_prompt_tokens  # reported as found in a KV cache, as the embedded engine does

    def script(self, *replies: Reply) -> ScriptedEngine:
        """Append more replies (after the ones not yet used)."""
        self.replies.extend(replies)
        return self

    def complete(self, request: Request) -> Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError("ScriptedEngine ran out of scripted replies")
        reply = self.replies.popleft()
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            reply = reply(request)
        prompt_tokens = sum(len((m.text or "").split()) for m in request.messages)
        return Response(
            id=None,
            model="scripted",
            message=Message.assistant([TextPart(reply)]),
            finish_reason="stop",
            usage=Usage(input_tokens=prompt_tokens, output_tokens=self.completion_tokens,
                        cache_read_tokens=min(prompt_tokens, self.cached_prompt_tokens)),
        )

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        return response_to_events(self.complete(request))

    def close(self) -> None:
        pass


def scripted_lm(engine: ScriptedEngine, *, budget: TokenBudget | None = None, num_retries: int = 0) -> AccountedLM:
    """An uncached `AccountedLM` named "scripted/model" that `engine` answers, with a fresh ledger."""
    return AccountedLM(
        "scripted/model", engine=engine, ledger=UsageLedger(budget), num_retries=num_retries, cache=False
    )
