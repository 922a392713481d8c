"""GameGrammar end to end on the embedded default model: a theme in, a design that passes every
error-level validator out, playtested, with its rulebook, chart and report.

Whether the playtest finds the design worth playing is a quality figure, measured over ten themes
by `bench/gamegrammar.py`, not a pass/fail here: the run must say it honestly (status and exit code
follow every error-level finding, the playtest's included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ontology.core import errors
from ontology.game import GameDesign
from ontology.game_validators import validate_design
from pipelines.gamegrammar import main

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_a_theme_becomes_a_valid_playable_design(tmp_path: Path) -> None:
    out = tmp_path / "fungi"
    code = main(["bioluminescent fungi competing in a cave ecosystem", "--players", "3", "--seed", "1",
                 "--out", str(out), "--runs", str(tmp_path / "runs.sqlite")])
    report = json.loads((out / "report.json").read_text())
    design = GameDesign.model_validate_json((out / "design.json").read_text())
    assert errors(validate_design(design)) == [], report["findings"]
    unresolved = [f["code"] for f in report["findings"] if f["severity"] == "error"]
    assert report["playtest"]["measures"]["games"] > 0
    assert set(unresolved) <= {f["code"] for f in report["playtest"]["findings"]}  # only the playtest's
    assert (code, report["status"]) == ((0, "complete") if not unresolved else (1, "finished with unresolved errors"))
    assert (out / "playtest.png").read_bytes().startswith(b"\x89PNG")
    assert design.players.min <= 3 <= design.players.max
    rulebook = (out / "rulebook.md").read_text()
    assert rulebook.startswith(f"# {design.title}") and "## Setup" in rulebook and "## Playing a turn" in rulebook
    assert "## Playtested" in rulebook
    # the default re-themes a proven engine: no Balance Critic (its fixes are numbers, the tuner's), and the
    # box and setup are written from the structure (no Component Designer)
    assert report["engine"] and set(report["agents"]) == {"Mechanics Architect", "Theme Weaver", "Fun Judge"}
    assert report["exemplars"]
