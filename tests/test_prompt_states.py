"""Fixed prompt prefixes saved between processes (`agents.lm.prompt_states`), on the embedded model:
a loaded state answers exactly as the evaluated prefix does, and a bad file is only skipped."""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from agents.lm.factory import load_local_model
from agents.lm.llamacpp import Generation, LlamaCppModel, SamplingParams
from agents.lm.prompt_states import PromptStates
from tools.settings import Settings

pytestmark = pytest.mark.embedded

SETTINGS = Settings(model="embedded", context_tokens=4096, max_tokens=256, temperature=0.5)  # test_embedded's load
SYSTEM = ("You are the archivist of a river museum. Every answer is short, concrete and names real places. "
          "You never apologise and never explain yourself.")
GREEDY = SamplingParams(max_tokens=12, temperature=0)
ONE = SamplingParams(max_tokens=1, temperature=0)


@pytest.fixture(scope="module")
def model() -> LlamaCppModel:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(load_local_model, SETTINGS.model, SETTINGS).result()


@pytest.fixture(scope="module")
def evaluated(model: LlamaCppModel, tmp_path_factory: pytest.TempPathFactory) -> tuple[Generation, bytes]:
    """A first process's call, which evaluates the system prefix and saves it, and the file it saved."""
    states = PromptStates(tmp_path_factory.mktemp("first") / "states", model.path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model, "_states", states)
        generation = fresh_call(model, "Name three rivers of France.")
    (file,) = state_files(states)
    assert generation.cached_prompt_tokens == 0
    return generation, file.read_bytes()


@pytest.fixture
def states(model: LlamaCppModel, evaluated: tuple[Generation, bytes], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> PromptStates:
    """A later process's states: the first process's file, in a folder of this test's own."""
    later = PromptStates(tmp_path / "states", model.path)
    later.folder.mkdir()
    (later.folder / f"{later.file_for(header(evaluated[1])['tokens']).name}").write_bytes(evaluated[1])
    monkeypatch.setattr(model, "_states", later)
    return later


def fresh_call(model: LlamaCppModel, question: str, params: SamplingParams = GREEDY) -> Generation:
    """A call as a new process makes it: nothing in the KV cache."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    tokens = model.chat_tokens(messages)
    model._llm.n_tokens = 0
    return model.generate(tokens, params, stall_timeout_s=SETTINGS.stall_timeout_s,
                          keep_prefix=model.fixed_prefix(messages, tokens))


def header(saved: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(saved.split(b"\n")[1])
    return fields


def state_files(states: PromptStates) -> list[Path]:
    return sorted(states.folder.glob("*.state"))


def test_the_fixed_prefix_is_the_system_turn_and_only_with_a_system_message(model: LlamaCppModel) -> None:
    asked = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Name a river."}]
    tokens = model.chat_tokens(asked)
    fixed = model.fixed_prefix(asked, tokens)
    other = [asked[0], {"role": "user", "content": "Which river is longest?"}]
    assert 0 < fixed < len(tokens) and model.chat_tokens(other)[:fixed] == tokens[:fixed]
    assert SYSTEM in model._llm.detokenize(tokens[:fixed], special=True).decode()
    assert model.fixed_prefix(asked[1:], model.chat_tokens(asked[1:])) == 0


def test_a_saved_prefix_is_loaded_by_a_later_call_and_gives_the_same_greedy_tokens(
        model: LlamaCppModel, evaluated: tuple[Generation, bytes], states: PromptStates) -> None:
    first, saved = evaluated
    fixed = len(header(saved)["tokens"])
    loaded = fresh_call(model, "Name three rivers of France.")
    assert loaded.cached_prompt_tokens == fixed > 20
    assert loaded.text == first.text and loaded.completion_tokens == first.completion_tokens > 1
    other = fresh_call(model, "Which river flows through Vienna?", ONE)  # another request after the same system
    assert other.cached_prompt_tokens == fixed and len(state_files(states)) == 1


@pytest.mark.parametrize("damage", ["flipped state byte", "truncated", "not a state file", "other model",
                                    "state llama.cpp refuses"])
def test_a_damaged_or_mismatched_state_is_skipped_with_a_log_line_and_saved_again(
        model: LlamaCppModel, states: PromptStates, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    (file,) = state_files(states)
    magic, line, state = file.read_bytes().split(b"\n", 2)
    fields = json.loads(line)
    if damage == "flipped state byte":
        state = state[:100] + bytes([state[100] ^ 0xFF]) + state[101:]
    elif damage == "truncated":
        state = state[: len(state) // 2]
    elif damage == "not a state file":
        magic = b"GGUF"
    elif damage == "other model":
        fields["identity"] = "another.gguf.1-2.llama-cpp-0.0.1"
    else:  # whole and checksummed, but llama.cpp finds too little data in it
        state = state[: len(state) // 2]
        fields.update(state_bytes=len(state), state_sha256=hashlib.sha256(state).hexdigest())
    file.write_bytes(magic + b"\n" + json.dumps(fields).encode() + b"\n" + state)
    with caplog.at_level(logging.WARNING, logger="agents.lm.prompt_states"):
        again = fresh_call(model, "Name three rivers of France.", ONE)
    assert again.cached_prompt_tokens == 0
    assert any(str(file) in record.getMessage() for record in caplog.records)
    assert fresh_call(model, "Name three rivers of France.", ONE).cached_prompt_tokens > 0  # saved again, whole
