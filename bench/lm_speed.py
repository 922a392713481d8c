"""Decode speed of the embedded models: free vs schema-constrained generation.

    python bench/lm_speed.py                       # the default embedded model
    python bench/lm_speed.py --models embedded:qwen2.5-coder-0.5b embedded:qwen2.5-coder-1.5b

Modes, all on the same prompts, seeds and llama.cpp build:
  free              no constraint
  xgrammar          our constraint: token bitmask on the logits + jump-forward of forced text
  xgrammar-nojump   the bitmask alone (isolates the masking cost)
  llama.cpp-gbnf    llama.cpp's own JSON-schema grammar sampler (the reference we replace)

Each prompt is evaluated once before timing, so the timed call reuses the KV cache and the figure
is decode speed: output tokens (forced ones included) per second of generation.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Annotated

import llama_cpp
from llama_cpp.llama_grammar import LlamaGrammar
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from agents.lm.factory import load_local_model
from agents.lm.llamacpp import LlamaCppModel, SamplingParams, load_llama
from tools.settings import DEFAULT_TEMPERATURE, Settings


class Mechanism(BaseModel):
    name: str = Field(max_length=40)
    how_it_works: str = Field(max_length=200)


class Design(BaseModel):
    title: str = Field(max_length=60)
    tagline: str = Field(max_length=120)
    min_players: int = Field(ge=1, le=8)
    max_players: int = Field(ge=1, le=8)
    mechanisms: list[Mechanism] = Field(max_length=3)
    setup_steps: list[Annotated[str, Field(max_length=80)]] = Field(max_length=4)


PROMPTS = [
    "Design a tabletop game about bioluminescent fungi competing in a cave. Answer as JSON.",
    "Design a cooperative card game about lighthouse keepers in a storm. Answer as JSON.",
    "Design a short auction game about trading spices in a desert market. Answer as JSON.",
]


def _gbnf_run(
    llm: llama_cpp.Llama, tokens: list[int], grammar: LlamaGrammar, params: SamplingParams
) -> tuple[int, float]:
    llm.create_completion(tokens, max_tokens=1, grammar=grammar, temperature=params.temperature, seed=params.seed)
    started = time.perf_counter()
    out = llm.create_completion(
        tokens, max_tokens=params.max_tokens, grammar=grammar, temperature=params.temperature,
        top_p=params.top_p, top_k=params.top_k, min_p=params.min_p, seed=params.seed,
    )
    return out["usage"]["completion_tokens"], time.perf_counter() - started


def bench_model(spec: str, settings: Settings, max_tokens: int) -> list[tuple[str, str, int, float]]:
    model: LlamaCppModel = load_local_model(spec, settings)
    schema = Design.model_json_schema()
    rows: list[tuple[str, str, int, float]] = []
    modes = {
        "free": dict(constrained=False),
        "xgrammar": dict(constrained=True, schema=schema),
        "xgrammar-nojump": dict(constrained=True, schema=schema, jump_forward=False),
    }
    model.grammar.constraint(schema)  # build the vocabulary and compile outside the timing
    for mode, options in modes.items():
        tokens, seconds = 0, 0.0
        for seed, prompt in enumerate(PROMPTS):
            prompt_tokens = model.chat_tokens([{"role": "user", "content": prompt}])
            params = SamplingParams(max_tokens=max_tokens, temperature=DEFAULT_TEMPERATURE, seed=seed)
            model.generate(prompt_tokens, SamplingParams(max_tokens=1), stall_timeout_s=settings.stall_timeout_s)
            generation = model.generate(prompt_tokens, params, stall_timeout_s=settings.stall_timeout_s, **options)
            if options.get("constrained"):
                Design.model_validate_json(generation.text)
            tokens += generation.completion_tokens
            seconds += generation.wall_s
        rows.append((model.name, mode, tokens, tokens / seconds))
    reference = load_llama(
        model_path=str(model.path), n_ctx=settings.context_tokens, n_threads=settings.threads,
        n_threads_batch=settings.threads, verbose=False,
    )
    grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    tokens, seconds = 0, 0.0
    for seed, prompt in enumerate(PROMPTS):
        prompt_tokens = model.chat_tokens([{"role": "user", "content": prompt}])
        count, elapsed = _gbnf_run(reference, prompt_tokens, grammar, SamplingParams(max_tokens=max_tokens, seed=seed))
        tokens += count
        seconds += elapsed
    reference.close()
    rows.append((model.name, "llama.cpp-gbnf", tokens, tokens / seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["embedded"])
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    settings = Settings(context_tokens=4096, threads=args.threads)
    table = Table(title="Embedded decode speed (output tokens per second, KV-cached prompt)")
    for column in ("model", "mode", "tokens", "tok/s", "vs free"):
        table.add_column(column, justify="right" if column not in ("model", "mode") else "left")
    for spec in args.models:
        rows = bench_model(spec, settings, args.max_tokens)
        free = next(rate for _, mode, _, rate in rows if mode == "free")
        for name, mode, tokens, rate in rows:
            table.add_row(name, mode, str(tokens), f"{rate:.1f}", f"{100 * rate / free:.0f}%")
    Console().print(table)


if __name__ == "__main__":
    main()
