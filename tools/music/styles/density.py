"""How thick a piece is, drawn once and read by both hands.

Real slow movements and dances are dense or light as a whole: a nocturne whose left hand runs in
sixteenths mostly carries its tune in double notes as well, and one whose left hand breaks its
chords in eighths sings one line over it. Beethoven's slow movements strike from 10.6 to 26.9 notes
a bar (10th to 90th percentile). Drawn apart, the left hand's figure and the right hand's share of
two-voice bars averaged each other out: sixty fixed-plan nocturnes struck 11.7 to 19.6 (session 38's
pool, `bench/compose_tools_quality.py --styles nocturne -n 60`). One draw per piece now places it on a
scale from light to dense, and each hand reads the same draw: the left hand picks its figure by it
(its texture's figures ordered by the notes they strike), the right hand its share of bars in two
voices (`tools.music.styles.thirds`). A request's words bound the draw as they bound the compass
(`ontology.music_styles.Reach`): a quiet or gentle piece is drawn from the light half, a stormy or
grand one from the dense half (the language model's "quiet nocturne" of session 38 drew a dense piece
and opened with both hands in sixteenths).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

from ontology.music_styles import Reach


class Figure(Protocol):
    """A left-hand figure that says how many notes it strikes, to be ordered from light to dense."""

    @property
    def notes_per_beat(self) -> float: ...


F = TypeVar("F", bound=Figure)


def piece_density(piece_seed: int, reach: Reach | None = None) -> float:
    """Where a piece lies from light (0) to dense (1), uniform in [0, 1), the same for every section
    and both hands; in [0, 0.5) for a modest `reach`, in [0.5, 1) for a wide one."""
    drawn = random.Random(f"density {piece_seed}").random()
    return drawn if reach is None else (drawn + (reach is Reach.WIDE)) / 2


def figure_at(figures: Sequence[F], density: float) -> F:
    """The figure at `density` among `figures` ordered by the notes they strike (equal ones in their
    given order): each figure takes an equal share of the pieces, the lightest the lightest pieces."""
    ordered = sorted(figures, key=lambda figure: figure.notes_per_beat)
    return ordered[min(int(density * len(ordered)), len(ordered) - 1)]


def share_at(bounds: tuple[float, float], density: float) -> float:
    """A share from `bounds` at the piece's `density`: the lower bound for the lightest piece."""
    low, high = bounds
    return low + (high - low) * density
