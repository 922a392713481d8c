"""The pipelines as an MCP server, for AI assistants: the same functions as the command lines.

    python -m pipelines.mcp                       # stdio, the way MCP clients start a local server
    python -m pipelines.mcp --out studio-files    # every path in a request lies in this folder
    python -m pipelines.mcp --http                # streamable HTTP on 127.0.0.1:8766/mcp
    GO_MCP_TOKEN=... python -m pipelines.mcp --host 0.0.0.0   # beyond loopback: a bearer token is required

Tools: `design_game`, `validate_design`, `playtest_design`, `compose`, `continue_composition`,
`branch_composition`, `ask_audio`, `harmonise_melody`, `generate_piano`, `variations`. Their input
and output schemas are the ontology's and the tools' Pydantic models; runs that take minutes send an
MCP progress notification for every step their pipeline reports; a request the CLI would refuse
comes back as a tool error with the CLI's message. Resources: the exemplar games and proven engines
(`retrieval/`) and the ontology's JSON schemas.

Nothing here decides anything a pipeline does: each tool checks the request's paths against the
output folder, calls the pipeline function the CLI calls, and presents what it returns.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError as McpToolError
from pydantic import BaseModel, Field

from agents.lm.errors import ModelError
from ontology.core import Finding, errors
from ontology.game import GameDesign
from ontology.game_requests import MAX_PLAYERS
from ontology.game_validators import validate_design as validate_design_rules
from ontology.music import Piece
from ontology.music_drafts import MusicRequestError
from pipelines import audiorag, compose, gamegrammar
from pipelines.audiorag_graph import AudioRAGAnswer
from pipelines.checkpoints import RunError, checked_run_id, holding_run, new_run_id
from pipelines.compose_graph import ComposeConfig, ComposeState
from pipelines.gamegrammar import RunReport
from pipelines.gamegrammar_graph import GameGrammarConfig
from pipelines.mcp_transport import HTTP_PATH, ServerError, checked_bind, serve
from pipelines.mcp_workspace import Workspace
from pipelines.pipeline import Progress
from retrieval.calibration import load_calibration_games
from retrieval.exemplars import load_exemplars
from retrieval.store import ExemplarStore
from tools.base import ToolError, TypedTool
from tools.cli import MAX_SEED, print_error, shortened
from tools.files import OutputLocationError, checked_output_folder, naming
from tools.games.playtest import playtest
from tools.games.playtest_metrics import MetricRow, PlaytestReport
from tools.music.harmony.tool import HarmonisationResult, HarmoniseRequest, HarmoniseTool
from tools.music.piano.tool import PianoGenerationRequest, PianoGenerationResult, PianoGenerationTool
from tools.music.section_tools import SectionTools
from tools.music.som.tool import VariationsRequest, VariationsResult, VariationsTool
from tools.settings import MCP_HOST, MCP_PORT, Settings

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path("out/mcp")
SERVER_NAME = "generative-ontology"

T = TypeVar("T")
RequestT = TypeVar("RequestT", bound=BaseModel)

Seed = Annotated[int, Field(ge=0, le=MAX_SEED, description="the same request and seed give the same result")]
Relative = Annotated[str, Field(description="a path relative to the server's output folder")]


class GameDesignResult(BaseModel):
    """A GameGrammar run: the design (None when no complete draft was reached), its rulebook and report."""

    folder: str = Field(description="where the run's files are, relative to the output folder")
    design: GameDesign | None
    rulebook: str | None = Field(description="the rulebook as Markdown, rendered from the design")
    report: RunReport


class DesignValidation(BaseModel):
    """The ontology's semantic validators' findings on a design."""

    findings: list[Finding]
    errors: int
    summary: str


class DesignPlaytest(BaseModel):
    """What bots measured playing a design, and the table the CLI prints."""

    report: PlaytestReport
    table: list[MetricRow]


class CompositionResult(BaseModel):
    """A composition session after its latest turn: the piece, its findings and its files."""

    session: str
    version: int = Field(description="the number of the latest rendered version (v<N>)")
    branched_from: str | None
    piece: Piece | None = Field(description="the form, keys and cadences as planned and fitted")
    findings: list[Finding]
    feedback: list[str] = Field(description="the musician's turns so far")
    files: dict[str, str] = Field(description="the version's files (midi, musicxml, wav, score_svg, score_png, "
                                              "piano_roll, report), relative to the output folder")


@dataclass
class Backends:
    """What the tools run on besides the settings. The defaults are the command lines' own; a test
    passes scripted ones (a section writer, no exemplar index, a configuration without playtests)."""

    game_config: GameGrammarConfig = field(default_factory=GameGrammarConfig)
    exemplars: ExemplarStore | None = None
    compose_config: ComposeConfig = field(default_factory=ComposeConfig)
    section_tools: Callable[[Settings], SectionTools] = compose.default_tools
    token_budget: int = gamegrammar.DEFAULT_TOKEN_BUDGET


@contextmanager
def cli_errors(refused: tuple[type[BaseException], ...],
               failed: Callable[[Exception], str] | None = None) -> Iterator[None]:
    """Turn what the CLI refuses (its error line) into an MCP tool error with the same message, and,
    where the CLI reports any other failure in its own words (composition), that message too.
    Anything else is a bug: the SDK logs it and tells the client only that the tool failed."""
    try:
        yield
    except refused as exc:
        raise McpToolError(shortened(str(exc))) from exc
    except Exception as exc:
        if failed is None:
            raise
        raise McpToolError(shortened(failed(exc))) from exc


async def in_worker(ctx: Context, work: Callable[[Progress], T]) -> T:
    """Run `work`, a blocking pipeline call, in a worker thread (the event loop keeps serving), and
    send each line it gives its `Progress` as an MCP progress notification (step 1, 2, ...)."""
    steps = itertools.count(1)

    def progress(message: str) -> None:
        logger.info(message)
        try:
            anyio.from_thread.run(ctx.report_progress, next(steps), None, message)
        except Exception:  # a client that stopped listening must not stop the run
            logger.debug("progress notification not sent", exc_info=True)

    return await anyio.to_thread.run_sync(work, progress)


def inside(request: RequestT, workspace: Workspace) -> RequestT:
    """`request` with each of its paths read inside the output folder (or a `PathOutsideError`)."""
    update = {name: workspace.path(value, name) for name, value in request if isinstance(value, Path)}
    return request.model_copy(update=update)


def _composition(workspace: Workspace, session: str, state: ComposeState) -> CompositionResult:
    files = {name: workspace.relative(path)
             for name, path in (state.rendered.model_dump(exclude_none=True) if state.rendered else {}).items()}
    report = workspace.root / "compose" / session / f"v{state.version}" / "report.json"
    if state.version and report.is_file():
        files["report"] = workspace.relative(report)
    return CompositionResult(session=session, version=state.version, branched_from=state.branched_from,
                             piece=state.piece, findings=state.findings, feedback=state.feedback, files=files)


def build_server(workspace: Workspace, settings: Settings, backends: Backends | None = None) -> MCPServer:
    """The MCP server over `workspace` with the model and services `settings` name."""
    backends = backends or Backends()
    server: MCPServer = MCPServer(
        SERVER_NAME, log_level="WARNING",
        instructions=f"Every path in a request is relative to the output folder {workspace.root}; "
                     "files are written there too.",
    )
    games = workspace.root / "gamegrammar"
    music_tools: dict[str, TypedTool[Any, Any]] = {}  # each loads its model on first use, kept for the next call

    def music_tool(kind: type[TypedTool[Any, Any]]) -> TypedTool[Any, Any]:
        if kind.__name__ not in music_tools:
            music_tools[kind.__name__] = kind()
        return music_tools[kind.__name__]

    section_tools: list[SectionTools] = []

    def sessions(progress: Progress) -> compose.ComposeSessions:
        if not section_tools:
            section_tools.append(backends.section_tools(settings))
        return compose.ComposeSessions(workspace.root / "compose", section_tools[0], settings=settings,
                                       config=backends.compose_config, progress=progress)

    def design_from(design: GameDesign | None, path: str | None) -> GameDesign:
        if (design is None) == (path is None):
            raise gamegrammar.InvalidDesignError(
                "Give either design (the design's JSON) or path (a design.json in the output folder), not both.")
        return design if design is not None else gamegrammar.read_design(workspace.path(str(path), "design path"))

    @server.tool(description="Design a complete tabletop game for a theme: the design (the game ontology's "
                             "instance), its rulebook and the run's report (findings, repairs, playtest, verdict). "
                             "Takes minutes; progress is reported per agent step.")
    async def design_game(
        theme: Annotated[str, Field(description="the game's world in a sentence or two")],
        ctx: Context,
        players: Annotated[int | None, Field(ge=1, le=MAX_PLAYERS, description="the design must support this "
                                                                                 "many players")] = None,
        constraints: Annotated[str, Field(description="free-text requirements, e.g. 'cooperative, under 30 min'")] = "",
        seed: Seed = 0,
        run: Annotated[str | None, Field(description="an id for the run: a-z, 0-9, '_', '-' (default: random)")] = None,
        invent_rules: Annotated[bool, Field(description="invent the rules instead of re-theming a proven "
                                                        "engine")] = False,
    ) -> GameDesignResult:
        def work(progress: Progress) -> GameDesignResult:
            run_id = checked_run_id(new_run_id() if run is None else run)
            gamegrammar.start_state(theme, players=players, constraints=constraints)  # refused before any lock or file
            config = backends.game_config.model_copy(update={"proven_engines": False}) if invent_rules \
                else backends.game_config
            with holding_run(games, run_id):
                design, report = gamegrammar.design_game(
                    theme, settings=settings, players=players, constraints=constraints, seed=seed,
                    token_budget=backends.token_budget, store=backends.exemplars, config=config,
                    progress=progress, run_id=run_id, runs=games / "runs.sqlite")
                written = gamegrammar.write_run(games / run_id, design, report)
            rulebook = written.with_name("rulebook.md")
            return GameDesignResult(folder=workspace.relative(written.parent), design=design, report=report,
                                    rulebook=rulebook.read_text(encoding="utf-8") if design else None)

        with cli_errors((ValueError, ModelError)):
            return await in_worker(ctx, work)

    @server.tool(description="Check a game design with the ontology's semantic validators; give the design's JSON "
                             "or the path of a design.json in the output folder.")
    async def validate_design(ctx: Context, design: GameDesign | None = None, path: Relative | None = None
                              ) -> DesignValidation:
        def work(progress: Progress) -> DesignValidation:
            findings = validate_design_rules(design_from(design, path))
            count = len(errors(findings))
            return DesignValidation(findings=findings, errors=count,
                                    summary=f"{count} errors, {len(findings) - count} other findings")

        with cli_errors((ValueError,)):
            return await in_worker(ctx, work)

    @server.tool(description="Play a game design with seeded bots and measure it (completion, length, seat win "
                             "rates, skill gap, dominant and dead actions, ...); give the design's JSON or the path "
                             "of a design.json in the output folder.")
    async def playtest_design(
        ctx: Context, design: GameDesign | None = None, path: Relative | None = None,
        games: Annotated[int, Field(ge=1, le=100_000, description="random self-play games")] = 200,
        players: Annotated[int | None, Field(ge=1, le=MAX_PLAYERS, description="default: the design's smallest, "
                                                                                 "at least 2")] = None,
        seed: Seed = 0,
    ) -> DesignPlaytest:
        def work(progress: Progress) -> DesignPlaytest:
            report = playtest(design_from(design, path), games=games, players=players, seed=seed)
            return DesignPlaytest(report=report, table=report.table())

        with cli_errors((ValueError,)):
            return await in_worker(ctx, work)

    compose_failed = compose.failure_message
    compose_refused = (MusicRequestError, RunError, OutputLocationError)

    @server.tool(name="compose", description="Start a composition session: a request in words (style, key, meter, "
                 "tempo, bars) in, a piece out as MIDI, MusicXML, WAV, engraved score and piano roll. Takes minutes; "
                 "progress is reported per step.")
    async def compose_piece(
        request: Annotated[str, Field(description="e.g. 'a melancholic chorale for a winter evening, D minor, "
                                                  "16 bars'")],
        ctx: Context, seed: Seed = 0,
        session: Annotated[str | None, Field(description="an id for the session (default: random)")] = None,
    ) -> CompositionResult:
        def work(progress: Progress) -> CompositionResult:
            store = sessions(progress)
            try:
                name, state = store.start(request, seed=seed, session=session)
            finally:
                store.close()
            return _composition(workspace, name, state)

        with cli_errors(compose_refused, compose_failed):
            return await in_worker(ctx, work)

    @server.tool(description="Give a composition session feedback ('darker cadence, shorter second phrase'); the "
                             "sections it names are rewritten into the next version.")
    async def continue_composition(
        session: str, feedback: Annotated[str, Field(description="1-2,000 characters")], ctx: Context,
    ) -> CompositionResult:
        def work(progress: Progress) -> CompositionResult:
            store = sessions(progress)
            try:
                return _composition(workspace, session, store.continue_with(session, feedback))
            finally:
                store.close()

        with cli_errors(compose_refused, compose_failed):
            return await in_worker(ctx, work)

    @server.tool(description="Branch a composition session into a new one from its latest version, optionally with "
                             "feedback for the branch's first turn; the original is left as it was.")
    async def branch_composition(session: str, ctx: Context, feedback: str | None = None) -> CompositionResult:
        def work(progress: Progress) -> CompositionResult:
            store = sessions(progress)
            try:
                name, state = store.branch(session, feedback)
            finally:
                store.close()
            return _composition(workspace, name, state)

        with cli_errors(compose_refused, compose_failed):
            return await in_worker(ctx, work)

    @server.tool(description="Answer a question about an audio clip (WAV, FLAC, OGG, MP3 in the output folder) that "
                             "needs outside knowledge: the clip is heard locally, sources are searched and read, and "
                             "the answer cites quoted passages or says it cannot answer. Without audio, the question "
                             "alone is researched.")
    async def ask_audio(
        question: str, ctx: Context,
        audio: Annotated[str | None, Field(description="the clip, relative to the output folder")] = None,
    ) -> AudioRAGAnswer:
        def work(progress: Progress) -> AudioRAGAnswer:
            clip = None if audio is None else workspace.path(audio, "audio file")
            return audiorag.ask(question, clip, settings, progress=progress)

        with cli_errors((ValueError, ModelError, ToolError)):
            return await in_worker(ctx, work)

    def music(kind: type[TypedTool[Any, Any]], request: BaseModel) -> Callable[[Progress], Any]:
        return lambda progress: music_tool(kind)(inside(request, workspace))

    @server.tool(description=HarmoniseTool.description + " Paths are relative to the output folder.")
    async def harmonise_melody(request: HarmoniseRequest, ctx: Context) -> HarmonisationResult:
        with cli_errors((ValueError, ToolError)):
            return await in_worker(ctx, music(HarmoniseTool, request))

    @server.tool(description=PianoGenerationTool.description + " Paths are relative to the output folder.")
    async def generate_piano(request: PianoGenerationRequest, ctx: Context) -> PianoGenerationResult:
        with cli_errors((ValueError, ToolError)):
            return await in_worker(ctx, music(PianoGenerationTool, request))

    @server.tool(description=VariationsTool.description + " Paths are relative to the output folder.")
    async def variations(request: VariationsRequest, ctx: Context) -> VariationsResult:
        with cli_errors((ValueError, ToolError)):
            return await in_worker(ctx, music(VariationsTool, request))

    add_resources(server)
    return server


SCHEMAS: dict[str, type[BaseModel]] = {
    "game-design": GameDesign, "piece": Piece, "finding": Finding, "run-report": RunReport,
}
"""The ontology's models a client may want to read the schema of, by the name in their resource URI."""


def add_resources(server: MCPServer) -> None:
    """The exemplar games, the proven engines (calibration games) and the ontology's JSON schemas."""

    @server.resource("gamegrammar://exemplars", mime_type="application/json",
                     description="The published games the designs are grounded in, as JSON lines' records.")
    def exemplars() -> str:
        return json.dumps([game.model_dump(mode="json") for game in load_exemplars()], indent=1)

    @server.resource("gamegrammar://exemplars/{game_id}", mime_type="application/json",
                     description="One exemplar game by its id.")
    def exemplar(game_id: str) -> str:
        for game in load_exemplars():
            if game.id == game_id:
                return game.model_dump_json(indent=2)
        raise ValueError(f"No exemplar game {game_id!r}; read gamegrammar://exemplars for the ids.")

    @server.resource("gamegrammar://engines", mime_type="application/json",
                     description="The names of the proven engines (hand-written calibration games) designs re-theme.")
    def engines() -> str:
        return json.dumps(sorted(load_calibration_games()))

    @server.resource("gamegrammar://engines/{name}", mime_type="application/json",
                     description="One proven engine: a complete game design.")
    def engine(name: str) -> str:
        games = load_calibration_games()
        if name not in games:
            raise ValueError(f"No engine {name!r}; read gamegrammar://engines for the names.")
        return games[name].model_dump_json(indent=2)

    for name, model in SCHEMAS.items():
        server.resource(f"ontology://schemas/{name}", name=name, mime_type="application/schema+json",
                        description=f"The JSON schema of the ontology's {model.__name__}.")(_schema_reader(model))


def _schema_reader(model: type[BaseModel]) -> Callable[[], str]:
    def read() -> str:
        return json.dumps(model.model_json_schema(), indent=1)

    return read


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.mcp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"the folder every tool reads and writes in (default {DEFAULT_OUT})")
    parser.add_argument("--http", action="store_true", help=f"serve streamable HTTP at {HTTP_PATH} instead of stdio")
    parser.add_argument("--host", help=f"the address to bind (implies --http; default {MCP_HOST}); beyond loopback "
                                       "GO_MCP_TOKEN is required")
    parser.add_argument("--port", type=int, default=MCP_PORT, help=f"HTTP port (default {MCP_PORT})")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    parser.add_argument("--token-budget", type=int, default=gamegrammar.DEFAULT_TOKEN_BUDGET,
                        help="completion tokens one design_game call may spend")
    parser.add_argument("--no-audio", action="store_true", help="compositions skip the FluidSynth WAV")
    parser.add_argument("--verify-weights", action="store_true", default=None,
                        help="hash the embedded weights even if checked within the day (GO_VERIFY_WEIGHTS=1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)  # stdout is the protocol's
    from rich.console import Console

    console = Console(stderr=True)
    http = bool(args.http or args.host)
    try:
        settings = Settings.from_env(model=args.model, verify_weights=args.verify_weights).with_checked_cache()
        host = checked_bind(args.host or MCP_HOST, settings.mcp_token) if http else MCP_HOST
        with naming("--out"):
            checked_output_folder(args.out)
        args.out.mkdir(parents=True, exist_ok=True)
        backends = Backends(compose_config=ComposeConfig(audio=not args.no_audio), token_budget=args.token_budget)
        server = build_server(Workspace(args.out), settings, backends)
        if http:
            console.print(f"MCP server on http://{host}:{args.port}{HTTP_PATH} (files in {args.out})")
        serve(server, http=http, host=host, port=args.port, token=settings.mcp_token)
    except (ServerError, OutputLocationError, ValueError) as exc:
        print_error(console, str(exc))
        return 2
    except KeyboardInterrupt:  # while starting; once serving, `_stop_at_once` ends the process
        console.print("[yellow]interrupted[/yellow] while starting")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
