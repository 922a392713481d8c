"""The embedded engine's rendering of DSPy requests into chat messages, and its KV cache alignment (no model
loaded)."""

from __future__ import annotations

import re
from typing import cast

import pytest
from dspy.lm15 import ImagePart, Message, Request, TextPart

from agents.lm.engine import LlamaCppEngine
from agents.lm.errors import ModelConfigError
from agents.lm.llamacpp import MIN_ROOM_TOKENS, LlamaCppModel

ENGINE = LlamaCppEngine(cast(LlamaCppModel, None), stall_timeout_s=1.0)  # rendering never touches the model


def test_a_system_prompt_in_parts_is_joined_and_developer_turns_become_system() -> None:
    request = Request(model="m", system=(TextPart("Be "), TextPart("brief.")),
                      messages=(Message.user("hi"), Message(role="developer", parts=(TextPart("no lists"),))))
    assert ENGINE.messages(request) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "system", "content": "no lists"},
    ]


def test_a_system_prompt_with_an_image_is_refused_with_the_way_out() -> None:
    request = Request(model="m", system=(TextPart("Look:"), ImagePart(url="http://127.0.0.1/x.png")),
                      messages=(Message.user("what is it?"),))
    with pytest.raises(ModelConfigError, match="reads text only.*--model"):
        ENGINE.messages(request)


class CharLlama:
    """A llama.cpp stand-in for the KV cache alignment: one token a character, "ab" one token (as an answer
    generated "a", "b" tokenizes as "ab" once it is prompt text)."""

    def __init__(self, cached: list[int]) -> None:
        self.input_ids, self.n_tokens = cached, len(cached)

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        return b"".join(b"ab" if token == 0 else bytes([token]) for token in tokens)

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = False) -> list[int]:
        return [0 if piece == b"ab" else piece[0] for piece in re.findall(rb"ab|.", text, re.DOTALL)]


def continuing(cached: list[int], prompt: list[int], n_ctx: int) -> list[int]:
    model = cast(LlamaCppModel, object.__new__(LlamaCppModel))
    model._llm, model.n_ctx = CharLlama(cached), n_ctx  # type: ignore[assignment]
    return model._continuing_cache(prompt)


def test_a_prompt_is_aligned_to_the_cache_only_when_the_aligned_tokens_leave_room() -> None:
    cached = [ord("x"), ord("a"), ord("b")]  # the cache holds "xab" as the answer was generated
    prompt = [ord("x"), 0, ord("y"), ord("z")]  # the next prompt's own tokens: "x", "ab", "y", "z"
    aligned = [*cached, ord("y"), ord("z")]
    assert continuing(cached, prompt, n_ctx=100) == aligned  # the answer's tokens are reused
    assert continuing(cached, prompt, n_ctx=len(prompt) + MIN_ROOM_TOKENS) == prompt  # one more would not fit
    assert continuing(cached, prompt, n_ctx=len(aligned) + MIN_ROOM_TOKENS) == aligned
