"""The one shape every pipeline graph has, so a node reads the same in GameGrammar, composition and
AudioRAG and can be tested alone.

- **State** is plain typed data: a Pydantic model whose fields are ontology instances, small Pydantic
  records, strings and numbers — never a live object. It is what LangGraph's checkpointer stores, so
  a run can be resumed or branched from any step.
- **Dependencies** (the tools, stores, search, configuration, progress callback) are one explicit
  object per pipeline, built once per process. The language model is not among them: DSPy's context
  (`dspy.context(lm=...)`) carries it, as it does for every DSPy program.
- **Nodes** are module-level functions `node(state, deps) -> update`, where the update is a dict of
  the state fields the node changed. Routers are `route(state, deps) -> next node name`. `bind`
  closes a node over the dependencies when the graph is wired; a test calls the node directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
"""Receives one short line per step ("Composer: planning the form"), for a CLI status or a UI."""

Update = dict[str, Any]
"""The state fields a node changed, by name."""

StateT = TypeVar("StateT", bound=BaseModel)
DepsT = TypeVar("DepsT")
ResultT = TypeVar("ResultT")
StateT_contra = TypeVar("StateT_contra", bound=BaseModel, contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)


class Bound(Protocol[StateT_contra, ResultT_co]):
    """A node or router with its dependencies filled in. LangGraph's node protocol names the
    parameter `state` (it may be passed by keyword), which a plain `Callable[[State], R]` does not
    promise, so `bind` returns this."""

    def __call__(self, state: StateT_contra) -> ResultT_co: ...


def log_progress(message: str) -> None:
    """The default `Progress`: a line in the log."""
    logger.info(message)


def bind(step: Callable[[StateT, DepsT], ResultT], deps: DepsT) -> Bound[StateT, ResultT]:
    """`step` with its dependencies filled in, as LangGraph calls a node or a router: `f(state)`."""

    def bound(state: StateT) -> ResultT:
        return step(state, deps)

    return bound
