"""One process at a time on a session or run: a second process gets a clear "in use" error at
once, and a session never gets two writers (the issue: two `resume`s wrote v2 twice)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines import gamegrammar
from pipelines.checkpoints import RunInUseError, holding_run
from pipelines.compose import ComposeSessions
from pipelines.compose_graph import ComposeConfig
from tests.compose_script import REQUEST
from tests.music_fakes import ScaleWriter
from tools.locks import InUseError, exclusive_lock

REPO = str(Path(__file__).resolve().parents[1])

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from tools.locks import exclusive_lock

    with exclusive_lock(Path({lock!r})):
        Path({ready!r}).write_text("held")
        time.sleep(60)
""")


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_lock_held_by_another_process_is_refused_with_its_pid(tmp_path: Path) -> None:
    lock, ready = tmp_path / "locks" / "fungi.lock", tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(repo=REPO, lock=str(lock), ready=str(ready))],
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready, holder)
        with pytest.raises(InUseError) as refused, exclusive_lock(lock):
            pass
        assert refused.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    with exclusive_lock(lock):  # the kernel let go of the killed holder's lock
        pass


def test_a_lock_is_not_reentrant_and_is_released_on_exit(tmp_path: Path) -> None:
    with exclusive_lock(tmp_path / "x.lock"), pytest.raises(InUseError), exclusive_lock(tmp_path / "x.lock"):
        pass
    with exclusive_lock(tmp_path / "x.lock"):
        pass


def test_the_gamegrammar_cli_refuses_a_run_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.sqlite"
    with holding_run(tmp_path, "fungi"):
        assert gamegrammar.main(["resume", "fungi", "--runs", str(runs)]) == 2
    assert "run fungi is in use by another process" in capsys.readouterr().err


SLOW_SESSION = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from agents.lm.testing import ScriptedEngine, scripted_lm
    from pipelines.compose import ComposeSessions
    from pipelines.compose_graph import ComposeConfig
    from tests.compose_script import PLAN, REQUEST
    from tests.music_fakes import ScaleWriter
    from tests.studio_script import reply

    class WaitsForTheTest(ScaleWriter):
        def write(self, request):
            if not self.requests:  # the session is locked and half written: let the test try it
                Path({ready!r}).write_text("writing")
                deadline = time.monotonic() + 60
                while not Path({go!r}).exists() and time.monotonic() < deadline:
                    time.sleep(0.02)
            return super().write(request)

    lm = scripted_lm(ScriptedEngine(reply("plan", PLAN), reply("theory_critic", {{"changes": []}}),
                                    reply("listener_critic", {{"changes": []}})))
    store = ComposeSessions(Path({root!r}), WaitsForTheTest(), config=ComposeConfig(audio=False), lm=lm)
    store.start(REQUEST, seed=1, session="winter")
""")


def test_a_second_process_cannot_write_a_session_in_use(tmp_path: Path) -> None:
    ready, go = tmp_path / "ready", tmp_path / "go"
    script = SLOW_SESSION.format(repo=REPO, root=str(tmp_path / "root"), ready=str(ready), go=str(go))
    first = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready, first)
        second = ComposeSessions(tmp_path / "root", ScaleWriter(), config=ComposeConfig(audio=False),
                                 lm=scripted_lm(ScriptedEngine()))
        try:
            for attempt in (lambda: second.resume("winter"), lambda: second.start(REQUEST, session="winter"),
                            lambda: second.continue_with("winter", "darker"), lambda: second.branch("winter")):
                with pytest.raises(RunInUseError, match=f"session winter is in use by another process "
                                                        rf"\(pid {first.pid}\)"):
                    attempt()
        finally:
            second.close()
        go.write_text("go")
        assert first.wait(timeout=120) == 0, first.communicate()[1][-3000:]
    finally:
        first.kill()
        first.wait()
    store = ComposeSessions(tmp_path / "root", ScaleWriter(), config=ComposeConfig(audio=False),
                            lm=scripted_lm(ScriptedEngine()))
    try:
        state = store.state("winter")
    finally:
        store.close()
    assert state.version == 1 and [run.command for run in state.runs] == ["start"]
    assert sorted(path.name for path in (tmp_path / "root" / "winter").iterdir()) == ["v1"]
