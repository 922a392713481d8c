"""A GGUF chat model run in-process with llama.cpp, with an optional JSON-schema constraint.

The decode loop is our own (on llama-cpp-python's public model, tokenizer and low-level sampler
API) rather than `Llama.generate`, because it needs three things that API does not offer
together: grammar masks applied to the logits in place, jump-forward batches of forced tokens,
and progress reported on every prompt batch and token, so that a slow call is let finish and only
a stalled one fails (`agents.lm.stall`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
from llama_cpp.llama_types import ChatCompletionRequestMessage

from agents.lm.errors import ModelConfigError, PromptTooLongError
from agents.lm.grammar import JsonConstraint, VocabularyFiles, VocabularyGrammar
from agents.lm.prompt_states import PROMPT_STATE_FOLDER, PromptStates
from agents.lm.stall import DecodeProgress, DecoderClock, run_watched
from tools.interrupts import interrupts_deferred
from tools.settings import DEFAULT_CONTEXT_TOKENS, DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE

logger = logging.getLogger(__name__)

FinishReason = Literal["stop", "length"]

# Prompt tokens evaluated per step (llama.cpp's own batch is 512). Each step counts as progress, so
# one step must stay well under the stall limit on a starved machine, where a 512-token batch of the
# 1.5B model can take tens of seconds.
PROMPT_BATCH_TOKENS = 128

MIN_ROOM_TOKENS = 16
"""Context left after the prompt below which generation is refused: too little for any answer."""

CPU_INFO = Path("/proc/cpuinfo")
_DEFAULT_PARAMS_LOCK = threading.Lock()


def cpu_has_amx(cpuinfo: Path = CPU_INFO) -> bool:
    """Whether the CPU offers Intel AMX (Sapphire Rapids and later Xeons), read from Linux's CPU
    flags; False where they cannot be read (another OS: no AMX build of ggml runs there)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.startswith("flags") and "amx_int8" in line.split() for line in text.splitlines())


def load_llama(**kwargs: Any) -> llama_cpp.Llama:
    """`llama_cpp.Llama(**kwargs)`, without llama.cpp's repacked weight buffers on a CPU with AMX.

    A llama.cpp built on such a CPU repacks the weights for its AMX matrix multiply, which
    segfaults on the first decode (ggml-org/llama.cpp#20824, closed stale without a fix; seen on
    this project's 2-core Sapphire Rapids machines with the Qwen2.5-Coder GGUFs, every run: the
    whole process dies, tests and sessions with it). Loading with `use_extra_bufts` off keeps the
    weights in plain CPU buffers, which decode correctly. `Llama` takes no such argument and starts
    from `llama_model_default_params()`, so that function is swapped for the load (under a lock:
    another thread's load must not see it)."""
    if not cpu_has_amx():
        return llama_cpp.Llama(**kwargs)
    bindings = llama_cpp.llama_cpp
    defaults = bindings.llama_model_default_params

    def plain_buffers() -> llama_cpp.llama_model_params:
        params: llama_cpp.llama_model_params = defaults()
        params.use_extra_bufts = False
        return params

    with _DEFAULT_PARAMS_LOCK:
        bindings.llama_model_default_params = plain_buffers
        try:
            return llama_cpp.Llama(**kwargs)
        finally:
            bindings.llama_model_default_params = defaults


@dataclass(frozen=True)
class SamplingParams:
    """How to pick each token. temperature 0 means greedy decoding."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = 0.9
    top_k: int = 40
    min_p: float = 0.05
    seed: int = 0
    stop: tuple[str, ...] = ()
    repeat_penalty: float = 1.1
    repeat_window: int = 64


@dataclass
class Generation:
    """What one call produced, with the counts that accounting and benchmarks need."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    wall_s: float
    forced_tokens: int = 0
    cached_prompt_tokens: int = 0


class LlamaCppModel:
    """One loaded GGUF model. Calls are serialised: a llama.cpp context is not thread-safe."""

    def __init__(self, path: Path, *, name: str, context_tokens: int = DEFAULT_CONTEXT_TOKENS,
                 threads: int | None = None, vocab_only: bool = False, cache_dir: Path | None = None) -> None:
        """`vocab_only` loads the tokenizer and chat template alone (a second, not the weights), for
        counting a prompt's tokens; such a model cannot generate. `cache_dir` (the settings') keeps
        the grammar's vocabulary where the weights' folder is read-only (`VocabularyFiles`), and the
        saved states of fixed prompt prefixes (`PromptStates`; none are kept without it)."""
        if not path.is_file():
            raise ModelConfigError(f"GGUF file not found: {path}")
        self.name = name
        self.path = path
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        threads = threads or os.cpu_count() or 1  # llama-cpp-python's default is half the cores
        try:
            # llama.cpp logs through a ctypes callback while it loads, and a KeyboardInterrupt raised
            # inside one is printed and dropped: the load, and the run, would go on. Ctrl-C is held
            # back until the load returns instead (seconds), then raised.
            with interrupts_deferred():
                self._llm = load_llama(
                    model_path=str(path),
                    n_ctx=context_tokens,
                    n_threads=threads,
                    n_threads_batch=threads,
                    vocab_only=vocab_only,
                    verbose=False,
                )
        except ValueError as exc:
            raise ModelConfigError(f"llama.cpp could not load {path}: {exc}") from exc
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self.n_vocab = self._llm.n_vocab()
        self.n_ctx = self._llm.n_ctx()
        self._chat = self._chat_formatter()
        self._grammar: VocabularyGrammar | None = None
        self._clock = DecoderClock()
        self._states = PromptStates(cache_dir / PROMPT_STATE_FOLDER, path) if cache_dir and not vocab_only else None

    # -- prompt formatting -------------------------------------------------------------------

    def _chat_formatter(self) -> Jinja2ChatFormatter:
        metadata = self._llm.metadata
        template = metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelConfigError(
                f"{self.path} has no chat template; the embedded engine needs an instruction-tuned "
                "chat model (GGUF metadata 'tokenizer.chat_template')."
            )

        def token_text(key: str) -> str:
            token_id = metadata.get(key)
            if token_id is None:
                return ""
            return self._llm.detokenize([int(token_id)], special=True).decode("utf-8", "replace")

        return Jinja2ChatFormatter(
            template=template,
            eos_token=token_text("tokenizer.ggml.eos_token_id"),
            bos_token=token_text("tokenizer.ggml.bos_token_id"),
        )

    def chat_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        """Render messages with the model's own chat template and tokenize them."""
        # The formatter is typed for OpenAI's role-specific message dicts; the template reads only
        # the role and content that every message here has.
        return self._prompt_tokens(self._rendered(messages))

    def fixed_prefix(self, messages: list[dict[str, str]], tokens: list[int]) -> int:
        """How many of `tokens` (`chat_tokens(messages)`) the leading system message fixes: the
        template's text through that message and up to the next message's content when those
        tokens begin `tokens`, else through the system text alone, else none. A pipeline's system
        text is the same in every session (a preamble, a signature's instructions), so these are
        the tokens worth keeping between processes (`PromptStates`)."""
        if len(messages) < 2 or messages[0]["role"] != "system" or not messages[0]["content"]:
            return 0
        prompt = self._rendered(messages)
        start = prompt.find(messages[0]["content"])
        if start < 0:
            return 0
        end = start + len(messages[0]["content"])
        following = prompt.find(messages[1]["content"], end) if messages[1]["content"] else -1
        for cut in ([following] if following > end else []) + [end]:
            head = self._prompt_tokens(prompt[:cut])
            if len(head) < len(tokens) and tokens[: len(head)] == head:
                return len(head)
        return 0

    def _rendered(self, messages: list[dict[str, str]]) -> str:
        return self._chat(messages=cast(list[ChatCompletionRequestMessage], messages)).prompt

    def _prompt_tokens(self, prompt: str) -> list[int]:
        bos = self._chat.bos_token
        add_bos = not (bos and prompt.startswith(bos))
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)

    def tokenize_text(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    # -- constraint --------------------------------------------------------------------------

    @property
    def grammar(self) -> VocabularyGrammar:
        """The vocabulary compiled for xgrammar, built on first use (saved beside the weights or in the cache)."""
        if self._grammar is None:
            self._grammar = VocabularyGrammar.saved_at(VocabularyFiles(self.path, self._cache_dir), self._vocabulary,
                                                          self.n_vocab)
        return self._grammar

    def _vocabulary(self) -> tuple[list[bytes], list[int]]:
        """Each token's bytes (b'' for a control token) and the end-of-generation tokens."""
        pieces: list[bytes] = []
        stops: list[int] = []
        for token in range(self.n_vocab):
            if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                stops.append(token)
            if llama_cpp.llama_vocab_is_control(self._vocab, token):
                pieces.append(b"")
            else:
                pieces.append(self._llm.detokenize([token], special=False))
        return pieces, stops

    # -- generation --------------------------------------------------------------------------

    def generate(
        self,
        prompt_tokens: list[int],
        params: SamplingParams,
        *,
        stall_timeout_s: float,
        schema: dict[str, Any] | None = None,
        constrained: bool = False,
        jump_forward: bool = True,
        keep_prefix: int = 0,
    ) -> Generation:
        """Continue `prompt_tokens`; with `constrained`, the output is JSON matching `schema`
        (any JSON value when `schema` is None). `jump_forward` appends grammar-forced text
        without sampling it. The first `keep_prefix` tokens (`fixed_prefix`) are saved for later
        processes once evaluated; any prompt beginning with a saved prefix loads it instead of
        evaluating it. However long the call takes, it fails only when the decoder makes
        no progress for `stall_timeout_s` seconds (`GenerationStalledError`, see `agents.lm.stall`)."""
        room = self.n_ctx - len(prompt_tokens)
        if room < MIN_ROOM_TOKENS:
            raise PromptTooLongError(
                f"The prompt has {len(prompt_tokens)} tokens; {self.name} has a context of {self.n_ctx}. "
                "Shorten the input or raise the context size (GO_CONTEXT_TOKENS)."
            )
        max_tokens = min(params.max_tokens, room)
        constraint = self.grammar.constraint(schema) if constrained else None

        def decode(progress: DecodeProgress) -> Generation:
            with self._lock:
                progress.check()
                return self._decode(prompt_tokens, params, max_tokens, constraint, jump_forward, keep_prefix,
                                    progress)

        return run_watched(decode, clock=self._clock, prompt_tokens=len(prompt_tokens),
                           stall_s=stall_timeout_s, name=self.name)

    def _decode(
        self,
        prompt_tokens: list[int],
        params: SamplingParams,
        max_tokens: int,
        constraint: JsonConstraint | None,
        jump_forward: bool,
        keep_prefix: int,
        progress: DecodeProgress,
    ) -> Generation:
        """The decode loop; the caller holds the lock. Reports each prompt batch and token to `progress`."""
        started = time.perf_counter()
        prompt_tokens = self._continuing_cache(prompt_tokens)
        max_tokens = min(max_tokens, self.n_ctx - len(prompt_tokens))
        cached = evaluate_prompt(self._llm, prompt_tokens, progress, states=self._states, keep=keep_prefix)
        sampler = self._sampler(params)
        out: list[int] = []
        forced = 0
        finish: FinishReason = "length"
        try:
            while len(out) < max_tokens:
                logits = np.ctypeslib.as_array(
                    llama_cpp.llama_get_logits_ith(self._llm.ctx, -1), shape=(self.n_vocab,)
                )
                if constraint is not None:
                    constraint.mask(logits)
                token = llama_cpp.llama_sampler_sample(sampler, self._llm.ctx, -1)
                if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    finish = "stop"
                    break
                step = [token]
                if constraint is not None:
                    constraint.accept(token)
                    if constraint.finished:
                        out.append(token)
                        finish = "stop"
                        break
                    if jump_forward:
                        jump = constraint.forced_tokens(self.tokenize_text)[: max_tokens - len(out) - 1]
                        step.extend(jump)
                        forced += len(jump)
                out.extend(step)
                if params.stop and self._hit_stop(out, params.stop):
                    finish = "stop"
                    break
                self._llm.eval(step)
                progress.tokens(len(step))
        finally:
            llama_cpp.llama_sampler_free(sampler)
        text = self._llm.detokenize(out).decode("utf-8", "replace")
        logger.debug("%s: prompt %d (cached %d), generated %d (forced %d), %.2f s",
                     self.name, len(prompt_tokens), cached, len(out), forced, time.perf_counter() - started)
        if finish == "stop" and params.stop:
            text = _cut_at_stop(text, params.stop)
        return Generation(
            text=text,
            prompt_tokens=len(prompt_tokens),
            completion_tokens=len(out),
            finish_reason=finish,
            wall_s=time.perf_counter() - started,
            forced_tokens=forced,
            cached_prompt_tokens=cached,
        )

    def _continuing_cache(self, tokens: list[int]) -> list[int]:
        """`tokens`, or the same text as the KV cache's tokens followed by the rest, tokenized after
        them. An answer the model generated (with jump-forward's forced pieces) often tokenizes
        differently once it is part of the next prompt's text, so the next prompt of a conversation
        would match the cache only up to the first such token and evaluate the answer, and all after
        it, again. Any other text keeps its own tokens, and so does a prompt whose aligned tokens are more
        and would leave less than `MIN_ROOM_TOKENS` of the context (`generate` checked the room of its own
        tokens). The caller holds the lock."""
        cached = [int(token) for token in self._llm.input_ids[: self._llm.n_tokens]]
        if not cached or len(tokens) <= len(cached) or reusable_prefix(cached, tokens) == len(cached):
            return tokens
        head = self._llm.detokenize(cached, special=True)
        text = self._llm.detokenize(tokens, special=True)
        if not text.startswith(head):
            return tokens
        aligned = cached + self._llm.tokenize(text[len(head):], add_bos=False, special=True)
        fits = self.n_ctx - len(aligned) >= MIN_ROOM_TOKENS
        return aligned if fits and self._llm.detokenize(aligned, special=True) == text else tokens

    def _sampler(self, params: SamplingParams) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if params.temperature <= 0:
            stages = [llama_cpp.llama_sampler_init_greedy()]
        else:
            stages = [
                llama_cpp.llama_sampler_init_penalties(
                    self.n_vocab, params.repeat_window, params.repeat_penalty, 0.0, 0.0
                ),
                llama_cpp.llama_sampler_init_top_k(params.top_k),
                llama_cpp.llama_sampler_init_top_p(params.top_p, 1),
                llama_cpp.llama_sampler_init_min_p(params.min_p, 1),
                llama_cpp.llama_sampler_init_temp(params.temperature),
                llama_cpp.llama_sampler_init_dist(params.seed & 0xFFFFFFFF),
            ]
        for stage in stages:
            llama_cpp.llama_sampler_chain_add(chain, stage)
        return chain

    def _hit_stop(self, tokens: list[int], stop: tuple[str, ...]) -> bool:
        tail = self._llm.detokenize(tokens[-32:]).decode("utf-8", "replace")
        return any(marker in tail for marker in stop)

    def close(self) -> None:
        self._llm.close()


def evaluate_prompt(llm: Any, tokens: list[int], progress: DecodeProgress, batch: int = PROMPT_BATCH_TOKENS, *,
                    states: PromptStates | None = None, keep: int = 0) -> int:
    """Evaluate the prompt in batches of `batch` tokens, each reported as progress, reusing the KV
    cache for the prefix it shares with the last call, or a longer prefix saved in `states` by an
    earlier process; returns the number of tokens served so. With `states`, the first `keep` tokens
    are saved there once evaluated, unless they already are.

    `llm` is a `llama_cpp.Llama`: its `eval` continues from `n_tokens`, so successive batches
    extend the context exactly as one call would."""
    llm.n_tokens = reusable_prefix(llm.input_ids[: llm.n_tokens], tokens)
    served = states.restore(llm, tokens) if states is not None else llm.n_tokens
    progress.prompt_batch(served)
    if states is not None and served < keep < len(tokens) and not states.saved(tokens[:keep]):
        _evaluate_to(llm, tokens, keep, progress, batch)
        states.save(llm)
    _evaluate_to(llm, tokens, len(tokens), progress, batch)
    return served


def _evaluate_to(llm: Any, tokens: list[int], stop: int, progress: DecodeProgress, batch: int) -> None:
    """Evaluate `tokens` from the KV cache's end (`llm.n_tokens`) up to `stop`, in reported batches."""
    for start in range(llm.n_tokens, stop, batch):
        chunk = tokens[start : min(start + batch, stop)]
        llm.eval(chunk)
        progress.prompt_batch(len(chunk))


def reusable_prefix(cached: Sequence[int], tokens: list[int]) -> int:
    """How many of `tokens` the KV cache holding `cached` serves: their common prefix, less the last
    prompt token, which is evaluated again for fresh logits. (Benchmarks count cache hits with it.)"""
    shared = 0
    for previous, current in zip(cached, tokens, strict=False):
        if previous != current:
            break
        shared += 1
    return min(shared, len(tokens) - 1)


def _cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    cut = min((index for marker in stop if (index := text.find(marker)) >= 0), default=len(text))
    return text[:cut]
