"""`--verify-weights` on each of the three CLIs reaches the settings (and so the weight loader)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.lm.errors import ModelConfigError
from pipelines import audiorag, compose, gamegrammar
from tools.settings import Settings


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (gamegrammar.main, ["a lighthouse keeper's island in a winter storm"]),
        (compose.main, ["a waltz in G major, 16 bars"]),
        (audiorag.main, ["--text", "Who wrote the Moonlight Sonata?"]),
    ],
    ids=["gamegrammar", "compose", "audiorag"],
)
def test_the_flag_reaches_the_settings(
    main: Callable[[list[str]], int], argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []

    def recording(cls: type[Settings], **overrides: Any) -> Settings:
        seen.append(overrides)
        raise ModelConfigError("stop here: the test only looks at the settings")

    monkeypatch.chdir(tmp_path)  # nothing a CLI might write lands in the worktree
    monkeypatch.setattr(Settings, "from_env", classmethod(recording))
    main([*argv, "--verify-weights"])
    main(argv)
    assert [overrides.get("verify_weights") for overrides in seen] == [True, None]
