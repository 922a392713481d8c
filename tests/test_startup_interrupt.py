"""Ctrl-C while a command line is still importing its libraries ends with one line, not a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cli", ["pipelines.gamegrammar", "pipelines.compose", "pipelines.audiorag"])
def test_ctrl_c_during_the_imports_prints_one_line(cli: str, tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", cli, "--help"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # inside the imports: DSPy and LangGraph alone take seconds
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the imports finished before the interrupt arrived")
    assert "Traceback" not in err, err
    assert "interrupted while starting" in err
    assert process.returncode == 130
