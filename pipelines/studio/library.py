"""Past runs, sessions and answers, read from the files the pipelines wrote: the output folder is the
studio's only record, so what the command lines made is listed too, and nothing is lost when the
server stops.

Layout (the command lines'): `gamegrammar/report.json` (the CLI's default folder) and
`gamegrammar/<run>/report.json` with `design.json`, `rulebook.md`, `playtest.png`;
`compose/<session>/v<N>/report.json` with `score.png`, `piece.wav`, ...; `audiorag/<id>/answer.json`
beside its clip. A file that cannot be read as JSON is skipped with a warning, never a failed page.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from pipelines.studio.safety import AUDIO_SUFFIXES, StudioInputError, inside

logger = logging.getLogger(__name__)

VERSION_FILES = {"score": "score.png", "audio": "piece.wav", "roll": "piano-roll.png", "midi": "piece.mid",
                 "musicxml": "piece.musicxml", "report": "report.json"}

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML in a rulebook is shown as text


def _json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("skipping %s: %s", path, exc)
        return None
    return value if isinstance(value, dict) else None


def _url(out: Path, path: Path) -> str:
    """The `/files/...` address of a file under the output folder."""
    return "/files/" + path.resolve().relative_to(out.resolve()).as_posix()


@dataclass(frozen=True)
class GameRun:
    folder: str  # relative to the games folder; "" is the CLI's default folder itself
    run: str
    title: str
    theme: str
    status: str
    modified: float


@dataclass(frozen=True)
class GameView:
    run: GameRun
    report: dict[str, Any]
    design: dict[str, Any]
    rulebook_html: str
    chart: str | None
    files: dict[str, str]


def game_runs(games: Path) -> list[GameRun]:
    """Every finished run's folder under `games`, newest first."""
    found = []
    for report_path in [games / "report.json", *sorted(games.glob("*/report.json"))]:
        run = _game_run(games, report_path)
        if run is not None:
            found.append(run)
    return sorted(found, key=lambda run: run.modified, reverse=True)


def _game_run(games: Path, report_path: Path) -> GameRun | None:
    report = _json(report_path) if report_path.is_file() else None
    if report is None:
        return None
    design = _json(report_path.with_name("design.json")) or {}
    folder = report_path.parent.relative_to(games).as_posix()
    return GameRun(folder="" if folder == "." else folder, run=str(report.get("run", "")),
                   title=str(design.get("title", "(no design)")), theme=str(report.get("theme", "")),
                   status=str(report.get("status", "")), modified=report_path.stat().st_mtime)


def game_view(out: Path, games: Path, folder: str) -> GameView:
    """One run's design, report, rendered rulebook and chart; `folder` comes from the request."""
    path = inside(games, folder)
    run = _game_run(games, path / "report.json")
    design = _json(path / "design.json")
    if run is None or design is None:
        raise StudioInputError(f"No finished design in {folder or 'the default folder'!r}; pick one from the list.",
                               404)
    rulebook = path / "rulebook.md"
    html = _markdown.render(rulebook.read_text(encoding="utf-8")) if rulebook.is_file() else ""
    chart = path / "playtest.png"
    files = {name: _url(out, path / name) for name in ("design.json", "report.json", "rulebook.md")
             if (path / name).is_file()}
    return GameView(run, _json(path / "report.json") or {}, design, html,
                    _url(out, chart) if chart.is_file() else None, files)


@dataclass(frozen=True)
class Version:
    number: int
    report: dict[str, Any]
    piece: dict[str, Any]  # piece.json: the piece as written (feedback may have changed the plan's tempo, lengths)
    files: dict[str, str] = field(default_factory=dict)  # kind (VERSION_FILES) -> /files/ address


@dataclass(frozen=True)
class Session:
    id: str
    versions: list[Version]
    modified: float

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def title(self) -> str:
        return str(self.latest.piece.get("title") or self.latest.report.get("request", ""))


def sessions(out: Path, root: Path) -> list[Session]:
    """Every session with a rendered version under `root`, most recently changed first."""
    found = [session for folder in sorted(root.glob("*/")) if (session := _session(out, folder)) is not None]
    return sorted(found, key=lambda session: session.modified, reverse=True)


def session(out: Path, root: Path, session_id: str) -> Session:
    found = _session(out, inside(root, session_id))
    if found is None:
        raise StudioInputError(f"No session {session_id!r} with a finished version; pick one from the list.", 404)
    return found


def _session(out: Path, folder: Path) -> Session | None:
    versions = []
    for version_folder in folder.glob("v*/"):
        number = version_folder.name[1:]
        report = _json(version_folder / "report.json") if number.isdigit() else None
        if report is None:
            continue
        files = {kind: _url(out, version_folder / name) for kind, name in VERSION_FILES.items()
                 if (version_folder / name).is_file()}
        versions.append(Version(int(number), report, _json(version_folder / "piece.json") or {}, files))
    if not versions:
        return None
    versions.sort(key=lambda version: version.number)
    modified = max((folder / f"v{v.number}" / "report.json").stat().st_mtime for v in versions)
    return Session(folder.name, versions, modified)


@dataclass(frozen=True)
class Answer:
    id: str
    answer: dict[str, Any]
    clip: str | None  # /files/ address of the uploaded clip
    modified: float


def answers(out: Path, root: Path) -> list[Answer]:
    found = [answer for folder in sorted(root.glob("*/")) if (answer := _answer(out, folder)) is not None]
    return sorted(found, key=lambda answer: answer.modified, reverse=True)


def answer(out: Path, root: Path, answer_id: str) -> Answer:
    found = _answer(out, inside(root, answer_id))
    if found is None:
        raise StudioInputError(f"No answer {answer_id!r}; pick one from the list.", 404)
    return found


def _answer(out: Path, folder: Path) -> Answer | None:
    path = folder / "answer.json"
    value = _json(path) if path.is_file() else None
    if value is None:
        return None
    clips = [clip for clip in folder.glob("clip.*") if clip.suffix.lower() in AUDIO_SUFFIXES]
    return Answer(folder.name, value, _url(out, clips[0]) if clips else None, path.stat().st_mtime)
