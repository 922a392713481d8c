"""Schema-constrained decoding for the embedded model with xgrammar token bitmasks.

llama.cpp's own GBNF sampler re-checks candidate tokens against the grammar on every step and
halves decode speed on this hardware. xgrammar instead precompiles the JSON schema against the
vocabulary, so the per-token cost is filling a bitmask (microseconds) and masking the logits in
place. On top of that, `forced_tokens` implements jump-forward decoding: text that the grammar
allows in only one way (keys, punctuation, closing brackets) is appended without sampling and
evaluated in one batch, which is cheaper than decoding it token by token.
"""

from __future__ import annotations

import glob
import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xgrammar as xgr

from tools.files import write_atomically

logger = logging.getLogger(__name__)

VOCABULARY_FOLDER = "vocabularies"  # under the settings' cache, where the weights' folder is read-only


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
        return cls(_tokenizer_info(pieces, vocab_size, stop_token_ids))

    @classmethod
    def saved_at(cls, files: VocabularyFiles, vocabulary: Callable[[], tuple[list[bytes], list[int]]],
                 vocab_size: int) -> VocabularyGrammar:
        """The grammar of the vocabulary xgrammar saved in one of `files` by an earlier process,
        else of `vocabulary()` (its pieces and stop tokens, as `of_pieces` takes them), saved for
        the next. Reading 152k tokens' bytes from llama.cpp one call each takes ~1.1 CPU s a
        process; the saved vocabulary (5 MB of JSON) loads in ~0.1 s. A file that cannot be read,
        or holds another vocabulary size than the model's, is built again; one that cannot be
        written beside the weights goes to the settings' cache, and where neither can take it,
        it is only logged. Saving removes the files saved for earlier weights or versions."""
        for file in files.places():
            try:
                info = xgr.TokenizerInfo.deserialize_json(file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError, RuntimeError, ValueError) as exc:  # a damaged file: build it again
                logger.warning("the saved vocabulary %s could not be read (%s); building it again", file, exc)
                continue
            if info.vocab_size == vocab_size:
                return cls(info)
            logger.warning("the saved vocabulary %s has %d tokens, the model %d; building it again",
                           file, info.vocab_size, vocab_size)
        pieces, stops = vocabulary()
        info = _tokenizer_info(pieces, vocab_size, stops)
        files.save(info.serialize_json())
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


def _tokenizer_info(pieces: Sequence[bytes], vocab_size: int, stop_token_ids: Sequence[int]) -> xgr.TokenizerInfo:
    """The vocabulary as xgrammar reads it: each token's raw bytes, b'' for a control token."""
    return xgr.TokenizerInfo(list(pieces), xgr.VocabType.RAW, vocab_size=vocab_size,
                             stop_token_ids=list(stop_token_ids))


@dataclass(frozen=True)
class VocabularyFiles:
    """Where `VocabularyGrammar.saved_at` keeps the vocabulary of the GGUF file `weights`: beside
    it, else (a read-only weights folder) in `cache`'s `VOCABULARY_FOLDER`, named after the
    weights' size and modification time and xgrammar's and llama.cpp's versions, so new weights
    or a new tokenizer read no vocabulary saved for others."""

    weights: Path
    cache: Path | None = None

    def name(self) -> str:
        stat = self.weights.stat()
        versions = f"xgrammar-{importlib.metadata.version('xgrammar')}-llama-cpp-{llama_cpp_version()}"
        return f"{self.weights.name}.{stat.st_size}-{stat.st_mtime_ns}.{versions}.json"

    def places(self) -> list[Path]:
        """The files read, in order, and the folders tried for saving."""
        name = self.name()
        return [self.weights.with_name(name), *([self.cache / VOCABULARY_FOLDER / name] if self.cache else [])]

    def save(self, text: str) -> None:
        """`text` in the first place that takes it, the earlier files saved there removed (5 MB each)."""
        failures = []
        for file in self.places():
            try:
                write_atomically(file.parent, {file.name: text})
            except OSError as exc:
                failures.append(f"{file.parent} ({exc})")
                continue
            for stale in file.parent.glob(f"{glob.escape(self.weights.name)}.*.xgrammar-*.json"):
                if stale != file:
                    stale.unlink(missing_ok=True)
            return
        logger.warning("the vocabulary could not be saved in %s; it is built again next time", ", ".join(failures))


def llama_cpp_version() -> str:
    """The installed llama-cpp-python's version, read without importing it (xgrammar's tests run without)."""
    try:
        return importlib.metadata.version("llama_cpp_python")
    except importlib.metadata.PackageNotFoundError:
        return "none"


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
