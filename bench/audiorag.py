"""AudioRAG benchmark harness: accuracy with audio, and the text-only upper bound.

    python bench/audiorag.py                       # the offline fixture: espeak-ng clips + local documents
    python bench/audiorag.py --data AudioRAG/metadata.jsonl --search-backend searxng --limit 50

Reads the AudioRAG layout (`metadata.jsonl`: audio_path, data_source, attributes, question, answer,
question_text). Each item runs twice: with the clip (listen -> search -> answer) and with
`question_text` alone, so perception errors (right from text, wrong from audio) and retrieval or
reasoning errors (wrong from both) can be told apart. Scores: exact match (the normalised reference
occurs in the answer) and an LLM judge.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import dspy
from rich.console import Console
from rich.table import Table

from agents.audiorag_agents import judge
from agents.lm.factory import build_lm
from agents.lm.usage import UsageLedger
from pipelines.audiorag import ask
from tools.files import write_atomically
from tools.settings import Settings

FIXTURE = Path(__file__).parent / "audiorag_fixture"


def make_fixture(folder: Path) -> Path:
    """Speak each fixture item with espeak-ng into `folder` and write its metadata.jsonl."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed for the fixture clips: apt-get install espeak-ng (make install does)")
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for item in json.loads((FIXTURE / "items.json").read_text()):
        wav = folder / f"{item['id']}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), item["speech"]], check=True,
                       timeout=60)
        lines.append(json.dumps({"audio_path": wav.name, **{k: item[k] for k in (
            "data_source", "attributes", "question", "answer", "question_text")}}))
    (folder / "metadata.jsonl").write_text("\n".join(lines) + "\n")
    return folder / "metadata.jsonl"


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def exact_match(reference: str, prediction: str | None) -> bool:
    return bool(prediction) and normalised(reference) in normalised(prediction)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="metadata.jsonl of the AudioRAG layout (default: the fixture)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--search-backend", choices=["searxng", "brave", "local"], default=None)
    parser.add_argument("--docs-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("out/bench-audiorag"))
    args = parser.parse_args()
    data, backend, docs = args.data, args.search_backend, args.docs_dir
    if data is None:
        data = make_fixture(args.out / "fixture")
        backend, docs = backend or "local", docs or FIXTURE / "docs"
    settings = Settings.from_env(model=args.model, search_backend=backend, docs_dir=docs)
    items = [json.loads(line) for line in data.read_text().splitlines() if line.strip()][: args.limit]
    console = Console()
    ledger = UsageLedger()
    judge_lm = build_lm(settings, ledger=UsageLedger())
    rows = []
    for index, item in enumerate(items, start=1):
        row = {"question": item["question"], "answer": item["answer"], "data_source": item.get("data_source")}
        for mode, question, audio in (("audio", item["question"], data.parent / item["audio_path"]),
                                      ("text", item.get("question_text") or item["question"], None)):
            with console.status(f"{index}/{len(items)} {mode}: {question[:60]}") as status:
                started = time.perf_counter()
                result = ask(question, audio, settings, ledger=ledger,
                             progress=lambda message, m=mode, n=index: status.update(f"{n} {m}: {message}"))
                seconds = time.perf_counter() - started
                with dspy.context(lm=judge_lm):
                    judged = bool(result.answer) and judge(item["question"], item["answer"], result.answer)
            row[mode] = {"prediction": result.answer, "answerable": result.answerable, "seconds": round(seconds, 1),
                         "exact": exact_match(item["answer"], result.answer), "judge": judged,
                         "citations": [c.source for c in result.citations], "heard": result.heard,
                         "notes": result.notes, "model_error": result.model_error}
        rows.append(row)
    table = Table(title=f"AudioRAG on {data} ({len(rows)} items, {settings.model}, search: {settings.search_backend})")
    for column in ("mode", "exact match", "LLM judge", "answered", "median s"):
        table.add_column(column)
    summary: dict[str, dict[str, float]] = {}
    for mode in ("audio", "text"):
        results = [row[mode] for row in rows]
        times = sorted(r["seconds"] for r in results)
        summary[mode] = {"exact": sum(r["exact"] for r in results) / len(results),
                         "judge": sum(r["judge"] for r in results) / len(results),
                         "answered": sum(r["answerable"] for r in results) / len(results),
                         "median_s": times[len(times) // 2]}
        table.add_row(mode if mode == "audio" else "text only (upper bound)", f"{summary[mode]['exact']:.0%}",
                      f"{summary[mode]['judge']:.0%}", f"{summary[mode]['answered']:.0%}",
                      f"{summary[mode]['median_s']:.0f}")
    perception = sum(row["text"]["judge"] and not row["audio"]["judge"] for row in rows)
    retrieval = sum(not row["text"]["judge"] and not row["audio"]["judge"] for row in rows)
    console.print(table)
    console.print(f"perception errors (right from text, wrong from audio): {perception}; "
                  f"retrieval/reasoning errors (wrong from both): {retrieval}")
    write_atomically(args.out, {"results.json": json.dumps({"summary": summary, "perception_errors": perception,
                                                             "retrieval_errors": retrieval, "items": rows}, indent=2)})


if __name__ == "__main__":
    main()
