"""GameGrammar's command line: bad themes, the validate entry point, whole-or-nothing output files."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from pipelines import gamegrammar
from pipelines.gamegrammar import InvalidThemeError, clean_theme, main
from tools.files import write_atomically
from tools.games.playtest import PlaytestBudget, playtest

DESIGN = Path(__file__).parent / "data" / "mycelium_design.json"
FEW_GAMES = PlaytestBudget(greedy_games=6, search_games=2, search_playouts=2, restricted_games=4)


@pytest.mark.parametrize(
    ("theme", "message"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 10_001, "under 10,000"),
        ("\x00\x01\x02binary", "not look like text"),
    ],
)
def test_bad_themes_are_refused_with_a_reason(theme: str, message: str) -> None:
    with pytest.raises(InvalidThemeError, match=message):
        clean_theme(theme)


def test_theme_whitespace_is_normalised() -> None:
    assert clean_theme("  glowing\n fungi  ") == "glowing fungi"


@pytest.mark.parametrize("argv", [[""], ["   "], ["--players", "40", "fungi"], []])
def test_the_cli_refuses_bad_input_before_loading_a_model(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_unreadable_theme_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--theme-file", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt does not exist" in " ".join(capsys.readouterr().err.split())  # rich wraps long lines


def test_validate_accepts_a_good_design(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DESIGN)]) == 0
    assert "0 errors" in capsys.readouterr().err


def test_validate_reports_semantic_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = json.loads(DESIGN.read_text())
    broken["end_conditions"] = []
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    assert main(["validate", str(path)]) == 1
    assert "no end condition" in capsys.readouterr().err


def test_validate_reports_schema_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"title": 3}')
    assert main(["validate", str(path)]) == 1
    assert "not a valid game design" in capsys.readouterr().err


def test_playtest_refuses_bad_files_and_player_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playtest", str(tmp_path / "missing.json")]) == 2
    assert "missing.json does not exist" in " ".join(capsys.readouterr().err.split())
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": 3}')
    assert main(["playtest", str(bad)]) == 1
    assert "not a valid game design" in capsys.readouterr().err
    assert main(["playtest", str(DESIGN), "--players", "11"]) == 2
    assert "not 11" in capsys.readouterr().err


def test_playtest_prints_the_table(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # the command's table, not the playtest's statistics (tests/test_calibration_playtests.py): a few bot games
    # of each kind print every row the full budget prints (0.7 s of CPU instead of 17)
    monkeypatch.setattr(gamegrammar, "playtest", partial(playtest, budget=FEW_GAMES))
    main(["playtest", str(DESIGN), "--games", "20", "--players", "2"])
    out = capsys.readouterr().err
    assert "completion" in out and "win rate by seat" in out and "search vs random" in out


def test_interrupted_writes_leave_no_partial_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "design.json").write_text("previous run")
    calls = 0
    real_replace = __import__("os").replace

    def interrupt_second(src: str, dst: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr("tools.files.os.replace", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path, {"report.json": "{}", "design.json": "{\"new\": 1}"})
    assert (tmp_path / "design.json").read_text() == "previous run"  # the new set landed not at all:
    assert sorted(p.name for p in tmp_path.iterdir()) == ["design.json"]  # report.json was taken back
