"""The MCP server, driven by the SDK's own client over stdio against scripted models
(`tests/mcp_scripted.py`): every tool and resource is listed with its schema, a design and a
composition come back typed with progress on the way, and what the CLI refuses comes back as a
tool error carrying the CLI's message: a bad theme, a path leaving the output folder, a missing
audio file. The bearer token and the loopback rule of the HTTP transport are checked in-process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult
from starlette.testclient import TestClient

from ontology.game import GameDesign
from ontology.music_drafts import MusicRequestError, facts_from_request
from pipelines.gamegrammar import InvalidThemeError, clean_theme
from pipelines.mcp import build_server, main
from pipelines.mcp_transport import ServerError, checked_bind, http_app
from pipelines.mcp_workspace import PathOutsideError, Workspace
from tests.compose_script import REQUEST
from tools.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "tests" / "data" / "mycelium_design.json"
TOOLS = {"design_game", "validate_design", "playtest_design", "compose", "continue_composition",
         "branch_composition", "ask_audio", "harmonise_melody", "generate_piano", "variations"}


@dataclass
class Remote:
    """The client's session with the server process, called from plain test functions."""

    portal: BlockingPortal
    client: Client
    out: Path
    progress: list[str] = field(default_factory=list)

    def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        async def heard(progress: float, total: float | None, message: str | None) -> None:
            self.progress.append(message or "")

        return self.portal.call(lambda: self.client.call_tool(tool, arguments, progress_callback=heard))

    def error(self, tool: str, arguments: dict[str, Any]) -> str:
        result = self.call(tool, arguments)
        assert result.is_error, result
        return " ".join(block.text for block in result.content if block.type == "text")

    def read(self, uri: str) -> Any:
        contents = self.portal.call(self.client.read_resource, uri).contents
        return json.loads(contents[0].text)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    out = tmp_path_factory.mktemp("mcp-out")
    env = {"OMP_NUM_THREADS": "1", "GO_CACHE_DIR": str(out.parent / "cache")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "tests.mcp_scripted", str(out)],
                                   cwd=str(REPO), env=env)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(params)) as client:
        yield Remote(portal, client, out)


def test_every_tool_is_listed_with_the_ontologys_schemas(remote: Remote) -> None:
    tools = {tool.name: tool for tool in remote.portal.call(remote.client.list_tools).tools}
    assert set(tools) == TOOLS
    design = tools["design_game"]
    assert design.input_schema["required"] == ["theme"] and design.output_schema is not None
    assert "GameDesign" in design.output_schema["$defs"]
    assert "HarmoniseRequest" in json.dumps(tools["harmonise_melody"].input_schema)
    assert "Piece" in tools["compose"].output_schema["$defs"]


def test_a_theme_comes_back_as_a_design_with_its_rulebook_report_files_and_progress(remote: Remote) -> None:
    remote.progress.clear()
    result = remote.call("design_game", {"theme": "glowing fungi", "run": "fungi"})
    assert not result.is_error, result.content
    answer = result.structured_content
    design = GameDesign.model_validate(answer["design"])
    assert answer["report"]["status"] == "complete" and answer["report"]["run"] == "fungi"
    assert answer["rulebook"].startswith(f"# {design.title}") and answer["folder"] == "gamegrammar/fungi"
    assert json.loads((remote.out / "gamegrammar" / "fungi" / "design.json").read_text())["title"] == design.title
    assert len(remote.progress) >= 5 and any("Mechanics Architect" in line for line in remote.progress)
    again = remote.error("design_game", {"theme": "glowing fungi", "run": "fungi"})
    assert "Run 'fungi' exists" in again


def test_a_design_in_the_output_folder_or_inline_is_validated_and_playtested(remote: Remote) -> None:
    shutil.copy(DESIGN, remote.out / "mycelium.json")
    checked = remote.call("validate_design", {"path": "mycelium.json"}).structured_content
    assert checked["errors"] == 0 and checked["summary"].startswith("0 errors")
    inline = remote.call("validate_design", {"design": json.loads(DESIGN.read_text())}).structured_content
    assert inline == checked
    played = remote.call("playtest_design", {"path": "mycelium.json", "games": 20, "players": 2})
    assert not played.is_error, played.content
    assert "completion" in {row["metric"] for row in played.structured_content["table"]}


def test_a_composition_starts_continues_and_branches(remote: Remote) -> None:
    remote.progress.clear()
    first = remote.call("compose", {"request": REQUEST, "seed": 1, "session": "winter"})
    assert not first.is_error, first.content
    piece = first.structured_content
    assert (piece["session"], piece["version"]) == ("winter", 1) and piece["piece"]["key"] == "D minor"
    assert (remote.out / piece["files"]["midi"]).is_file()
    assert piece["files"]["report"] == "compose/winter/v1/report.json"
    assert remote.progress
    second = remote.call("continue_composition", {"session": "winter", "feedback": "darker, slower ending"})
    assert second.structured_content["version"] == 2 and second.structured_content["feedback"] == [
        "darker, slower ending"]
    branch = remote.call("branch_composition", {"session": "winter"}).structured_content
    assert branch["session"].startswith("winter-b") and branch["branched_from"] == "winter"


def test_refusals_carry_the_clis_messages(remote: Remote) -> None:
    with pytest.raises(InvalidThemeError) as empty:
        clean_theme("  ")
    assert str(empty.value) in remote.error("design_game", {"theme": "  "})
    with pytest.raises(MusicRequestError) as impossible:
        facts_from_request("a waltz, 10000 bars")
    assert str(impossible.value) in remote.error("compose", {"request": "a waltz, 10000 bars"})
    assert "No session 'nosuch'" in remote.error("continue_composition", {"session": "nosuch", "feedback": "darker"})
    assert "question is empty" in remote.error("ask_audio", {"question": " "})
    missing = remote.error("ask_audio", {"question": "Who composed this?", "audio": "clips/missing.wav"})
    assert f"No audio file at {remote.out.resolve() / 'clips' / 'missing.wav'}. Check the path." in missing
    assert "not both" in remote.error("validate_design", {})
    (remote.out / "bad.json").write_text('{"title": 3}')
    assert f"{remote.out.resolve() / 'bad.json'} is not a valid game design" in remote.error(
        "validate_design", {"path": "bad.json"})
    assert "absent.json does not exist; check the path." in remote.error("playtest_design", {"path": "absent.json"})


@pytest.mark.parametrize(("tool", "arguments"), [
    ("validate_design", {"path": "../../etc/passwd"}),
    ("playtest_design", {"path": "/etc/passwd"}),
    ("ask_audio", {"question": "Who is speaking?", "audio": "../secret.wav"}),
    ("harmonise_melody", {"request": {"melody": "tune.mid", "out_dir": "../elsewhere"}}),
    ("generate_piano", {"request": {"out_dir": "music", "prompt": "/etc/hostname"}}),
])
def test_a_path_leaving_the_output_folder_is_refused(remote: Remote, tool: str, arguments: dict[str, Any]) -> None:
    assert "leads outside the output folder" in remote.error(tool, arguments)
    assert not (remote.out.parent / "elsewhere").exists()


def test_a_symbolic_link_out_of_the_folder_is_refused(remote: Remote, tmp_path: Path) -> None:
    outside = tmp_path / "design.json"
    shutil.copy(DESIGN, outside)
    os.symlink(outside, remote.out / "link.json")
    assert "leads outside the output folder" in remote.error("validate_design", {"path": "link.json"})


def test_the_music_tools_write_into_the_output_folder(remote: Remote) -> None:
    piano = remote.call("generate_piano", {"request": {"out_dir": "music", "bars": 2, "stem": "sketch"}})
    assert not piano.is_error, piano.content
    assert (remote.out / "music" / "sketch.mid").is_file() and piano.structured_content["generated_bars"] == 2
    walk = remote.call("variations", {"request": {"exemplar_games": True, "start": "chess", "target_item": "pandemic",
                                                  "points": 3}})
    assert not walk.is_error, walk.content
    assert walk.structured_content["points"][0]["neighbours"][0]["id"] == "chess"


def test_resources_hold_the_exemplars_engines_and_schemas(remote: Remote) -> None:
    uris = {str(resource.uri) for resource in remote.portal.call(remote.client.list_resources).resources}
    assert {"gamegrammar://exemplars", "gamegrammar://engines", "ontology://schemas/game-design"} <= uris
    assert remote.read("ontology://schemas/game-design") == GameDesign.model_json_schema()
    exemplars = remote.read("gamegrammar://exemplars")
    assert len(exemplars) >= 60 and remote.read("gamegrammar://exemplars/chess")["name"] == "Chess"
    engines = remote.read("gamegrammar://engines")
    assert GameDesign.model_validate(remote.read(f"gamegrammar://engines/{engines[0]}"))


def test_paths_resolve_inside_the_workspace(tmp_path: Path) -> None:
    space = Workspace(tmp_path)
    assert space.path("clips/a.wav") == tmp_path.resolve() / "clips" / "a.wav"
    assert space.path(tmp_path / "a.wav") == tmp_path.resolve() / "a.wav"  # absolute, but inside
    for bad in ("..", "../x", "/etc/passwd", "a/../../x", "", "a\x00b"):
        with pytest.raises(PathOutsideError):
            space.path(bad)


def test_the_server_refuses_to_bind_beyond_loopback_without_a_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GO_MCP_TOKEN", raising=False)
    monkeypatch.setenv("GO_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["--host", "0.0.0.0", "--out", str(tmp_path / "out")]) == 2
    assert "beyond loopback" in capsys.readouterr().err and not (tmp_path / "out").exists()
    monkeypatch.setenv("GO_MCP_TOKEN", "short")
    assert main(["--host", "0.0.0.0", "--out", str(tmp_path / "out")]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    for host in ("127.0.0.1", "::1", "localhost"):
        assert checked_bind(host, None) == host
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):
        with pytest.raises(ServerError, match="GO_MCP_TOKEN"):
            checked_bind(host, None)


def test_http_beyond_loopback_needs_a_token_and_every_request_must_carry_it(tmp_path: Path) -> None:
    server = build_server(Workspace(tmp_path), Settings.from_env())
    with pytest.raises(ServerError, match="GO_MCP_TOKEN"):
        http_app(server, "0.0.0.0", None)
    token = "s3cret-" + "x" * 16
    with TestClient(http_app(server, "0.0.0.0", token)) as http:
        assert http.post("/mcp", json={}).status_code == 401
        assert http.post("/mcp", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.post("/mcp", json={}, headers={"Authorization": f"Bearer {token}"}).status_code != 401
    with TestClient(http_app(server, "127.0.0.1", None), base_url="http://127.0.0.1:8766") as http:
        assert http.post("/mcp", json={}).status_code != 401  # loopback without a token: open to this machine


def _send(process: subprocess.Popen[str], message: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
    process.stdin.flush()


def test_ctrl_c_ends_the_server_at_once_while_a_run_is_in_progress(tmp_path: Path) -> None:
    """The run is in a worker thread, waiting on a model that answers in a minute: Python would wait
    for it to end before exiting. The server ends within seconds, with one line and status 130."""
    process = subprocess.Popen([sys.executable, "-m", "tests.mcp_scripted", str(tmp_path), "slow"], cwd=REPO,
                               env={**os.environ, "OMP_NUM_THREADS": "1", "GO_CACHE_DIR": str(tmp_path / "cache")},
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _send(process, {"id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        _send(process, {"method": "notifications/initialized"})
        _send(process, {"id": 2, "method": "tools/call", "params": {
            "name": "design_game", "arguments": {"theme": "glowing fungi", "run": "fungi"},
            "_meta": {"progressToken": "t"}}})
        assert process.stdout is not None
        while "Mechanics Architect" not in (line := process.stdout.readline()):  # the model call has begun
            assert line, process.stderr.read() if process.stderr else ""
        asked = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        assert time.monotonic() - asked < 20  # not the minute the model would take
    finally:
        process.kill()
        process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    assert "interrupted; every finished run and session step is kept" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "gamegrammar" / "fungi" / "design.json").exists()


def test_a_client_with_the_token_is_served_over_streamable_http(tmp_path: Path) -> None:
    token = "a-long-enough-secret-token"
    shutil.copy(DESIGN, tmp_path / "mycelium.json")
    listening = socket.socket()  # the server is handed the bound socket: a port freed first may be taken meanwhile
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    app = http_app(build_server(Workspace(tmp_path), Settings.from_env()), "127.0.0.1", token)
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    while not web.started:
        time.sleep(0.05)

    async def validate() -> CallToolResult:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http, Client(
                streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
            return await client.call_tool("validate_design", {"path": "mycelium.json"})

    try:
        result = anyio.run(validate)
    finally:
        web.should_exit = True
        thread.join(timeout=30)
        listening.close()
    assert not result.is_error, result.content
    assert result.structured_content is not None and result.structured_content["errors"] == 0
