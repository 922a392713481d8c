"""A multi-agent working session held as one conversation.

Every agent's turn is a new request appended to one chat: agents see what the others wrote, a
repair is a new turn addressed to the agent that owns the problem, and on the embedded engine
each call extends the previous prompt, so the KV cache evaluates only the new request. The
transcript is plain data (`Turn`s), so a session can be saved and resumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import dspy
from pydantic import BaseModel

from agents.lm.adapter import TranscriptAdapter, Turn
from agents.lm.structured import StructuredPredict
from agents.lm.usage import attributed_to


@dataclass(frozen=True)
class Role:
    """An agent: its name, and the professional anxiety that keeps it from agreeing by default."""

    name: str
    anxiety: str


class Conversation:
    """The transcript of a session and the typed `ask` every agent speaks through."""

    def __init__(self, preamble: str, brief: BaseModel, *, max_reasks: int = 1,
                 transcript: list[Turn] | None = None) -> None:
        self.preamble = preamble
        self.brief = brief
        self.max_reasks = max_reasks
        self.transcript: list[Turn] = list(transcript or [])

    def ask(self, role: Role, task: str, key: str, schema: type[BaseModel], max_tokens: int,
            feedback: str | None = None, temperature: float | None = None) -> Any:
        """One turn: `role` answers `task` with a `schema` instance under `key`.

        The brief's fields open the conversation (first turn only); `feedback` (findings, a
        critique, a user's wish) is shown with the task. `temperature` overrides the model's for
        this turn (0 for answers that must be faithful rather than inventive).
        """
        fields: dict[str, tuple[Any, Any]] = {"transcript": (list[Turn], dspy.InputField())}
        values: dict[str, Any] = {"transcript": self.transcript}
        if not self.transcript:
            for name in type(self.brief).model_fields:
                fields[name] = (str, dspy.InputField())
                values[name] = str(getattr(self.brief, name))
        if feedback:
            fields["feedback"] = (str, dspy.InputField())
            values["feedback"] = feedback
        fields[key] = (schema, dspy.OutputField())
        signature = dspy.make_signature(fields, f"{role.name}, your turn. {role.anxiety}\nTask: {task}",
                                        signature_name=f"{key.title().replace('_', '')}Turn")
        config: dict[str, Any] = {"max_tokens": max_tokens}
        if temperature is not None:
            config["temperature"] = temperature
        predict = StructuredPredict(signature, max_reasks=self.max_reasks,
                                    adapter=lambda: TranscriptAdapter(self.preamble), **config)
        with attributed_to(role.name):
            value = getattr(predict(**values), key)
        self._record_turn(key, value)
        return value

    def said(self, text: str) -> bool:
        """Whether the preamble or an earlier request of this conversation already showed `text` word
        for word: every agent reads the whole transcript, so a text said once need not be said again
        (on the embedded engine each repeated token is prompt the model must evaluate)."""
        return text in self.preamble or any(text in turn.request for turn in self.transcript)

    def _record_turn(self, key: str, value: BaseModel) -> None:
        """Keep the exact request and answer, so the next prompt extends this one token for token."""
        entry = dspy.settings.lm.history[-1] if dspy.settings.lm and dspy.settings.lm.history else None
        answer = json.dumps({key: value.model_dump(mode="json")}, ensure_ascii=False)
        request = ""
        if entry:
            request = entry["messages"][-1]["content"]
            output = entry["outputs"][0]
            answer = output.get("text", answer) if isinstance(output, dict) else str(output)
        self.transcript.append(Turn(request=request, answer=answer))
