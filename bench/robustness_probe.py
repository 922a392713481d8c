"""Robustness probe: bad input, faults and hostile content against the three CLIs and the fetcher.

    python bench/robustness_probe.py                 # every case, stub or unreachable models (8.5 min, 2 cores)
    python bench/robustness_probe.py --jobs 1 -k compose   # only the cases whose name contains "compose"
    python bench/robustness_probe.py --embedded      # also the cases that need the real embedded model
    python bench/robustness_probe.py --json probe.json     # keep every case's outcome and output tail

Each case runs in its own process (a CLI as `python -m ...`, or one named check of this module), in its own
folder, under a timeout and a memory limit, with a model served by a local stub (scripted answers, one that
never answers, or garbage) or an unreachable address, so no real model is needed. Some cases press Ctrl-C
(SIGINT to the process group) at a set time or when the model is first asked. Each case is classified:

  vulnerable  wrote outside its folder, or connected to an address it must refuse (cloud metadata, always;
              a private address where the case does not allow it)
  data loss   a file of an earlier run changed, though the run failed or was interrupted
  hang        still running at its timeout, or more than 10 s after Ctrl-C
  traceback   a Python traceback (or a crash by signal) instead of a clear error
  wrong       ran without a crash but did the wrong thing (the case's own expectation)
  clean       none of these

The table of counts is printed, then one line per case that is not clean. Items of issue 15 are named
`i<N>-...`; the rest are the probe's own. `docs/robustness.md` has the measured table.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.compose_script import REQUEST as COMPOSE_REQUEST  # noqa: E402 - the request the tests use
from tests.web_server import Reply, ScriptedServer  # noqa: E402

OUTCOMES = ("clean", "traceback", "hang", "data loss", "vulnerable", "wrong")
SIGINT_GRACE_S = 10.0
MEMORY_LIMIT_BYTES = 4 << 30
LONG = 50_000
"""A long argument: far past every limit the CLIs set, well under the kernel's limit on one argument."""
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Exception ignored|Fatal Python error|MemoryError")
SITE = Path(__file__).resolve().parent / "probe_site"
DOCS = REPO / "tests" / "data" / "injection_docs"
DESIGN = REPO / "tests" / "data" / "mycelium_design.json"


# --- the model stub ---------------------------------------------------------------------------------------

_KEY = re.compile(r"JSON object with the key `(\w+)`")
SCRIPTS: dict[str, dict[str, Any]] = {
    "rag": {"plan": {"queries": ["Moonlight Sonata composer"]},
            "answer": {"answer": "Beethoven, in 1801.", "citations": [{"source": 1, "quote": "Beethoven"}],
                       "confidence": "high", "answerable": True}},
}


class ModelStub:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 whose URL names its behaviour and the case:
    `/<mode>/<case>/v1`, mode `rag` (AudioRAG's answers, by the key the prompt asks for),
    `slow` (answers after a minute) or `garbage` (never JSON). Requests are kept per case."""

    def __init__(self) -> None:
        self.requests: dict[str, list[dict[str, Any]]] = {}
        self.stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                mode, case = (self.path.strip("/").split("/") + ["", ""])[:2]
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.setdefault(case, []).append(body)
                if mode == "slow" and stub.stopping.wait(60):
                    return
                self._reply(stub.answer(mode, body))

            def _reply(self, text: str) -> None:
                payload = json.dumps({
                    "id": "probe", "object": "chat.completion", "created": int(time.time()), "model": "probe",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client was interrupted

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    @staticmethod
    def answer(mode: str, body: dict[str, Any]) -> str:
        messages = body.get("messages") or [{}]
        content = messages[-1].get("content") or ""
        text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
        key = _KEY.findall(text)
        script = SCRIPTS.get(mode, {})
        if not key or key[-1] not in script:
            return "I would rather not answer in JSON."
        return json.dumps({key[-1]: script[key[-1]]})

    def base(self, mode: str, case: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/{case}/v1"

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def closed_port() -> int:
    """A local port nothing listens on: the unreachable model."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- hostile web pages --------------------------------------------------------------------------------------

def hostile_pages(web: ScriptedServer, decoy: ScriptedServer) -> None:
    """Pages a hostile or broken site serves; the decoy on 127.0.0.2 stands for a private address."""
    article = ("<html><head><title>Moonlight Sonata</title></head><body><h1>Moonlight Sonata</h1><p>The Moonlight "
               "Sonata was composed by Ludwig van Beethoven in 1801.</p></body></html>")
    web.route("/ok", Reply.html(article))
    web.route("/huge", Reply.html("<p>" + "Beethoven sonata. " * 1_200_000 + "</p>"))
    web.route("/endless", Reply(200, b"<p>more and more</p>" * 512, {"Content-Type": "text/html"}, endless=True))
    web.route("/drip", Reply(200, article.encode(), {"Content-Type": "text/html"}, drip_s=0.5))
    web.route("/stall", Reply(200, article.encode(), {"Content-Type": "text/html"}, delay_s=60))
    web.route("/loop", Reply.redirect(web.url("/loop")))
    web.route("/to-file", Reply.redirect("file:///etc/passwd"))
    web.route("/to-metadata", Reply.redirect("http://169.254.169.254/latest/meta-data/"))
    web.route("/to-mapped-metadata", Reply.redirect("http://[::ffff:169.254.169.254]/latest/meta-data/"))
    web.route("/to-mapped-alibaba", Reply.redirect("http://[::ffff:100.100.100.200]/latest/meta-data/"))
    web.route("/to-decoy", Reply.redirect(decoy.url("/secret")))
    bomb = gzip.compress(b"<p>" + b"0" * 200_000_000 + b"</p>", compresslevel=9)
    web.route("/gzip-bomb", Reply(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    web.route("/deep", Reply.html("<div>" * 200_000 + "deep" + "</div>" * 200_000))
    web.route("/binary", Reply(200, os.urandom(4096), {"Content-Type": "application/octet-stream"}))
    web.route("/bad-charset", Reply(200, "café Beethoven".encode("latin-1"),
                                    {"Content-Type": "text/html; charset=x-no-such-charset"}))
    web.route("/injection", Reply.html("<html><head><title>Sonatas</title></head><body><p>"
                                       + (DOCS / "chat_template_tokens.txt").read_text(encoding="utf-8")
                                       .replace("<", "&lt;").replace(">", "&gt;") + "</p></body></html>"))
    decoy.route("/secret", Reply.html("<p>private</p>"))
    pages = ["/ok", "/injection", "/to-mapped-metadata", "/to-decoy", "/drip", "/gzip-bomb", "/deep", "/loop"]
    web.route("/search", Reply.json({"query": "q", "results": [
        {"url": web.url(page), "title": page.strip("/"), "content": "Moonlight Sonata", "engine": "probe"}
        for page in pages]}))


# --- cases ------------------------------------------------------------------------------------------------

@dataclass
class Env:
    """What a case can refer to: its folder, the stubs, and where the model lives."""

    folder: Path
    model: ModelStub
    web: ScriptedServer
    decoy: ScriptedServer
    unreachable: str
    cache: Path
    name: str = ""

    @property
    def root(self) -> Path:
        return self.folder / "root"

    @property
    def inputs(self) -> Path:
        return self.folder / "input"

    def stub(self, mode: str) -> dict[str, str]:
        return {"GO_MODEL": "openai/probe", "GO_API_BASE": self.model.base(mode, self.name), "GO_API_KEY": "probe"}


@dataclass
class Outcome:
    rc: int | None
    output: str
    wall_s: float
    interrupted: bool = False


Check = Callable[[Env, Outcome], str | None]
Prepare = Callable[[Env], list[Path]]
"""Creates a case's inputs; returns the files of an "earlier run" that must not change."""


@dataclass
class Case:
    name: str
    argv: Callable[[Env], list[str]]
    env: Callable[[Env], dict[str, str]] = lambda env: {}
    prepare: Prepare = lambda env: []
    expect: Check = lambda env, outcome: None
    sigint: str | float | None = None
    """Ctrl-C: seconds after the start, or "model" when the model is first asked (then after 1 s)."""
    timeout_s: float = 60.0
    refuse: tuple[str, ...] = ()
    """Hosts the process must never connect to (beyond the always-trapped metadata addresses)."""
    load: bool = False
    """Keep both cores busy with other work while the case runs."""
    parallel: int = 1
    """Run this many copies at once (each must end clean)."""
    embedded: bool = False
    fresh: bool = False
    """Start a new interpreter (`python -m ...`) instead of forking the warm one: for Ctrl-C during imports."""


def cli(module: str, *args: str | Callable[[Env], str]) -> Callable[[Env], list[str]]:
    return lambda env: ["-m", f"pipelines.{module}", *[a(env) if callable(a) else a for a in args]]


def call(check: str, *args: str | Callable[[Env], str]) -> Callable[[Env], list[str]]:
    return lambda env: [str(Path(__file__).resolve()), "--call", check,
                        *[a(env) if callable(a) else a for a in args]]


def root(env: Env) -> str:
    return str(env.root)


def refused(*words: str) -> Check:
    """Expect exit code 2 and an error that says one of `words`, not a suggestion to resume."""
    def check(env: Env, outcome: Outcome) -> str | None:
        text = outcome.output.lower()
        if outcome.rc != 2:
            return f"exit code {outcome.rc}, expected 2 (a clear refusal)"
        if words and not any(word.lower() in text for word in words):
            return f"the error does not mention {' / '.join(words)}"
        if "resume" in text and "session" in text and "keeps every finished step" in text:
            return "suggests resuming a session that never ran"
        return None
    return check


def exits(*codes: int, saying: str = "", never: str = "") -> Check:
    def check(env: Env, outcome: Outcome) -> str | None:
        if outcome.rc not in codes:
            return f"exit code {outcome.rc}, expected {codes}"
        if saying and saying.lower() not in outcome.output.lower():
            return f"the output does not say {saying!r}"
        if never and never.lower() in outcome.output.lower():
            return f"the output says {never!r}"
        return None
    return check


def interrupted(env: Env, outcome: Outcome) -> str | None:
    return None if outcome.rc == 130 or "interrupt" in outcome.output.lower() else f"exit code {outcome.rc} on Ctrl-C"


def earlier_design(folder: str) -> Prepare:
    """An earlier run's files in `root/<folder>`: a design, its rulebook and a complete report."""
    def prepare(env: Env) -> list[Path]:
        out = env.root / folder
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(DESIGN, out / "design.json")
        (out / "rulebook.md").write_text("# Mycelium\n\nThe earlier run's rulebook.\n")
        (out / "report.json").write_text(json.dumps({"status": "complete", "run_id": "earlier"}))
        return [out / "design.json", out / "rulebook.md", out / "report.json"]
    return prepare


def file_input(name: str, content: bytes | str | None = None, *, fifo: bool = False,
               folder: bool = False) -> tuple[Prepare, Callable[[Env], str]]:
    """An input path in the case's folder (a file, a FIFO with no writer or a folder)."""
    def prepare(env: Env) -> list[Path]:
        path = env.inputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if fifo:
            os.mkfifo(path)
        elif folder:
            path.mkdir()
        elif content is not None:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        return []
    return prepare, lambda env: str(env.inputs / name)


def unreachable(env: Env) -> dict[str, str]:
    return {"GO_MODEL": "openai/probe", "GO_API_BASE": env.unreachable, "GO_API_KEY": "probe"}


def stub(mode: str) -> Callable[[Env], dict[str, str]]:
    return lambda env: env.stub(mode)


THEME = "rival tea merchants"
WEIRD = {
    "control": "tea\x01\x02\x03\x1b[31m merchants\x07",
    "rtl": "\u202etea merchants\u202c \u05ea\u05d4 \u0627\u0644\u0634\u0627\u064a",
    "emoji": "🍵🫖 tea 🏴‍☠️ merchants 👩🏽‍🌾" * 3,
    "combining": "t\u0301\u0302\u0303\u0304e\u0305\u0306a" + "\u0307" * 200,
    "long": "tea merchants " * (LONG // 14),
}


def game_cases() -> list[Case]:
    design_out = lambda env: str(env.root / "design")  # noqa: E731 - a short path builder
    runs = lambda env: str(env.root / "runs.sqlite")  # noqa: E731
    std = ("--out", design_out, "--runs", runs)
    cases = [
        Case("i1-game-run-id-traversal", cli("gamegrammar", THEME, "--run", "../escape", *std), unreachable,
             expect=refused("run id")),
        Case("i1-game-resume-traversal", cli("gamegrammar", "resume", "../../escape", "--runs", runs), unreachable,
             expect=refused("run id")),
        Case("i1-game-from-absolute", cli("gamegrammar", "more cooperative", "--from", "/tmp", "--runs", runs),
             unreachable, expect=refused("run id")),
        Case("i4-game-failed-run-keeps-earlier-files", cli("gamegrammar", THEME, "--invent-rules", *std),
             stub("garbage"), earlier_design("design"), timeout_s=120),
        Case("i4-game-unreachable-keeps-earlier-files", cli("gamegrammar", THEME, *std), unreachable,
             earlier_design("design"), expect=exits(2, saying="model")),
        Case("i6-game-ctrl-c-under-load", cli("gamegrammar", THEME, *std), stub("slow"), earlier_design("design"),
             expect=interrupted, sigint="model", load=True, timeout_s=120),
        Case("game-ctrl-c-at-start", cli("gamegrammar", THEME, *std), stub("slow"), earlier_design("design"),
             sigint=1.5, timeout_s=60, fresh=True),
        Case("game-ctrl-c-waiting-for-model", cli("gamegrammar", THEME, *std), stub("slow"), earlier_design("design"),
             expect=interrupted, sigint="model", timeout_s=120),
        Case("i10-game-out-is-a-file", cli("gamegrammar", THEME, "--out", lambda env: str(env.inputs / "a-file"),
                                           "--runs", runs), unreachable, file_input("a-file", "not a folder")[0],
             expect=refused("out")),
        Case("i10-game-out-unwritable", cli("gamegrammar", THEME, "--out", "/proc/probe-out", "--runs", runs),
             unreachable, expect=refused("out")),
        Case("i10-game-cache-dir-is-a-file", cli("gamegrammar", THEME, *std),
             lambda env: {**unreachable(env), "GO_CACHE_DIR": str(env.inputs / "a-file")},
             file_input("a-file", "not a folder")[0], expect=refused("GO_CACHE_DIR", "cache")),
        Case("game-runs-is-a-folder", cli("gamegrammar", THEME, "--out", design_out, "--runs", root), unreachable,
             expect=refused("runs")),
        Case("game-runs-unwritable", cli("gamegrammar", THEME, "--out", design_out, "--runs", "/proc/probe.sqlite"),
             unreachable, expect=refused("runs")),
        Case("game-run-id-uppercase", cli("gamegrammar", THEME, "--run", "Tea", *std), unreachable,
             expect=refused("run id")),
        Case("game-run-id-too-long", cli("gamegrammar", THEME, "--run", "a" * 65, *std), unreachable,
             expect=refused("run id")),
        Case("game-resume-unknown-run", cli("gamegrammar", "resume", "nosuchrun", "--runs", runs), unreachable,
             expect=refused("no run")),
        Case("game-branch-unknown-run", cli("gamegrammar", "make it cooperative", "--from", "nosuchrun", "--runs",
                                            runs), unreachable, expect=refused("no run")),
        Case("game-players-negative", cli("gamegrammar", THEME, "--players", "-1", *std), unreachable,
             expect=refused("players")),
        Case("game-players-huge", cli("gamegrammar", THEME, "--players", "9" * 30, *std), unreachable,
             expect=refused("players")),
        Case("game-seed-not-a-number", cli("gamegrammar", THEME, "--seed", "abc", *std), unreachable,
             expect=refused("seed")),
        Case("game-token-budget-negative", cli("gamegrammar", THEME, "--token-budget", "-5", *std), unreachable,
             expect=refused("budget")),
        Case("game-env-temperature-not-a-number", cli("gamegrammar", THEME, *std),
             lambda env: {**unreachable(env), "GO_TEMPERATURE": "hot"},
             expect=refused("GO_TEMPERATURE", "temperature")),
    ]
    for label, theme in WEIRD.items():
        expect = {"long": refused("10,000"), "control": refused("text")}.get(label, exits(1, 2, saying="model"))
        cases.append(Case(f"game-theme-{label}", cli("gamegrammar", theme, *std), unreachable, expect=expect))
    files: dict[str, tuple[Prepare, Callable[[Env], str]]] = {
        "dev-zero": (lambda env: [], lambda env: "/dev/zero"),
        "folder": file_input("folder", folder=True),
        "not-utf8": file_input("latin1.txt", "thé des marchands \xff\xfe".encode("latin-1")),
        "nul": file_input("nul.txt", b"tea\x00merchants\x00" * 10),
        "fifo": file_input("fifo", fifo=True),
        "empty": file_input("empty.txt", b""),
    }
    for label, (prepare, path) in files.items():
        item = "i8-" if label == "dev-zero" else ""
        cases.append(Case(f"{item}game-theme-file-{label}", cli("gamegrammar", "--theme-file", path, *std),
                          unreachable, prepare, expect=refused("theme"), timeout_s=30))
    deep = b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    validated = {
        **{key: value for key, value in files.items() if key != "empty"},
        "missing": (lambda env: [], lambda env: str(env.inputs / "missing.json")),
        "empty": file_input("empty.json", b""),
        "null": file_input("null.json", b"null"),
        "deep-nesting": file_input("deep.json", deep),
        "huge-numbers": file_input("huge.json", DESIGN.read_text().replace('"min": 2', '"min": ' + "9" * 5000)),
        "long-path": (lambda env: [], lambda env: "x" * LONG),
    }
    for label, (prepare, path) in validated.items():
        item = {"dev-zero": "i8-", "not-utf8": "i9-"}.get(label, "")
        cases.append(Case(f"{item}game-validate-{label}", cli("gamegrammar", "validate", path), prepare=prepare,
                          expect=exits(1, 2), timeout_s=30))
    playtest = cli("gamegrammar", "playtest", str(DESIGN))
    cases += [
        Case("game-playtest-zero-games", lambda env: [*playtest(env), "--games", "0"], expect=exits(1, 2)),
        Case("game-playtest-negative-players", lambda env: [*playtest(env), "--players", "-3"], expect=exits(1, 2)),
        Case("game-playtest-ctrl-c", lambda env: [*playtest(env), "--games", "10000000"], sigint=8.0,
             expect=interrupted, timeout_s=60),
    ]
    return cases


def compose_cases() -> list[Case]:
    start = lambda *args: cli("compose", *args, "--root", root, "--no-audio")  # noqa: E731
    cases = [
        Case("i1-compose-session-traversal", start(COMPOSE_REQUEST, "--session", "../escape"), unreachable,
             expect=refused("not a plain name")),
        Case("i1-compose-session-absolute", start(COMPOSE_REQUEST, "--session", lambda env: str(env.folder / "abs")),
             unreachable, expect=refused("not a plain name")),
        Case("i14-compose-bars-in-scientific-notation", start("a waltz in G major, 1e3 bars"), unreachable,
             expect=refused("bars")),
        Case("i14-compose-fractional-bars", start("a waltz in G major, 16.5 bars"), unreachable,
             expect=refused("bars")),
        Case("i15-compose-root-is-a-file", cli("compose", COMPOSE_REQUEST, "--root",
                                               lambda env: str(env.inputs / "a-file"), "--no-audio"),
             unreachable, file_input("a-file", "x")[0], expect=refused("root")),
        Case("i15-compose-root-unwritable", cli("compose", COMPOSE_REQUEST, "--root", "/proc/probe-root", "--no-audio"),
             unreachable, expect=refused("root")),
        Case("compose-ctrl-c-waiting-for-model", start(COMPOSE_REQUEST, "--session", "winter"), stub("slow"),
             sigint="model", expect=interrupted, timeout_s=120),
        Case("compose-unreachable-model", start(COMPOSE_REQUEST, "--session", "winter"), unreachable,
             expect=exits(2, saying="model")),
        Case("compose-env-max-tokens-negative", start(COMPOSE_REQUEST), lambda env: {**unreachable(env),
                                                                                      "GO_MAX_TOKENS": "-1"},
             expect=refused("GO_MAX_TOKENS", "max_tokens")),
        Case("compose-seed-huge", start(COMPOSE_REQUEST, "--seed", "9" * 40), unreachable, expect=refused("seed")),
        Case("compose-session-uppercase", start(COMPOSE_REQUEST, "--session", "Winter"), unreachable,
             expect=refused("plain name")),
    ]
    for command in ("show", "resume", "continue", "branch"):
        cases.append(Case(f"i1-compose-{command}-traversal",
                          cli("compose", command, "../escape", "darker", "--root", root), unreachable,
                          expect=refused("plain name")))
        cases.append(Case(f"compose-{command}-unknown-session",
                          cli("compose", command, "nosuchsession", "darker", "--root", root), unreachable,
                          expect=refused("session")))
    requests = {
        "long": ("x " * (LONG // 2), "2,000"), "zero-bars": ("a waltz, 0 bars", "bars"),
        "negative-bars": ("a waltz, -4 bars", "bars"), "huge-bars": ("a waltz, " + "9" * 30 + " bars", "bars"),
        "zero-tempo": ("a waltz at 0 bpm", "tempo"), "unknown-key": ("a waltz in H major", "key"),
        "odd-meter": ("a piece in 13/7 time", "meter"), "emoji": ("🎹🌙 " * 40, "model"),
        "rtl": ("\u202ea waltz\u202c \u05e9\u05d9\u05e8", "model"), "control": ("a waltz\x01\x1b[2J\x07", "model"),
    }
    for label, (request, word) in requests.items():
        expect = exits(2, saying="model") if word == "model" else refused(word)
        cases.append(Case(f"compose-request-{label}", start(request), unreachable, expect=expect))
    return cases


def audiorag_cases() -> list[Case]:
    rag = lambda *args: cli("audiorag", *args)  # noqa: E731
    own_cache = lambda model: lambda env: {**model(env), "GO_CACHE_DIR": str(env.root / "cache")}  # noqa: E731
    local = ("--search-backend", "local", "--docs-dir", str(DOCS))
    question = "Who composed the Moonlight Sonata?"
    cases = [
        Case("i3-audiorag-injection-documents", rag("--text", question, *local), own_cache(stub("rag")),
             expect=exits(0, 1), timeout_s=180),
        Case("i11-audiorag-json-is-a-folder", rag("--text", question, *local, "--json", root), own_cache(stub("rag")),
             expect=refused("json"), timeout_s=180),
        Case("audiorag-json-unwritable", rag("--text", question, *local, "--json", "/proc/probe.json"),
             own_cache(stub("rag")),
             expect=refused("json"), timeout_s=180),
        Case("i16-audiorag-unreachable-model", rag("--text", question, *local), own_cache(unreachable),
             expect=exits(1, 2, saying="model", never="Cannot answer from the sources"), timeout_s=120),
        Case("audiorag-hostile-web-pages", rag("--text", question, "--searxng-url", lambda env: env.web.url(""),
                                               "--allow-private-fetch"), own_cache(stub("rag")),
             expect=exits(0, 1), timeout_s=180),
        Case("audiorag-ctrl-c-waiting-for-model", rag("--text", question, *local), own_cache(stub("slow")),
             sigint="model", expect=interrupted, timeout_s=120),
        Case("audiorag-no-arguments", rag(), expect=refused("question")),
        Case("audiorag-empty-question", rag("--text", ""), expect=refused("empty")),
        Case("audiorag-long-question", rag("--text", "why " * (LONG // 4)), expect=refused("2,000")),
        Case("audiorag-docs-dir-missing", rag("--text", question, "--search-backend", "local", "--docs-dir",
                                              "/nonexistent-probe"), unreachable, expect=refused("does not exist")),
        Case("audiorag-docs-dir-empty", rag("--text", question, "--search-backend", "local", "--docs-dir",
                                            lambda env: str(env.inputs)), unreachable, expect=refused("no documents")),
        Case("audiorag-brave-without-key", rag("--text", question, "--search-backend", "brave"), unreachable,
             expect=refused("key")),
        Case("audiorag-env-search-backend-bogus", rag("--text", question),
             lambda env: {**unreachable(env), "GO_SEARCH_BACKEND": "bogus"}, expect=refused("search_backend")),
    ]
    clips = {
        "missing": (lambda env: [], lambda env: str(env.inputs / "missing.wav")),
        "text-file": file_input("clip.wav", "this is not audio"),
        "dev-zero": (lambda env: [], lambda env: "/dev/zero"),
        "folder": file_input("clip", folder=True),
        "fifo": file_input("clip.mp3", fifo=True),
    }
    for label, (prepare, path) in clips.items():
        cases.append(Case(f"audiorag-clip-{label}", rag(path, question, *local), unreachable, prepare,
                          expect=refused("audio", "clip", "read"), timeout_s=60))
    return cases


def fetch_cases() -> list[Case]:
    metadata = {
        "i2-fetch-mapped-metadata-private-on": "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "i2-fetch-mapped-alibaba-private-on": "http://[::ffff:100.100.100.200]/latest/meta-data/",
        "fetch-metadata-private-on": "http://169.254.169.254/latest/meta-data/",
        "fetch-metadata-decimal-private-on": "http://2852039166/latest/meta-data/",
        "fetch-metadata-hex-private-on": "http://0xa9.0xfe.0xa9.0xfe/",
        "fetch-metadata-aws-ipv6-private-on": "http://[fd00:ec2::254]/latest/meta-data/",
        "fetch-metadata-name-private-on": "http://metadata.google.internal/computeMetadata/v1/",
        "fetch-mapped-metadata-hex-private-on": "http://[::ffff:a9fe:a9fe]/",
        "fetch-nat64-metadata-private-on": "http://[64:ff9b::a9fe:a9fe]/",
    }
    cases = [Case(name, call("fetch", url, "private"), expect=exits(0)) for name, url in metadata.items()]
    via_web = {
        "i2-fetch-redirect-to-mapped-metadata": ("/to-mapped-metadata", "private", ()),
        "i2-fetch-redirect-to-mapped-alibaba": ("/to-mapped-alibaba", "private", ()),
        "fetch-redirect-to-metadata": ("/to-metadata", "private", ()),
        "fetch-redirect-to-private-decoy": ("/to-decoy", "loopback-1", ("127.0.0.2",)),
        "fetch-redirect-to-file": ("/to-file", "private", ()),
        "fetch-redirect-loop": ("/loop", "private", ()),
        "fetch-huge-page": ("/huge", "private", ()),
        "fetch-endless-page": ("/endless", "private", ()),
        "fetch-drip-page": ("/drip", "private", ()),
        "fetch-stalled-page": ("/stall", "private", ()),
        "fetch-gzip-bomb": ("/gzip-bomb", "private", ()),
        "fetch-deeply-nested-html": ("/deep", "private", ()),
        "fetch-binary-page": ("/binary", "private", ()),
        "fetch-unknown-charset": ("/bad-charset", "private", ()),
    }
    for name, (page, policy, hosts) in via_web.items():
        cases.append(Case(name, call("fetch", lambda env, page=page: env.web.url(page), policy), refuse=hosts,
                          expect=exits(0), timeout_s=60))
    private_off = {
        "fetch-loopback-private-off": "http://127.0.0.2:{port}/secret",
        "fetch-loopback-octal-private-off": "http://0177.0.0.2:{port}/secret",
        "fetch-loopback-decimal-private-off": "http://2130706434:{port}/secret",
        "fetch-localhost-dot-private-off": "http://localhost.:{port}/secret",
        "fetch-ipv6-loopback-private-off": "http://[::1]:{port}/secret",
        "fetch-zero-address-private-off": "http://0.0.0.0:{port}/secret",
        "fetch-credentials-in-url-private-off": "http://user:pass@127.0.0.2:{port}/secret",
        "fetch-file-scheme": "file:///etc/passwd",
        "fetch-ftp-scheme": "ftp://127.0.0.2:{port}/secret",
        "fetch-very-long-url": "http://example.invalid/" + "a" * LONG,
    }
    for name, url in private_off.items():
        cases.append(Case(name, call("fetch", lambda env, url=url: url.format(port=env.decoy.port), "closed"),
                          refuse=("127.0.0.2", "0.0.0.0", "::1", "127.0.0.1"), expect=exits(0)))
    cases.append(Case("i13-exemplar-index-built-by-four-processes", call("exemplar-index", lambda env: str(env.root)),
                      parallel=4, timeout_s=240, expect=exits(0)))
    return cases


def embedded_cases() -> list[Case]:
    """Cases that need the embedded model's weights (installed packages; the first run assembles the GGUF)."""
    return [
        Case("i7-game-ctrl-c-while-the-model-loads", cli("gamegrammar", THEME, "--out", root, "--runs",
                                                         lambda env: str(env.root / "runs.sqlite")),
             sigint=6.0, expect=interrupted, timeout_s=180, embedded=True),
        Case("i7-compose-ctrl-c-while-the-model-loads", cli("compose", COMPOSE_REQUEST, "--root", root, "--no-audio"),
             sigint=6.0, expect=interrupted, timeout_s=180, embedded=True),
        Case("i3-audiorag-injection-embedded-model", cli("audiorag", "--text", "Who composed the Moonlight Sonata?",
                                                         "--search-backend", "local", "--docs-dir", str(DOCS)),
             expect=exits(0, 1, never="Mozart"), timeout_s=600, embedded=True),
    ]


def all_cases(embedded: bool) -> list[Case]:
    cases = game_cases() + compose_cases() + audiorag_cases() + fetch_cases()
    return cases + embedded_cases() if embedded else cases


# --- checks run in a child process (`--call NAME ARGS`) -------------------------------------------------------

def check_fetch(url: str, policy: str) -> int:
    """Fetch `url` under a policy; any typed refusal or error is a clean result (exit 0), a traceback is not.
    `private` opens private networks, `loopback-1` opens 127.0.0.1 only, `closed` opens nothing."""
    from tools.base import ToolError
    from tools.settings import Settings
    from tools.web.fetch import fetch_page

    settings = Settings(allow_private_fetch=policy == "private", fetch_timeout_s=5, fetch_max_bytes=2_000_000)
    networks = ["127.0.0.1/32"] if policy == "loopback-1" else []
    try:
        page = fetch_page(url, settings, allowed_networks=networks)
    except ToolError as exc:
        print(f"refused: {type(exc).__name__}: {exc}"[:300])
        return 0
    print(f"fetched {page.url}: {len(page.text)} characters, truncated={page.truncated}")
    return 0


def check_exemplar_index(folder: str) -> int:
    """Open (and on a fresh folder, build) the exemplar index and search it once."""
    from retrieval.store import ExemplarStore

    found = ExemplarStore(path=Path(folder) / "chroma").search("tea merchants", k=3)
    print(f"{len(found)} exemplars")
    return 0


CALLS: dict[str, Callable[..., int]] = {"fetch": check_fetch, "exemplar-index": check_exemplar_index}


# --- the warm interpreter cases fork from ------------------------------------------------------------------

WARM_MODULES = ("pipelines.gamegrammar", "pipelines.compose", "pipelines.audiorag", "tools.web.fetch",
                "retrieval.store")


def serve_forks() -> int:
    """`--zygote`: import the pipelines once, then fork one child per request line (JSON: argv, env, cwd, log)
    and report `started <id> <pid>` and `exited <pid> <returncode>`. Importing takes most of a short CLI run's
    time on two cores; forking a warm, single-threaded interpreter keeps a hundred cases within minutes. A case
    runs as `python -m` would run it (`runpy`, `sys.argv`, its own session, environment, folder and limits),
    except that the interpreter's shutdown is skipped (`os._exit`)."""
    import importlib
    import select

    for module in WARM_MODULES:
        importlib.import_module(module)
    print("ready", flush=True)
    while True:
        for pid, code in _reaped():
            print(f"exited {pid} {code}", flush=True)
        if not select.select([sys.stdin], [], [], 0.05)[0]:
            continue
        line = sys.stdin.readline()
        if not line:
            return 0
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_forked(request)
        print(f"started {request['id']} {pid}", flush=True)


def _reaped() -> Iterator[tuple[int, int]]:
    """Children that have ended, with a return code as `subprocess` gives it (negative: killed by that signal)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        yield pid, (-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


def _run_forked(request: dict[str, Any]) -> None:
    """The child's side: become the case's process, run it, and leave without returning to the loop."""
    import runpy
    import traceback
    import warnings

    import sitecustomize

    os.setsid()
    _limits()
    output = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sitecustomize.install(request["env"]["GO_PROBE_CONNECT_LOG"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    argv = request["argv"]
    code: int = 0
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            warnings.filterwarnings("ignore", "'pipelines", RuntimeWarning)  # runpy: the module is already imported
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            code = CALLS[argv[2]](*argv[3:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class Running:
    """A case's process: a `Popen`, or a child of the warm interpreter (`Forked`)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None:
        raise NotImplementedError

    def wait(self) -> int:
        while (code := self.poll()) is None:
            time.sleep(0.05)
        return code


class Forked(Running):
    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote, self.pid, self.returncode = zygote, pid, None

    def poll(self) -> int | None:
        self.returncode = self.zygote.exits.get(self.pid)
        return self.returncode


class Zygote:
    """The probe's side of `serve_forks`: spawn a case, learn its pid and, later, its exit code."""

    def __init__(self, log: Path) -> None:
        with open(log, "wb") as errors:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--zygote"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=errors, text=True, bufsize=1,
                env={**{k: v for k, v in os.environ.items() if not k.startswith("GO_")},
                     "PYTHONPATH": os.pathsep.join([str(SITE), str(REPO)]), "OMP_NUM_THREADS": "1"})
        assert self.process.stdout and self.process.stdin
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit(f"The warm interpreter did not start; see {log}.")
        self.exits: dict[int, int] = {}
        self.pids: dict[int, int] = {}
        self.lock = threading.Lock()
        self.started = threading.Condition(self.lock)
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            kind, first, second = line.split()
            with self.lock:
                if kind == "started":
                    self.pids[int(first)] = int(second)
                    self.started.notify_all()
                else:
                    self.exits[int(first)] = int(second)

    def spawn(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Forked:
        assert self.process.stdin
        with self.lock:
            self.next_id += 1
            request_id = self.next_id
            self.process.stdin.write(json.dumps({"id": request_id, "argv": argv, "env": env, "cwd": str(cwd),
                                                 "log": str(log)}) + "\n")
            self.process.stdin.flush()
            self.started.wait_for(lambda: request_id in self.pids, timeout=30)
            return Forked(self, self.pids[request_id])

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(10)


# --- running and classifying ---------------------------------------------------------------------------------

@dataclass
class Result:
    case: str
    outcome: str
    detail: str
    wall_s: float
    output_tail: str = ""


def digest(paths: list[Path]) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing" for path in paths}


def _limits() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


@contextmanager
def busy_cores(active: bool) -> Iterator[None]:
    """Two processes spinning for the duration: a loaded machine."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 if active else 0)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def _environment(case: Case, env: Env) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GO_")}
    if not case.embedded:
        environment["GO_CACHE_DIR"] = str(env.cache)
    environment.update({
        "PYTHONPATH": os.pathsep.join([str(SITE), str(REPO)]), "GO_PROBE_CONNECT_LOG": str(env.folder / "connects"),
        "GO_MAX_RETRIES": "0", "GO_REQUEST_TIMEOUT_S": "90", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
        "COLUMNS": "160", **case.env(env)})
    return environment


def _start(case: Case, env: Env, log: Path, zygote: Zygote) -> Running:
    argv, environment = case.argv(env), _environment(case, env)
    if case.fresh or case.embedded:
        with open(log, "wb") as output:
            return subprocess.Popen([sys.executable, *argv], cwd=env.root, env=environment, stdout=output,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=_limits)
    return zygote.spawn(argv, environment, env.root, log)


def _wait(process: Running, case: Case, env: Env, started: float) -> tuple[bool, bool]:
    """Wait for the process, pressing Ctrl-C when the case says; (hung, interrupted)."""
    sent_at: float | None = None
    while process.poll() is None:
        now = time.monotonic()
        due = (case.sigint == "model" and env.model.requests.get(env.name)) or (
            isinstance(case.sigint, float) and now - started >= case.sigint)
        if sent_at is None and due:
            if case.sigint == "model":
                time.sleep(1.0)
            os.killpg(process.pid, signal.SIGINT)
            sent_at = time.monotonic()
        if (sent_at is not None and time.monotonic() - sent_at > SIGINT_GRACE_S) or now - started > case.timeout_s:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True, sent_at is not None
        time.sleep(0.1)
    return False, sent_at is not None


def _outside(env: Env) -> list[str]:
    """Entries the case wrote into its folder outside `root` (the folder holds only root, input, logs)."""
    return sorted(entry.name for entry in env.folder.iterdir() if entry.name not in ("root", "input", "connects"))


def _refused_connections(env: Env, case: Case) -> list[str]:
    log = env.folder / "connects"
    if not log.exists():
        return []
    from importlib import util

    spec = util.spec_from_file_location("probe_site", SITE / "sitecustomize.py")
    assert spec and spec.loader
    site = util.module_from_spec(spec)
    spec.loader.exec_module(site)
    hits = []
    for line in log.read_text().splitlines():
        host = line.rsplit(" ", 1)[0]
        bare = host.removeprefix("::ffff:")
        if site.trapped(host) or bare in case.refuse or host in case.refuse:
            hits.append(line)
    return sorted(set(hits))


def run_case(case: Case, env: Env, logs: Path, zygote: Zygote) -> Result:
    env.root.mkdir(parents=True, exist_ok=True)
    env.inputs.mkdir(parents=True, exist_ok=True)
    protected = case.prepare(env)
    before = digest(protected)
    log = logs / case.name
    started = time.monotonic()
    with busy_cores(case.load):
        processes = [_start(case, env, log.with_suffix(f".{copy}.log"), zygote) for copy in range(case.parallel)]
        waits = [_wait(process, case, env, started) for process in processes]
    wall = time.monotonic() - started
    outputs = [log.with_suffix(f".{copy}.log").read_text(errors="replace") for copy in range(case.parallel)]
    outcomes = [Outcome(process.returncode, output, wall, interrupted)
                for process, output, (_, interrupted) in zip(processes, outputs, waits, strict=True)]
    tail = outputs[0][-1500:]

    def result(outcome: str, detail: str) -> Result:
        return Result(case.name, outcome, detail, round(wall, 1), tail)

    outside, connections = _outside(env), _refused_connections(env, case)
    if outside or connections:
        return result("vulnerable", f"wrote outside its root: {outside}" if outside else
                      f"connected to refused addresses: {connections}")
    changed = [str(path.relative_to(env.folder)) for path, sha in digest(protected).items() if before[path] != sha]
    if changed:
        return result("data loss", f"an earlier run's files changed: {changed}")
    for hung, interrupted in waits:
        if hung:
            when = "10 s after Ctrl-C" if interrupted else f"at {case.timeout_s:.0f} s"
            return result("hang", f"still running {when}")
    for outcome in outcomes:
        match = TRACEBACK.search(outcome.output)
        if match or (outcome.rc is not None and outcome.rc < 0):
            last = [line for line in outcome.output.strip().splitlines() if line.strip()][-1:] or [""]
            return result("traceback", f"{match.group(0) if match else f'killed by signal {-outcome.rc}'}: "
                          f"{last[0][:160]}")
    if case.name.startswith("i3-") and (reason := injection_leak(env)):
        return result("vulnerable", reason)
    for outcome in outcomes:
        if reason := case.expect(env, outcome):
            return result("wrong", reason)
    return result("clean", "")


CHAT_TOKENS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "[INST]", "<start_of_turn>",
               "<\uff5cUser\uff5c>", "<<<END SOURCE 1>>>")


def injection_leak(env: Env) -> str | None:
    """Whether a hostile document's text reached the model outside its quoted source, or unneutralised."""
    for body in env.model.requests.get(env.name, []):
        for message in body.get("messages", []):
            content = message.get("content") or ""
            text = content if isinstance(content, str) else json.dumps(content)
            if leaked := [token for token in CHAT_TOKENS if token in text]:
                return f"control tokens reached the model: {leaked}"
            outside = re.sub(r"<<<SOURCE \d+ \[[0-9a-f]+\].*?<<<END SOURCE \d+ \[[0-9a-f]+\]>>>", "", text, flags=re.S)
            if "PAYLOAD-" in outside:
                return "a hostile document's text reached the model outside its quoted source"
    return None


def print_table(results: list[Result], commit: str) -> None:
    counts = {outcome: sum(result.outcome == outcome for result in results) for outcome in OUTCOMES}
    print(f"\nRobustness probe at {commit}: {len(results)} cases")
    print("| tried | " + " | ".join(OUTCOMES) + " |")
    print("|---|" + "---|" * len(OUTCOMES))
    print(f"| {len(results)} | " + " | ".join(str(counts[outcome]) for outcome in OUTCOMES) + " |")
    failing = [result for result in results if result.outcome != "clean"]
    if failing:
        print()
    for result in sorted(failing, key=lambda r: (OUTCOMES.index(r.outcome), r.case)):
        print(f"- {result.outcome}: {result.case} ({result.wall_s:.0f} s): {result.detail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--call", nargs="+", metavar=("CHECK", "ARG"), help=argparse.SUPPRESS)
    parser.add_argument("--zygote", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-k", dest="select", default="", help="only the cases whose name contains this")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--embedded", action="store_true", help="also the cases that need the embedded model")
    parser.add_argument("--json", type=Path, help="write every case's outcome to this file")
    parser.add_argument("--keep", type=Path, help="keep the cases' folders and logs here")
    args = parser.parse_args()
    if args.call:
        return CALLS[args.call[0]](*args.call[1:])
    if args.zygote:
        return serve_forks()
    cases = [case for case in all_cases(args.embedded) if args.select in case.name]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    with ExitStack() as stack:
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="go-probe-")))
        logs = work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        model = ModelStub()
        stack.callback(model.close)
        web = stack.enter_context(ScriptedServer())
        decoy = stack.enter_context(ScriptedServer("127.0.0.2"))
        hostile_pages(web, decoy)
        cache = work / "cache"
        base = Env(work, model, web, decoy, f"http://127.0.0.1:{closed_port()}/v1", cache)
        _prime_cache(cache)
        zygote = Zygote(logs / "zygote.log")
        stack.callback(zygote.close)

        def one(case: Case) -> Result:
            env = Env(work / "cases" / case.name, model, web, decoy, base.unreachable, cache, case.name)
            started = time.monotonic()
            result = run_case(case, env, logs, zygote)
            print(f"{result.outcome:>10}  {case.name} ({time.monotonic() - started:.0f} s)", flush=True)
            return result

        heavy = [case for case in cases if case.load or case.parallel > 1]
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = list(pool.map(one, [case for case in cases if case not in heavy]))
        results += [one(case) for case in heavy]  # alone: they load the machine or race on purpose
    print_table(results, commit)
    if args.json:
        args.json.write_text(json.dumps([result.__dict__ for result in results], indent=2))
    return 0


def _prime_cache(cache: Path) -> None:
    """Build the shared exemplar index once, so cases do not race to build it (that race is a case of its own)."""
    process = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--call", "exemplar-index", str(cache)],
                             env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"},
                             capture_output=True, text=True, timeout=300)
    if process.returncode:
        raise SystemExit(f"Could not build the exemplar index in {cache}:\n{process.stderr[-2000:]}")


if __name__ == "__main__":
    sys.exit(main())
