"""LangGraph pipelines and their command-line entry points.

The entry functions are re-exported lazily (`tools.exports`): importing the package does not build a
graph, load DSPy or a model.
"""

from tools.exports import lazy_exports

__all__ = ["ask", "design_game", "validate_command"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "pipelines.audiorag": ("ask",),
        "pipelines.gamegrammar": ("design_game", "validate_command"),
    },
)
