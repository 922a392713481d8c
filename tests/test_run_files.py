"""A run's files are replaced as one set: staged, renamed together with Ctrl-C held back, undone
when a rename fails; a failed GameGrammar run leaves an older design's set whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ontology.game import GameDesign
from pipelines.gamegrammar import RunReport, write_run
from tools.files import write_atomically

REPO = str(Path(__file__).resolve().parents[1])
DESIGN = GameDesign.model_validate_json((Path(__file__).parent / "data" / "mycelium_design.json").read_text())


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_set_replaces_the_old_one_and_removes_its_stale_files(tmp_path: Path) -> None:
    write_atomically(tmp_path, {"report.json": "old", "design.json": "old", "playtest.png": b"old"})
    write_atomically(tmp_path, {"report.json": "new", "design.json": "new"},
                     remove=("report.json", "design.json", "playtest.png"))
    assert names(tmp_path) == ["design.json", "report.json"]
    assert (tmp_path / "design.json").read_text() == "new" and (tmp_path / "report.json").read_text() == "new"


def test_a_failed_rename_puts_every_old_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_atomically(tmp_path, {"design.json": "old design", "playtest.png": b"old chart"})
    real_replace, calls = os.replace, []

    def fail_on_the_third(source: str | Path, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 3:  # report.json and design.json are in place; playtest.png is about to go
            raise OSError("disk gone")
        real_replace(source, target)

    monkeypatch.setattr("tools.files.os.replace", fail_on_the_third)
    with pytest.raises(OSError, match="disk gone"):
        write_atomically(tmp_path, {"report.json": "new", "design.json": "new design"},
                         remove=("report.json", "design.json", "playtest.png"))
    assert names(tmp_path) == ["design.json", "playtest.png"]  # no report.json, no staging folder
    assert (tmp_path / "design.json").read_text() == "old design"
    assert (tmp_path / "playtest.png").read_bytes() == b"old chart"


def test_a_killed_writers_staging_folder_is_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead, live = tmp_path / ".staging-999999999-x1", tmp_path / f".staging-{os.getpid()}-x2"
    for staging in (dead, live):
        staging.mkdir()
        (staging / "design.json").write_text("half")
    write_atomically(tmp_path, {"design.json": "whole"})
    assert names(tmp_path) == [live.name, "design.json"]


def report(run: str, *, status: str = "complete") -> RunReport:
    return RunReport(status=status, run=run, theme="glowing fungi", model="scripted", seed=0, exemplars=[],
                     findings=[], repairs=[], critique=None, verdict=None, agents={}, totals={}, wall_s=1.0)


def test_a_failed_run_leaves_the_older_design_whole(tmp_path: Path) -> None:
    assert write_run(tmp_path, DESIGN, report("first")) == tmp_path / "report.json"
    before = {name: (tmp_path / name).read_bytes() for name in names(tmp_path)}
    written = write_run(tmp_path, None, report("second", status="incomplete: engine: budget spent"))
    assert written == tmp_path / "report-second.incomplete.json"
    assert json.loads(written.read_text())["status"].startswith("incomplete")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before  # report.json is still the first's
    assert names(tmp_path) == sorted([*before, written.name])


SLOW_COMMIT = textwrap.dedent("""
    import signal, sys, time
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever launched the test
    import tools.files
    from tools.files import write_atomically

    folder, ready = Path({folder!r}), Path({ready!r})
    real_keep = tools.files._keep_copy

    def slow_keep(path, copy):  # the commit has begun: the first file is in place, the second waits
        if path.name == "b.txt":
            ready.write_text("in the commit")
            time.sleep(2)
        return real_keep(path, copy)

    tools.files._keep_copy = slow_keep
    try:
        write_atomically(folder, {{"a.txt": "new", "b.txt": "new"}})
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
""")


def test_ctrl_c_during_the_renames_lets_the_set_land_whole_then_stops(tmp_path: Path) -> None:
    folder, ready = tmp_path / "out", tmp_path / "ready"
    write_atomically(folder, {"a.txt": "old", "b.txt": "old"})
    process = subprocess.Popen([sys.executable, "-c", SLOW_COMMIT.format(repo=REPO, folder=str(folder),
                                                                          ready=str(ready))],
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert {name: (folder / name).read_text() for name in names(folder)} == {"a.txt": "new", "b.txt": "new"}
