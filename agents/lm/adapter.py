"""`TranscriptAdapter`: DSPy's JSONAdapter with prompts shaped for a small local model.

On a 2-core CPU reading a prompt token costs about a third of generating one, so the prompt
layout matters as much as the model:

* A multi-step job is one conversation. The signature's `transcript` input (earlier requests
  and the exact answers the model gave) is rendered as prior chat turns, and only the new request
  comes last. Each call's prompt therefore extends the previous call's prompt and answer, and
  the embedded engine's KV cache evaluates only the new request.
* The system message is one fixed preamble for every call of the job.
* The JSON schema of the answer is spelled out only for a model that cannot enforce it; when the
  engine (or a provider's structured-output mode) constrains decoding, the prompt describes the
  answer in a line and the grammar does the rest. The line's field notes leave out fields whose
  value the schema fixes (the grammar writes them) and any note the preamble or an earlier request
  of the conversation already gave word for word: every repeated token is prompt the model
  evaluates again. (A job whose schemas are known in advance can give their notes in the preamble,
  which the embedded engine keeps between processes: `agents.lm.prompt_states`.)
"""

from __future__ import annotations

import json
from typing import Any

import dspy
from dspy.adapters.utils import format_field_value
from pydantic import BaseModel, TypeAdapter


class Turn(BaseModel):
    """One finished request/answer pair of a conversation, verbatim."""

    request: str
    answer: str


class TranscriptAdapter(dspy.JSONAdapter):
    TRANSCRIPT_FIELD = "transcript"

    def __init__(self, preamble: str) -> None:
        super().__init__()
        self.preamble = preamble
        self._schema_enforced = False

    def __call__(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        self._prepare_response_format(lm, lm_kwargs, signature)  # type: ignore[no-untyped-call]  # unannotated in dspy
        response_format = lm_kwargs.get("response_format")
        self._schema_enforced = isinstance(response_format, type)
        outputs: list[dict[str, Any]] = super().__call__(lm, lm_kwargs, signature, demos, inputs)
        return outputs

    def format(
        self, signature: type[dspy.Signature], demos: list[dict[str, Any]], inputs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": self.preamble}]
        turns = [Turn.model_validate(turn) for turn in inputs.get(self.TRANSCRIPT_FIELD) or []]
        for turn in turns:
            messages += [{"role": "user", "content": turn.request}, {"role": "assistant", "content": turn.answer}]
        current = {name: value for name, value in inputs.items() if name != self.TRANSCRIPT_FIELD}
        said = [self.preamble, *(turn.request for turn in turns)]
        messages.append({"role": "user", "content": self.request_text(signature, current, said=said)})
        return messages

    def request_text(self, signature: type[dspy.Signature], inputs: dict[str, Any],
                     said: list[str] | None = None) -> str:
        """The newest user message: the inputs as sections, the instructions, the answer's shape
        (with the field notes that no text in `said`, the preamble and earlier requests, gave)."""
        parts = [
            f"## {name}\n{format_field_value(field_info=field, value=inputs[name])}"
            for name, field in signature.input_fields.items()
            if name != self.TRANSCRIPT_FIELD and name in inputs
        ]
        parts.append(signature.instructions)
        for name, field in signature.output_fields.items():
            extra = field.json_schema_extra  # dspy keeps a field's description here, in a dict
            description = extra.get("desc") if isinstance(extra, dict) else None
            if description == f"${{{name}}}":  # dspy's placeholder for a field given no description
                description = None
            line = f"Answer with a JSON object with the key `{name}`" + (f": {description}." if description else ".")
            schema = TypeAdapter(field.annotation or str).json_schema()  # dspy's default type is str
            if self._schema_enforced:
                notes = [note for note in field_notes(schema) if not any(note in text for text in said or [])]
                if notes:
                    line += f"\nField notes: {'; '.join(notes)}"
            else:
                line += f" Its value follows this JSON schema: {json.dumps(schema)}"
            parts.append(line)
        return "\n\n".join(parts)


def field_notes(schema: dict[str, Any]) -> list[str]:
    """The schema's field descriptions, one "name: description" note each: the grammar enforces the
    shape, but only words tell the model what a field means. A field the schema fixes to one value
    is left out: the grammar writes it, so the model has nothing to choose there."""
    notes: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict) and sub.get("description") and not fixed(sub):
                    notes.setdefault(name, sub["description"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return [f"{name}: {description}" for name, description in notes.items()]


def fixed(field: dict[str, Any]) -> bool:
    """Whether a field's JSON schema allows exactly one value (a constant, or an enum of one)."""
    return "const" in field or len(field.get("enum") or ()) == 1
