"""Ctrl-C stops a pipeline within seconds at any point: held back only through short sections
(a GGUF load, a set of renames) and delivered after them, never swallowed; the command lines exit
130 with one line, no traceback, and leave no partial files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.compose_script import REQUEST
from tools.interrupts import interrupts_deferred

REPO = str(Path(__file__).resolve().parents[1])
PROMPT_S = 5.0  # how soon after Ctrl-C a command must say it stopped


def test_an_interrupt_in_a_deferred_section_is_raised_when_it_ends() -> None:
    finished = False
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here, between bytecodes, and only records the signal
        finished = True
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_deferred_section_without_an_interrupt_changes_nothing() -> None:
    with interrupts_deferred():
        value = 1
    assert value == 1 and signal.getsignal(signal.SIGINT) is signal.default_int_handler


# llama.cpp logs through a ctypes callback while it loads a GGUF; this callback stands in for it.
IN_A_CALLBACK = textwrap.dedent("""
    import ctypes, signal, sys, time
    from contextlib import nullcontext
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever launched the test
    from tools.interrupts import interrupts_deferred

    def log_while_loading():
        Path({ready!r}).write_text("loading")
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            time.sleep(0.01)

    callback = ctypes.CFUNCTYPE(None)(log_while_loading)
    try:
        with interrupts_deferred() if {deferred} else nullcontext():
            callback()
        print("the run went on", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
""")


def interrupt_when_ready(script: str, ready: Path, *argv: str) -> tuple[int, str, float]:
    """Run `script`, send it SIGINT once it has written `ready`; its exit code, its error output and
    the seconds from the signal to its first line that says "interrupted". That line, not the exit,
    is timed: the interpreter's own shutdown (torch, tokenizers) takes 5-9 s on a loaded two-core
    machine whether a run was interrupted or finished."""
    process = subprocess.Popen([sys.executable, "-c", script, *argv], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the script never got ready"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGINT)
    sent, answered = time.monotonic(), float("inf")
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "interrupted" in line and answered == float("inf"):
            answered = time.monotonic() - sent
    return process.wait(timeout=60), "".join(lines), answered


@pytest.mark.parametrize("deferred", [True, False])
def test_ctrl_c_inside_a_ctypes_callback_is_lost_unless_deferred(tmp_path: Path, deferred: bool) -> None:
    script = IN_A_CALLBACK.format(repo=REPO, ready=str(tmp_path / "ready"), deferred=deferred)
    code, stderr, seconds = interrupt_when_ready(script, tmp_path / "ready")
    if deferred:  # held back until the callback returned (1.5 s after it began), then raised
        assert code == 130 and "went on" not in stderr and seconds < PROMPT_S, stderr
    else:  # what the issue saw: Python prints the KeyboardInterrupt and drops it
        assert code == 0 and "went on" in stderr and "Exception ignored" in stderr


# Ctrl-C landing inside llama.cpp's own logging during a real GGUF load, as it did for a user: a log
# callback that sends the signal makes the timing exact.
IN_A_GGUF_LOAD = textwrap.dedent("""
    import ctypes, os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import llama_cpp
    from agents.lm.llamacpp import LlamaCppModel
    from agents.lm.weights import embedded_model, ensure_weights
    from tools.settings import Settings

    path = ensure_weights(embedded_model(), Settings().cache_dir)
    sent = []

    @llama_cpp.llama_log_callback
    def interrupting_log(level, text, user_data):
        if not sent:
            sent.append(True)
            Path({ready!r}).write_text("loading")
            os.kill(os.getpid(), signal.SIGINT)

    llama_cpp.llama_log_set(interrupting_log, ctypes.c_void_p(0))
    try:
        LlamaCppModel(path, name="embedded", context_tokens=512)
        print("the run went on", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
""")


@pytest.mark.embedded
def test_ctrl_c_inside_llama_cpp_while_a_gguf_loads_stops_the_process(tmp_path: Path) -> None:
    process = subprocess.run([sys.executable, "-c", IN_A_GGUF_LOAD.format(repo=REPO, ready=str(tmp_path / "ready"))],
                             capture_output=True, text=True, timeout=300)
    assert (tmp_path / "ready").exists(), process.stderr[-3000:]
    assert process.returncode == 130 and "went on" not in process.stderr, process.stderr[-3000:]
    assert "Exception ignored" not in process.stderr


CLI = textwrap.dedent("""
    import signal, sys, time
    from functools import partial
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from agents.lm.testing import ScriptedEngine, scripted_lm
    from pipelines import compose, gamegrammar
    from pipelines.gamegrammar_graph import GameGrammarConfig
    from tests.compose_script import PLAN
    from tests.music_fakes import ScaleWriter
    from tests.studio_script import first_draft, reply

    ready = Path({ready!r})
    slow_call = {{"gamegrammar": 2, "compose": 0}}[sys.argv[1]]  # the Theme Weaver; the Composer's plan

    class Slow(ScriptedEngine):
        def complete(self, request):
            if len(self.requests) == slow_call:  # a slow model call
                ready.write_text("thinking")
                time.sleep(60)
            return super().complete(request)

    class NoExemplars:
        def __init__(self, **_):
            pass

        def search(self, query, k, constraints):
            return []

    if sys.argv[1] == "gamegrammar":
        lm = scripted_lm(Slow(*first_draft()))
        gamegrammar.build_lm = lambda settings, ledger, seed: lm
        gamegrammar.ExemplarStore = NoExemplars
        gamegrammar.game_runs = partial(gamegrammar.game_runs, config=GameGrammarConfig(
            proven_engines=False, max_reasks=0, playtest=None))
        sys.exit(gamegrammar.main(sys.argv[2:]))
    lm = scripted_lm(Slow(reply("plan", PLAN), reply("theory_critic", {{"changes": []}}),
                          reply("listener_critic", {{"changes": []}})))
    compose.build_lm = lambda settings, ledger, seed: lm
    compose.default_tools = lambda settings: ScaleWriter()
    sys.exit(compose.main(sys.argv[2:]))
""")


def interrupt_cli(tmp_path: Path, *argv: str) -> tuple[int, str, float]:
    ready = tmp_path / "ready"
    return interrupt_when_ready(CLI.format(repo=REPO, ready=str(ready)), ready, *argv)


def test_ctrl_c_stops_a_gamegrammar_run_and_keeps_the_older_design(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "design.json").write_text("the older design")
    (out / "report.json").write_text("the older report")
    code, stderr, seconds = interrupt_cli(tmp_path, "gamegrammar", "glowing fungi", "--run", "fungi",
                                          "--runs", str(tmp_path / "runs.sqlite"), "--out", str(out))
    assert code == 130 and seconds < PROMPT_S, stderr
    assert "interrupted" in stderr and "resume fungi" in stderr and "Traceback" not in stderr
    assert sorted(path.name for path in out.iterdir()) == ["design.json", "report.json"]
    assert (out / "report.json").read_text() == "the older report"


def test_ctrl_c_stops_a_compose_session_mid_step(tmp_path: Path) -> None:
    root = tmp_path / "root"
    code, stderr, seconds = interrupt_cli(tmp_path, "compose", REQUEST,
                                          "--session", "winter", "--root", str(root), "--no-audio")
    assert code == 130 and seconds < PROMPT_S, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not (root / "winter").exists()  # no version was written


def interrupt(*_: object, **__: object) -> None:
    raise KeyboardInterrupt


def test_the_smaller_command_lines_exit_130_on_ctrl_c(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import agents.lm.__main__ as lm_cli
    import tools.audio.__main__ as audio_cli

    monkeypatch.setattr(lm_cli, "build_lm", interrupt)  # Ctrl-C while the model loads
    monkeypatch.setattr(audio_cli, "ListenTool", interrupt)
    assert lm_cli.main(["glowing fungi"]) == 130
    assert audio_cli.main(["listen", "clip.wav"]) == 130
    printed = capsys.readouterr()
    assert (printed.out + printed.err).count("interrupted") == 2 and "Traceback" not in printed.err
