"""Self-organising maps that can be inverted: exact recovery of a point from its prototype distances, and
MUSIC trajectories that move a point across the map toward a target (arXiv 2601.13851).

Modules: `som` (the map and its batch training), `inversion` (exact and Tikhonov recovery, prototype
choice), `music` (the MUSIC update and trajectories), `items` (named items: PCA + map, checkpoints, the
exemplar games), `tool` (`VariationsTool` for agents). Commands: `python -m tools.music.som.verify`
(recovery and MUSIC measurements) and `python -m tools.music.som.train` (the shipped exemplar-games map).

The tool and its request, result and error types are re-exported lazily (torch loads on first use).
"""

from tools.exports import lazy_exports

__all__ = [
    "UnknownItemError",
    "UnknownTargetError",
    "VariationsRequest",
    "VariationsResult",
    "VariationsTool",
]

__getattr__, __dir__ = lazy_exports(__name__, {"tools.music.som.tool": __all__})
