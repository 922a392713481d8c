"""The embedded engine's rendering of DSPy requests into chat messages (no model loaded)."""

from __future__ import annotations

from typing import cast

import pytest
from dspy.lm15 import ImagePart, Message, Request, TextPart

from agents.lm.engine import LlamaCppEngine
from agents.lm.errors import ModelConfigError
from agents.lm.llamacpp import LlamaCppModel

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
