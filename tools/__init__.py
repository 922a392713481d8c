"""Callable tools for the agents: music models, audio, web; and the base layer everything reads.

`tools` is the lowest run-time layer: it holds the configuration (`tools.settings`), the typed-tool
base and the weight assembler, and never imports `agents` or `pipelines`. The names below are light
(pydantic only) and re-exported eagerly; the music, audio and web tools live in their sub-packages.
"""

from tools.base import ToolError, ToolInputError, TypedTool
from tools.settings import Settings
from tools.weights import WeightsCorruptError, WeightsError, WeightsLocationError

__all__ = [
    "Settings", "ToolError", "ToolInputError", "TypedTool", "WeightsCorruptError", "WeightsError",
    "WeightsLocationError",
]
