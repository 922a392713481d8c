"""Per-call accounting and token budgets.

A `UsageLedger` is shared by every model call of one run. Each call adds a `CallRecord` (model,
agent, tokens, wall time, outcome); a `TokenBudget` turns the ledger into a hard stop. The agent a
call belongs to comes from a context variable set with `attributed_to`, so pipelines label
calls without threading a name through every function.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel, Field

from agents.lm.errors import BudgetExceededError
from tools.costs import TokenCount

_current_agent: ContextVar[str] = ContextVar("current_agent", default="unattributed")


@contextmanager
def attributed_to(agent: str) -> Iterator[None]:
    """Attribute the model calls made inside this block to `agent`."""
    token = _current_agent.set(agent)
    try:
        yield
    finally:
        _current_agent.reset(token)


def current_agent() -> str:
    return _current_agent.get()


class CallRecord(BaseModel):
    """One model call as it happened."""

    model: str
    agent: str
    prompt_tokens: int = 0
    cached_prompt_tokens: int = Field(0, description="prompt tokens found in the KV cache, not evaluated again")
    completion_tokens: int = 0
    wall_s: float = 0.0
    error: str | None = None


class UsageTotals(TokenCount):
    """The calls' tokens (`TokenCount`), wall seconds and failures, added up."""

    wall_s: float = 0.0
    errors: int = 0

    def add(self, record: CallRecord) -> None:
        self.add_tokens(TokenCount(calls=1, prompt_tokens=record.prompt_tokens,
                                   cached_prompt_tokens=record.cached_prompt_tokens,
                                   completion_tokens=record.completion_tokens))
        self.wall_s += record.wall_s
        self.errors += record.error is not None


class TokenBudget(BaseModel):
    """Limits on the tokens one run may spend; None means unlimited."""

    completion_tokens: int | None = Field(None, gt=0)
    total_tokens: int | None = Field(None, gt=0)


class UsageLedger:
    """Thread-safe record of every model call in a run, with an optional budget."""

    def __init__(self, budget: TokenBudget | None = None) -> None:
        self.budget = budget or TokenBudget()
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    @property
    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def record(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)

    def totals(self) -> UsageTotals:
        """Every call so far, added up; also the `tools.costs.TokenCounter` a `StageMeter` reads."""
        totals = UsageTotals()
        for record in self.records:
            totals.add(record)
        return totals

    def by_agent(self) -> dict[str, UsageTotals]:
        result: dict[str, UsageTotals] = {}
        for record in self.records:
            result.setdefault(record.agent, UsageTotals()).add(record)
        return result

    def check(self) -> None:
        """Raise `BudgetExceededError` if the budget is already spent."""
        totals = self.totals()
        spent = (
            ("completion", self.budget.completion_tokens, totals.completion_tokens),
            ("total", self.budget.total_tokens, totals.prompt_tokens + totals.completion_tokens),
        )
        for kind, limit, used in spent:
            if limit is not None and used >= limit:
                raise BudgetExceededError(kind, limit, used)

    def cap_completion(self, requested: int) -> int:
        """The completion tokens the next call may use: `requested`, or what is left if less."""
        totals = self.totals()
        caps = [requested]
        if self.budget.completion_tokens is not None:
            caps.append(self.budget.completion_tokens - totals.completion_tokens)
        if self.budget.total_tokens is not None:
            caps.append(self.budget.total_tokens - totals.prompt_tokens - totals.completion_tokens)
        return max(1, min(caps))
