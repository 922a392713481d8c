"""Song aesthetics scoring (SongEval's five dimensions) with multi-stem attention and interval heads.

Modules: `features` (audio -> log-mel frames, bad-input errors), `model` (MSAF + HiGIA), `data` (the
SongEval-style folder reader), `metrics` (the ASAE challenge's LCC/SRCC/KTAU/top-tier), `train`,
`evaluate`, `synthetic` (smoke-test songs) and `tool` (`SongAestheticsTool`). No checkpoint ships: the
tool refuses until it is given one trained on real ratings.

The tool and its request, result and error types are re-exported lazily (torch loads on first use).
"""

from tools.exports import lazy_exports

__all__ = [
    "AestheticsModelUnavailableError",
    "SongAestheticsRequest",
    "SongAestheticsResult",
    "SongAestheticsTool",
    "SyntheticCheckpointError",
]

__getattr__, __dir__ = lazy_exports(__name__, {"tools.music.aesthetics.tool": __all__})
