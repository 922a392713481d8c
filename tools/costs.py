"""What each stage of a run cost: wall seconds, CPU seconds and language-model tokens.

On a shared machine wall seconds say more about the neighbours than about the code: a question that
takes 200 s at load 12 may take 40 s alone. CPU seconds (`time.process_time`, every thread of this
process: llama.cpp's, CTranslate2's and torch's included) and token counts do not depend on the
neighbours, so they are what a speed change is judged by; wall seconds are kept beside them.

`StageMeter.stage(name)` measures one block; a stage entered again (a second research round) adds to
its totals. Tokens come from a `TokenCounter`, the running totals of the run's model calls, so this
module needs nothing of the agents.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from pydantic import BaseModel


class TokenCount(NamedTuple):
    """Running totals of a run's model calls."""

    calls: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0


TokenCounter = Callable[[], TokenCount]
"""The model calls' totals so far (`UsageLedger.token_count`)."""


class StageCost(BaseModel):
    """One stage's cost. `cached_prompt_tokens` of the prompt tokens were not evaluated again (KV cache)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    calls: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, wall_s: float, cpu_s: float, tokens: TokenCount) -> None:
        self.wall_s = round(self.wall_s + wall_s, 3)
        self.cpu_s = round(self.cpu_s + cpu_s, 3)
        self.calls += tokens.calls
        self.prompt_tokens += tokens.prompt_tokens
        self.cached_prompt_tokens += tokens.cached_prompt_tokens
        self.completion_tokens += tokens.completion_tokens

    def include(self, other: StageCost) -> None:
        """Add `other`'s cost to this one."""
        self.add(other.wall_s, other.cpu_s, TokenCount(other.calls, other.prompt_tokens, other.cached_prompt_tokens,
                                                       other.completion_tokens))


def _no_tokens() -> TokenCount:
    return TokenCount()


class StageMeter:
    """Per-stage costs of one run (one question), in the order the stages were first entered."""

    def __init__(self, tokens: TokenCounter | None = None) -> None:
        self.tokens = tokens or _no_tokens
        self.costs: dict[str, StageCost] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the body's wall seconds, CPU seconds and model tokens to stage `name` (also when it raises).
        Stages must not nest: a nested stage's cost would be counted twice."""
        tokens, wall, cpu = self.tokens(), time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            after = self.tokens()
            spent = TokenCount(*(later - earlier for later, earlier in zip(after, tokens, strict=True)))
            self.costs.setdefault(name, StageCost()).add(time.perf_counter() - wall, time.process_time() - cpu, spent)

    def merge(self, costs: dict[str, StageCost], prefix: str = "") -> None:
        """Add costs measured elsewhere (a tool's own meter) under `prefix` + their names."""
        for name, cost in costs.items():
            self.costs.setdefault(prefix + name, StageCost()).include(cost)

    def snapshot(self) -> dict[str, StageCost]:
        """The costs so far, as copies: an answer's `stages` must not change when the meter goes on counting."""
        return {name: cost.model_copy() for name, cost in self.costs.items()}

    def total(self) -> StageCost:
        """Every stage together (stages do not nest, so nothing is counted twice)."""
        total = StageCost()
        for cost in self.costs.values():
            total.include(cost)
        return total
