"""Test data shared by several test modules, as fixtures (test modules never import each other).

Each fixture builds a fresh value, so a test may modify what it gets."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
from collections.abc import Iterator
from copy import deepcopy
from types import ModuleType
from typing import Any

import pytest

from ontology.music import INSTRUMENTS, Bar, ChordEvent, Part, Piece, Section
from tests.compose_script import PLAN
from tools.settings import REPO_ROOT


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its share of the cores for the
    embedded model. Its threads default to every core, and llama.cpp's threads meet at a barrier after
    each layer: two workers decoding at once would run twice as many threads as cores, each barrier
    waiting on a descheduled thread. A `GO_THREADS` the user set is kept; the variable is inherited by
    the subprocesses the tests start."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers and not os.environ.get("GO_THREADS"):
        os.environ["GO_THREADS"] = str(max(1, (os.cpu_count() or 1) // int(workers)))


@pytest.fixture(scope="session")
def site() -> ModuleType:
    """The AudioRAG bench's set and loopback search server (`bench/audiorag_site.py`, a script, not a package)."""
    spec = importlib.util.spec_from_file_location("audiorag_site", REPO_ROOT / "bench" / "audiorag_site.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections for the whole test.

    The socket stays bound without listening, so connecting is refused at once and no server of another pytest
    worker can take the port in between (binding a probe, closing it and reusing its port races with them).
    """
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


@pytest.fixture
def idea_reply() -> str:
    """A model reply that satisfies `tests.idea_signature.Ideate` (an Idea within every bound)."""
    return json.dumps({"idea": {"title": "Spore Wars", "players": {"low": 2, "high": 4}, "tags": ["area control"]}})


@pytest.fixture
def minuet() -> Piece:
    """Four bars of 3/4 in D minor, two sections: a half cadence, then an authentic one."""
    melody = [[(74, 2), (72, 1)], [(69, 3)], [(70, 1), (69, 1), (67, 1)], [(62, 3)]]
    bass = [[(50, 3)], [(45, 3)], [(45, 3)], [(38, 3)]]
    return Piece(
        title="Winter minuet", key="D minor", meter="3/4", tempo_bpm=96, length_bars=4,
        instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
        sections=[Section(id="a", label="A", bars=2, cadence="half"),
                  Section(id="b", label="B", bars=2, cadence="authentic")],
        parts=[Part(id="rh", instrument="piano_right", bars=[Bar.line(*notes) for notes in melody]),
               Part(id="lh", instrument="piano_left", bars=[Bar.line(*notes) for notes in bass])],
        harmony=[ChordEvent(bar=1, beat=1, symbol="Dm"), ChordEvent(bar=2, beat=1, symbol="A"),
                 ChordEvent(bar=3, beat=1, symbol="A7"), ChordEvent(bar=4, beat=1, symbol="Dm")],
    )


@pytest.fixture
def compose_plan() -> dict[str, Any]:
    """The Composer's plan for `tests.compose_script.REQUEST` (D minor chorale, 12 bars, three sections)."""
    return deepcopy(PLAN)
