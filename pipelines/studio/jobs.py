"""Pipeline runs started from the studio: one worker thread runs them in turn, and each keeps the
progress lines its pipeline reported so a page can stream them (server-sent events) from any point.

One worker, not one per request: a run loads a model and works the CPUs for minutes, so a second
run started meanwhile waits its turn rather than halving the speed of both (and two embedded
models in one process would double the memory). The worker is a daemon thread: Ctrl-C stops the
server at once rather than after the run in progress, whose finished steps are in its checkpoints
(a thread pool's workers are joined at exit, which would hold the process for the whole run).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pipelines.pipeline import Progress

logger = logging.getLogger(__name__)

JobState = Literal["waiting", "running", "done", "failed"]

Work = Callable[[Progress], str]
"""A run: given the progress callback, it runs a pipeline and returns the path of its result page."""


@dataclass
class Job:
    """One run: its progress lines so far, its state, and where its result is (or why it failed)."""

    id: str
    kind: str
    title: str
    state: JobState = "waiting"
    lines: list[tuple[float, str]] = field(default_factory=list)
    result: str | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def say(self, message: str) -> None:
        """The pipeline's `Progress` callback: keep the line (called from the worker thread)."""
        with self._lock:
            self.lines.append((time.time() - self.started, message))

    def since(self, count: int) -> tuple[list[tuple[float, str]], JobState]:
        """The lines after the first `count`, and the state, read together."""
        with self._lock:
            return self.lines[count:], self.state

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class JobRunner:
    """Runs jobs one at a time on a worker thread; jobs are kept in memory while the server runs
    (their results are on disk, listed from there)."""

    def __init__(self, explain: Callable[[Exception], str]) -> None:
        self._explain = explain
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[tuple[Job, Work] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="studio-run", daemon=True)
        self._worker.start()

    def submit(self, kind: str, title: str, work: Work) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, title=title)
        self._jobs[job.id] = job
        self._queue.put((job, work))
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def ahead_of(self, job: Job) -> int:
        """How many jobs will run before `job`, the one running included."""
        return sum(1 for other in self._jobs.values()
                   if other.started < job.started and not other.finished) if job.state == "waiting" else 0

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            self._run(*item)

    def _run(self, job: Job, work: Work) -> None:
        job.state = "running"
        try:
            job.result = work(job.say)
        except Exception as exc:  # any failure ends this job only; the page shows why
            logger.warning("studio job %s (%s) failed", job.id, job.kind, exc_info=True)
            job.error = self._explain(exc)
            job.state = "failed"
        else:
            job.state = "done"

    def shutdown(self) -> None:
        """Drop the jobs still waiting; the running one's finished steps are in its checkpoints."""
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                item[0].error, item[0].state = "The studio stopped before this run began.", "failed"
        self._queue.put(None)
