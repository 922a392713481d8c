"""Which entailment checker to trust: accuracy on a hand-labelled set of claims and cited spans.

    python bench/entailment.py                       # both checkers, the embedded default model
    python bench/entailment.py --checkers rules      # the deterministic rules alone (seconds)
    python bench/entailment.py --errors              # also list every pair a checker got wrong
    python bench/entailment.py --sample 48           # 48 pairs, a few of each kind (the LM is slow on 2 cores)

The set (`bench/entailment_set.jsonl`, its first line says how it was made) holds true
paraphrases, negations, name and date swaps, spliced table rows, a value of another event, hedges,
partial support and added qualifiers. Each checker is scored alone and as the AudioRAG graph applies
it, after the exact fact check of `ground_answer` ("facts +"): accuracy, precision and recall on
"entailed", and seconds per pair, on the whole set and on its `dev` and `test` halves (the rules
were written looking at `dev` only).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dspy
from rich.console import Console
from rich.table import Table

from agents.entailment import entailment_checker
from agents.lm.factory import build_lm
from tools.settings import EntailmentCheckerName, Settings
from tools.web.grounding import ground_answer

SET = Path(__file__).with_name("entailment_set.jsonl")


@dataclass(frozen=True)
class Pair:
    id: int
    kind: str
    question: str
    claim: str
    spans: list[str]
    label: str
    split: str

    @property
    def entailed(self) -> bool:
        return self.label == "entailed"


def load_set(path: Path = SET) -> list[Pair]:
    """The labelled pairs; the first line is the set's description, not a pair."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Pair(**json.loads(line)) for line in lines[1:] if line.strip()]


def stratified(pairs: list[Pair], size: int | None) -> list[Pair]:
    """`size` pairs taken in turn from each kind (all when None): a slow checker's sample keeps every kind."""
    if size is None or size >= len(pairs):
        return pairs
    kinds: dict[str, list[Pair]] = {}
    for pair in pairs:
        kinds.setdefault(pair.kind, []).append(pair)
    chosen: list[Pair] = []
    while len(chosen) < size:
        for group in kinds.values():
            if group and len(chosen) < size:
                chosen.append(group.pop(0))
    return sorted(chosen, key=lambda pair: pair.id)


def facts_hold(pair: Pair) -> bool:
    """The exact check already on main: every name, number and date of the claim is in a span."""
    return ground_answer(pair.claim, pair.spans, given=pair.question).reasons() == []


def score(verdicts: dict[int, bool], pairs: list[Pair]) -> tuple[float, float, float]:
    """Accuracy, precision and recall on "entailed"."""
    hits = sum(verdicts[p.id] == p.entailed for p in pairs)
    said = [p for p in pairs if verdicts[p.id]]
    truly = [p for p in pairs if p.entailed]
    precision = sum(p.entailed for p in said) / len(said) if said else 0.0
    recall = sum(verdicts[p.id] for p in truly) / len(truly) if truly else 0.0
    return hits / len(pairs), precision, recall


def run(name: EntailmentCheckerName, pairs: list[Pair]) -> tuple[dict[int, bool], float]:
    """The checker's verdict on every pair, and its seconds per pair."""
    checker = entailment_checker(name)
    verdicts, started = {}, time.perf_counter()
    for done, pair in enumerate(pairs, 1):
        verdicts[pair.id] = checker.check(pair.claim, pair.spans, pair.question).entailed
        if name == "lm":
            logging.info("lm: %d of %d pairs checked", done, len(pairs))
    return verdicts, (time.perf_counter() - started) / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkers", nargs="+", choices=["rules", "lm"], default=["rules", "lm"])
    parser.add_argument("--model", help="the model of the lm checker (default: the configured one)")
    parser.add_argument("--sample", type=int, help="score every checker on this many pairs, taken from each kind in "
                        "turn (the language model needs about a minute a pair on a loaded 2-core machine)")
    parser.add_argument("--errors", action="store_true", help="list the pairs each checker got wrong")
    parser.add_argument("--json", type=Path, help="write every verdict to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    pairs = stratified(load_set(), args.sample)
    console = Console()
    facts = {p.id: facts_hold(p) for p in pairs}
    methods: dict[str, tuple[dict[int, bool], float]] = {"facts only (main)": (facts, 0.0)}
    for name in args.checkers:
        if name == "lm":
            with dspy.context(lm=build_lm(Settings.from_env(model=args.model, temperature=0.0))):
                verdicts, seconds = run(name, pairs)
        else:
            verdicts, seconds = run(name, pairs)
        methods[f"{name} alone"] = (verdicts, seconds)
        methods[f"facts + {name}"] = ({i: facts[i] and verdicts[i] for i in verdicts}, seconds)
    table = Table(title=f"Entailment on {len(pairs)} labelled pairs ({sum(p.entailed for p in pairs)} entailed)")
    for column in ("method", "split", "pairs", "accuracy", "precision", "recall", "s / pair"):
        table.add_column(column, justify="left" if column in ("method", "split") else "right")
    splits: dict[str, Callable[[Pair], bool]] = {"all": lambda p: True, "dev": lambda p: p.split == "dev",
                                                  "test": lambda p: p.split == "test"}
    for method, (verdicts, seconds) in methods.items():
        for split, keep in splits.items():
            chosen = [p for p in pairs if keep(p)]
            accuracy, precision, recall = score(verdicts, chosen)
            table.add_row(method, split, str(len(chosen)), f"{accuracy:.1%}", f"{precision:.1%}", f"{recall:.1%}",
                          f"{seconds:.3f}")
    console.print(table)
    # which checkout was measured: without PYTHONPATH=. a worktree's run imports the installed one's rules
    console.print(f"checkers from {Path(ground_answer.__code__.co_filename).parent.parent.parent}", markup=False)
    if args.errors:
        for method, (verdicts, _) in methods.items():
            wrong = [p for p in pairs if verdicts[p.id] != p.entailed]
            console.print(f"\n[bold]{method}[/bold]: {len(wrong)} wrong")
            for p in wrong:
                console.print(f"  #{p.id} {p.split} {p.kind} ({p.label}): {p.claim} <- {p.spans}", markup=False)
    if args.json:
        args.json.write_text(json.dumps({m: {str(i): v for i, v in verdicts.items()}
                                         for m, (verdicts, _) in methods.items()}, indent=1))


if __name__ == "__main__":
    main()
