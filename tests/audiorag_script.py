"""A scripted AudioRAG Answerer that cites sentences by the ids the prompt showed them under.

The Answerer cites `[S<n>]` ids, which depend on the ranking of what was read; a test names the
sentences it means by their words instead, and `cite` looks up their ids in the request it answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dspy.lm15 import Request

from tests.studio_script import reply

_LINE = re.compile(r"^\[(S\d+)\] (.*)$", re.MULTILINE)


def shown(prompt: str) -> dict[str, str]:
    """The numbered sentences of an Answerer prompt: id -> sentence as shown."""
    return {match.group(1): match.group(2) for match in _LINE.finditer(prompt)}


def ids_of(prompt: str, *words: str) -> list[str]:
    """The id of the first shown sentence containing each of `words` (none for words no sentence has)."""
    sentences = shown(prompt)
    found = [next((key for key, text in sentences.items() if part in text), None) for part in words]
    return [key for key in found if key is not None]


def cite(answer: str, *sentences: str, answerable: bool = True, confidence: str = "high") -> Callable[[Request], str]:
    """An Answerer reply stating `answer` and citing the shown sentences that contain `sentences`."""

    def respond(request: Request) -> str:
        prompt = request.messages[-1].text or ""
        return reply("answer", {"answer": answer, "citations": ids_of(prompt, *sentences),
                                "confidence": confidence, "answerable": answerable})

    return respond
