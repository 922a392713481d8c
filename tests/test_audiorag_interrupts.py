"""Ctrl-C ends the AudioRAG command line and its bench within seconds at any moment: while the language
model loads, while the clip is heard (Whisper and the taggers run long calls into C, which hold a signal
back until they return), and without waiting for the interpreter's slow teardown of the loaded models."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tools.interrupts import interruptible, interrupts_deferred

REPO = str(Path(__file__).resolve().parents[1])
PROMPT_S = 5.0  # from Ctrl-C to the process's exit

# Stand-ins, in the child process: a GGUF load that takes a minute on a busy machine (llama-cpp's `Llama`
# is what the embedded model constructs, inside its deferred section), a listener stuck in a long call into
# C (a deferred section is what such a call does to a signal), and a teardown that takes half a minute.
PRELUDE = textwrap.dedent("""
    import atexit, signal, sys, time
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    sys.path.insert(0, {repo!r} + "/bench")
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever launched the test
    import llama_cpp
    from tools.interrupts import exit_promptly, interrupts_deferred

    ready = Path({ready!r})

    class SlowLoad:
        def __init__(self, **settings):
            ready.write_text("loading")
            time.sleep(60)

    def stuck_in_c(self, request):
        ready.write_text("listening")
        with interrupts_deferred():
            time.sleep(60)

    llama_cpp.Llama = SlowLoad
    atexit.register(time.sleep, 30)  # the models' teardown
""")

CLI_LOADING = PRELUDE + textwrap.dedent("""
    from pipelines import audiorag
    exit_promptly(audiorag.main(["--text", "Who composed the Moonlight Sonata?", "--model", {gguf!r}]))
""")

CLI_LISTENING = PRELUDE + textwrap.dedent("""
    from agents.lm.testing import ScriptedEngine, scripted_lm
    from pipelines import audiorag
    from tools.audio.tool import ListenTool
    ListenTool.run = stuck_in_c
    audiorag.build_lm = lambda settings, ledger: scripted_lm(ScriptedEngine())
    exit_promptly(audiorag.main([{clip!r}, "Who composed this?"]))
""")

BENCH_LOADING = PRELUDE + textwrap.dedent("""
    import audiorag as bench
    bench.render_clip = lambda item, wav, seed: wav  # the clip is not heard in text mode
    sys.argv = ["audiorag.py", "--items", "moby", "--modes", "text", "--out", {out!r}, "--model", {gguf!r}]
    exit_promptly(bench.main())
""")


def interrupt_when_ready(script: str, ready: Path) -> tuple[int, str, float]:
    """Run `script`, send it SIGINT once it has written `ready`; its exit code, output (the bench prints on
    stdout, the CLI on stderr) and the seconds from the signal to its exit."""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, cwd=REPO)
    deadline = time.monotonic() + 180
    while not ready.exists():
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the script never got ready"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGINT)
    sent = time.monotonic()
    output, _ = process.communicate(timeout=120)
    return process.returncode, output, time.monotonic() - sent


@pytest.fixture
def gguf(tmp_path: Path) -> str:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")  # never read: the load is the stand-in's
    return str(path)


def test_ctrl_c_while_the_cli_loads_the_model_ends_it_at_once(tmp_path: Path, gguf: str) -> None:
    script = CLI_LOADING.format(repo=REPO, ready=str(tmp_path / "ready"), gguf=gguf)
    code, stderr, seconds = interrupt_when_ready(script, tmp_path / "ready")
    assert code == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr[-3000:]
    assert seconds < PROMPT_S, stderr[-3000:]


def test_ctrl_c_while_the_cli_listens_ends_it_at_once(tmp_path: Path) -> None:
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF")  # never decoded: the listener is the stand-in
    script = CLI_LISTENING.format(repo=REPO, ready=str(tmp_path / "ready"), clip=str(clip))
    code, stderr, seconds = interrupt_when_ready(script, tmp_path / "ready")
    assert code == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr[-3000:]
    assert seconds < PROMPT_S, stderr[-3000:]


def test_ctrl_c_while_the_bench_loads_its_models_ends_it_at_once(tmp_path: Path, gguf: str) -> None:
    script = BENCH_LOADING.format(repo=REPO, ready=str(tmp_path / "ready"), gguf=gguf, out=str(tmp_path / "out"))
    code, stderr, seconds = interrupt_when_ready(script, tmp_path / "ready")
    assert code == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr[-3000:]
    assert seconds < PROMPT_S, stderr[-3000:]


def test_interruptible_work_returns_its_value_raises_its_error_and_keeps_the_callers_context() -> None:
    import contextvars

    agent: contextvars.ContextVar[str] = contextvars.ContextVar("agent", default="none")
    agent.set("Researcher")
    assert interruptible(agent.get, "read") == "Researcher"
    with pytest.raises(ValueError, match="bad clip"):
        interruptible(lambda: (_ for _ in ()).throw(ValueError("bad clip")), "fail")


def test_ctrl_c_reaches_the_caller_while_interruptible_work_holds_signals_back() -> None:
    def stuck() -> None:
        with interrupts_deferred():  # in the worker this holds nothing back, as a call into C would not
            time.sleep(2)

    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    previous = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt):
            interruptible(stuck, "stuck")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 1.5
