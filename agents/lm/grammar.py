"""Schema-constrained decoding for the embedded model with xgrammar token bitmasks.

llama.cpp's own GBNF sampler re-checks candidate tokens against the grammar on every step and
halves decode speed on this hardware. xgrammar instead precompiles the JSON schema against the
vocabulary, so the per-token cost is filling a bitmask (microseconds) and masking the logits in
place. On top of that, `forced_tokens` implements jump-forward decoding: text that the grammar
allows in only one way (keys, punctuation, closing brackets) is appended without sampling and
evaluated in one batch, which is cheaper than decoding it token by token.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xgrammar as xgr

from tools.files import write_atomically

logger = logging.getLogger(__name__)


class VocabularyGrammar:
    """Compiles JSON schemas for one model's vocabulary; one instance per loaded model."""

    def __init__(self, info: xgr.TokenizerInfo) -> None:
        self.vocab_size = info.vocab_size
        # Compiling a schema with long bounded strings takes seconds; it uses every core (the model
        # is not decoding while a step's schema compiles).
        self._compiler = xgr.GrammarCompiler(info, max_threads=os.cpu_count() or 1)
        self._compile = lru_cache(maxsize=64)(self._compile_uncached)

    @classmethod
    def of_pieces(cls, pieces: Sequence[bytes], vocab_size: int, stop_token_ids: Sequence[int]) -> VocabularyGrammar:
        """`pieces[i]` is the raw bytes of token `i`; control tokens must be given as b''."""
        return cls(xgr.TokenizerInfo(list(pieces), xgr.VocabType.RAW, vocab_size=vocab_size,
                                     stop_token_ids=list(stop_token_ids)))

    @classmethod
    def saved_at(cls, file: Path, vocabulary: Callable[[], tuple[list[bytes], list[int]]],
                 vocab_size: int) -> VocabularyGrammar:
        """The grammar of the vocabulary xgrammar saved in `file` by an earlier process, else of
        `vocabulary()` (its pieces and stop tokens, as `of_pieces` takes them), saved there for the
        next. Reading 152k tokens' bytes from llama.cpp one call each takes ~1.1 CPU s a process;
        the saved vocabulary (5 MB of JSON) loads in ~0.1 s. `file` must name what it was built
        from (the weights' file, its size and time, xgrammar's version: `vocabulary_file`); a file
        that cannot be read is built again, and one that cannot be written is only logged."""
        try:
            return cls(xgr.TokenizerInfo.deserialize_json(file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError, RuntimeError, ValueError) as exc:  # a damaged file: build it again
            logger.warning("the saved vocabulary %s could not be read (%s); building it again", file, exc)
        pieces, stops = vocabulary()
        info = xgr.TokenizerInfo(pieces, xgr.VocabType.RAW, vocab_size=vocab_size, stop_token_ids=stops)
        try:
            write_atomically(file.parent, {file.name: info.serialize_json()})
        except OSError as exc:
            logger.warning("the vocabulary could not be saved at %s (%s); it is built again next time", file, exc)
        return cls(info)

    def _compile_uncached(self, schema_json: str | None) -> xgr.CompiledGrammar:
        if schema_json is None:
            return self._compiler.compile_builtin_json_grammar()
        # Compact separators: no free whitespace for a small model to wander into.
        return self._compiler.compile_json_schema(schema_json, any_whitespace=False, strict_mode=True)

    def constraint(self, schema: dict[str, Any] | None) -> JsonConstraint:
        """A fresh constraint for one generation: `schema`, or any JSON object when None."""
        key = None if schema is None else json.dumps(schema)  # property order is generation order
        return JsonConstraint(self._compile(key), self.vocab_size)


def vocabulary_file(weights: Path) -> Path:
    """Where `VocabularyGrammar.saved_at` keeps the vocabulary of the GGUF file `weights`: beside
    it, named after its size and modification time and xgrammar's version, so new weights or a
    new xgrammar read no vocabulary saved for others."""
    stat = weights.stat()
    version = importlib.metadata.version("xgrammar")
    return weights.with_name(f"{weights.name}.{stat.st_size}-{stat.st_mtime_ns}.xgrammar-{version}.json")


class JsonConstraint:
    """The grammar state of one generation."""

    def __init__(self, compiled: xgr.CompiledGrammar, vocab_size: int) -> None:
        self._matcher = xgr.GrammarMatcher(compiled)
        self._bitmask = xgr.allocate_token_bitmask(1, vocab_size)

    def mask(self, logits: np.ndarray) -> None:
        """Set the logits of every token the grammar forbids next to -inf, in place."""
        self._matcher.fill_next_token_bitmask(self._bitmask)
        xgr.apply_token_bitmask_inplace(torch.from_numpy(logits), self._bitmask)

    def accept(self, token: int) -> bool:
        return self._matcher.accept_token(token)

    @property
    def finished(self) -> bool:
        """True once the grammar has reached an accepting end (only a stop token may follow)."""
        return self._matcher.is_completed() or self._matcher.is_terminated()

    def forced_tokens(self, tokenize: Callable[[str], list[int]]) -> list[int]:
        """Tokens for text the grammar allows in only one way, already accepted by the matcher.

        The last token of the forced text is left to the model, so that it can merge the
        boundary with what it writes next the way its tokenizer naturally would.
        """
        text = self._matcher.find_jump_forward_string()
        if not text:
            return []
        accepted: list[int] = []
        for token in tokenize(text)[:-1]:
            if not self._matcher.accept_token(token):
                break
            accepted.append(token)
        return accepted
