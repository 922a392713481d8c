"""What Whisper hears in the AudioRAG bench set's clips: the word error rate against the text spoken, and
whether each clip's needed names were heard (issue 14: three of twelve failures were mishearings).

    PYTHONPATH=. python bench/whisper_heard.py                        # base, the question as prompt
    PYTHONPATH=. python bench/whisper_heard.py --no-prompt --items eiffel bigben monalisa
    PYTHONPATH=. python bench/whisper_heard.py --whisper tiny --json heard.json

Clips are rendered as `bench/audiorag.py` renders the whole set (the noise seeded by the item's place in
it) and transcribed as the listener does: the voice detector's spans, the question's language weighed
against Whisper's detection (English only for tiny.en), and, unless `--no-prompt`, the question as
Whisper's initial prompt.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from audiorag_site import load_items, render_clip
from rich.console import Console
from rich.table import Table

from pipelines.audiorag_eval import states, words
from tools.audio.language import question_language
from tools.audio.load import load_audio
from tools.audio.transcribe import transcribe
from tools.audio.whisper_weights import WHISPER_MODELS
from tools.settings import Settings


def word_error_rate(said: str, heard: str) -> float:
    """Word-level edit distance of `heard` from `said`, per word said (the evaluation's normalised words)."""
    reference, hypothesis = words(said), words(heard)
    row = list(range(len(hypothesis) + 1))
    for i, expected in enumerate(reference, start=1):
        diagonal, row[0] = row[0], i
        for j, got in enumerate(hypothesis, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (expected != got))
    return row[-1] / max(1, len(reference))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", nargs="+", help="only these items (by id); default: every item of the set")
    parser.add_argument("--whisper", choices=sorted(WHISPER_MODELS), default="base")
    parser.add_argument("--no-prompt", action="store_true", help="decode without the question as initial prompt")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    settings = Settings.from_env().model_copy(update={"whisper_model": args.whisper})
    english_only = not WHISPER_MODELS[args.whisper].multilingual
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for index, item in enumerate(load_items()):
            if args.items and item.id not in args.items:
                continue
            audio = load_audio(str(render_clip(item, Path(scratch) / f"{item.id}.wav", seed=index)))
            started = time.process_time()
            heard = transcribe(audio, settings, language="en" if english_only else None,
                               language_hint=None if english_only else question_language(item.question),
                               prompt=None if args.no_prompt else item.question).text
            rows.append({"id": item.id, "said": item.speech, "heard": heard,
                         "wer": round(word_error_rate(item.speech, heard), 3),
                         "names": all(states(name, heard) for name in item.needed),
                         "cpu_s": round(time.process_time() - started, 2)})
    table = Table(title=f"Whisper {args.whisper}, {'no prompt' if args.no_prompt else 'the question as prompt'}")
    for column in ("clip", "heard", "names", "WER", "CPU s"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["heard"], "yes" if row["names"] else "no", f"{row['wer']:.2f}", str(row["cpu_s"]))
    console = Console()
    console.print(table)
    if rows:
        mean_wer, cpu = sum(row["wer"] for row in rows) / len(rows), sum(row["cpu_s"] for row in rows)
        console.print(f"names heard {sum(row['names'] for row in rows)}/{len(rows)}, mean WER {mean_wer:.3f}, "
                      f"CPU {cpu:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
