"""The studio's calls into the pipelines: the same functions, in the same order, as the command lines
(`python -m pipelines.gamegrammar`, `... compose`, `... audiorag`), writing the same files into the
same folders, so a run started in the browser can be resumed, continued or branched from the shell
and the other way round.

Input is checked here before a job is queued (`check_*`), so a bad theme is refused on the form,
not minutes later; the `run_*` functions are the jobs' work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agents.lm.errors import ModelError
from ontology.music_drafts import facts_from_request
from pipelines.audiorag import ask, clean_question
from pipelines.checkpoints import RunError, checked_run_id, holding_run, new_run_id, open_checkpointer
from pipelines.compose import DEFAULT_ROOT, ComposeSessions, default_tools
from pipelines.compose_graph import ComposeConfig
from pipelines.gamegrammar import DEFAULT_OUT, DEFAULT_RUNS, game_runs, start_state, write_run
from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarState
from pipelines.pipeline import Progress
from retrieval.store import ExemplarStore
from tools.base import ToolError
from tools.files import write_atomically
from tools.music.section_tools import SectionTools
from tools.settings import Settings

GAMES = DEFAULT_OUT.name  # out/gamegrammar, as the CLI
SESSIONS = DEFAULT_ROOT.name  # out/compose
ANSWERS = "audiorag"  # out/audiorag/<id>/: the clip and answer.json
RUNS_FILE = DEFAULT_RUNS.name
ANSWER_FILE = "answer.json"
TOKEN_BUDGET = 12_000  # completion tokens of one design, the CLI's --token-budget default


def explain(exc: Exception) -> str:
    """The line a failed job shows: the pipeline's own message for the errors it raises on purpose."""
    if isinstance(exc, RunError | ModelError | ToolError | ValueError | OSError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Studio:
    """Where the studio keeps its files, and what its runs use. `out` is the output folder every
    request stays inside; the defaults are the command lines' (the exemplar store in the cache,
    the neural section writers); tests give scripted or small ones."""

    out: Path
    settings: Settings
    exemplars: ExemplarStore | None = None
    section_tools: Callable[[Settings], SectionTools] = default_tools
    game_config: GameGrammarConfig = field(default_factory=GameGrammarConfig)
    compose_config: ComposeConfig = field(default_factory=ComposeConfig)

    @property
    def games(self) -> Path:
        return self.out / GAMES

    @property
    def sessions(self) -> Path:
        return self.out / SESSIONS

    @property
    def answers(self) -> Path:
        return self.out / ANSWERS

    # --- GameGrammar -------------------------------------------------------------------------

    def check_design(self, theme: str, players: int | None, constraints: str) -> GameGrammarState:
        """The run's first state, or the pipeline's `InvalidThemeError`."""
        return start_state(theme, players=players, constraints=constraints)

    def run_design(self, state: GameGrammarState, invent_rules: bool, progress: Progress) -> str:
        """A new run into `games/<run>/` (checkpointed in `games/runs.sqlite`, as the CLI's branches
        are laid out); returns the run's folder name."""
        run_id = new_run_id()
        out = self.games / run_id
        config = self.game_config.model_copy(update={"proven_engines": not invent_rules})
        with holding_run(self.games, run_id), open_checkpointer(self.games / RUNS_FILE, GameGrammarState) as saver:
            runs = game_runs(self.settings, saver, token_budget=TOKEN_BUDGET, store=self.exemplars, config=config,
                             progress=progress)
            result = runs.start(run_id, state, out=out)
            write_run(out, result.design, result.report)
        if result.design is None:
            raise RunError(f"The run stopped before a complete design: {result.report.status}. "
                           f"Its report is {out / f'report-{run_id}.incomplete.json'}; "
                           f"python -m pipelines.gamegrammar resume {run_id} --runs {self.games / RUNS_FILE}")
        return run_id

    # --- composition sessions ----------------------------------------------------------------

    def check_request(self, request: str) -> None:
        facts_from_request(request)

    def _sessions(self, progress: Progress) -> ComposeSessions:
        return ComposeSessions(self.sessions, self.section_tools(self.settings), settings=self.settings,
                               config=self.compose_config, progress=progress)

    def run_compose(self, request: str, progress: Progress) -> str:
        sessions = self._sessions(progress)
        try:
            session, _ = sessions.start(request)
        finally:
            sessions.close()
        return session

    def run_feedback(self, session: str, feedback: str, progress: Progress) -> str:
        sessions = self._sessions(progress)
        try:
            sessions.continue_with(checked_run_id(session), feedback)
        finally:
            sessions.close()
        return session

    def run_branch(self, session: str, feedback: str | None, progress: Progress) -> str:
        sessions = self._sessions(progress)
        try:
            branch, _ = sessions.branch(checked_run_id(session), feedback or None)
        finally:
            sessions.close()
        return branch

    # --- AudioRAG ----------------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        return clean_question(question)

    def keep_clip(self, answer_id: str, suffix: str, data: bytes) -> Path:
        """The uploaded clip, kept in the answer's folder (the answer's source, shown beside it)."""
        write_atomically(self.answers / answer_id, {f"clip{suffix}": data})
        return self.answers / answer_id / f"clip{suffix}"

    def run_ask(self, answer_id: str, question: str, clip: Path | None, progress: Progress) -> str:
        """Ask as `python -m pipelines.audiorag clip question --json answers/<id>/answer.json` does."""
        result = ask(question, clip, self.settings, progress=progress)
        write_atomically(self.answers / answer_id, {ANSWER_FILE: result.model_dump_json(indent=2)})
        return answer_id
