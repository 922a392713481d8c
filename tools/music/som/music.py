"""MUSIC: move a point across a map by editing its squared distances to chosen prototypes.

What is implemented. One step, from the current point x, toward target prototypes T:

1. Activation: d_i^2 = ||x - p_i||^2 for every prototype.
2. Edit: each target t asks for d~_t^2 = (1 - step) d_t^2 (a fixed fraction closer); the `anchors`
   non-target prototypes nearest to x ask for d~_a^2 = d_a^2 (preserved). Prototypes outside T and the
   anchors are free: only the local geometry is held.
3. Solve for the new point x' the distance equations ||x' - p_i||^2 = d~_i^2 (i in T and anchors),
   linearised at x:   2 (x - p_i)^T (x' - x) = d~_i^2 - d_i^2,
   in the Tikhonov-regularised least-squares sense: x' - x minimises ||J (x' - x) - delta||^2 +
   lambda ||x' - x||^2 with lambda = ridge * sigma_max(J)^2 (scale-free). The step length is then capped
   at `step` times the farthest target's distance, a trust region that keeps the linearisation honest.

A whole trajectory (`music_trajectory`) follows the map: it walks the grid cells on the straight grid line
from the start's best-matching unit to the target cell, using each cell's prototype in turn as the MUSIC
target until the point's best-matching unit is that cell (or one further on), and edits the real
targets on the last leg.
SOM prototypes sit where the data are, so this piecewise path tends to stay nearer the data than the
straight line; `verify` measures it (nearer on the Gaussian mixtures, not on the 61-D digits, where the
grid walk passes prototypes that average several digits). With several targets (a cluster) the last leg
settles between them.
To end at a given point y (an item), the last leg targets y's D+1 nearest affinely independent
prototypes, edits their squared distances a fraction `step` of the way to y's own,
d~_t^2 = d_t^2 + step (||y - p_t||^2 - d_t^2), and solves that activation exactly with the inversion
system (y is the only point with y's distances). That system is linear in the squared distances, so
this last leg is the straight segment into y, each step covering `step` of what is left: the map-shaped
part of such a path is the grid walk, the last leg lands exactly on the item.

Why the undifferenced, linearised equations and not the differenced system of `inversion`: the differenced
system cannot see a common offset added to every squared distance, so "keep the others" would keep only
their differences while all distances drift together, and its least-squares step direction does not depend
on x, so a path runs along a fixed line past the target (we tried: it diverges). The linearised step always
lowers the target distance to first order: for one target the change is
-4 step d_t^2 (p_t - x)^T (J^T J + lambda I)^{-1} (p_t - x) < 0. Every point of the path is a SOM
activation pattern that `inversion.invert` maps back to the point exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.music.som.inversion import invert
from tools.music.som.som import SelfOrganisingMap, SomInputError, check_matrix, squared_distances


@dataclass(frozen=True)
class MusicConfig:
    """Step size, regularisation and stopping rule of a MUSIC trajectory."""

    step: float = 0.25
    """Fraction of each target's squared distance removed per step (0 < step < 1)."""
    ridge: float = 0.1
    anchors: int = 1
    """How many non-target prototypes (nearest to the point) keep their distances."""
    follow_grid: bool = True
    """Walk the grid cells between the start and the target (True) or head straight for the target."""
    max_steps: int = 200
    arrive_within: float = 1e-2
    """Stop once the targets' gaps to their goals, or the step length, fall below this fraction of the first."""

    def __post_init__(self) -> None:
        if not 0 < self.step < 1:
            raise SomInputError(f"step must be in (0, 1), got {self.step}.")
        if self.ridge < 0:
            raise SomInputError(f"ridge must be >= 0, got {self.ridge}.")
        if self.anchors < 0:
            raise SomInputError(f"anchors must be >= 0, got {self.anchors}.")
        if not 1 <= self.max_steps <= 1000:
            raise SomInputError(f"max_steps must be between 1 and 1000, got {self.max_steps}.")
        if not 0 < self.arrive_within < 1:
            raise SomInputError(f"arrive_within must be in (0, 1), got {self.arrive_within}.")


@dataclass(frozen=True)
class MusicStep:
    """One update: the new point and which prototypes were edited or held."""

    point: np.ndarray
    anchors: np.ndarray


@dataclass(frozen=True)
class Trajectory:
    """Points from the start (row 0) toward the targets, and the targets' squared distances along the way."""

    points: np.ndarray
    target_squared_distances: np.ndarray
    """(steps + 1) x targets."""
    reached: bool


def _check_targets(targets: np.ndarray | list[int], count: int) -> np.ndarray:
    chosen = np.asarray(targets, dtype=np.int64).reshape(-1)
    if chosen.size == 0:
        raise SomInputError("Give at least one target prototype.")
    if chosen.min() < 0 or chosen.max() >= count or len(np.unique(chosen)) != chosen.size:
        raise SomInputError(f"Targets must be distinct prototype numbers in [0, {count}), got {chosen.tolist()}.")
    return chosen


def music_step(
    point: np.ndarray,
    prototypes: np.ndarray,
    targets: np.ndarray | list[int],
    config: MusicConfig = MusicConfig(),  # noqa: B008 - frozen dataclass, safe as a default
    goal: np.ndarray | None = None,
) -> MusicStep:
    """One MUSIC update of `point` toward the `targets` (prototype numbers); see the module docstring.

    `goal` gives the squared distance each target should end at: the targets must then be affinely
    independent and number at least D+1, and their edited distances d~_t^2 = d_t^2 + step (goal_t - d_t^2)
    are solved exactly with `inversion.invert` (no anchors, no linearisation).
    """
    prototypes = check_matrix(prototypes, name="prototypes", min_rows=2)
    x = check_matrix(np.atleast_2d(point), name="point", dimension=prototypes.shape[1])[0]
    targets = _check_targets(targets, len(prototypes))
    current = squared_distances(x, prototypes)[0]
    if goal is not None:
        # The targets fix the point by themselves: solve their edited distances exactly (see the docstring).
        edited = current.copy()
        edited[targets] += config.step * (_check_goal(goal, len(targets)) - current[targets])
        return MusicStep(point=invert(edited, prototypes, indices=targets).point, anchors=np.zeros(0, np.int64))
    others = np.setdiff1d(np.arange(len(prototypes)), targets)
    anchors = others[np.argsort(current[others], kind="stable")[: config.anchors]]
    active = np.concatenate([targets, anchors])
    jacobian = 2 * (x - prototypes[active])
    change = np.concatenate([-config.step * current[targets], np.zeros(len(anchors))])
    left, singular, right_t = np.linalg.svd(jacobian, full_matrices=False)
    denominator = singular**2 + config.ridge * singular[0] ** 2
    filters = np.divide(singular, denominator, out=np.zeros_like(singular), where=denominator > 0)
    move = right_t.T @ (filters * (left.T @ change))
    limit = config.step * float(np.sqrt(current[targets].max()))
    length = float(np.linalg.norm(move))
    if length > limit:
        move *= limit / length
    return MusicStep(point=x + move, anchors=anchors)


def _check_goal(goal: np.ndarray | None, count: int) -> np.ndarray:
    if goal is None:
        return np.zeros(count)
    values = np.asarray(goal, dtype=np.float64).reshape(-1)
    if values.shape != (count,) or not np.isfinite(values).all() or (values < 0).any():
        raise SomInputError(f"goal must be {count} finite, non-negative squared distances, one per target.")
    return values


def grid_route(som: SelfOrganisingMap, start_unit: int, end_unit: int) -> list[int]:
    """The units on the straight grid line from `start_unit` (excluded) to `end_unit` (included)."""
    (start_row, start_col), (end_row, end_col) = som.cell(start_unit), som.cell(end_unit)
    count = max(abs(end_row - start_row), abs(end_col - start_col))
    route: list[int] = []
    for k in range(1, count + 1):
        unit = som.unit(
            round(start_row + (end_row - start_row) * k / count), round(start_col + (end_col - start_col) * k / count)
        )
        if not route or route[-1] != unit:
            route.append(unit)
    return route


def music_trajectory(
    start: np.ndarray,
    som: SelfOrganisingMap,
    targets: np.ndarray | list[int],
    config: MusicConfig = MusicConfig(),  # noqa: B008 - frozen dataclass, safe as a default
    goal: np.ndarray | None = None,
    route_to: int | None = None,
) -> Trajectory:
    """MUSIC steps from `start` toward the target units of `som`, along the grid if `config.follow_grid`.

    The grid walk heads for `route_to` (default: the target unit nearest the start on the grid). The last
    leg edits the real targets (toward `goal`, see `music_step`) and stops once the targets' gaps to their
    goals (as a vector norm) are below `arrive_within` of the gaps when the leg began, or, without a goal,
    once a step moves less than `arrive_within` of the leg's first step (converged: with several prototype
    targets the path settles between them); the whole path stops after `max_steps`. `reached`: the gaps
    closed, or, for prototype targets without a goal, the last point's best-matching unit is a target.

    With `goal` = a point's squared distances to D+1 affinely independent `targets`, the path ends at that
    point: exact inversion says no other point has those distances.
    """
    prototypes = som.prototypes
    targets = _check_targets(targets, len(prototypes))
    wanted = _check_goal(goal, len(targets))
    points = [check_matrix(np.atleast_2d(start), name="start", dimension=som.dimension)[0]]
    legs: list[np.ndarray] = [targets]
    if config.follow_grid:
        start_unit = int(som.best_matching_units(points[0][None])[0])
        grid = som.grid
        if route_to is None:
            route_to = int(targets[np.abs(grid[targets] - grid[start_unit]).max(axis=1).argmin()])
        legs = [np.array([unit]) for unit in grid_route(som, start_unit, route_to)] + legs
        if goal is None and len(legs) > 1 and int(legs[-2][0]) in set(targets.tolist()):
            legs.pop(-2)  # the walk's last cell is itself the target: the final leg goes there

    def gaps(point: np.ndarray) -> np.ndarray:
        return np.abs(squared_distances(point, prototypes[targets])[0] - wanted)

    waypoints = [int(leg[0]) for leg in legs[:-1]]
    first_gaps = gaps(points[0])
    for leg_number, leg in enumerate(legs):
        final = leg_number == len(legs) - 1
        first_gaps = gaps(points[-1]) if final else first_gaps
        first_move: float | None = None
        while len(points) <= config.max_steps:
            if final and np.linalg.norm(gaps(points[-1])) <= config.arrive_within * np.linalg.norm(first_gaps):
                break
            if not final and int(som.best_matching_units(points[-1][None])[0]) in waypoints[leg_number:]:
                break  # at this cell of the walk or already past it
            step = music_step(points[-1], prototypes, leg, config, goal=goal if final else None)
            move = float(np.linalg.norm(step.point - points[-1]))
            first_move = move if first_move is None else first_move
            points.append(step.point)
            if goal is None and move <= config.arrive_within * first_move:
                break  # stalled (several targets: the path has settled between them)
    path = np.array(points)
    closed = bool(np.linalg.norm(gaps(path[-1])) <= config.arrive_within * np.linalg.norm(first_gaps))
    on_target = goal is None and int(som.best_matching_units(path[-1:])[0]) in set(targets.tolist())
    return Trajectory(
        points=path,
        target_squared_distances=squared_distances(path, prototypes[targets]),
        reached=closed or on_target,
    )
