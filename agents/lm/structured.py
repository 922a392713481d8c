"""Typed predictions with bounded re-asks.

`StructuredPredict` is `dspy.Predict` under DSPy's JSONAdapter. On the embedded model the
adapter's output schema is enforced while decoding, so a parse failure means the output was cut
off by `max_tokens`; on a hosted model the provider's structured-output mode is used where it
exists. Either way a failed attempt is asked again with the validation errors in the
instructions, a bounded number of times, and then ends in `StructuredOutputError` carrying the
raw text and the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import dspy
from dspy.utils.exceptions import AdapterParseError

from agents.lm.errors import StructuredOutputError

_FEEDBACK = (
    "\n\nYour previous answer could not be used: {error}\n"
    "Answer again with a complete JSON object that follows the schema. Keep every text short."
)


class StructuredPredict(dspy.Module):
    """Predict a signature's typed outputs, re-asking at most `max_reasks` times."""

    def __init__(
        self,
        signature: type[dspy.Signature] | str,
        *,
        max_reasks: int = 2,
        adapter: Callable[[], dspy.Adapter] = dspy.JSONAdapter,
        **config: Any,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        self.predict = dspy.Predict(signature, **config)
        self.max_reasks = max_reasks
        self.adapter = adapter

    def forward(self, **inputs: Any) -> dspy.Prediction:
        errors: list[str] = []
        raw = ""
        # dspy types Predict.signature as optional; it is None only when built from None
        signature = cast(type[dspy.Signature], self.predict.signature)
        for _ in range(self.max_reasks + 1):
            predictor = self.predict
            if errors:
                predictor = dspy.Predict(
                    signature.with_instructions(signature.instructions + _FEEDBACK.format(error=errors[-1][:600])),
                    **self.predict.config,
                )
            try:
                with dspy.context(adapter=self.adapter()):
                    prediction: dspy.Prediction = predictor(**inputs)
                    return prediction
            except AdapterParseError as exc:
                raw = exc.lm_response or ""
                errors.append(_describe(exc))
        raise StructuredOutputError(
            f"{signature.__name__}: no valid output after {self.max_reasks + 1} attempts", raw, errors
        )


def _describe(exc: AdapterParseError) -> str:
    text = str(exc)
    marker = "LM Response:"
    return text.split(marker)[0].strip() if marker in text else text
