"""Checkpointed pipeline runs: every step of a LangGraph run saved in a SQLite file, so a run killed
at any point resumes at the step it was in, and a finished run can be branched into a new one.

A run is a LangGraph thread whose id is a plain name (it also names folders). The saver's
serializer is strict: it revives only the types of the pipeline's state model, found by walking
its fields, so a checkpoint cannot smuggle in other classes and no "unregistered type" warning
is logged when a run is read back.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel

from tools.locks import InUseError, exclusive_lock

RUN_ID_MAX_CHARS = 64
RUN_ID = re.compile(rf"[a-z0-9_-]{{1,{RUN_ID_MAX_CHARS}}}")
DEFAULT_RECURSION_LIMIT = 200
LOCKS_FOLDER = ".locks"


class RunError(ValueError):
    """A run command that cannot go on as asked (unknown or existing id, unfinished run, ...)."""


class InvalidRunIdError(RunError):
    """A run id that is not a plain name; ids name threads and folders."""


class RunInUseError(RunError):
    """Another process is working on the run; two at once would both write its next steps."""


def checked_run_id(run_id: str) -> str:
    """`run_id` if it is a plain name (a-z, 0-9, '_', '-'; at most 64), else an `InvalidRunIdError`."""
    if not RUN_ID.fullmatch(run_id):
        raise InvalidRunIdError(f"Run id {run_id!r} is not a plain name: use 1-{RUN_ID_MAX_CHARS} of a-z, 0-9, "
                                "'_' and '-', e.g. 'fungi-2'.")
    return run_id


@contextmanager
def holding_run(folder: Path, run_id: str, what: str = "run") -> Iterator[None]:
    """Work on `run_id` as the only process doing so: its lock, `<folder>/.locks/<run_id>.lock`, is
    held for the body, or `RunInUseError` is raised at once when another process holds it (the
    kernel drops a lock when its process dies, so a killed run never stays locked)."""
    stack = ExitStack()
    try:
        stack.enter_context(exclusive_lock(folder / LOCKS_FOLDER / f"{checked_run_id(run_id)}.lock"))
    except InUseError as exc:
        raise RunInUseError(f"{what} {run_id} is in use by another process ({exc.holder}); wait for it to "
                            "finish or stop it, then try again.") from exc
    with stack:
        yield


def new_run_id() -> str:
    """A fresh random id, e.g. 's-1f3a9c2e'."""
    return f"s-{uuid.uuid4().hex[:8]}"


def state_types(schema: type[BaseModel]) -> set[type]:
    """Every Pydantic model and enum that a value of `schema` can hold, `schema` included: the
    types the checkpoint serializer may revive."""
    found: set[type] = set()

    def visit(annotation: Any) -> None:
        if get_origin(annotation) is not None:  # list[X], X | None, dict[K, V], Annotated[X, ...]
            for argument in get_args(annotation):
                visit(argument)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum) and annotation not in found:
            found.add(annotation)
            if issubclass(annotation, BaseModel):
                for field in annotation.model_fields.values():
                    visit(field.annotation)

    visit(schema)
    return found


def strict_serializer(state: type[BaseModel]) -> JsonPlusSerializer:
    """LangGraph's serializer, reviving only `state`'s types (and the built-in safe ones)."""
    return JsonPlusSerializer(allowed_msgpack_modules=sorted(state_types(state), key=str))


@contextmanager
def open_checkpointer(path: Path | None, state: type[BaseModel]) -> Iterator[BaseCheckpointSaver]:
    """A SQLite saver on `path` (its folder is created), or an in-memory one for a run nobody will
    resume (`path` None); either revives only `state`'s types."""
    if path is None:
        yield InMemorySaver(serde=strict_serializer(state))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False)
    try:
        yield SqliteSaver(connection, serde=strict_serializer(state))
    finally:
        connection.close()


def thread_config(run_id: str, recursion_limit: int = DEFAULT_RECURSION_LIMIT,
                  metadata: Mapping[str, str] | None = None) -> RunnableConfig:
    """The LangGraph config that runs or reads the thread `run_id`; `metadata` (e.g. where the
    run's files go) is saved with every checkpoint the run writes."""
    config: RunnableConfig = {"configurable": {"thread_id": run_id}, "recursion_limit": recursion_limit}
    if metadata:
        config["metadata"] = dict(metadata)
    return config


@dataclass(frozen=True)
class Snapshot:
    """A run's latest saved state, the nodes it will run next (none once it has finished) and the
    metadata saved with it."""

    values: dict[str, Any]
    next: tuple[str, ...]
    metadata: dict[str, Any]

    @property
    def interrupted(self) -> bool:
        return bool(self.next)


def read_snapshot(graph: CompiledStateGraph, run_id: str) -> Snapshot | None:
    """The run's latest snapshot, or None when no run has that id."""
    snapshot = graph.get_state(thread_config(run_id))
    if not snapshot.values:
        return None
    return Snapshot(dict(snapshot.values), tuple(snapshot.next), dict(snapshot.metadata or {}))


def copy_thread(graph: CompiledStateGraph, source: str, target: str, *, as_node: str,
                update: Mapping[str, Any] | None = None, metadata: Mapping[str, str] | None = None) -> None:
    """Start the run `target` from `source`'s latest state (with `update` applied), as if `as_node`
    had just written it: the branch's next input starts a new pass over the graph."""
    snapshot = read_snapshot(graph, source)
    if snapshot is None:
        raise RunError(f"No run {source!r} to branch from.")
    if read_snapshot(graph, target) is not None:
        raise RunError(f"Run {target!r} exists; choose another id.")
    graph.update_state(thread_config(target, metadata=metadata), {**snapshot.values, **(update or {})},
                       as_node=as_node)
