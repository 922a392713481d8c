"""Fixed prompt prefixes kept between processes: llama.cpp's KV state after a prefix, saved once.

Every session of a pipeline opens with the same system text (the studio's preamble, a signature's
instructions), and every new process evaluated it again: on two cores a 250-token preamble is six
seconds of each session's first call. `PromptStates` saves the KV cache of such a prefix to a file
the first time a process evaluates it and loads it in every later process whose prompt starts with
it, so those tokens are served like the in-process KV cache's (`agents.lm.llamacpp`).

Only the sequence's KV cells are saved (`llama_state_seq_get_data`, about 28 KB a token for the
1.5B model), not `Llama.save_state`'s copy of the whole logits buffer (hundreds of MB). A file is
named after the model file's identity (name, size, modification time), llama-cpp-python's version
and the prefix's tokens, and holds them again in its header with a checksum of the state: new
weights, a new llama.cpp or another prefix never read a state saved for others. A file that is
damaged, mismatched or refused by llama.cpp is skipped with a log line and the prompt evaluated as
if none were saved; saving is best-effort the same way (a read-only cache only logs).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np

from agents.lm.grammar import llama_cpp_version
from tools.files import write_atomically

logger = logging.getLogger(__name__)

PROMPT_STATE_FOLDER = "prompt-states"  # under the settings' cache
MAX_SAVED_STATES = 32
"""States kept per model; saving one more removes the least recently used (a few MB each)."""
_MAGIC = b"GO-PROMPT-STATE 1\n"
_SEQUENCE = 0  # llama-cpp-python's `Llama` keeps every token in sequence 0
_ALL_SEQUENCES = -1


class PromptStates:
    """The saved prefix states of one model file, in `folder`."""

    def __init__(self, folder: Path, weights: Path) -> None:
        stat = weights.stat()
        self.folder = folder
        self.identity = f"{weights.name}.{stat.st_size}-{stat.st_mtime_ns}.llama-cpp-{llama_cpp_version()}"
        self._stem = hashlib.sha256(self.identity.encode()).hexdigest()[:16]

    def file_for(self, tokens: Sequence[int]) -> Path:
        """Where the state after exactly `tokens` is kept."""
        digest = hashlib.sha256(np.asarray(tokens, dtype=np.int32).tobytes()).hexdigest()[:32]
        return self.folder / f"{self._stem}-{digest}.state"

    def saved(self, tokens: Sequence[int]) -> bool:
        return self.file_for(tokens).is_file()

    def restore(self, llm: Any, tokens: Sequence[int]) -> int:
        """Load into `llm` (a `llama_cpp.Llama`) the longest saved state whose tokens begin `tokens`,
        are more than the KV cache already serves (`llm.n_tokens`) and leave at least the last token
        to evaluate (the next token's logits come from it); returns the tokens the KV cache now
        serves. A file that cannot be used is removed with a warning (the prefix is saved again
        once evaluated); one llama.cpp refuses after the cache was cleared for it leaves the cache
        empty (0)."""
        candidates = [(prefix, path) for prefix, path in self._headers()
                      if llm.n_tokens < len(prefix) < len(tokens) and list(tokens[: len(prefix)]) == prefix]
        for prefix, path in sorted(candidates, key=lambda candidate: -len(candidate[0])):
            state = self._state(path)
            if state is None:
                continue
            llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), _ALL_SEQUENCES, 0, -1)
            buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
            if llama_cpp.llama_state_seq_set_data(llm.ctx, buffer, len(state), _SEQUENCE) == 0:
                _discard(path, "llama.cpp refused it")
                llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), _ALL_SEQUENCES, 0, -1)
                llm.n_tokens = 0
                continue
            llm.input_ids[: len(prefix)] = prefix
            llm.n_tokens = len(prefix)
            with contextlib.suppress(OSError):  # a read-only cache is still read
                path.touch()  # recently used: kept when older states are removed
            logger.debug("loaded the saved state of a %d-token prompt prefix from %s", len(prefix), path)
            return len(prefix)
        return int(llm.n_tokens)

    def save(self, llm: Any) -> None:
        """Save the state of the tokens `llm`'s KV cache holds (all of them: the caller evaluated
        exactly the prefix), replacing the least recently used state beyond `MAX_SAVED_STATES`."""
        tokens = [int(token) for token in llm.input_ids[: llm.n_tokens]]
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, _SEQUENCE)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm.ctx, buffer, size, _SEQUENCE)
        state = bytes(buffer)[:written]
        header = {"identity": self.identity, "tokens": tokens, "state_bytes": len(state),
                  "state_sha256": hashlib.sha256(state).hexdigest()}
        path = self.file_for(tokens)
        others = sorted((old for old in self.folder.glob(f"{self._stem}-*.state") if old != path), key=_used_at)
        stale = others[: max(0, len(others) - (MAX_SAVED_STATES - 1))]
        try:
            write_atomically(self.folder, {path.name: _MAGIC + json.dumps(header).encode() + b"\n" + state},
                             remove=[old.name for old in stale])
        except OSError as exc:
            logger.warning("the prompt state could not be saved in %s (%s); the prefix is evaluated again next "
                           "time", self.folder, exc)
            return
        logger.info("saved the state of a %d-token prompt prefix (%d KB) in %s", len(tokens), len(state) // 1024,
                    path)

    def _headers(self) -> list[tuple[list[int], Path]]:
        """Each saved state's tokens and file, of this model; unreadable headers skipped with a warning."""
        found = []
        for path in self.folder.glob(f"{self._stem}-*.state"):
            try:
                with path.open("rb") as file:
                    header = _header(file.read(len(_MAGIC)), file.readline())
            except (OSError, ValueError) as exc:
                _discard(path, str(exc))
                continue
            if header["identity"] != self.identity or path != self.file_for(header["tokens"]):
                _discard(path, "its header names another model or prefix than its file name")
                continue
            found.append((header["tokens"], path))
        return found

    def _state(self, path: Path) -> bytes | None:
        """The state bytes of `path` if they are whole and match their checksum; None (logged) if not."""
        try:
            with path.open("rb") as file:
                header = _header(file.read(len(_MAGIC)), file.readline())
                state = file.read()
        except (OSError, ValueError) as exc:
            _discard(path, str(exc))
            return None
        if len(state) != header["state_bytes"] or hashlib.sha256(state).hexdigest() != header["state_sha256"]:
            _discard(path, "it is damaged (its checksum does not match)")
            return None
        return state


def _header(magic: bytes, line: bytes) -> dict[str, Any]:
    """A state file's header, or ValueError saying what is wrong with it."""
    if magic != _MAGIC:
        raise ValueError("not a prompt state file")
    header = json.loads(line)  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
    if not (isinstance(header, dict) and isinstance(header.get("identity"), str)
            and isinstance(header.get("tokens"), list) and all(isinstance(t, int) for t in header["tokens"])
            and isinstance(header.get("state_bytes"), int) and isinstance(header.get("state_sha256"), str)):
        raise ValueError("its header lacks the identity, tokens or checksum")
    return header


def _discard(path: Path, reason: str) -> None:
    """Remove a state file that cannot be used, saying why; the prompt is evaluated instead."""
    logger.warning("ignoring the saved prompt state %s (%s); its prefix is evaluated and saved again", path, reason)
    with contextlib.suppress(OSError):
        path.unlink()


def _used_at(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by another process meanwhile
        return 0.0
