"""The MCP server end to end on the embedded default model: an assistant's client starts
`python -m pipelines.mcp` over stdio, asks for a game and gets a design that passes every
error-level validator, with its rulebook and report, and progress notifications on the way.

As in `tests/test_gamegrammar_embedded.py`, whether the playtest finds the design worth playing is
a quality figure, not a pass/fail here: only the playtest's own findings may stay unresolved."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from ontology.core import errors
from ontology.game import GameDesign
from ontology.game_validators import validate_design

pytestmark = [pytest.mark.embedded, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]


async def design_over_stdio(out: Path, progress: list[str]) -> dict[str, Any]:
    env = {name: value for name, value in os.environ.items() if name.startswith("GO_")}  # the user's model setup
    params = StdioServerParameters(command=sys.executable, args=["-m", "pipelines.mcp", "--out", str(out)],
                                   cwd=str(REPO), env=env)

    async def heard(step: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with Client(params) as client:
        result = await client.call_tool("design_game", {"theme": "bioluminescent fungi competing in a cave ecosystem",
                                                        "players": 3, "seed": 1, "run": "fungi"},
                                        progress_callback=heard)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def test_an_assistant_gets_a_valid_design_over_stdio(tmp_path: Path) -> None:
    progress: list[str] = []
    answer = anyio.run(design_over_stdio, tmp_path, progress)
    design = GameDesign.model_validate(answer["design"])
    report = answer["report"]
    assert errors(validate_design(design)) == [], report["findings"]
    unresolved = {f["code"] for f in report["findings"] if f["severity"] == "error"}
    assert unresolved <= {f["code"] for f in report["playtest"]["findings"]}
    assert answer["rulebook"].startswith(f"# {design.title}") and "## Playtested" in answer["rulebook"]
    assert (tmp_path / "gamegrammar" / "fungi" / "playtest.png").read_bytes().startswith(b"\x89PNG")
    assert any(line.startswith("Mechanics Architect") for line in progress)
    assert design.players.min <= 3 <= design.players.max
