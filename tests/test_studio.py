"""The studio web app's guards and pages without a browser: uploads that are too large or not audio,
paths that would leave the output folder, a bind beyond loopback without a token, requests without
it, posts from another site; and the pages over runs that are on disk."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from pipelines.studio import safety
from pipelines.studio.__main__ import main
from pipelines.studio.app import create_app
from pipelines.studio.safety import StudioInputError
from tests.studio_app import scripted_studio

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "tests" / "data" / "mycelium_design.json"


def client(out: Path, *, token: str | None = None, **settings: object) -> TestClient:
    return TestClient(create_app(scripted_studio(out, **settings), token=token), base_url="http://127.0.0.1:8765")


def wav_bytes(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(16_000 * seconds), dtype=np.float32), 16_000, format="WAV")
    return buffer.getvalue()


# --- uploads ------------------------------------------------------------------------------------

def test_a_clip_over_the_size_limit_is_refused_before_it_is_read_and_nothing_is_kept(tmp_path: Path) -> None:
    with client(tmp_path, studio_max_upload_bytes=4096) as studio:
        response = studio.post("/ask", data={"question": "Who sings?"},
                               files={"clip": ("big.wav", wav_bytes(1.0), "audio/wav")})
    assert response.status_code == 413
    assert "larger than" in response.text and "Who sings?" in response.text  # the question is kept in the form
    assert not (tmp_path / "audiorag").exists()


def test_a_clip_just_under_the_limit_but_not_audio_is_refused_by_its_content(tmp_path: Path) -> None:
    with client(tmp_path) as studio:
        renamed = studio.post("/ask", data={"question": "Who sings?"},
                              files={"clip": ("song.wav", b"%PDF-1.7 not audio at all", "audio/wav")})
        text = studio.post("/ask", data={"question": "Who sings?"},
                           files={"clip": ("notes.txt", b"hello", "text/plain")})
    assert renamed.status_code == 415 and "its content is not WAV audio" in renamed.text
    assert text.status_code == 415 and "not a WAV, FLAC, OGG or MP3 clip" in text.text
    assert not (tmp_path / "audiorag").exists()


def test_an_upload_without_a_length_or_with_an_empty_question_is_refused(tmp_path: Path) -> None:
    with client(tmp_path) as studio:
        empty = studio.post("/ask", data={"question": "  "}, files={"clip": ("a.wav", wav_bytes(), "audio/wav")})
    assert empty.status_code == 400 and "The question is empty" in empty.text
    assert safety.checked_clip("a.wav", wav_bytes()[:16], 100, 4096) == ".wav"
    with pytest.raises(StudioInputError, match="empty"):
        safety.checked_clip("a.wav", b"", 0, 4096)


# --- paths --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/files/../../etc/passwd", "/files/%2e%2e/%2e%2e/etc/passwd",
                                  "/files/gamegrammar/%2e%2e%2f%2e%2e%2fsecret.json", "/files//etc/passwd",
                                  "/files/gamegrammar/runs.sqlite", "/files/gamegrammar/.locks/x.json",
                                  "/games/view?folder=../..", "/games/view?folder=%2Fetc",
                                  "/sessions/..%2F..%2Fetc", "/answers/%2E%2E", "/files/link/secret.json"])
def test_paths_in_requests_cannot_leave_the_output_folder(tmp_path: Path, path: str) -> None:
    out = tmp_path / "out"
    (out / "gamegrammar" / ".locks").mkdir(parents=True)
    (out / "gamegrammar" / "runs.sqlite").write_text("checkpoints")
    (out / "gamegrammar" / ".locks" / "x.json").write_text("{}")
    (tmp_path / "secret.json").write_text('{"contents": "the secret itself"}')
    (out / "link").symlink_to(tmp_path)
    with client(out) as studio:
        response = studio.get(path)
    assert response.status_code == 404, path
    assert "the secret itself" not in response.text and "root:" not in response.text


def test_inside_refuses_each_way_out() -> None:
    root = Path("/srv/out")
    for relative in ("../x", "a/../../x", "/etc/passwd", ".hidden", "a/.locks/b", "a\\..\\..\\x", "a\x00b"):
        with pytest.raises(StudioInputError):
            safety.inside(root, relative)
    assert safety.inside(root, "compose/s-1/v1/score.png") == Path("/srv/out/compose/s-1/v1/score.png")


# --- binding and the token ----------------------------------------------------------------------

def test_loopback_needs_no_token_and_any_other_address_gets_one() -> None:
    assert safety.is_loopback("127.0.0.1") and safety.is_loopback("::1") and safety.is_loopback("localhost")
    assert not safety.is_loopback("0.0.0.0") and not safety.is_loopback("192.168.1.4")
    assert not safety.is_loopback("studio.example")  # a name could resolve anywhere
    assert safety.token_for_bind("127.0.0.1", None) is None
    generated = safety.token_for_bind("0.0.0.0", None)
    assert generated is not None and len(generated) >= 24
    with pytest.raises(safety.BindError, match="at least 16"):
        safety.token_for_bind("0.0.0.0", "short")


def test_the_command_line_refuses_a_short_token_and_a_taken_port(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    assert main(["--host", "0.0.0.0", "--token", "short", "--out", str(tmp_path)]) == 2
    assert "token" in capsys.readouterr().err
    with socket_taken() as port:
        assert main(["--port", str(port), "--out", str(tmp_path)]) == 2
    assert "Cannot listen" in " ".join(capsys.readouterr().err.split())


class socket_taken:  # noqa: N801 - used as a context manager
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_beyond_loopback_the_server_prints_a_token_requires_it_and_ctrl_c_stops_it_mid_run(tmp_path: Path) -> None:
    from tests.openai_server import OpenAIStub, Reply

    with OpenAIStub() as stub:
        stub.script.append(Reply("{}", delay_s=120))  # the Composer is still thinking when Ctrl-C comes
        env = {**os.environ, "GO_MODEL": "openai/scripted", "GO_API_BASE": stub.base_url, "GO_API_KEY": "k",
               "GO_MAX_RETRIES": "0", "PYTHONUNBUFFERED": "1"}
        env.pop("GO_STUDIO_TOKEN", None)
        process = subprocess.Popen([sys.executable, "-m", "pipelines.studio", "--host", "0.0.0.0", "--port", "0",
                                    "--out", str(tmp_path / "out")], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline() if process.stdout else ""
            found = re.search(r"http://0\.0\.0\.0:(\d+)/\?token=(\S+)", line)
            assert found, line + (process.stderr.read() if process.poll() is not None and process.stderr else "")
            port, token = found.groups()
            base, bearer = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
            assert httpx.get(base + "/").status_code == 401
            assert httpx.get(base + "/", headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
            assert httpx.get(base + "/", headers=bearer).status_code == 200
            first = httpx.get(f"{base}/?token={token}")
            assert first.status_code == 303 and "token" not in first.headers["location"]
            assert httpx.get(base + "/games", cookies={"studio_token": token}).status_code == 200
            assert httpx.post(base + "/compose", data={"request": "a waltz in G major, 16 bars"}).status_code == 401
            started = httpx.post(base + "/compose", data={"request": "a waltz in G major, 16 bars"}, headers=bearer)
            assert started.status_code == 303
            deadline = time.monotonic() + 120
            while not stub.requests and time.monotonic() < deadline:
                time.sleep(0.2)
            assert stub.requests, "the run never asked the model"
            process.send_signal(signal.SIGINT)
            # The model's reply is 120 s away, so ending within 60 s shows Ctrl-C did not wait for it (no
            # tighter bound: a loaded machine took 32 s to tear the server down).
            assert process.wait(timeout=60) == 130
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_on_loopback_a_foreign_host_name_and_a_foreign_form_are_refused(tmp_path: Path) -> None:
    with client(tmp_path) as studio:
        assert studio.get("/", headers={"host": "attacker.example"}).status_code == 403  # DNS rebinding
        foreign = studio.post("/compose", data={"request": "a waltz"}, headers={"origin": "https://attacker.example"})
        assert foreign.status_code == 403 and not (tmp_path / "compose").exists()
        assert studio.get("/").status_code == 200


# --- forms and pages ----------------------------------------------------------------------------

def test_bad_form_input_is_refused_on_the_form_with_what_was_typed(tmp_path: Path) -> None:
    with client(tmp_path) as studio:
        theme = studio.post("/games", data={"theme": "glowing fungi", "players": "40"})
        empty = studio.post("/games", data={"theme": "   "})
        music = studio.post("/compose", data={"request": "a waltz in H minor"})
        feedback = studio.post("/sessions/none/continue", data={"feedback": "darker"})
    assert theme.status_code == 400 and "between 1 and 12" in theme.text and "glowing fungi" in theme.text
    assert empty.status_code == 400 and "empty" in empty.text
    assert music.status_code == 400 and "Unknown key" in music.text and "a waltz in H minor" in music.text
    assert feedback.status_code == 404 and "No session" in feedback.text


def test_runs_on_disk_are_listed_and_shown(tmp_path: Path) -> None:
    from ontology.game import GameDesign
    from pipelines.gamegrammar import RunReport, write_run

    design = GameDesign.model_validate_json(DESIGN.read_text())
    report = RunReport(status="complete", run="cli-run", theme="glowing fungi", model="m", seed=0, exemplars=[],
                       findings=[], repairs=[], critique=None, verdict=None, agents={}, totals={}, wall_s=1.0)
    write_run(tmp_path / "gamegrammar" / "cli-run", design, report)
    write_run(tmp_path / "gamegrammar", design, report.model_copy(update={"run": "default"}))  # the CLI's default
    (tmp_path / "gamegrammar" / "broken").mkdir()
    (tmp_path / "gamegrammar" / "broken" / "report.json").write_text("{not json")
    with client(tmp_path) as studio:
        listing = studio.get("/games").text
        shown = studio.get("/games/view", params={"folder": "cli-run"})
        default = studio.get("/games/view")
        rulebook = studio.get("/files/gamegrammar/cli-run/rulebook.md")
    assert listing.count(design.title) == 2 and "run cli-run" in listing and "run default" in listing
    assert shown.status_code == 200 and design.title in shown.text and "<h2" in shown.text  # the rulebook, rendered
    assert all(component.name in shown.text for component in design.components)
    assert default.status_code == 200 and "run default" in default.text
    assert rulebook.status_code == 200 and rulebook.headers["content-type"].startswith("text/markdown")


def test_a_rulebook_cannot_put_markup_into_the_page(tmp_path: Path) -> None:
    from pipelines.studio.library import game_view

    folder = tmp_path / "gamegrammar" / "r"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text('{"run": "r", "status": "complete"}')
    hostile = json.loads(DESIGN.read_text())
    hostile["title"] = "<script>alert(1)</script>"
    (folder / "design.json").write_text(json.dumps(hostile))
    (folder / "rulebook.md").write_text("# Rules\n<img src=x onerror=alert(1)>\n[x](javascript:alert(1))\n")
    view = game_view(tmp_path, tmp_path / "gamegrammar", "r")
    assert "<img" not in view.rulebook_html and 'href="javascript' not in view.rulebook_html
    with client(tmp_path) as studio:
        page = studio.get("/games/view", params={"folder": "r"}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_session_branches_from_its_page_and_the_run_streams_its_progress(tmp_path: Path) -> None:
    from tests.openai_server import OpenAIStub
    from tests.studio_app import compose_replies, feedback_reply, script

    with OpenAIStub() as stub:
        script(stub, [*compose_replies(), feedback_reply()])
        with TestClient(create_app(scripted_studio(tmp_path, stub)), base_url="http://127.0.0.1:8765") as studio:
            started = studio.post("/compose", data={"request": "a melancholic piano piece, D minor, 12 bars"},
                                  follow_redirects=False)
            assert started.status_code == 303
            events = studio.get(started.headers["location"] + "/events").text  # streams until the run ends
            assert "event: progress" in events and "Composer: planning the form" in events
            done = json.loads(events.rsplit("event: done\ndata: ", 1)[1].split("\n", 1)[0])
            session = done["result"].rsplit("/", 1)[1]
            replay = studio.get(started.headers["location"] + "/events", headers={"Last-Event-ID": "2"}).text
            assert replay.count("event: progress") == events.count("event: progress") - 2  # resumes where it was
            branched = studio.post(f"/sessions/{session}/branch", data={"feedback": "darker, slower ending"},
                                   follow_redirects=False)
            events = studio.get(branched.headers["location"] + "/events").text
            branch = json.loads(events.rsplit("event: done\ndata: ", 1)[1].split("\n", 1)[0])["result"]
            page = studio.get(branch).text
            original = studio.get(f"/sessions/{session}").text
    assert f"branched from <a href=\"/sessions/{session}\">" in page and "Version 2" in page and "60 bpm" in page
    assert "Version 2" not in original  # the branch left its parent as it was


def test_the_printed_address_accepts_connections_before_the_server_runs() -> None:
    """The address is printed before uvicorn starts: a client that connects at once waits in the backlog instead of
    being refused (session 31's CI met the refusal under load)."""
    import socket

    from pipelines.studio.__main__ import _listening_socket

    with _listening_socket("127.0.0.1", 0) as sock, socket.create_connection(sock.getsockname()[:2], timeout=2):
        pass
