"""The LM layer: embedded llama.cpp engine, hosted models, accounting and typed outputs.

Names are re-exported lazily (`tools.exports`): importing the package loads neither DSPy, torch nor
llama.cpp until one of them is used.
"""

import os

from tools.exports import lazy_exports

# Offline: DSPy reads model metadata (context sizes, prices) from its bundled snapshot instead of
# fetching a map from GitHub on first use, a 5 s timeout and a network call on every run. A user who
# wants the live map sets the variable to "False".
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__all__ = [
    "EMBEDDED_MODELS",
    "AccountedLM",
    "BudgetExceededError",
    "CallRecord",
    "EmbeddedModel",
    "EmptyPromptError",
    "Generation",
    "GenerationTimeoutError",
    "LlamaCppEngine",
    "LlamaCppModel",
    "ModelConfigError",
    "ModelError",
    "ModelRateLimitedError",
    "ModelUnavailableError",
    "ModelWeightsCorruptError",
    "ModelWeightsLocationError",
    "ModelWeightsMissingError",
    "PromptTooLongError",
    "SamplingParams",
    "StructuredOutputError",
    "StructuredPredict",
    "TokenBudget",
    "TranscriptAdapter",
    "Turn",
    "UsageLedger",
    "attributed_to",
    "build_lm",
    "embedded_model",
    "ensure_weights",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "agents.lm.accounted": ("AccountedLM",),
        "agents.lm.adapter": ("TranscriptAdapter", "Turn"),
        "agents.lm.engine": ("LlamaCppEngine",),
        "agents.lm.errors": (
            "BudgetExceededError",
            "EmptyPromptError",
            "GenerationTimeoutError",
            "ModelConfigError",
            "ModelError",
            "ModelRateLimitedError",
            "ModelUnavailableError",
            "ModelWeightsCorruptError",
            "ModelWeightsLocationError",
            "ModelWeightsMissingError",
            "PromptTooLongError",
            "StructuredOutputError",
        ),
        "agents.lm.factory": ("build_lm",),
        "agents.lm.llamacpp": ("Generation", "LlamaCppModel", "SamplingParams"),
        "agents.lm.structured": ("StructuredPredict",),
        "agents.lm.usage": ("CallRecord", "TokenBudget", "UsageLedger", "attributed_to"),
        "agents.lm.weights": ("EMBEDDED_MODELS", "EmbeddedModel", "embedded_model", "ensure_weights"),
    },
)
