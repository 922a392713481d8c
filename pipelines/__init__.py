"""LangGraph pipelines and their command-line entry points.

The entry functions are re-exported lazily (`tools.exports`): importing the package does not build a
graph, load DSPy or a model.
"""

import os
import sys
from types import TracebackType


def _quiet_interrupt_at_startup() -> None:
    """Make Ctrl-C during a command line's imports end with one line instead of a traceback.

    A CLI's imports (pydantic, DSPy, LangGraph, torch) take seconds before its `main` can catch
    `KeyboardInterrupt`, so an interrupt there reaches the interpreter uncaught. The interpreter shows
    it through `sys.excepthook`; for `KeyboardInterrupt` alone the hook prints one line and exits
    with 130, as each CLI's `main` does once it runs. Installed before this package imports anything else.
    """
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.stderr.write("interrupted while starting; nothing was written\n")
            sys.stderr.flush()
            os._exit(130)  # the status every CLI's main returns on Ctrl-C; nothing is open to clean up yet
        else:
            previous(kind, value, traceback)

    sys.excepthook = hook


if sys.argv[:1] == ["-m"]:  # `python -m pipelines.<cli>` while runpy locates it: the imports come next
    _quiet_interrupt_at_startup()

from tools.exports import lazy_exports  # noqa: E402  (after the hook, so an interrupt here is quiet too)

__all__ = ["ask", "design_game", "validate_command"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "pipelines.audiorag": ("ask",),
        "pipelines.gamegrammar": ("design_game", "validate_command"),
    },
)
