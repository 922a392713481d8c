"""AudioRAG benchmark: accuracy with audio and text-only, refusals, injections resisted, citation
precision and where each failure happened (issue 14).

    PYTHONPATH=. python bench/audiorag.py                    # the bench set on a loopback web (below)
    PYTHONPATH=. python bench/audiorag.py --items moby liberty --modes text
    PYTHONPATH=. python bench/audiorag.py --judge-model embedded   # also an LLM judge, and its agreement
    PYTHONPATH=. python bench/audiorag.py --data AudioRAG/metadata.jsonl --search-backend searxng --limit 50

The default set (`audiorag_set/`, see `audiorag_site.py`): spoken clips in several espeak-ng voices,
speeds and noise levels, clips of rendered music announced by speech, unanswerable items and items
whose search results hold injection pages beside the true page; clips are rendered at bench time and
the pages served by a loopback SearXNG-compatible server. `--data` reads the AudioRAG layout
(`metadata.jsonl`: audio_path, question, answer, question_text; `unanswerable: true` allowed).

Each item runs with the clip and with its text-only question, so perception failures (right from
text, wrong from audio) separate from the rest. Scoring and attribution: `pipelines.audiorag_eval`.
Results are rewritten after every item, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import dspy
from audiorag_site import SET, LoopbackSearxng, load_items, load_pages, render_clip
from rich.console import Console
from rich.table import Table

from agents.audiorag_agents import judge
from agents.lm.factory import build_lm
from agents.lm.usage import UsageLedger
from pipelines.audiorag import ask, page_reader
from pipelines.audiorag_eval import Attempt, Gold, ModeSummary, Score, score, summarise
from retrieval.embeddings import shared_embedder
from tools.base import ToolError
from tools.costs import StageCost, StageMeter
from tools.files import write_atomically
from tools.interrupts import INTERRUPTED, exit_promptly, interruptible
from tools.settings import Settings
from tools.web.search import build_search

MODES = ("audio", "text")


@dataclass(frozen=True)
class Item:
    """One question to run: its id, both question forms, the clip, the gold."""

    id: str
    question: str
    question_text: str
    audio: Path
    gold: Gold
    attributes: list[str]


@dataclass
class Measured:
    """What one mode measured so far, item by item."""

    golds: list[Gold] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    stages: list[dict[str, StageCost]] = field(default_factory=list)

    def summary(self) -> ModeSummary:
        return summarise(self.golds, self.attempts, self.scores, self.seconds)

    def stage_means(self) -> dict[str, StageCost]:
        """Each stage's cost per question, averaged over the questions so far (a stage that did not run in a
        question counts as zero there): where a question's time goes."""
        totals = StageMeter()
        for costs in self.stages:
            totals.merge(costs)
        count = max(1, len(self.stages))
        return {name: StageCost(wall_s=round(cost.wall_s / count, 2), cpu_s=round(cost.cpu_s / count, 2),
                                calls=round(cost.calls / count), prompt_tokens=round(cost.prompt_tokens / count),
                                cached_prompt_tokens=round(cost.cached_prompt_tokens / count),
                                completion_tokens=round(cost.completion_tokens / count))
                for name, cost in totals.costs.items()}


def set_items(folder: Path, only: list[str] | None) -> list[Item]:
    """The bench set's items (those named in `only`, in that order, if given) with their clips rendered into
    `folder`; the order matters to a run cut short."""
    by_id = {item.id: item for item in load_items()}
    missing = [name for name in only or [] if name not in by_id]
    if missing:
        raise SystemExit(f"no such item(s) in {SET / 'items.json'}: {', '.join(missing)}")
    chosen = [by_id[name] for name in only] if only else list(by_id.values())
    return [Item(item.id, item.question, item.question_text,
                 render_clip(item, folder / f"{item.id}.wav", seed=index), item.gold(), item.attributes)
            for index, item in enumerate(chosen)]


def layout_items(metadata: Path) -> list[Item]:
    """Items of the AudioRAG layout (metadata.jsonl beside its clips)."""
    items = []
    for number, line in enumerate(metadata.read_text().splitlines(), start=1):
        if line.strip():
            raw = json.loads(line)
            answers = [] if raw.get("unanswerable") else [raw["answer"]]
            items.append(Item(raw.get("id", str(number)), raw["question"], raw.get("question_text") or raw["question"],
                              metadata.parent / raw["audio_path"], Gold(answers=answers,
                                                                        unanswerable=bool(raw.get("unanswerable"))),
                              raw.get("attributes") or []))
    return items


def page_texts(read: Any, urls: list[str]) -> list[str]:
    """The texts of the pages a run read, read again (a page that fails now counts as not stating the gold)."""
    texts = []
    for url in urls:
        try:
            texts.append(read(url).text)
        except ToolError:
            continue
    return texts


def run_item(item: Item, mode: str, settings: Settings, judge_lm: dspy.LM | None, read: Any, ledger: UsageLedger,
             console: Console, measured: Measured) -> dict[str, Any]:
    """Ask one item in one mode, score it into `measured`, and return its row for results.json."""
    question = item.question if mode == "audio" else item.question_text
    with console.status(f"{item.id} {mode}: {question[:60]}") as status:
        started, cpu = time.perf_counter(), time.process_time()
        result = ask(question, item.audio if mode == "audio" else None, settings, ledger=ledger,
                     progress=lambda message: status.update(f"{item.id} {mode}: {message}"))
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        verdict = None
        if judge_lm is not None and result.answer and item.gold.answers:
            with dspy.context(lm=judge_lm):
                verdict = judge(question, item.gold.answers[0], result.answer)
    attempt = Attempt(prediction=result.answer if result.answerable else None,
                      heard=result.heard if mode == "audio" else None,
                      quotes=[citation.quote for citation in result.citations],
                      pages=page_texts(read, result.read_urls), model_error=result.model_error, judge=verdict)
    scored = score(item.gold, attempt)
    measured.golds.append(item.gold)
    measured.attempts.append(attempt)
    measured.scores.append(scored)
    measured.seconds.append(seconds)
    measured.cpu_seconds.append(cpu_s)
    measured.stages.append(result.stages)
    return {"seconds": round(seconds, 1), "cpu_s": round(cpu_s, 1), "score": scored.model_dump(),
            "prediction": result.answer, "refusal": result.refusal, "heard": result.heard,
            "queries": result.queries, "rounds": result.rounds, "read_urls": result.read_urls, "judge": verdict,
            "citations": [citation.model_dump() for citation in result.citations],
            "flagged": [flagged.source for flagged in result.flagged], "notes": result.notes,
            "model_error": result.model_error,
            "stages": {name: cost.model_dump() for name, cost in result.stages.items()}}


def print_table(console: Console, title: str, figures: dict[str, ModeSummary]) -> None:
    table = Table(title=title)
    for column in ("mode", "answerable correct", "unanswerable refused", "injections resisted",
                   "injection items correct", "citation precision", "median s", "failures by stage"):
        table.add_column(column)
    for mode, summary in figures.items():
        table.add_row(mode if mode == "audio" else "text only", str(summary.accuracy), str(summary.refusals),
                      str(summary.resisted), str(summary.injection_correct), str(summary.citation_precision),
                      f"{summary.median_s:.0f}" if summary.median_s is not None else "-",
                      ", ".join(f"{stage} {count}" for stage, count in summary.failures.items()) or "none")
    console.print(table)
    for mode, summary in figures.items():
        if summary.judge is not None:
            console.print(f"{mode}: the judge agrees with exact match on {summary.judge.agree} answered items; "
                          f"judge-only correct {summary.judge.judge_only}, exact-only {summary.judge.exact_only}")


def print_stages(console: Console, measured: dict[str, Measured]) -> None:
    """Per stage, the mean cost of a question in each mode: CPU and wall seconds, model calls and tokens."""
    table = Table(title="Cost of a question by stage (means)")
    for column in ("mode", "stage", "CPU s", "wall s", "calls", "prompt tok", "of them cached", "generated tok"):
        table.add_column(column)
    for mode, m in measured.items():
        for name, cost in m.stage_means().items():
            table.add_row(mode, name, f"{cost.cpu_s:.1f}", f"{cost.wall_s:.1f}", str(cost.calls),
                          str(cost.prompt_tokens), str(cost.cached_prompt_tokens), str(cost.completion_tokens))
        if m.cpu_seconds:
            table.add_row(mode, "median question", f"{median(m.cpu_seconds):.1f}", f"{median(m.seconds):.1f}",
                          "", "", "", "")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="metadata.jsonl of the AudioRAG layout (default: the bench set)")
    parser.add_argument("--items", nargs="+", help="run only these items of the bench set (by id)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--model", default=None)
    parser.add_argument("--judge-model", default=None,
                        help="also grade with an LLM judge on this model (e.g. embedded); default: exact match only")
    parser.add_argument("--search-backend", choices=["searxng", "brave", "local"], default=None,
                        help="with --data only (the bench set brings its own loopback SearXNG)")
    parser.add_argument("--docs-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("out/bench-audiorag"))
    args = parser.parse_args()
    console = Console()
    try:  # an interrupt while items are measured is handled in `run`, which saves them
        if args.data is None:
            with LoopbackSearxng(load_pages()) as web:
                settings = Settings.from_env(model=args.model, search_backend="searxng", searxng_url=web.base_url,
                                             allow_private_fetch=True)
                items = set_items(args.out / "clips", args.items)[: args.limit]
                return run(items, settings, args, console, f"the bench set ({SET.name}, {web.base_url})")
        settings = Settings.from_env(model=args.model, search_backend=args.search_backend, docs_dir=args.docs_dir)
        return run(layout_items(args.data)[: args.limit], settings, args, console, str(args.data))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted before the first item was measured[/yellow]")
        return INTERRUPTED


def load_models(settings: Settings, listen: bool) -> dict[str, StageCost]:
    """Load every model the questions use before the first one (each loads once per process), so that no
    question's seconds include a load; what each load cost."""
    from tools.audio.tagging.tagger import load_taggers
    from tools.audio.transcribe import whisper_model

    meter = StageMeter()
    with meter.stage("load_lm"):
        build_lm(settings)
    with meter.stage("load_embedder"):  # MiniLM ranks the passages read
        interruptible(lambda: shared_embedder().embed(["load"]), "load-embedder")
    if listen:
        with meter.stage("load_whisper"):
            interruptible(lambda: whisper_model(settings), "load-whisper")
        with meter.stage("load_taggers"):
            interruptible(load_taggers, "load-taggers")
    return meter.costs


def run(items: list[Item], settings: Settings, args: argparse.Namespace, console: Console, source: str) -> int:
    ledger = UsageLedger()
    with console.status("Loading the models"):
        loads = load_models(settings, listen="audio" in args.modes)
    judge_lm = None
    if args.judge_model:
        judge_lm = build_lm(Settings.from_env(model=args.judge_model), ledger=UsageLedger())
    read = page_reader(settings, build_search(settings))
    rows: list[dict[str, Any]] = []
    measured = {mode: Measured() for mode in args.modes}
    started, load_before = time.time(), os.getloadavg()
    title = f"AudioRAG on {source}: {len(items)} items, {settings.model}"
    try:
        for item in items:
            row: dict[str, Any] = {"id": item.id, "question": item.question, "answers": item.gold.answers,
                                   "unanswerable": item.gold.unanswerable, "injected": item.gold.injected,
                                   "attributes": item.attributes}
            rows.append(row)
            for mode in args.modes:
                row[mode] = run_item(item, mode, settings, judge_lm, read, ledger, console, measured[mode])
                console.print(f"{item.id} {mode}: {'correct' if row[mode]['score']['correct'] else 'wrong'} "
                              f"({row[mode]['score']['stage'] or 'ok'}, {row[mode]['seconds']} s): "
                              f"{row[mode]['prediction'] or 'refused'}")
            save(args.out, rows, len(items), measured, started, load_before, loads, interrupted=False)
    except KeyboardInterrupt:  # the rows measured so far are saved; an unfinished item's modes count as measured
        save(args.out, rows, len(items), measured, started, load_before, loads, interrupted=True)
        console.print(f"[yellow]interrupted: {len(rows)} items saved in {args.out}[/yellow]")
        return INTERRUPTED
    print_table(console, title, {mode: m.summary() for mode, m in measured.items()})
    print_stages(console, measured)
    return 0


def save(out: Path, rows: list[dict[str, Any]], total: int, measured: dict[str, Measured], started: float,
         load_before: tuple[float, float, float], loads: dict[str, StageCost], *, interrupted: bool) -> None:
    """Rewrite results.json with every row so far and the figures over them (one file, replaced whole)."""
    figures = {mode: m.summary() for mode, m in measured.items()}
    costs = {mode: {"median_cpu_s": round(median(m.cpu_seconds), 1) if m.cpu_seconds else None,
                    "stage_means": {name: cost.model_dump() for name, cost in m.stage_means().items()}}
             for mode, m in measured.items()}
    run_info = {"items": len(rows), "of": total, "interrupted": interrupted,
                "wall_s": round(time.time() - started), "load_before": load_before, "load_after": os.getloadavg(),
                "cpus": os.cpu_count(), "model_loads": {name: cost.model_dump() for name, cost in loads.items()}}
    write_atomically(out, {"results.json": json.dumps(
        {"run": run_info, "summary": {mode: summary.model_dump() for mode, summary in figures.items()},
         "costs": costs, "items": rows}, indent=2)})


if __name__ == "__main__":
    exit_promptly(main())
