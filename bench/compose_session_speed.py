"""Seconds a composition session spends outside the language model, per style.

    PYTHONPATH=. python bench/compose_session_speed.py                 # one session per style
    PYTHONPATH=. python bench/compose_session_speed.py --styles jig -n 3 --profile out/speed   # where the time goes
    PYTHONPATH=. python bench/compose_session_speed.py --keep out/before   # keep the sessions' files
    PYTHONPATH=. python bench/compose_session_speed.py --tokens     # each call's prompt tokens and cache hits
    cmp out/before/jig/jig-0/v1/piece.mid out/after/jig/jig-0/v1/piece.mid   # a speed-up wrote the same notes

A session's wall time is the model's calls plus everything else: writing the sections (the neural
tools), validating and listening to each candidate, repairs, rendering. This bench runs real
sessions with the real tools and a scripted model, so what it measures is the non-model time the
issue's 60 s a version has to fit beside the model's. The scripted Composer answers the first
request of each style in `bench/compose_quality.py` with `bench/compose_tools_quality.py`'s plan
(A, B, A'); the Theory Critic asks for nothing and the Listener Critic for more variety in the
middle section, as critics often do, so a session also rewrites after its critique. No WAV is
rendered. `--keep DIR` keeps each session's folder (its versions' MIDI, MusicXML and piece.json), so
a change meant only to be faster can be checked to write the same notes for the same plan and seed.
`--tokens` counts each model call's prompt with the embedded model's own tokenizer and chat
template, and how much of it the embedded engine's KV cache would serve (the prompt and answer of
the call before, as `LlamaCppModel` leaves them, less what differs: `reusable_prefix`; or the fixed
system prefix an earlier process saved, `agents.lm.prompt_states`, whichever is longer): the new
prompt tokens are what the model must evaluate, about 40 a second on two cores with the 1.5B model.
`--profile DIR` writes each session's cProfile statistics there and prints the functions that took
the most CPU time: the profiler counts this process's CPU seconds, not wall seconds, which on a
shared machine charge other processes' work to whatever happened to be running (a wall-clock profile
at load 10 put a third of a chorale's time in drawing its piano roll, which takes 1-2 CPU seconds).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from dspy.lm15 import Request

from agents.lm.engine import LlamaCppEngine
from agents.lm.llamacpp import LlamaCppModel, reusable_prefix
from agents.lm.testing import ScriptedEngine, scripted_lm
from agents.lm.weights import embedded_model, ensure_weights
from ontology.music_drafts import facts_from_request
from ontology.music_styles import style_spec
from pipelines.compose import ComposeSessions
from pipelines.compose_graph import ComposeConfig, ComposeState
from tools.music.neural_sections import NeuralSectionTools
from tools.music.quality.references import STYLES
from tools.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from compose_quality import REQUESTS  # noqa: E402  (sibling scripts, not a package)
from compose_tools_quality import FORM, METER  # noqa: E402

MORE_VARIETY = {"changes": [{"section": "s2", "problem": "the middle repeats one rhythm", "action": "more_variety",
                             "cadence": None, "variation_of": None}]}


def replies(request: str, style: str, seed: int) -> list[str]:
    """The scripted model's answers to one session: the plan, then the two critics."""
    facts = facts_from_request(request)
    plan = {"title": f"{style} {seed}", "style": style, "key": facts.key, "meter": facts.meter or METER[style],
            "tempo_bpm": style_spec(facts.style or style).default_tempo(), **FORM}
    return [json.dumps({"plan": plan}), json.dumps({"theory_critic": {"changes": []}}),
            json.dumps({"listener_critic": MORE_VARIETY})]


def call_tokens(tokenizer: LlamaCppModel, requests: list[Request], answers: list[str]) -> list[CallTokens]:
    """Each call's prompt tokens, those the KV cache would serve (the call before left its prompt and
    its answer but the answer's last token there, as `LlamaCppModel` does; the first call, its fixed
    prefix as saved by an earlier process) and the answer's tokens."""
    engine = LlamaCppEngine(tokenizer, stall_timeout_s=1.0)
    cached: list[int] = []
    calls = []
    for request, answer in zip(requests, answers, strict=False):
        messages = engine.messages(request)
        prompt = tokenizer.chat_tokens(messages)
        answered = tokenizer.tokenize_text(answer)
        served = max(reusable_prefix(cached, prompt), tokenizer.fixed_prefix(messages, prompt))
        calls.append(CallTokens(len(prompt), served, len(answered)))
        cached = prompt + answered[:-1]
    return calls


class CallTokens(NamedTuple):
    prompt: int
    cached: int
    answer: int


def session(tools: NeuralSectionTools, root: Path, style: str, seed: int,
            profile: Path | None, tokenizer: LlamaCppModel | None = None) -> tuple[float, float, ComposeState]:
    """One session's wall and CPU seconds (this process's: on a shared machine the wall time counts
    the other processes too) and its final state (cProfiled into `profile` when given); with a
    `tokenizer`, each model call's tokens are printed."""
    request = REQUESTS[style][seed % len(REQUESTS[style])]
    answers = replies(request, style, seed)
    engine = ScriptedEngine(*answers)
    lm = scripted_lm(engine)
    store = ComposeSessions(root, tools, config=ComposeConfig(audio=False), lm=lm)
    profiler = cProfile.Profile(time.process_time) if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    try:
        if profiler:
            profiler.enable()
        _, state = store.start(request, seed=seed, session=f"{style.replace(' ', '-')}-{seed}")
    finally:
        if profiler:
            profiler.disable()
        store.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if tokenizer is not None:
        calls = call_tokens(tokenizer, engine.requests, answers)
        for (prompt, cached, answer), record in zip(calls, lm.ledger.records, strict=True):
            print(f"  {record.agent}: prompt {prompt} tokens, {cached} cached, {prompt - cached} new; "
                  f"answer {answer} tokens (scripted)")
        print(f"  {style} {seed}: {sum(c.prompt for c in calls)} prompt tokens, "
              f"{sum(c.prompt - c.cached for c in calls)} new", flush=True)
    if profiler and profile:
        profile.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(profile / f"{style.replace(' ', '-')}-{seed}.prof")
    return seconds, cpu, state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", nargs="+", choices=STYLES, default=list(STYLES))
    parser.add_argument("-n", type=int, default=1, help="sessions per style (requests and keys cycle)")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here and print the top functions")
    parser.add_argument("--top", type=int, default=12, help="functions printed per style with --profile")
    parser.add_argument("--keep", type=Path, help="keep the sessions' folders here (default: a scratch folder)")
    parser.add_argument("--tokens", action="store_true",
                        help="count each call's prompt tokens and KV-cache hits with the embedded model's tokenizer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tools = NeuralSectionTools()
    tokenizer = None
    if args.tokens:
        settings = Settings.from_env()
        model = embedded_model()
        tokenizer = LlamaCppModel(ensure_weights(model, settings.cache_dir), name=model.name, vocab_only=True)
    with tempfile.TemporaryDirectory() as scratch:
        for style in args.styles:
            for seed in range(args.n):
                seconds, cpu, state = session(tools, (args.keep or Path(scratch)) / style, style, seed, args.profile,
                                              tokenizer)
                reasons = Counter(change.reason for change in state.changes)
                in_tools = sum(call.seconds for call in state.tool_calls)
                run = state.runs[-1]
                print(f"{style} {seed}: {seconds:.1f} s ({cpu:.1f} s CPU), {len(state.tool_calls)} tool calls "
                      f"({in_tools:.1f} s), {run.model_calls} model calls ({run.prompt_tokens} prompt words, "
                      f"{run.completion_tokens} scripted tokens), changes {dict(reasons)}, findings left "
                      f"{sorted(f.code for f in state.findings) or 'none'}", flush=True)
            if args.profile:
                stats = pstats.Stats(*(str(args.profile / f"{style.replace(' ', '-')}-{seed}.prof")
                                       for seed in range(args.n)))
                stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
