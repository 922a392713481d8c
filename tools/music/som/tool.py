"""`VariationsTool`: "variations of A toward B" over any set of embedded items, for agents.

The items are laid out on an invertible SOM (`items.ItemMap`: PCA, then a seeded map), the start item's
point walks toward the target with MUSIC updates (`music.music_trajectory`), and each returned step lists
the real items nearest to it: a path of concrete variations that drifts from A's neighbourhood into B's.
Items come inline, from an .npy/.json file, from a saved item map, or from the project's exemplar games.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

import numpy as np
from pydantic import BaseModel, Field, model_validator

from tools.base import TypedTool
from tools.music.som.inversion import Inverter, RankDeficientError, affinely_independent_nearest
from tools.music.som.items import EXEMPLAR_GAMES_CHECKPOINT, ItemMap, exemplar_game_items, read_embeddings
from tools.music.som.music import MusicConfig, Trajectory, music_trajectory
from tools.music.som.som import SomInputError


class UnknownItemError(SomInputError):
    """A start or target item id is not among the items."""


class UnknownTargetError(SomInputError):
    """The target (item, items, prototype or cell) does not exist on the map."""


class Item(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(None, max_length=200)
    vector: list[float] = Field(min_length=1, max_length=10_000)


class VariationsRequest(BaseModel):
    items: list[Item] | None = Field(None, max_length=100_000, description="Items with their embeddings.")
    embeddings_path: Path | None = Field(None, description="A .npy matrix (pass `ids` too) or a .json file of items.")
    ids: list[str] | None = Field(None, description="Item ids, one per row of an .npy `embeddings_path`.")
    map_checkpoint: Path | None = Field(None, description="A saved item map (from `ItemMap.save`).")
    exemplar_games: bool = Field(False, description="Use the project's exemplar board games as the items.")
    start: str = Field(min_length=1, description="Id of the item the variations start from.")
    target_item: str | None = Field(None, description="End at this item, walking the map to its cell.")
    target_items: list[str] | None = Field(None, min_length=1, description="Head for a cluster of items' cells.")
    target_prototype: int | None = Field(None, ge=0, description="Head for this map unit (row * cols + col).")
    target_cell: tuple[int, int] | None = Field(None, description="Head for this (row, col) map cell.")
    points: int = Field(
        8,
        ge=2,
        le=50,
        description="How many points of the path to return, evenly spaced along it, start and end included.",
    )
    neighbours: int = Field(3, ge=1, le=20, description="Nearest real items listed per point.")
    components: int = Field(8, ge=2, le=64, description="PCA dimensions the map is fitted in (not for saved maps).")
    step: float = Field(0.25, gt=0, lt=1, description="Share of the target's squared distance removed per step.")
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _one_source_and_one_target(self) -> Self:
        sources = [
            self.items is not None,
            self.embeddings_path is not None,
            self.map_checkpoint is not None,
            self.exemplar_games,
        ]
        if sum(sources) != 1:
            raise ValueError("give exactly one of items, embeddings_path, map_checkpoint, exemplar_games")
        targets = [self.target_item, self.target_items, self.target_prototype, self.target_cell]
        if sum(target is not None for target in targets) != 1:
            raise ValueError("give exactly one of target_item, target_items, target_prototype, target_cell")
        return self


class Neighbour(BaseModel):
    id: str
    name: str
    distance: float = Field(description="Euclidean distance in the map's (PCA-reduced) space.")


class VariationPoint(BaseModel):
    step: int = Field(description="Index of this point on the full MUSIC path (0 = the start item).")
    cell: tuple[int, int] = Field(description="The point's best-matching map cell (row, col).")
    target_distance: float = Field(
        description="Distance to the target item, or to the nearest target prototype for other targets."
    )
    neighbours: list[Neighbour]


class MapSummary(BaseModel):
    items: int
    rows: int
    cols: int
    dimension: int = Field(description="PCA dimensions the map lives in.")
    explained_variance: float = Field(description="Share of the embeddings' variance the PCA keeps.")
    quantisation_error: float
    topographic_error: float


class VariationsResult(BaseModel):
    start: str
    target_units: list[int] = Field(description="Map units the path heads for.")
    reached: bool = Field(description="Whether the last point's best-matching unit is a target unit.")
    total_steps: int = Field(description="MUSIC steps on the full path; `points` samples it evenly by length.")
    points: list[VariationPoint]
    max_recovery_error: float | None = Field(
        description="Largest error of recovering a returned point from its distances to the prototypes "
        "(None when the prototypes are not affinely independent)."
    )
    map: MapSummary


class VariationsTool(TypedTool[VariationsRequest, VariationsResult]):
    """Walk a self-organising map from one item toward a target and list the real items met on the way."""

    name = "som_variations"
    description = (
        "Variations of an item toward a target: lays the items (with their embeddings) out on a self-organising map, "
        "moves from the start item toward a target item, cluster of items, or map cell with MUSIC updates (edits of "
        "the distances to the map's prototypes), and returns evenly spaced points of the path, each with the nearest "
        "real items. Use it to find in-between items, e.g. games halfway between two exemplars."
    )
    input_model = VariationsRequest
    output_model = VariationsResult

    def __init__(self, exemplar_checkpoint: Path = EXEMPLAR_GAMES_CHECKPOINT) -> None:
        self.exemplar_checkpoint = exemplar_checkpoint
        self._exemplar_map: ItemMap | None = None

    def item_map(self, request: VariationsRequest) -> ItemMap:
        if request.map_checkpoint is not None:
            return ItemMap.load(request.map_checkpoint)
        if request.exemplar_games:
            if self._exemplar_map is None:
                if self.exemplar_checkpoint.is_file():
                    self._exemplar_map = ItemMap.load(self.exemplar_checkpoint)
                else:
                    ids, names, vectors = exemplar_game_items()
                    self._exemplar_map = ItemMap.fit(ids, vectors, names=names, seed=request.seed)
            return self._exemplar_map
        if request.items is not None:
            ids = [item.id for item in request.items]
            names = [item.name or item.id for item in request.items]
            lengths = {len(item.vector) for item in request.items}
            if len(lengths) > 1:
                raise SomInputError(f"All item vectors must have the same length; got lengths {sorted(lengths)}.")
            vectors = np.array([item.vector for item in request.items], dtype=np.float64)
        else:
            assert request.embeddings_path is not None  # the validator guarantees one source
            ids, names, vectors = read_embeddings(request.embeddings_path, request.ids)
        return ItemMap.fit(ids, vectors, names=names, components=request.components, seed=request.seed)

    def target_units(self, request: VariationsRequest, item_map: ItemMap) -> list[int]:
        """The map units the path heads for (for a target item: its best-matching unit)."""
        som = item_map.som
        if request.target_prototype is not None:
            if request.target_prototype >= som.rows * som.cols:
                raise UnknownTargetError(
                    f"Map unit {request.target_prototype} does not exist; the map has {som.rows * som.cols} units."
                )
            return [request.target_prototype]
        if request.target_cell is not None:
            row, col = request.target_cell
            if not (0 <= row < som.rows and 0 <= col < som.cols):
                raise UnknownTargetError(f"Cell ({row}, {col}) is not on the {som.rows}x{som.cols} map.")
            return [som.unit(row, col)]
        wanted = [request.target_item] if request.target_item is not None else list(request.target_items or [])
        found = {ident: item_map.index_of(ident) for ident in wanted}
        missing = [ident for ident, index in found.items() if index is None]
        if missing:
            raise UnknownTargetError(f"Unknown target item(s) {missing[:5]}; known ids include {item_map.ids[:5]}.")
        indices = [index for index in found.values() if index is not None]
        units = som.best_matching_units(item_map.coordinates[indices])
        return sorted({int(unit) for unit in units})

    def path(
        self, request: VariationsRequest, item_map: ItemMap, start_index: int, units: list[int]
    ) -> tuple[Trajectory, np.ndarray]:
        """The MUSIC path from the start item, and each point's distance to the target."""
        som = item_map.som
        config = MusicConfig(step=request.step)
        start = item_map.coordinates[start_index]
        if request.target_item is None:
            trajectory = music_trajectory(start, som, units, config)
            return trajectory, np.sqrt(trajectory.target_squared_distances.min(axis=1))
        # End at the item itself: its distances to D+1 affinely independent prototypes pin it down exactly.
        goal_point = item_map.coordinates[item_map.index_of(request.target_item)]
        goal_activation = som.activation(goal_point[None])[0]
        pinning = affinely_independent_nearest(goal_activation, som.prototypes)
        trajectory = music_trajectory(start, som, pinning, config, goal=goal_activation[pinning], route_to=units[0])
        return trajectory, np.linalg.norm(trajectory.points - goal_point, axis=1)

    def run(self, request: VariationsRequest) -> VariationsResult:
        item_map = self.item_map(request)
        start_index = item_map.index_of(request.start)
        if start_index is None:
            raise UnknownItemError(f"Unknown start item {request.start!r}; known ids include {item_map.ids[:5]}.")
        units = self.target_units(request, item_map)
        som = item_map.som
        trajectory, target_distances = self.path(request, item_map, start_index, units)
        # Points evenly spaced along the path's length, not its step count: the last leg's steps shrink
        # geometrically, and even step sampling would spend half the points sitting on the target.
        travelled = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(trajectory.points, axis=0), axis=1))])
        marks = np.linspace(0.0, travelled[-1], request.points)
        steps = sorted({int(min(np.searchsorted(travelled, mark), len(travelled) - 1)) for mark in marks})
        returned = trajectory.points[steps]
        try:
            recovery: float | None = max(
                float(np.linalg.norm(recovered - point))
                for recovered, point in zip(
                    Inverter(som.prototypes).recover(som.activation(returned)), returned, strict=True
                )
            )
        except RankDeficientError:  # a degenerate item set: the path is still valid, only not invertible
            recovery = None
        cells = som.best_matching_units(returned)
        points = [
            VariationPoint(
                step=step,
                cell=som.cell(int(unit)),
                target_distance=round(float(target_distances[step]), 6),
                neighbours=[
                    Neighbour(id=item_map.ids[index], name=item_map.names[index], distance=round(distance, 6))
                    for index, distance in item_map.nearest_items(point, request.neighbours)
                ],
            )
            for step, point, unit in zip(steps, returned, cells, strict=True)
        ]
        return VariationsResult(
            start=request.start,
            target_units=units,
            reached=trajectory.reached,
            total_steps=len(trajectory.points) - 1,
            points=points,
            max_recovery_error=recovery,
            map=MapSummary(
                items=len(item_map.ids),
                rows=som.rows,
                cols=som.cols,
                dimension=som.dimension,
                explained_variance=round(item_map.explained_variance, 6),
                quantisation_error=round(som.quantisation_error(item_map.coordinates), 6),
                topographic_error=round(som.topographic_error(item_map.coordinates), 6),
            ),
        )
