"""Melody harmonisation with a single-encoder masked transformer and the full-to-full (FF) curriculum.

Trained on music21's Bach chorales (`train`), compared with random and midpoint-doubling curricula
(`evaluate`), exposed to agents as `tool.HarmoniseTool`. See arXiv 2601.16150 for the FF curriculum.

The tool and its request, result and error types are re-exported lazily (torch loads on first use).
"""

from tools.exports import lazy_exports

__all__ = [
    "EmptyMelodyError",
    "HarmonisationResult",
    "HarmoniseRequest",
    "HarmoniseTool",
    "MelodyTooLongError",
]

__getattr__, __dir__ = lazy_exports(__name__, {"tools.music.harmony.tool": __all__})
