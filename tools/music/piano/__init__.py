"""Two-hand piano generation with a factorised (pitch + hand) note embedding, trained on Beethoven's sonatas.

`tool.PianoGenerationTool` is the agent-facing entry point; `python -m tools.music.piano.train`
reproduces the shipped checkpoint and the joint-vs-factorised comparison; `grammar.NoteGrammar`
restricts its sampling to the notes a style allows.

The tool and its request, result and error types are re-exported lazily (torch loads on first use).
"""

from tools.exports import lazy_exports

__all__ = [
    "PianoGenerationRequest",
    "PianoGenerationResult",
    "PianoGenerationTool",
]

__getattr__, __dir__ = lazy_exports(__name__, {"tools.music.piano.tool": __all__})
