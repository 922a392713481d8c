"""GameGrammar: a theme in, a complete, validated tabletop game design out.

    python -m pipelines.gamegrammar "bioluminescent fungi competing in a cave ecosystem"
    python -m pipelines.gamegrammar --theme-file theme.txt --players 3 --out designs/fungi --run fungi
    python -m pipelines.gamegrammar "tea ceremony" --model openai/gpt-4o-mini
    python -m pipelines.gamegrammar "tea ceremony" --invent-rules   # no proven engine: the agents write the rules
    python -m pipelines.gamegrammar resume fungi          # after a crash or a kill: go on from its step
    python -m pipelines.gamegrammar "make it cooperative" --from fungi --run fungi-coop   # a revised branch
    python -m pipelines.gamegrammar validate designs/fungi/design.json
    python -m pipelines.gamegrammar playtest designs/fungi/design.json --games 500 --players 3

Writes `design.json` (the ontology instance), `rulebook.md` (with its "Playtested" section),
`playtest.png` and `report.json` (findings, repairs, the playtest's measures beside the Fun Judge's
verdict, tokens and time per agent; for a branch its parent run and what changed) into --out.
These files replace an earlier run's as one set, or not at all; a run that ends with no design
leaves the folder's set alone and writes only `report-<run>.incomplete.json` beside it. Every step
of every run is checkpointed in --runs (default `out/gamegrammar/runs.sqlite`) under the run id
printed at the start; `resume` writes to the --out the run started with, a branch to
`<runs folder>/<branch id>` unless --out is given. One process at a time works on a run
(`<runs folder>/.locks/<run>.lock`); a second gets a "run ... is in use" error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dspy
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, Field, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from agents.game_studio import Engines
from agents.lm.accounted import AccountedLM
from agents.lm.errors import ModelError
from agents.lm.factory import build_lm
from agents.lm.usage import TokenBudget, UsageLedger
from ontology.core import Finding, Severity, errors
from ontology.game import GameDesign
from ontology.game_requests import MAX_PLAYERS, GameRequestError, facts_from_request
from ontology.game_reskin import chosen_engine
from ontology.game_rulebook import render_rulebook, render_section
from ontology.game_validators import validate_design
from pipelines.checkpoints import (
    RunError,
    Snapshot,
    checked_run_id,
    copy_thread,
    holding_run,
    new_run_id,
    open_checkpointer,
    read_snapshot,
    thread_config,
)
from pipelines.gamegrammar_graph import (
    GameGrammarConfig,
    GameGrammarDeps,
    GameGrammarState,
    branch_values,
    build_graph,
)
from pipelines.pipeline import Progress, log_progress
from retrieval.calibration import rank_engines
from retrieval.embeddings import shared_embedder
from retrieval.exemplars import ExemplarGame
from retrieval.store import ExemplarStore, RetrievalConstraints
from tools.cli import checked_seed, print_error
from tools.files import (
    InputFileError,
    OutputLocationError,
    checked_output_file,
    checked_output_folder,
    naming,
    read_text_limited,
    write_atomically,
)
from tools.games.chart import playtest_chart
from tools.games.playtest import PlaytestError, PlaytestReport, playtest
from tools.games.tuning import TuningChange
from tools.settings import Settings

MAX_THEME_CHARS = 10_000
MAX_THEME_FILE_BYTES = 4 * MAX_THEME_CHARS
"""A theme file is read up to this many bytes: a UTF-8 character takes at most four, so no theme
`clean_theme` would accept is cut, and `/dev/zero` is refused after 40 kB, not when memory runs out."""
MAX_DESIGN_FILE_BYTES = 10_000_000
"""The largest design JSON `validate` and `playtest` read; real designs are tens of kilobytes."""
DEFAULT_OUT = Path("out/gamegrammar")
DEFAULT_RUNS = DEFAULT_OUT / "runs.sqlite"
RECURSION_LIMIT = 60
DEFAULT_TOKEN_BUDGET = 12_000
"""Completion tokens one command may spend, unless told otherwise."""


class InvalidThemeError(ValueError):
    """The theme (or a revision request) cannot be designed from; the message says why."""


def _clean_text(text: str, what: str, example: str) -> str:
    if not isinstance(text, str):
        raise InvalidThemeError(f"The {what} must be text.")
    if len(text) > MAX_THEME_CHARS:
        raise InvalidThemeError(
            f"The {what} is {len(text):,} characters; keep it under {MAX_THEME_CHARS:,} (a sentence or two works best)."
        )
    if "\x00" in text or sum(not (ch.isprintable() or ch.isspace()) for ch in text) > len(text) // 10:
        raise InvalidThemeError(f"The {what} does not look like text (binary or control characters).")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidThemeError(f"The {what} is empty; {example}.")
    return cleaned


def clean_theme(theme: str) -> str:
    """The theme with whitespace normalised, or an `InvalidThemeError` a user can act on."""
    return _clean_text(theme, "theme", "describe the game's world in a few words")


def clean_request(request: str) -> str:
    """A branch's revision request, cleaned like a theme."""
    return _clean_text(request, "revision request", "say what to change, e.g. 'make it cooperative'")


class FieldChange(BaseModel):
    """One top-level field of a design that differs from the parent's; for a list of items with
    ids, which ids were added, removed or changed."""

    field: str
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)


def _by_id(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list) and all(isinstance(item, dict) and "id" in item for item in value):
        return {item["id"]: item for item in value}
    return None


def design_diff(parent: GameDesign, child: GameDesign) -> list[FieldChange]:
    """The fields of `child` that differ from `parent`, in the design's field order."""
    before, after = parent.model_dump(mode="json"), child.model_dump(mode="json")
    changes = []
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        old_items, new_items = _by_id(old), _by_id(new)
        if old_items is None or new_items is None:
            changes.append(FieldChange(field=name))
            continue
        changes.append(FieldChange(
            field=name,
            added=[ident for ident in new_items if ident not in old_items],
            removed=[ident for ident in old_items if ident not in new_items],
            changed=[ident for ident in new_items if ident in old_items and old_items[ident] != new_items[ident]],
        ))
    return changes


class RunReport(BaseModel):
    status: str
    run: str
    theme: str
    model: str
    seed: int
    exemplars: list[str]
    engine: str | None = Field(None, description="the proven engine (calibration game) the design re-themes, if any")
    findings: list[Finding]
    repairs: list[dict[str, Any]]
    critique: dict[str, Any] | None
    stale_critique: list[dict[str, Any]] = Field(
        default_factory=list, description="critique issues dropped as repeats of findings already fixed"
    )
    verdict: dict[str, Any] | None = Field(description="the Fun Judge's opinion, read beside `playtest`")
    playtest: PlaytestReport | None = Field(
        None, description="what bots measured playing the final design (None: it never passed the validators)")
    tuning: list[TuningChange] = Field(default_factory=list, description="each number the search set, and why")
    untuned: list[str] = Field(default_factory=list, description="bands the search could not reach")
    parent_run: str | None = Field(None, description="the run this design branched from")
    revision: str | None = Field(None, description="the revision request the branch answered")
    diff: list[FieldChange] = Field(default_factory=list, description="what changed against the parent's design")
    agents: dict[str, dict[str, float]]
    totals: dict[str, float]
    wall_s: float


def _status(state: GameGrammarState, findings: list[Finding]) -> str:
    if state.failure:
        return f"incomplete: {state.failure}"
    return "finished with unresolved errors" if errors(findings) else "complete"


def run_report(run_id: str, state: GameGrammarState, *, model: str, usage: UsageLedger, wall_s: float) -> RunReport:
    """The report of a finished pass over the graph, from its final state and the calls it made."""
    findings = state.findings if state.design else []
    diff = design_diff(state.parent_design, state.design) if state.parent_design and state.design else []
    return RunReport(
        status=_status(state, findings),
        run=run_id,
        theme=state.theme,
        model=model,
        engine=chosen_engine(state.answers),
        seed=state.seed,
        exemplars=[game.name for game in state.exemplars],
        findings=findings,
        repairs=[repair.model_dump(mode="json") for repair in state.repairs],
        critique=state.critique.model_dump() if state.critique else None,
        stale_critique=[issue.model_dump() for issue in state.stale_issues],
        verdict=state.verdict.model_dump() if state.verdict else None,
        playtest=state.playtest if state.design else None,
        tuning=state.tuning.changes if state.tuning and state.design else [],
        untuned=state.tuning.unresolved if state.tuning and state.design else [],
        parent_run=state.parent_run,
        revision=state.revision if state.parent_run else None,
        diff=diff,
        agents={agent: totals.model_dump() for agent, totals in usage.by_agent().items()},
        totals=usage.totals().model_dump(),
        wall_s=wall_s,
    )


@dataclass(frozen=True)
class RunResult:
    """A pass over the graph: the design (None if no complete draft was reached), its report, and
    the folder its files go to (None when the caller decides)."""

    design: GameDesign | None
    report: RunReport
    out: Path | None = None


class GameGrammarRuns:
    """The runs kept by one checkpointer: start, resume (after a crash or a kill, at the step it
    was in) and branch them with a revision request. Every step is saved before the next begins."""

    def __init__(self, deps: GameGrammarDeps, checkpointer: BaseCheckpointSaver,
                 make_lm: Callable[[int], AccountedLM]) -> None:
        self.graph = build_graph(deps, checkpointer)
        self._make_lm = make_lm
        self._lm: AccountedLM | None = None

    def snapshot(self, run_id: str) -> Snapshot:
        snapshot = read_snapshot(self.graph, checked_run_id(run_id))
        if snapshot is None:
            raise RunError(f"No run {run_id!r} in these checkpoints; check the id and --runs.")
        return snapshot

    def start(self, run_id: str, state: GameGrammarState, *, out: Path | None = None) -> RunResult:
        """A new run; `out` (where its files go) is saved with its checkpoints for `resume`."""
        if read_snapshot(self.graph, checked_run_id(run_id)) is not None:
            raise RunError(f"Run {run_id!r} exists; resume it, branch it, or choose another id.")
        return self._run(run_id, state, state.seed, out)

    def resume(self, run_id: str) -> RunResult:
        snapshot = self.snapshot(run_id)
        if not snapshot.interrupted:
            raise RunError(f"Run {run_id} has finished; branch it with a revision request instead.")
        saved = snapshot.metadata.get("out")
        out = checked_output_folder(Path(saved)) if saved else None  # it may have changed since the run began
        return self._run(run_id, None, snapshot.values.get("seed", 0), out)

    def branch(self, parent: str, request: str, run_id: str, *, out: Path | None = None) -> RunResult:
        """A new run `run_id` from `parent`'s finished design, revised as `request` asks."""
        request = clean_request(request)
        snapshot = self.snapshot(parent)
        if snapshot.interrupted:
            raise RunError(f"Run {parent} stopped during '{snapshot.next[0]}'; resume it before branching.")
        try:
            update = branch_values(GameGrammarState.model_validate(snapshot.values), parent)
        except ValueError as exc:
            raise RunError(f"Cannot branch: {exc}.") from exc
        copy_thread(self.graph, parent, checked_run_id(run_id), as_node="assemble", update=update,
                    metadata=_metadata(out))
        return self._run(run_id, {"revision": request}, snapshot.values.get("seed", 0), out)

    def _run(self, run_id: str, payload: GameGrammarState | dict[str, Any] | None, seed: int,
             out: Path | None) -> RunResult:
        started = time.perf_counter()
        self._lm = self._lm or self._make_lm(seed)
        before = len(self._lm.ledger.records)
        with dspy.context(lm=self._lm):  # durability="sync": each step is on disk before the next starts
            self.graph.invoke(payload, thread_config(run_id, RECURSION_LIMIT, _metadata(out)), durability="sync")
        usage = UsageLedger()
        for record in self._lm.ledger.records[before:]:
            usage.record(record)
        final = GameGrammarState.model_validate(self.snapshot(run_id).values)
        report = run_report(run_id, final, model=self._lm.model, usage=usage,
                            wall_s=round(time.perf_counter() - started, 1))
        return RunResult(final.design, report, out)


def _metadata(out: Path | None) -> dict[str, str] | None:
    return {"out": str(out)} if out else None


def checked_players(players: int | None) -> int | None:
    """The player count a design must support, or an `InvalidThemeError` outside 1-12."""
    if players is not None and not 1 <= players <= MAX_PLAYERS:
        raise InvalidThemeError(f"--players must be between 1 and {MAX_PLAYERS}.")
    return players


def start_state(theme: str, *, players: int | None = None, constraints: str = "", seed: int = 0) -> GameGrammarState:
    """A new run's input: the cleaned theme and the brief's constraints, refused here when the facts
    they state contradict each other (the studio reads the same facts into the engine step's schema)."""
    players = checked_players(players)
    wanted = [f"the player range must include {players} players" if players else "", constraints.strip()]
    theme, joined = clean_theme(theme), "; ".join(part for part in wanted if part) or "none"
    try:
        facts_from_request(theme, joined)
    except GameRequestError as exc:
        raise InvalidThemeError(str(exc)) from exc
    return GameGrammarState(theme=theme, constraints=joined,
                            retrieval=RetrievalConstraints(players=players), seed=seed)


def game_runs(settings: Settings, checkpointer: BaseCheckpointSaver, *, token_budget: int | None = None,
              store: ExemplarStore | None = None, config: GameGrammarConfig | None = None,
              progress: Progress | None = None) -> GameGrammarRuns:
    """The runs over `checkpointer` with the model, exemplar store and limits `settings` name."""
    exemplars = store or ExemplarStore(path=settings.cache_dir / "chroma")

    def search(query: str, filters: RetrievalConstraints, k: int) -> list[ExemplarGame]:
        return exemplars.search(query, k=k, constraints=filters)

    def rank(theme: str, engines: Engines) -> list[str]:
        return rank_engines(theme, engines, shared_embedder())

    deps = GameGrammarDeps(search, config or GameGrammarConfig(), progress or log_progress, rank_engines=rank)
    return GameGrammarRuns(deps, checkpointer, lambda seed: build_lm(
        settings, ledger=UsageLedger(TokenBudget(completion_tokens=token_budget)), seed=seed))


def design_game(
    theme: str,
    *,
    settings: Settings,
    players: int | None = None,
    constraints: str = "",
    seed: int = 0,
    token_budget: int | None = None,
    store: ExemplarStore | None = None,
    config: GameGrammarConfig | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
    runs: Path | None = None,
) -> tuple[GameDesign | None, RunReport]:
    """Run the pipeline; returns the design (None if no complete draft was reached) and the report.
    With `runs` (a SQLite file) every step is checkpointed there under `run_id` (default: random)."""
    state = start_state(theme, players=players, constraints=constraints, seed=seed)
    run_id = checked_run_id(new_run_id() if run_id is None else run_id)
    with open_checkpointer(runs, GameGrammarState) as checkpointer:
        result = game_runs(settings, checkpointer, token_budget=token_budget, store=store, config=config,
                           progress=progress).start(run_id, state)
    return result.design, result.report


RUN_FILES = ("report.json", "design.json", "rulebook.md", "playtest.png")


def write_run(out: Path, design: GameDesign | None, report: RunReport) -> Path:
    """Write the run's files into `out`; returns the path of its report.

    With a design: `report.json`, `design.json` and `rulebook.md` (with the "Playtested" section
    and `playtest.png` once it was playtested), replacing an earlier run's as one set, its files
    this run lacks included. With none (the run failed before a complete draft) the folder's set,
    an older design perhaps, is left whole and the report goes beside it as
    `report-<run>.incomplete.json`: a report must never describe a design it did not write."""
    if design is None:
        name = f"report-{report.run}.incomplete.json"
        write_atomically(out, {name: report.model_dump_json(indent=2)})
        return out / name
    files: dict[str, str | bytes] = {"report.json": report.model_dump_json(indent=2),
                                     "design.json": design.model_dump_json(indent=2)}
    rulebook = render_rulebook(design)
    if report.playtest is not None:
        rulebook += "\n" + render_section(report.playtest.rulebook_section()) + "\n"
        files["playtest.png"] = playtest_chart(report.playtest, title=design.title)
    files["rulebook.md"] = rulebook
    write_atomically(out, files, remove=RUN_FILES)
    return out / "report.json"


def _print_findings(console: Console, findings: list[Finding]) -> None:
    colour = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
    for finding in findings:
        console.print(f"[{colour[finding.severity]}]{finding.severity}[/] {escape(finding.path)}: "
                      f"{escape(finding.message)} [dim]({finding.owner})[/]")


class InvalidDesignError(ValueError):
    """A design file that is not a valid `GameDesign`; the message names the file and the schema's errors."""


def read_design(path: Path) -> GameDesign:
    """The design in the file at `path`: an `InputFileError` when it cannot be read as text (missing,
    too large, binary), an `InvalidDesignError` when its text is not a design."""
    text = read_text_limited(path, MAX_DESIGN_FILE_BYTES)
    try:
        return GameDesign.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidDesignError(f"{path} is not a valid game design:\n{exc}") from exc


def _read_design(path: str, console: Console) -> GameDesign | int:
    """The design in the file at `path`, or the exit code after saying why it cannot be read."""
    try:
        return read_design(Path(path))
    except InputFileError as exc:
        print_error(console, str(exc))
        return 2
    except InvalidDesignError as exc:
        print_error(console, str(exc))
        return 1


def validate_command(path: str, console: Console) -> int:
    design = _read_design(path, console)
    if isinstance(design, int):
        return design
    findings = validate_design(design)
    _print_findings(console, findings)
    console.print(f"{len(errors(findings))} errors, {len(findings) - len(errors(findings))} other findings")
    return 1 if errors(findings) else 0


def playtest_command(argv: list[str], console: Console) -> int:
    """`playtest DESIGN.json [--games N --players P --seed S]`: the playtest table and findings."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.gamegrammar playtest",
                                     description="Play a design with bots and print its playtest metrics.")
    parser.add_argument("design", help="a design.json file")
    parser.add_argument("--games", type=int, default=200, help="random self-play games (default 200)")
    parser.add_argument("--players", type=int, help="player count (default: the design's smallest, at least 2)")
    parser.add_argument("--seed", type=checked_seed, default=0)
    args = parser.parse_args(argv)
    design = _read_design(args.design, console)
    if isinstance(design, int):
        return design
    try:
        with console.status("Playing..."):
            report = playtest(design, games=args.games, players=args.players, seed=args.seed)
    except PlaytestError as exc:
        print_error(console, str(exc))
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]; nothing was written")
        return 130
    m = report.measures
    table = Table(title=f"{escape(design.title)}: {m.games} games, {m.players} players")
    for column in ("metric", "value", "expected"):
        table.add_column(column)
    for row in report.table():
        table.add_row(row.metric, Text(row.value, style="red" if row.ok is False else ""), row.expected)
    console.print(table)
    _print_findings(console, report.findings)
    return 1 if errors(report.findings) else 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.gamegrammar", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if argv[:1] == ["resume"]:
        parser.add_argument("command", choices=["resume"])
        parser.add_argument("run", help="the id of the interrupted run")
    else:
        parser.add_argument("theme", nargs="?", help="the game's theme (with --from: the revision request)")
        parser.add_argument("--theme-file", type=Path, help="read the theme from a text file")
        parser.add_argument("--players", type=int, help="the design must support this many players")
        parser.add_argument("--constraints", default="",
                            help="free-text requirements, e.g. 'cooperative, under 30 min'")
        parser.add_argument("--seed", type=checked_seed, default=0)
        parser.add_argument("--run", help="an id for the new run: a-z, 0-9, '_', '-' (default: random)")
        parser.add_argument("--from", dest="parent", metavar="RUN",
                            help="branch the finished run RUN; the positional text is the revision request")
        parser.add_argument("--out", type=Path, help=f"where the files go (default {DEFAULT_OUT}; "
                            "with --from: <runs folder>/<run>)")
        parser.add_argument("--invent-rules", action="store_true",
                            help="invent the rules instead of re-theming a proven engine (a calibration game)")
    parser.add_argument("--runs", type=Path, default=DEFAULT_RUNS, help="the SQLite file of run checkpoints")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    parser.add_argument("--token-budget", type=int, default=DEFAULT_TOKEN_BUDGET,
                        help="completion tokens this command may spend")
    parser.add_argument("--verify-weights", action="store_true", default=None,
                        help="hash the embedded weights even if checked within the day (GO_VERIFY_WEIGHTS=1)")
    return parser.parse_args(argv)


def _execute(args: argparse.Namespace, runs: GameGrammarRuns, run_id: str, theme: str | None) -> RunResult:
    if getattr(args, "command", None) == "resume":
        return runs.resume(run_id)
    if args.parent is not None:
        return runs.branch(args.parent, args.theme, run_id, out=_out_folder(args, run_id))
    assert theme is not None
    state = start_state(theme, players=args.players, constraints=args.constraints, seed=args.seed)
    return runs.start(run_id, state, out=_out_folder(args, run_id))


def _out_folder(args: argparse.Namespace, run_id: str) -> Path:
    """Where a new run's files go: --out, else a branch's own folder beside the runs, else the default."""
    if args.out is not None:
        return args.out
    return args.runs.parent / run_id if args.parent is not None else DEFAULT_OUT


def _check_start(args: argparse.Namespace) -> tuple[str, str | None]:
    """The id of the run the command works on and a new run's theme, once everything that can be
    refused before a model loads has been checked."""
    with naming("--runs"):
        checked_output_file(args.runs)
    if getattr(args, "command", None) == "resume":
        return checked_run_id(args.run), None  # its --out is in its checkpoints, checked by `resume`
    run_id = checked_run_id(new_run_id() if args.run is None else args.run)  # an empty --run is refused
    with naming("--out"):
        checked_output_folder(_out_folder(args, run_id))
    if args.parent is not None:
        checked_run_id(args.parent)
        if args.theme_file or args.players is not None or args.constraints:
            raise InvalidThemeError("--from takes only a revision request: the theme and constraints are the parent's.")
        clean_request(args.theme or "")
        return run_id, None
    if args.theme_file is not None:
        with naming("--theme-file"):
            theme = read_text_limited(args.theme_file, MAX_THEME_FILE_BYTES)
    elif args.theme is not None:
        theme = args.theme
    else:
        raise InvalidThemeError("Give a theme, e.g. python -m pipelines.gamegrammar \"bioluminescent fungi\".")
    checked_players(args.players)
    clean_theme(theme)
    return run_id, theme


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    console = Console(stderr=True)
    if argv[:1] == ["validate"]:
        if len(argv) != 2:
            console.print("usage: python -m pipelines.gamegrammar validate DESIGN.json")
            return 2
        return validate_command(argv[1], console)
    if argv[:1] == ["playtest"]:
        return playtest_command(argv[1:], console)
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    run_id = None
    try:
        run_id, theme = _check_start(args)
        console.print(f"run {run_id} (checkpoints in {args.runs})")
        settings = Settings.from_env(model=args.model, verify_weights=args.verify_weights).with_checked_cache()
        with (holding_run(args.runs.parent, run_id), console.status("Starting...") as status,
              open_checkpointer(args.runs, GameGrammarState) as saver):
            invented: dict[str, Any] = (
                {"config": GameGrammarConfig(proven_engines=False)} if getattr(args, "invent_rules", False) else {})
            runs = game_runs(settings, saver, token_budget=args.token_budget,
                             progress=lambda message: status.update(message), **invented)
            result = _execute(args, runs, run_id, theme)
            written = write_run(result.out or DEFAULT_OUT, result.design, result.report)
        _print_summary(console, result.report, written)
    except (InvalidThemeError, InputFileError, OutputLocationError, RunError, ModelError, ValueError) as exc:
        print_error(console, str(exc))
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]; the output folder holds one whole set of files, never part "
                      "of one" + (f"; the finished steps are kept: python -m pipelines.gamegrammar resume {run_id}"
                                  if run_id else ""))
        return 130
    if result.report.status.startswith("incomplete"):
        return 2  # a model or tool failed (the README's exit statuses)
    return 0 if result.report.status == "complete" else 1


def _print_summary(console: Console, report: RunReport, written: Path) -> None:
    """The findings, the agents' usage, and the branch's changes, verdict and playtest of a run."""
    _print_findings(console, report.findings)
    table = Table(title=f"{report.status} in {report.wall_s:.0f} s — {written} (run {report.run})")
    for column in ("agent", "calls", "prompt tok", "completion tok", "seconds"):
        table.add_column(column)
    for agent, usage in report.agents.items():
        table.add_row(agent, str(int(usage["calls"])), str(int(usage["prompt_tokens"])),
                      str(int(usage["completion_tokens"])), f"{usage['wall_s']:.1f}")
    console.print(table)
    if report.parent_run:
        console.print(f"Branched from {report.parent_run}; changed: "
                      + escape(", ".join(change.field for change in report.diff) or "nothing"))
    if report.verdict:
        console.print("Fun Judge: " + escape(json.dumps(report.verdict)))
    if report.playtest:
        console.print("Playtest: " + escape("; ".join(f"{row.metric} {row.value}" for row in report.playtest.table())))


if __name__ == "__main__":
    sys.exit(main())
