"""Ctrl-C while a command line is still importing its libraries ends with one line, not a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STARTED_CPU_S = 0.25  # the interpreter's own start takes a few hundredths; DSPy and LangGraph alone take seconds


def _cpu_seconds(pid: int) -> float:
    """The child's CPU time so far, from /proc: a measure of its progress that a loaded machine does not distort."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_importing(process: subprocess.Popen[str]) -> None:
    """Wait until the child is past the interpreter's start and inside the CLI's imports.

    A fixed sleep was not enough on a loaded machine (two test workers beside other jobs): the signal
    arrived while Python itself was starting, before `pipelines` could install its quiet hook.
    """
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if _cpu_seconds(process.pid) >= STARTED_CPU_S:
                return
        except (FileNotFoundError, ProcessLookupError):
            return
        time.sleep(0.01)


@pytest.mark.parametrize("cli", ["pipelines.gamegrammar", "pipelines.compose", "pipelines.audiorag"])
def test_ctrl_c_during_the_imports_prints_one_line(cli: str, tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", cli, "--help"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _wait_until_importing(process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the imports finished before the interrupt arrived")
    assert "Traceback" not in err, err
    assert "interrupted while starting" in err
    assert process.returncode == 130
