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

from pydantic import BaseModel


class TokenCount(BaseModel):
    """Model calls and their tokens: a run's running totals, or what a stage spent of them.
    `cached_prompt_tokens` of the prompt tokens were not evaluated again (KV cache). The one place these
    fields are defined: a stage's cost (`StageCost`) and a ledger's totals (`agents.lm.usage.UsageTotals`)
    extend it, so a ledger's totals are what a `StageMeter` reads."""

    calls: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0

    def add_tokens(self, other: TokenCount) -> None:
        """Add `other`'s calls and tokens to these."""
        for name in TokenCount.model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def since(self, earlier: TokenCount) -> TokenCount:
        """The calls and tokens spent from the running totals `earlier` to these."""
        return TokenCount.model_validate({name: getattr(self, name) - getattr(earlier, name)
                                          for name in TokenCount.model_fields})


TokenCounter = Callable[[], TokenCount]
"""The model calls' totals so far (`UsageLedger.totals`)."""


class StageCost(TokenCount):
    """One stage's cost: its wall and CPU seconds, and its model calls and tokens."""

    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, wall_s: float, cpu_s: float, tokens: TokenCount) -> None:
        self.wall_s = round(self.wall_s + wall_s, 3)
        self.cpu_s = round(self.cpu_s + cpu_s, 3)
        self.add_tokens(tokens)

    def include(self, other: StageCost) -> None:
        """Add `other`'s cost to this one."""
        self.add(other.wall_s, other.cpu_s, other)


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
            spent = self.tokens().since(tokens)
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
