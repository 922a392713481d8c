"""GameGrammar end to end on the embedded default model: a theme in, a design that passes every
error-level validator out, playtested, with its rulebook, chart and report.

Whether the playtest finds the design worth playing is a quality figure, measured over ten themes
by `bench/gamegrammar.py`, not a pass/fail here: the run must say it honestly (status and exit code
follow every error-level finding, the playtest's included)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from ontology.core import errors
from ontology.game import GameDesign
from ontology.game_validators import validate_design
from pipelines import gamegrammar
from pipelines.gamegrammar import main
from pipelines.gamegrammar_graph import GameGrammarConfig
from tools.games.playtest import PlaytestBudget
from tools.games.tuning import TuningBudget

pytestmark = [pytest.mark.embedded, pytest.mark.slow]

FEW_GAMES = PlaytestBudget(greedy_games=20, search_games=2, search_playouts=2, restricted_games=10)
"""The bots' games of this run: enough for every metric to be measured, a fraction of the pipeline's
budget. This test proves the model's path from a theme to a valid, playtested, tuned design; how well
the bots measure a design is tests/test_calibration_playtests.py's to prove, how well the tuner sets
its numbers tests/test_game_tuning.py's."""


def test_a_theme_becomes_a_valid_playable_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gamegrammar, "GameGrammarConfig", partial(
        GameGrammarConfig, playtest=FEW_GAMES, playtest_games=40,
        tuning=TuningBudget(evaluations=3, self_play_games=20, greedy_games=8, restricted_games=4, confirm_games=40,
                            playtest=FEW_GAMES)))
    out = tmp_path / "fungi"
    code = main(["bioluminescent fungi competing in a cave ecosystem", "--players", "3", "--seed", "1",
                 "--out", str(out), "--runs", str(tmp_path / "runs.sqlite")])
    report = json.loads((out / "report.json").read_text())
    design = GameDesign.model_validate_json((out / "design.json").read_text())
    assert errors(validate_design(design)) == [], report["findings"]
    unresolved = [f["code"] for f in report["findings"] if f["severity"] == "error"]
    assert report["playtest"]["measures"]["games"] == 40  # played, with this test's budget
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
