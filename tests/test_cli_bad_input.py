"""Bad input through the three command lines, as a user types it: every case ends in exit status 2
and a message naming what to fix, before any model loads, with no traceback and nothing lost.

The models are scripted, unreachable, or replaced by a stand-in that fails the test if it is ever
built, which is how "before any model loads" is checked."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.lm.errors import ModelUnavailableError
from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines import audiorag, compose, gamegrammar
from pipelines.audiorag_graph import AudioRAGAnswer, Citation
from tests.compose_script import PLAN, REQUEST
from tests.music_fakes import ScaleWriter
from tests.openai_server import OpenAIStub
from tests.studio_script import reply
from tools import files
from tools.settings import Settings

DESIGN = Path(__file__).resolve().parent / "data" / "mycelium_design.json"
UNWRITABLE = Path("/proc/generative-ontology-test")
"""A folder nobody can create files in, root included (the tests may run as root, where chmod does not bind)."""
NOT_UTF8 = b"caf\xe9 in a cave\n"  # Latin-1, as an old editor saves it


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test runs in its own folder with its own cache, and no `GO_*` setting leaks in."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"GO_{name.upper()}", raising=False)
    monkeypatch.setenv("GO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def never(*_: Any, **__: Any) -> Any:
    raise AssertionError("a model or tool was built for input that should have been refused first")


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name in ((gamegrammar, "game_runs"), (compose, "default_tools"), (compose, "build_lm"),
                         (audiorag, "build_lm"), (audiorag, "ask")):
        monkeypatch.setattr(module, name, never)


def refused(capsys: pytest.CaptureFixture[str], status: int, *expected: str, err: str | None = None) -> str:
    """The error output (`err` if already read), once the command has exited with 2 and said each of `expected`."""
    err = capsys.readouterr().err if err is None else err
    assert status == 2, err
    assert "Traceback" not in err
    for text in expected:  # rich wraps long lines, a long path even inside a word
        assert "".join(text.split()) in "".join(err.split()), err
    return err


class EndlessPipe:
    """A named pipe that streams text like /dev/zero streams zeros, but stops after `CAP` bytes, so a
    command that reads without a bound fails the test (on its message and on `written`) instead of
    running the machine out of memory."""

    CAP = 16 * 2**20
    CHUNK = b"fungi " * 10_000

    def __init__(self, path: Path) -> None:
        self.path, self.written = path, 0
        os.mkfifo(path)
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()

    def _write(self) -> None:
        try:
            with self.path.open("wb") as pipe:  # blocks until the command opens it
                while self.written < self.CAP:
                    self.written += pipe.write(self.CHUNK)
        except BrokenPipeError:  # the reader stopped at its limit
            pass

    def close(self) -> None:
        """Let a writer still waiting for a reader go, and wait for it."""
        os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))
        self._writer.join(timeout=10)


@pytest.fixture
def endless(tmp_path: Path) -> Iterator[EndlessPipe]:
    pipe = EndlessPipe(tmp_path / "endless")
    yield pipe
    pipe.close()


def a_file(tmp_path: Path, name: str = "a-file") -> Path:
    path = tmp_path / name
    path.write_text("not a folder\n")
    return path


# GameGrammar: theme files, designs to validate, output locations, run ids.

@pytest.mark.parametrize("content, message", [(NOT_UTF8, "is not UTF-8 text"),
                                              (b"fungi " * 20_000, "larger than")])
def test_a_theme_file_that_is_not_short_utf8_text_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_models: None, content: bytes, message: str) -> None:
    theme = tmp_path / "theme.txt"
    theme.write_bytes(content)
    refused(capsys, gamegrammar.main(["--theme-file", str(theme)]), str(theme), message)


@pytest.mark.parametrize("path, message", [(".", "is a folder"), ("missing.txt", "does not exist")])
def test_a_theme_file_that_is_a_folder_or_missing_is_refused(
        capsys: pytest.CaptureFixture[str], no_models: None, path: str, message: str) -> None:
    refused(capsys, gamegrammar.main(["--theme-file", path]), message)


@pytest.mark.parametrize("command, limit", [("--theme-file", "MAX_THEME_FILE_BYTES"),
                                            ("validate", "MAX_DESIGN_FILE_BYTES"),
                                            ("playtest", "MAX_DESIGN_FILE_BYTES")])
def test_an_endless_file_is_refused_after_the_limit_not_read_until_memory_runs_out(
        capsys: pytest.CaptureFixture[str], no_models: None, endless: EndlessPipe, command: str, limit: str) -> None:
    refused(capsys, gamegrammar.main([command, str(endless.path)]), f"{endless.path} is larger than")
    assert endless.written < getattr(gamegrammar, limit) + 2**20  # the limit, one byte, and what the pipe held


@pytest.mark.parametrize("command", ["validate", "playtest"])
def test_a_design_file_that_is_binary_or_a_folder_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    binary = tmp_path / "design.json"
    binary.write_bytes(b'{"title": "' + NOT_UTF8 + b'"}')
    refused(capsys, gamegrammar.main([command, str(binary)]), str(binary), "is not UTF-8 text")
    refused(capsys, gamegrammar.main([command, str(tmp_path)]), "is a folder")


def test_a_good_design_still_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert gamegrammar.main(["validate", str(DESIGN)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--out", "--runs"])
def test_output_locations_that_cannot_be_written_are_refused_before_the_model_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_models: None, flag: str) -> None:
    blocked = a_file(tmp_path)
    # --out must be a folder, --runs a file; each is also refused below a file and where nobody may write
    wrong_kind = blocked if flag == "--out" else tmp_path
    for place, message in ((wrong_kind, "is a folder" if flag == "--runs" else "is a file"),
                           (blocked / "below", "is a file"),
                           (UNWRITABLE / "below", "Cannot write in /proc")):
        refused(capsys, gamegrammar.main(["tea merchants", flag, str(place)]), message)
    assert blocked.read_text() == "not a folder\n"


def test_a_branch_into_an_unwritable_out_is_refused_before_the_model_loads(
        capsys: pytest.CaptureFixture[str], no_models: None) -> None:
    refused(capsys, gamegrammar.main(["make it cooperative", "--from", "tea", "--out", str(UNWRITABLE)]),
            "Cannot write in /proc")


def test_a_cache_that_is_a_file_is_refused_before_the_model_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_models: None) -> None:
    monkeypatch.setenv("GO_CACHE_DIR", str(a_file(tmp_path, "cache")))
    refused(capsys, gamegrammar.main(["tea merchants"]), "cache is a file")
    refused(capsys, compose.main(["a waltz in G major, 8 bars"]), "cache is a file")
    refused(capsys, audiorag.main(["--text", "who wrote this?"]), "cache is a file")


@pytest.mark.parametrize("argv", [["tea merchants", "--run", ""], ["make it cooperative", "--from", ""]])
def test_an_empty_run_id_is_refused_not_replaced_by_a_random_one(
        capsys: pytest.CaptureFixture[str], no_models: None, argv: list[str]) -> None:
    refused(capsys, gamegrammar.main(argv), "'' is not a plain name")


def test_resuming_into_an_out_that_became_a_file_is_refused_before_the_model_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps

    deps = GameGrammarDeps(lambda *_: [], GameGrammarConfig(), lambda _: None)
    runs = gamegrammar.GameGrammarRuns(deps, InMemorySaver(), never)
    out = a_file(tmp_path, "designs")
    monkeypatch.setattr(gamegrammar.GameGrammarRuns, "snapshot", lambda self, run_id: gamegrammar.Snapshot(
        {"theme": "tea", "seed": 0}, ("architect",), {"out": str(out)}))
    with pytest.raises(gamegrammar.OutputLocationError, match="is a file"):
        runs.resume("tea")


# Composition sessions: request counts, session ids, the root folder.

@pytest.mark.parametrize("request_text, read", [("a waltz in G major, 1e3 bars", "'1e3'"),
                                                ("a waltz in G major, 16.5 bars", "'16.5'"),
                                                ("a jig, 8-12 bars", "'8-12'")])
def test_a_bar_count_that_is_not_a_whole_number_is_refused_as_written(
        capsys: pytest.CaptureFixture[str], no_models: None, request_text: str, read: str) -> None:
    refused(capsys, compose.main([request_text]), f"asks for {read} bars", "not a whole number")


def test_an_empty_session_id_is_refused_not_replaced_by_a_random_one(
        capsys: pytest.CaptureFixture[str], no_models: None) -> None:
    refused(capsys, compose.main(["a waltz in G major, 8 bars", "--session", ""]), "'' is not a plain name")


@pytest.mark.parametrize("command", [["a waltz in G major, 8 bars"], ["resume", "winter"]])
def test_a_root_that_cannot_hold_sessions_is_refused_without_offering_a_resume(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_models: None, command: list[str]) -> None:
    for root, message in ((a_file(tmp_path), "is a file"), (UNWRITABLE, "Cannot write in /proc")):
        assert "resume" not in refused(capsys, compose.main([*command, "--root", str(root)]), message)


def test_a_model_that_fails_before_any_step_is_saved_does_not_offer_a_resume(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose, "default_tools", lambda settings: ScaleWriter())

    def unreachable(*_: Any, **__: Any) -> Any:
        raise ModelUnavailableError("The model server could not be reached; start it or check --model.")

    monkeypatch.setattr(compose, "build_lm", unreachable)
    err = refused(capsys, compose.main([REQUEST, "--session", "winter", "--no-audio"]), "could not be reached",
                  "No new step was saved", "run the same command again")
    assert "resume" not in err


def test_a_tool_that_fails_after_a_saved_step_offers_the_resume(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose, "default_tools", lambda settings: ScaleWriter(fail_on_call=2))
    monkeypatch.setattr(compose, "build_lm", lambda *_, **__: scripted_lm(ScriptedEngine(reply("plan", PLAN))))
    refused(capsys, compose.main([REQUEST, "--session", "winter", "--no-audio"]), "scripted tool failure",
            "python -m pipelines.compose resume winter")


# AudioRAG: the --json file and a model that cannot be reached.

ANSWER = AudioRAGAnswer(question="Who composed the Moonlight Sonata?", answerable=True, answer="Beethoven, in 1801.",
                        confidence="high", heard=audiorag.NO_AUDIO, queries=["moonlight sonata composer"], rounds=1,
                        citations=[Citation(source="doc:sonatas", quote="composed by Beethoven in 1801")])


def test_a_json_path_that_is_a_folder_is_refused_before_the_model_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_models: None) -> None:
    refused(capsys, audiorag.main(["--text", "who wrote this?", "--json", str(tmp_path)]), "is a folder")
    refused(capsys, audiorag.main(["--text", "who wrote this?", "--json", str(UNWRITABLE / "a.json")]),
            "Cannot write in /proc")


def test_when_the_json_write_fails_at_the_end_the_answer_is_printed_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "answers"
    folder.mkdir()

    def answer_while_the_folder_is_replaced_by_a_file(*_: Any, **__: Any) -> AudioRAGAnswer:
        shutil.rmtree(folder)
        folder.write_text("someone else's file\n")
        return ANSWER

    monkeypatch.setattr(audiorag, "ask", answer_while_the_folder_is_replaced_by_a_file)
    status = audiorag.main(["--text", ANSWER.question, "--json", str(folder / "answer.json")])
    printed = capsys.readouterr()
    assert "Beethoven, in 1801." in printed.out and "composed by Beethoven in 1801" in printed.out
    refused(capsys, status, "the answer above was not saved", err=printed.err)
    assert folder.read_text() == "someone else's file\n"


def test_the_answer_is_written_to_json_when_the_location_is_good(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audiorag, "ask", lambda *_, **__: ANSWER)
    target = tmp_path / "new" / "answer.json"
    assert audiorag.main(["--text", ANSWER.question, "--json", str(target)]) == 0
    assert json.loads(target.read_text())["answer"] == "Beethoven, in 1801."


def test_an_unreachable_model_is_blamed_not_the_sources(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with OpenAIStub() as stub:  # started and stopped: its address now refuses connections
        url = stub.base_url
    for name, value in (("MODEL", "openai/stub-model"), ("API_BASE", url), ("API_KEY", "k"), ("MAX_RETRIES", "0"),
                        ("SEARXNG_URL", url)):
        monkeypatch.setenv(f"GO_{name}", value)
    target = tmp_path / "answer.json"
    status = audiorag.main(["--text", "Who composed the Moonlight Sonata?", "--json", str(target)])
    printed = capsys.readouterr()
    refused(capsys, status, "the model failed, not the sources", "could not be reached", err=printed.err)
    assert "Cannot answer from the sources" not in printed.err + printed.out
    assert "could not be reached" in json.loads(target.read_text())["model_error"]


def test_a_fifo_nobody_writes_to_is_refused_not_waited_on_forever(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, no_models: None, tmp_path: Path) -> None:
    monkeypatch.setattr(files, "FIFO_WRITER_WAIT_S", 0.5)
    fifo = tmp_path / "theme.fifo"
    os.mkfifo(fifo)
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(gamegrammar.main(["--theme-file", str(fifo)])),
                              daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # unblock the old behaviour's open() so the thread can end, then fail
        with fifo.open("wb"):
            pass
        pytest.fail("reading a FIFO with no writer blocked")
    refused(capsys, outcome[0], "nothing wrote to")


def test_an_error_echoing_huge_or_markup_like_input_is_printed_literally_and_shortened(
        capsys: pytest.CaptureFixture[str]) -> None:
    status = gamegrammar.main(["validate", f"[/x]{'d' * 50_000}.json"])
    err = refused(capsys, status, "[/x]dddd", "characters left out")
    assert len(err) < 3_000


def test_a_seed_outside_what_the_generators_take_is_refused_before_any_work(
        capsys: pytest.CaptureFixture[str], no_models: None) -> None:
    for main, argv in ((compose.main, [REQUEST, "--seed", str(2**64)]),
                       (gamegrammar.main, ["a cave of glowing fungi", "--seed", "-1"])):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert "outside 0 to 4,294,967,295" in capsys.readouterr().err


def test_ctrl_c_during_a_playtest_exits_130_without_a_traceback(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(gamegrammar, "playtest", interrupted)
    assert gamegrammar.main(["playtest", str(DESIGN), "--games", "5"]) == 130
    assert "interrupted" in capsys.readouterr().err
