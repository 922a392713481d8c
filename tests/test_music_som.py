"""SOM inversion and MUSIC exploration (tools/music/som): exact recovery, rank checks, Tikhonov, the MUSIC
update, SOM training, and the VariationsTool end to end and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tools.base import ToolInputError
from tools.music.som.inversion import Inverter, RankDeficientError, affinely_independent_nearest, invert
from tools.music.som.items import EXEMPLAR_GAMES_CHECKPOINT, ItemMap, exemplar_game_items
from tools.music.som.music import MusicConfig, grid_route, music_step, music_trajectory
from tools.music.som.som import SelfOrganisingMap, SomConfig, SomInputError, squared_distances
from tools.music.som.tool import UnknownItemError, UnknownTargetError, VariationsTool
from tools.music.som.verify import digits, gaussian_mixture

TRIANGLE = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])


@pytest.fixture(scope="module")
def mixture() -> np.ndarray:
    return gaussian_mixture(8, per_cluster=100, seed=3)


@pytest.fixture(scope="module")
def mixture_map(mixture: np.ndarray) -> SelfOrganisingMap:
    return SelfOrganisingMap.train(mixture, SomConfig(rows=6, cols=6, epochs=30, seed=0))


def test_squared_distances_on_a_hand_made_case() -> None:
    result = squared_distances(np.array([[1.0, 1.0]]), TRIANGLE)
    assert np.allclose(result, [[2.0, 1.0, 1.0]])


def test_a_point_is_recovered_from_three_distances_in_the_plane() -> None:
    x = np.array([0.3, -0.7])
    recovery = invert(squared_distances(x, TRIANGLE)[0], TRIANGLE)
    assert np.allclose(recovery.point, x, atol=1e-14)
    assert recovery.rank == 2
    # [p_i - c] for the unit right triangle has singular values sqrt(1/2) and sqrt(1/6): condition sqrt(3).
    assert recovery.condition_number == pytest.approx(np.sqrt(3))


def test_exact_recovery_on_a_gaussian_mixture(mixture: np.ndarray, mixture_map: SelfOrganisingMap) -> None:
    activations = mixture_map.activation(mixture)
    recovered = Inverter(mixture_map.prototypes).recover(activations)
    assert np.abs(recovered - mixture).max() < 1e-10 * np.abs(mixture).max()
    for point, activation in zip(mixture[:40], activations[:40], strict=True):
        indices = affinely_independent_nearest(activation, mixture_map.prototypes)
        assert len(indices) == mixture.shape[1] + 1
        assert np.abs(invert(activation, mixture_map.prototypes, indices=indices).point - point).max() < 1e-8


def test_exact_recovery_on_sklearn_digits() -> None:
    data = digits(drop_blank=True)  # 61-D: the 3 always-blank pixels carry nothing a prototype could span
    som = SelfOrganisingMap.train(data, SomConfig(rows=10, cols=10, epochs=40, seed=0))
    inverter = Inverter(som.prototypes)
    assert inverter.rank == 61
    recovered = inverter.recover(som.activation(data))
    assert np.abs(recovered - data).max() < 1e-9 * np.abs(data).max()


def test_digits_with_blank_pixels_are_refused_as_rank_deficient() -> None:
    data = digits(drop_blank=False)
    som = SelfOrganisingMap.train(data, SomConfig(rows=9, cols=9, epochs=5, seed=0))
    with pytest.raises(RankDeficientError, match="span only 61 of 64"):
        invert(som.activation(data[:1])[0], som.prototypes)


def test_rank_deficient_prototypes_raise() -> None:
    collinear = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    activation = squared_distances(np.array([0.5, 0.2]), collinear)[0]
    with pytest.raises(RankDeficientError, match="span only 1 of 2"):
        invert(activation, collinear)
    with pytest.raises(RankDeficientError, match="at least D\\+1 = 3"):
        invert(activation[:2], collinear[:2])
    with pytest.raises(RankDeficientError):
        affinely_independent_nearest(activation, collinear)
    assert issubclass(RankDeficientError, ToolInputError)
    # With a ridge the system is solved: the unseen direction is set to the reference (the centroid).
    assert np.isfinite(invert(activation, collinear, ridge=1e-6).point).all()


def test_nearest_selection_skips_dependent_prototypes() -> None:
    prototypes = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [0.0, 5.0]])
    activation = squared_distances(np.zeros(2), prototypes)[0]
    assert affinely_independent_nearest(activation, prototypes).tolist() == [0, 1, 3]
    assert affinely_independent_nearest(activation, prototypes, count=4).tolist() == [0, 1, 3, 2]


def test_tikhonov_stabilises_noisy_near_degenerate_recovery() -> None:
    rng = np.random.default_rng(0)
    # Prototypes nearly in a plane of R^3 (thickness 1e-3): the third coordinate is barely observable.
    prototypes = np.column_stack([rng.normal(size=(12, 2)), 1e-3 * rng.normal(size=12)])
    points = np.column_stack([rng.normal(size=(200, 2)), np.zeros(200)])
    noisy = squared_distances(points, prototypes) + 1e-3 * rng.normal(size=(200, 12))
    inverter = Inverter(prototypes)
    assert inverter.condition_number > 1e2
    plain = np.linalg.norm(inverter.recover(noisy) - points, axis=1).mean()
    ridged = np.linalg.norm(inverter.recover(noisy, ridge=1e-4) - points, axis=1).mean()
    assert ridged < plain / 5
    assert ridged < 0.05
    exact = inverter.recover(squared_distances(points, prototypes))
    assert np.abs(exact - points).max() < 1e-9


def test_music_step_holds_the_anchor_and_moves_the_target() -> None:
    prototypes = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0], [5.0, 5.0]])
    x = np.array([1.0, 2.0])
    config = MusicConfig(step=0.02, ridge=1e-9, anchors=1)  # one target + D - 1 anchors: a square system
    step = music_step(x, prototypes, [3], config)
    before, after = squared_distances(x, prototypes)[0], squared_distances(step.point, prototypes)[0]
    assert step.anchors.tolist() == [2]  # the nearest non-target prototype
    edited = after[3] - before[3]
    assert edited == pytest.approx(-0.02 * before[3], rel=0.05)
    assert abs(after[2] - before[2]) < 0.01 * abs(edited)


def test_music_trajectories_reach_their_targets(mixture: np.ndarray, mixture_map: SelfOrganisingMap) -> None:
    rng = np.random.default_rng(1)
    reached = 0
    for _ in range(10):
        start = mixture[rng.integers(len(mixture))]
        target = int(rng.integers(mixture_map.rows * mixture_map.cols))
        path = music_trajectory(start, mixture_map, [target])
        distances = path.target_squared_distances[:, 0]
        assert distances[-1] < 0.1 * distances[0] or path.reached
        reached += path.reached
        direct = music_trajectory(start, mixture_map, [target], MusicConfig(follow_grid=False))
        assert (np.diff(direct.target_squared_distances[:, 0]) < 1e-9).all()  # each step gets closer
        assert np.allclose(Inverter(mixture_map.prototypes).recover(mixture_map.activation(path.points)), path.points)
    assert reached >= 8


def test_a_goal_trajectory_lands_on_the_point(mixture: np.ndarray, mixture_map: SelfOrganisingMap) -> None:
    goal_point = mixture[17]
    activation = mixture_map.activation(goal_point[None])[0]
    targets = affinely_independent_nearest(activation, mixture_map.prototypes)
    path = music_trajectory(
        mixture[250], mixture_map, targets, goal=activation[targets], route_to=int(activation.argmin())
    )
    assert path.reached
    distances = np.linalg.norm(path.points - goal_point, axis=1)
    assert distances[-1] < 0.02 * distances[0]
    assert mixture_map.best_matching_units(path.points[-1:])[0] == activation.argmin()


def test_grid_route_walks_neighbouring_cells(mixture_map: SelfOrganisingMap) -> None:
    route = grid_route(mixture_map, mixture_map.unit(0, 0), mixture_map.unit(5, 3))
    cells = [mixture_map.cell(unit) for unit in route]
    assert cells[-1] == (5, 3) and len(cells) == 5
    steps = np.abs(np.diff(np.array([(0, 0), *cells]), axis=0)).max(axis=1)
    assert (steps == 1).all()


def test_som_training_reduces_quantisation_error_and_is_seeded(mixture: np.ndarray) -> None:
    errors: list[float] = []
    config = SomConfig(rows=5, cols=5, epochs=15, seed=7)
    som = SelfOrganisingMap.train(mixture, config, on_epoch=lambda _, error: errors.append(error))
    assert len(errors) == 15
    assert errors[-1] < 0.6 * errors[0]
    assert 0 <= som.topographic_error(mixture) <= 0.2
    again = SelfOrganisingMap.train(mixture, config)
    assert np.array_equal(som.prototypes, again.prototypes)
    assert not np.array_equal(som.prototypes, SelfOrganisingMap.train(mixture, SomConfig(5, 5, 15, seed=8)).prototypes)


def synthetic_items(dimension: int = 20, per_cluster: int = 15) -> list[dict]:
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 4, (3, dimension))
    return [
        {
            "id": f"{label}{k}",
            "name": f"{label.upper()} number {k}",
            "vector": (centre + rng.normal(size=dimension)).tolist(),
        }
        for label, centre in zip("abc", centres, strict=True)
        for k in range(per_cluster)
    ]


def test_variations_tool_walks_from_one_cluster_into_another() -> None:
    items = synthetic_items()
    result = VariationsTool()({"items": items, "start": "a0", "target_item": "c3", "points": 6, "neighbours": 4})
    assert result.start == "a0" and result.map.items == 45 and result.map.dimension == 8
    assert result.map.rows * result.map.cols >= result.map.dimension + 1
    assert len(result.points) == 6 and result.points[0].step == 0
    first, last = result.points[0], result.points[-1]
    assert first.neighbours[0].id == "a0" and first.neighbours[0].distance == pytest.approx(0, abs=1e-9)
    assert all(neighbour.id.startswith("c") for neighbour in last.neighbours)
    assert last.neighbours[0].id == "c3" and last.neighbours[0].distance < 0.05 * first.target_distance
    assert first.neighbours[0].name == "A number 0"
    assert result.reached
    assert last.target_distance < first.target_distance
    assert result.max_recovery_error is not None and result.max_recovery_error < 1e-8
    assert 0 < result.map.explained_variance <= 1


@pytest.mark.parametrize(
    "target",
    [{"target_items": ["b1", "b2", "b7"]}, {"target_cell": (0, 0)}, {"target_prototype": 3}],
)
def test_variations_tool_accepts_every_kind_of_target(target: dict) -> None:
    result = VariationsTool()({"items": synthetic_items(), "start": "a0", **target})
    assert result.target_units and result.total_steps >= 1
    assert result.points[-1].target_distance <= result.points[0].target_distance


def test_variations_tool_reads_npy_json_and_saved_maps(tmp_path: Path) -> None:
    items = synthetic_items()
    ids = [item["id"] for item in items]
    np.save(tmp_path / "vectors.npy", np.array([item["vector"] for item in items]))
    (tmp_path / "items.json").write_text(json.dumps(items), encoding="utf-8")
    tool = VariationsTool()
    from_npy = tool({"embeddings_path": tmp_path / "vectors.npy", "ids": ids, "start": "b0", "target_item": "a1"})
    from_json = tool({"embeddings_path": tmp_path / "items.json", "start": "b0", "target_item": "a1"})
    assert from_npy.points[-1].neighbours[0].id == from_json.points[-1].neighbours[0].id
    assert from_json.points[0].neighbours[0].name == "B number 0"

    item_map = ItemMap.fit(ids, [item["vector"] for item in items], seed=0)
    item_map.save(tmp_path / "map.pt")
    assert (tmp_path / "map.pt").stat().st_size < 100_000
    from_map = tool({"map_checkpoint": tmp_path / "map.pt", "start": "b0", "target_item": "a1"})
    assert from_map.model_dump() == from_npy.model_dump()


@pytest.mark.skipif(not EXEMPLAR_GAMES_CHECKPOINT.is_file(), reason="the exemplar-games map is not trained")
def test_variations_over_the_shipped_exemplar_games_map() -> None:
    result = VariationsTool()({"exemplar_games": True, "start": "chess", "target_item": "pandemic", "points": 5})
    assert result.points[0].neighbours[0].id == "chess"
    assert "pandemic" in {neighbour.id for neighbour in result.points[-1].neighbours}
    assert result.map.items >= 60


@pytest.mark.slow
def test_exemplar_games_embed_into_a_map_that_recovers_every_game(tmp_path: Path) -> None:
    ids, names, vectors = exemplar_game_items()  # loads the packaged MiniLM: tens of seconds on a small CPU
    assert vectors.shape == (len(ids), 384) and len(ids) >= 60 and "chess" in ids
    item_map = ItemMap.fit(ids, vectors, names=names, seed=0)
    recovered = Inverter(item_map.som.prototypes).recover(item_map.som.activation(item_map.coordinates))
    assert np.abs(recovered - item_map.coordinates).max() < 1e-10
    tool = VariationsTool(exemplar_checkpoint=tmp_path / "absent.pt")  # no checkpoint: embeds and fits
    result = tool({"exemplar_games": True, "start": "go", "target_item": "pandemic", "points": 4})
    assert result.points[-1].neighbours[0].id == "pandemic"


def bad_request(**changes: object) -> dict:
    request: dict = {"items": synthetic_items(), "start": "a0", "target_item": "c3"}
    request.update(changes)
    return {key: value for key, value in request.items() if value is not None}


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (bad_request(items=synthetic_items(per_cluster=1)), SomInputError, "at least 4 rows"),
        (bad_request(items=[*synthetic_items()[:-1], {"id": "z", "vector": [1.0, 2.0]}]), SomInputError, "same length"),
        (bad_request(items=[{"id": "n", "vector": [float("nan")] * 20}, *synthetic_items()]), SomInputError, "NaN"),
        (bad_request(items=synthetic_items() + synthetic_items()[:1]), SomInputError, "unique"),
        (bad_request(target_item="nobody"), UnknownTargetError, "nobody"),
        (bad_request(target_item=None, target_items=["a1", "ghost"]), UnknownTargetError, "ghost"),
        (bad_request(target_item=None, target_cell=(40, 0)), UnknownTargetError, "not on the"),
        (bad_request(target_item=None, target_prototype=999), UnknownTargetError, "does not exist"),
        (bad_request(start="nobody"), UnknownItemError, "nobody"),
        (bad_request(target_prototype=1), ToolInputError, "exactly one of target"),
        (bad_request(items=None), ToolInputError, "exactly one of items"),
        (bad_request(points=1000), ToolInputError, "points"),
    ],
)
def test_bad_input_gets_a_clear_typed_error(request_: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        VariationsTool()(request_)
    assert isinstance(caught.value, ToolInputError)


def test_bad_files_and_arrays_are_refused(tmp_path: Path) -> None:
    tool = VariationsTool()
    with pytest.raises(SomInputError, match="No embeddings file"):
        tool({"embeddings_path": tmp_path / "missing.npy", "ids": ["a"], "start": "a", "target_item": "a"})
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SomInputError, match="not readable JSON"):
        tool({"embeddings_path": tmp_path / "bad.json", "start": "a", "target_item": "a"})
    np.save(tmp_path / "v.npy", np.zeros((5, 3)))
    with pytest.raises(SomInputError, match="pass the item ids"):
        tool({"embeddings_path": tmp_path / "v.npy", "start": "a", "target_item": "a"})
    with pytest.raises(SomInputError, match="5 embeddings"):
        tool({"embeddings_path": tmp_path / "v.npy", "ids": list("abcd"), "start": "a", "target_item": "b"})
    with pytest.raises(SomInputError, match="span 0 dimension"):
        tool({"embeddings_path": tmp_path / "v.npy", "ids": list("abcde"), "start": "a", "target_item": "b"})
    with pytest.raises(SomInputError, match="Expected 3 squared distances"):
        invert([1.0, 2.0], TRIANGLE)
    with pytest.raises(SomInputError, match="negative"):
        invert([1.0, -2.0, 1.0], TRIANGLE)
    with pytest.raises(SomInputError, match="step"):
        MusicConfig(step=1.5)
