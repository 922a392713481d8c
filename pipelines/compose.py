"""Composition sessions: a request in, a piece out (MIDI, MusicXML, WAV, score and piano roll),
then more turns of feedback on the same session.

    python -m pipelines.compose "a melancholic chorale for a winter evening, D minor, 16 bars"
    python -m pipelines.compose continue SESSION "darker cadence, shorter second phrase"
    python -m pipelines.compose resume SESSION        # after a crash or Ctrl-C: go on from the last step
    python -m pipelines.compose branch SESSION "try it faster"   # a new session from SESSION's state
    python -m pipelines.compose show SESSION

Each session lives in `--root` (default `out/compose`): `sessions.sqlite` holds every step's
checkpoint, `<session>/v<N>/` each rendered version with `report.json`. One process at a time works
on a session (`.locks/<session>.lock`); a second gets a "session ... is in use" error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
import uuid
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

import dspy
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agents.lm.errors import ModelError
from agents.lm.factory import build_lm
from agents.lm.usage import UsageLedger
from ontology.music_drafts import MusicRequestError, facts_from_request
from pipelines.checkpoints import (
    RUN_ID_MAX_CHARS,
    RunError,
    checked_run_id,
    copy_thread,
    holding_run,
    new_run_id,
    open_checkpointer,
    read_snapshot,
    thread_config,
)
from pipelines.compose_graph import ComposeConfig, ComposeDeps, ComposeState, Run, build_graph
from pipelines.pipeline import Progress, log_progress
from tools.base import ToolError
from tools.cli import checked_seed, print_error
from tools.files import OutputLocationError, checked_output_folder, naming, write_atomically
from tools.music.section_tools import SectionTools
from tools.settings import Settings

DEFAULT_ROOT = Path("out/compose")


class SessionError(RunError):
    """A session command that cannot run as asked (unknown id, unfinished step, ...). A session id
    that is not a plain name raises the `InvalidRunIdError` of `checked_run_id`, also a `RunError`."""


class ComposeSessions:
    """The sessions in one folder: start, continue, resume, branch and inspect them."""

    def __init__(self, root: Path, tools: SectionTools, *, settings: Settings | None = None,
                 config: ComposeConfig | None = None, progress: Progress | None = None,
                 lm: Any = None) -> None:
        self.root = root
        self.settings = settings or Settings.from_env()
        self._lm = lm
        self.ledger: UsageLedger = lm.ledger if lm is not None else UsageLedger()
        self._resources = ExitStack()
        saver = self._resources.enter_context(open_checkpointer(root / "sessions.sqlite", ComposeState))
        deps = ComposeDeps(tools, self._version_dir_factory, config or ComposeConfig(), progress or log_progress)
        self.graph = build_graph(deps, checkpointer=saver)
        self._session: str | None = None

    def close(self) -> None:
        """Close the checkpoint file."""
        self._resources.close()

    def _version_dir_factory(self, version: int) -> Path:
        assert self._session is not None
        return self.root / self._session / f"v{version}"

    def _holding(self, session: str) -> AbstractContextManager[None]:
        """The session's lock, held while a command reads its state and writes its next steps."""
        return holding_run(self.root, session, "session")

    def _lm_for(self, seed: int):
        if self._lm is None:
            self._lm = build_lm(self.settings, ledger=self.ledger, seed=seed)
        return self._lm

    def _snapshot(self, session: str) -> tuple[ComposeState, str | None]:
        snapshot = read_snapshot(self.graph, checked_run_id(session))
        if snapshot is None:
            raise SessionError(f"No session {session!r} in {self.root}.")
        return ComposeState.model_validate(snapshot.values), (snapshot.next[0] if snapshot.interrupted else None)

    def state(self, session: str) -> ComposeState:
        """The session as its last finished step left it."""
        return self._snapshot(session)[0]

    def next_step(self, session: str) -> str | None:
        """The step an interrupted session stopped in (`resume` runs it), or None when it is at rest."""
        return self._snapshot(session)[1]

    def _run(self, session: str, payload: dict[str, Any] | None, command: str, *, seed: int) -> ComposeState:
        self._session = session
        started = time.perf_counter()
        before = len(self.ledger.records)
        with dspy.context(lm=self._lm_for(seed)):
            self.graph.invoke(payload, thread_config(session), durability="sync")  # a kill loses no step
        records = self.ledger.records[before:]
        run = Run(command=command, wall_s=round(time.perf_counter() - started, 1), model_calls=len(records),
                  prompt_tokens=sum(r.prompt_tokens for r in records),
                  cached_prompt_tokens=sum(r.cached_prompt_tokens for r in records),
                  completion_tokens=sum(r.completion_tokens for r in records), calls=records)
        self.graph.update_state(thread_config(session), {"runs": self.state(session).runs + [run]})
        final = self.state(session)
        self._write_report(session, final)
        return final

    def start(self, request: str, *, seed: int = 0, session: str | None = None) -> tuple[str, ComposeState]:
        session = checked_run_id(new_run_id() if session is None else session)  # an empty id is refused
        facts = facts_from_request(request)
        with self._holding(session):
            if read_snapshot(self.graph, session) is not None:
                raise SessionError(f"Session {session!r} exists; continue it or choose another id.")
            return session, self._run(session, {"facts": facts, "seed": seed}, "start", seed=seed)

    def continue_with(self, session: str, feedback: str) -> ComposeState:
        with self._holding(session):
            state, stopped_in = self._snapshot(session)
            if stopped_in:
                raise SessionError(f"Session {session} stopped during '{stopped_in}'; run `resume {session}` first.")
            feedback = " ".join((feedback or "").split())
            if not feedback or len(feedback) > 2000:
                raise SessionError("Feedback must be 1-2,000 characters, e.g. 'darker cadence, shorter second phrase'.")
            return self._run(session, {"pending_feedback": feedback}, f"continue: {feedback}", seed=state.seed)

    def resume(self, session: str) -> ComposeState:
        with self._holding(session):
            state, stopped_in = self._snapshot(session)
            if not stopped_in:
                raise SessionError(f"Session {session} is not interrupted; continue it with feedback instead.")
            return self._run(session, None, "resume", seed=state.seed)

    def branch(self, session: str, feedback: str | None = None) -> tuple[str, ComposeState]:
        """A new session that starts from `session`'s latest state (and optionally new feedback);
        `session` is held while its state is copied, the branch while its feedback runs."""
        branch = f"{session[:RUN_ID_MAX_CHARS - 6]}-b{uuid.uuid4().hex[:4]}"  # a plain name too, at most 64
        with self._holding(session):
            if self.next_step(session):
                raise SessionError(f"Session {session} is interrupted; resume it before branching.")
            copy_thread(self.graph, session, branch, as_node="render", update={"branched_from": session})
        if feedback:
            return branch, self.continue_with(branch, feedback)
        self._session = branch
        return branch, self.state(branch)

    def _write_report(self, session: str, state: ComposeState) -> None:
        if not state.version:
            return
        report = {
            "session": session,
            "branched_from": state.branched_from,
            "version": state.version,
            "request": state.facts.text,
            "facts": state.facts.model_dump(mode="json"),
            "plan": state.plan.model_dump(mode="json") if state.plan else None,
            "sections": {sid: params.model_dump(mode="json", exclude={"material"})
                         for sid, params in state.sections.items()},
            "findings": [finding.model_dump(mode="json") for finding in state.findings],
            "changes": [change.model_dump(mode="json") for change in state.changes],
            "feedback": state.feedback,
            "tool_calls": [call.model_dump(mode="json") for call in state.tool_calls],
            "runs": [run.model_dump(mode="json") for run in state.runs],
            "files": state.rendered.model_dump(mode="json", exclude_none=True) if state.rendered else None,
        }
        folder = self.root / session / f"v{state.version}"
        write_atomically(folder, {"report.json": json.dumps(report, indent=2)})


def default_tools(settings: Settings) -> SectionTools:
    from tools.music.neural_sections import NeuralSectionTools

    return NeuralSectionTools(settings)


def failure_message(exc: Exception) -> str:
    """How a session step that failed is reported: which kind of part failed, and its own words."""
    kind = "model" if isinstance(exc, ModelError) else "tool" if isinstance(exc, ToolError) else "step"
    return f"a {kind} failed: {type(exc).__name__}: {exc}"


def _summary(console: Console, session: str, state: ComposeState) -> None:
    table = Table(title=f"session {session} — version {state.version}")
    table.add_column("what")
    table.add_column("value")
    if state.piece is not None:  # the piece as planned and fitted (style, meter, sections), not the raw plan
        piece = state.piece
        described = f"{piece.title} ({piece.style}, {piece.key}, {piece.meter}, {piece.tempo_bpm} bpm)"
        table.add_row("piece", escape(described))
        sections = ", ".join(f"{section.label} ({section.bars})" for section in piece.sections)
        table.add_row("sections", escape(sections))
    table.add_row("findings", ", ".join(finding.code for finding in state.findings) or "none")
    table.add_row("tool calls", str(len(state.tool_calls)))
    for name, path in (state.rendered.model_dump(exclude_none=True) if state.rendered else {}).items():
        table.add_row(name, str(path))
    console.print(table)


def _has_saved_step(sessions: ComposeSessions, session: str) -> bool:
    """Whether `session` stopped inside a step that `resume` can go on from: after a failure the
    user is told to resume only a session that exists and is interrupted."""
    try:
        return sessions.next_step(session) is not None
    except (RunError, sqlite3.Error):  # no such session, or its checkpoint file cannot be read
        return False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    console = Console(stderr=True)
    commands = {"continue", "resume", "branch", "show"}
    parser = argparse.ArgumentParser(prog="python -m pipelines.compose", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if argv[:1] and argv[0] in commands:
        parser.add_argument("command", choices=sorted(commands))
        parser.add_argument("session")
        parser.add_argument("text", nargs="?", help="feedback (continue, branch)")
    else:
        parser.add_argument("request", help="what to compose, e.g. 'a waltz in G major, 16 bars'")
        parser.add_argument("--seed", type=checked_seed, default=0)
        parser.add_argument("--session", help="an id for the new session (default: random)")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="where sessions and files live")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    parser.add_argument("--no-audio", action="store_true", help="skip the FluidSynth WAV")
    parser.add_argument("--no-critique", action="store_true", help="skip the critics' pass on the first draft")
    parser.add_argument("--verify-weights", action="store_true", default=None,
                        help="hash the embedded weights even if checked within the day (GO_VERIFY_WEIGHTS=1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    command = getattr(args, "command", "start")
    if command == "start" and args.session is None:
        args.session = new_run_id()
    started = False  # whether the session has a saved step that `resume` could go on from
    try:
        checked_run_id(args.session)  # refuse ids that are not plain names and impossible requests
        if command == "start":  # before any model loads
            facts_from_request(args.request)
        with naming("--root"):
            checked_output_folder(args.root)
        settings = Settings.from_env(model=args.model, verify_weights=args.verify_weights).with_checked_cache()
        config = ComposeConfig(audio=not args.no_audio, critique=not args.no_critique)
        with console.status("Starting...") as status:
            sessions = ComposeSessions(args.root, default_tools(settings), settings=settings, config=config,
                                       progress=lambda message: status.update(message))
            try:
                if command == "start":
                    session, state = sessions.start(args.request, seed=args.seed, session=args.session)
                elif command == "continue":
                    session, state = args.session, sessions.continue_with(args.session, args.text or "")
                elif command == "resume":
                    session, state = args.session, sessions.resume(args.session)
                elif command == "branch":
                    session, state = sessions.branch(args.session, args.text)
                else:
                    session, state = args.session, sessions.state(args.session)
            except Exception:
                started = _has_saved_step(sessions, args.session)
                raise
            finally:
                sessions.close()
    except (MusicRequestError, RunError, OutputLocationError) as exc:
        print_error(console, str(exc))
        return 2
    except Exception as exc:  # a model or tool failed mid-session: the finished steps are saved
        logging.getLogger(__name__).debug("session step failed", exc_info=True)
        print_error(console, failure_message(exc))
        if started:
            console.print(f"Session {args.session} keeps every finished step; after fixing the cause, "
                          f"`python -m pipelines.compose resume {args.session}` goes on from the step that failed.")
        else:
            console.print("No new step was saved; after fixing the cause, run the same command again.")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; the session keeps its finished steps (use `resume`)[/yellow]")
        return 130
    _summary(console, session, state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
