"""The MCP server on scripted models, as a process an MCP client starts over stdio:
`python -m tests.mcp_scripted OUT [slow]`.

A helper module, not a test module. The server is `pipelines.mcp`'s own (`build_server`, `serve`);
only what the CLI tests replace is replaced: the language model (`build_lm`, as
`tests/test_gamegrammar_runs.py` does) with scripted replies, GameGrammar's exemplar index (none)
and its playtests (off), and the composition's section writer (`ScaleWriter`). GameGrammar's model
answers one `design_game` (the hand-made Mycelium design); the composition's one `compose` of
`tests.compose_script.REQUEST` (seed 1) and one `continue_composition`. With `slow`, GameGrammar's
model takes a minute over each answer, so a test can interrupt a run in progress.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dspy.lm15 import Request, Response

from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines import compose, gamegrammar
from pipelines.compose_graph import ComposeConfig
from pipelines.gamegrammar_graph import GameGrammarConfig
from pipelines.mcp import Backends, build_server
from pipelines.mcp_transport import serve
from pipelines.mcp_workspace import Workspace
from tests.compose_script import PLAN
from tests.music_fakes import ScaleWriter
from tests.studio_script import NO_ISSUES, VERDICT, first_draft, reply
from tools.settings import Settings

NO_CHANGES = {"changes": []}
REVISION = {"revision": {"changes": {"changes": [
    {"section": "s3", "problem": "the ending is too bright", "action": "simpler", "cadence": "plagal"}]},
    "tempo": {"tempo_bpm": 60}}}
GAME_CONFIG = GameGrammarConfig(proven_engines=False, max_reasks=0, playtest=None)


class SlowEngine(ScriptedEngine):
    def complete(self, request: Request) -> Response:
        time.sleep(60)
        return super().complete(request)


class NoExemplars:
    def search(self, query: str, k: int, constraints: object) -> list[object]:
        return []


def main(out: Path, slow: bool) -> None:
    game_lm = scripted_lm((SlowEngine if slow else ScriptedEngine)(*first_draft(), NO_ISSUES, VERDICT))
    music_lm = scripted_lm(ScriptedEngine(reply("plan", PLAN), reply("theory_critic", NO_CHANGES),
                                          reply("listener_critic", NO_CHANGES), json.dumps(REVISION)))
    gamegrammar.build_lm = lambda settings, ledger=None, seed=0: game_lm  # type: ignore[assignment]
    compose.build_lm = lambda settings, ledger=None, seed=0: music_lm  # type: ignore[assignment]
    backends = Backends(game_config=GAME_CONFIG, exemplars=NoExemplars(),  # type: ignore[arg-type]
                        compose_config=ComposeConfig(audio=False), section_tools=lambda settings: ScaleWriter())
    server = build_server(Workspace(out), Settings.from_env(model="scripted/model"), backends)
    serve(server)


if __name__ == "__main__":
    main(Path(sys.argv[1]), slow=sys.argv[2:] == ["slow"])
