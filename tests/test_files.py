"""Reading the user's files with a bound and checking output locations before a run: each failure a
typed error that names the path and says what to do, and nothing left behind by the checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.files import (
    InputFileError,
    OutputLocationError,
    checked_output_file,
    checked_output_folder,
    read_text_limited,
)
from tools.settings import Settings

UNWRITABLE = Path("/proc/generative-ontology-test")
"""A folder nobody can create files in, root included."""


def test_text_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "theme.txt"
    path.write_text("fungi in a cave — glowing ✨", encoding="utf-8")
    size = path.stat().st_size
    assert read_text_limited(path, size) == "fungi in a cave — glowing ✨"
    with pytest.raises(InputFileError, match=f"{path} is larger than {size - 1:,} bytes"):
        read_text_limited(path, size - 1)


ENDLESS = """
import resource
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))  # an unbounded read fails here, not the machine
from tools.files import read_text_limited
read_text_limited(Path("/dev/zero"), 1000)
"""


def test_an_endless_file_is_refused_after_the_limit() -> None:
    result = subprocess.run([sys.executable, "-c", ENDLESS], cwd=Path(__file__).resolve().parents[1],
                            capture_output=True, text=True, timeout=60)
    assert "InputFileError: /dev/zero is larger than 1,000 bytes" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("name, content, message", [
    ("latin1.txt", b"caf\xe9", "is not UTF-8 text \\(byte 3 is not valid\\)"),
    ("missing.txt", None, "does not exist; check the path"),
    (".", None, "is a folder; give the path of a text file"),
])
def test_unreadable_files_are_typed_errors_naming_the_file(
        tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as caught:
        read_text_limited(path, 100)
    assert str(path) in str(caught.value)


def test_a_folder_that_exists_or_can_be_made_passes_and_nothing_is_left_behind(tmp_path: Path) -> None:
    assert checked_output_folder(tmp_path) == tmp_path
    assert checked_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert checked_output_file(tmp_path / "new" / "runs.sqlite") == tmp_path / "new" / "runs.sqlite"
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_a_file_lies_below_one_or_cannot_be_written_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "report.json"
    blocker.write_text("{}")
    with pytest.raises(OutputLocationError, match="report.json is a file; choose a folder"):
        checked_output_folder(blocker)
    with pytest.raises(OutputLocationError, match="cannot be created: .*report.json is a file"):
        checked_output_folder(blocker / "below")
    with pytest.raises(OutputLocationError, match="Cannot write in /proc"):
        checked_output_folder(UNWRITABLE)


def test_a_file_that_is_a_folder_or_sits_where_nothing_can_be_written_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputLocationError, match="is a folder; give a file name"):
        checked_output_file(tmp_path)
    with pytest.raises(OutputLocationError, match="Cannot write .*answer.json: Cannot write in /proc"):
        checked_output_file(UNWRITABLE / "answer.json")


def test_the_cache_may_be_missing_or_read_only_but_not_a_file(tmp_path: Path) -> None:
    assert Settings(cache_dir=tmp_path / "cache").with_checked_cache().cache_dir == tmp_path / "cache"
    assert Settings(cache_dir=Path("/proc")).with_checked_cache().cache_dir == Path("/proc")  # exists: not probed
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputLocationError, match="file is a file"):
        Settings(cache_dir=tmp_path / "file").with_checked_cache()
    with pytest.raises(OutputLocationError, match="Cannot write in /proc"):
        Settings(cache_dir=UNWRITABLE).with_checked_cache()


COMMIT_THEN_EXIT = """
import os, sys, threading, time
from pathlib import Path
from tools import files

out = Path(sys.argv[1])
real_replace = os.replace

def slow_replace(source, target):
    real_replace(source, target)
    time.sleep(0.3)  # the exit is asked for between two renames of the set

files.os.replace = slow_replace
writer = threading.Thread(target=files.write_atomically, args=(out, {"a": "new", "b": "new", "c": "new"}))
writer.start()
while not (out / "a").exists():
    time.sleep(0.01)
files.exit_between_commits(130)
"""


def test_an_exit_asked_for_while_another_thread_commits_a_set_waits_for_the_whole_set(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", COMMIT_THEN_EXIT, str(tmp_path)], capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 130, result.stderr
    assert {path.name: path.read_text() for path in tmp_path.iterdir() if path.is_file()} == {
        "a": "new", "b": "new", "c": "new"}
