"""Exemplar corpus and ChromaDB retrieval with the packaged MiniLM embeddings, filtered by constraints."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ontology.game import MechanismFamily
from retrieval.exemplars import load_exemplars
from retrieval.store import ExemplarStore, RetrievalConstraints


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ExemplarStore:
    return ExemplarStore(path=tmp_path_factory.mktemp("chroma"))


def test_the_corpus_is_large_varied_and_consistent() -> None:
    games = load_exemplars()
    assert len(games) >= 60
    used = {mechanism for game in games for mechanism in game.mechanisms}
    assert used == set(MechanismFamily)
    for game in games:
        assert game.min_players <= game.max_players
        assert game.cooperative == (MechanismFamily.COOPERATIVE in game.mechanisms)


def test_similar_games_come_first(store: ExemplarStore) -> None:
    names = [game.name for game in store.search("building a railway network across a map with train cards", k=3)]
    assert any("Ticket to Ride" in name for name in names), names


@pytest.mark.parametrize(
    "constraints",
    [
        RetrievalConstraints(cooperative=True),
        RetrievalConstraints(players=2),
        RetrievalConstraints(players=8, max_complexity=2),
        RetrievalConstraints(players=1, cooperative=False),
    ],
)
def test_filters_are_hard_constraints(store: ExemplarStore, constraints: RetrievalConstraints) -> None:
    games = store.search("a tense game about survival", k=5, constraints=constraints)
    assert games
    for game in games:
        if constraints.cooperative is not None:
            assert game.cooperative == constraints.cooperative
        if constraints.players is not None:
            assert game.min_players <= constraints.players <= game.max_players
        if constraints.max_complexity is not None:
            assert game.complexity <= constraints.max_complexity


def test_reopening_the_folder_reuses_the_index(store: ExemplarStore, tmp_path: Path) -> None:
    first = ExemplarStore(path=tmp_path)
    second = ExemplarStore(path=tmp_path)
    assert second._collection.metadata["corpus"] == first._collection.metadata["corpus"]
    assert second._collection.count() == len(load_exemplars())


def test_empty_query_is_refused(store: ExemplarStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        store.search("   ")


CHROMA_PORT_ATTEMPTS = 3


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real Chroma server on 127.0.0.1 (the scale-out path), stopped after the test."""
    import shutil
    import socket
    import subprocess
    import sys
    import time

    import chromadb

    executable = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    for attempt in range(CHROMA_PORT_ATTEMPTS):  # a port freed by the probe may be taken by another worker first
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [executable, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                client = chromadb.HttpClient(host="127.0.0.1", port=port)
                client.heartbeat()
                break
            except Exception:
                time.sleep(0.3)
        else:
            process.kill()
            process.wait()
            if attempt + 1 == CHROMA_PORT_ATTEMPTS or time.monotonic() >= deadline:
                pytest.fail(f"the Chroma server did not answer on port {port}")
            continue
        break
    try:
        yield client
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_same_store_runs_against_a_chroma_server(chroma_server) -> None:
    store = ExemplarStore(chroma_server)
    games = store.search("cooperative game against a spreading disease", k=3,
                         constraints=RetrievalConstraints(cooperative=True))
    assert games and all(game.cooperative for game in games)


@pytest.mark.parametrize("index", ["exemplars", "documents"])
def test_four_processes_building_a_fresh_index_at_once_all_succeed(tmp_path: Path, index: str) -> None:
    """Issue 15, item 13: without the build lock two of four crashed with Chroma's NotFoundError. The
    local document search keeps its index in a persistent Chroma folder the same way."""
    folder, start = tmp_path / "chroma", tmp_path / "start"
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    docs: list[str] = []
    if index == "documents":
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "moonlight.md").write_text(
            "# The Moonlight Sonata\n\nBeethoven finished the Piano Sonata No. 14 in 1801.\n")
        (tmp_path / "docs" / "pathetique.md").write_text(
            "# The Pathetique\n\nThe Piano Sonata No. 8 was published in 1799.\n")
        docs = [str(tmp_path / "docs")]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.exemplar_builder", str(folder), str(start), *docs],
            cwd=Path(__file__).resolve().parents[1], env=environment, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("ready-*"))) < 4 and all(process.poll() is None for process in processes):
            assert time.monotonic() < deadline, "the builder processes did not start"
            time.sleep(0.05)
        start.touch()  # all four open the fresh folder at the same moment
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-3000:]
        assert stdout.strip() == ("found 3" if index == "exemplars" else "found 2")
    assert sum(stderr.count("Indexing") for _, stderr in outputs) == 1  # one built, three read its index
