"""Schema-constrained decoding without a model: random token choices under the mask must still
produce JSON that validates against the bounded schema."""

from __future__ import annotations

import json
import logging
import random

import jsonschema
import numpy as np
import pytest

from agents.lm.grammar import VocabularyGrammar

SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 12},
        "players": {
            "type": "object",
            "properties": {
                "min": {"type": "integer", "minimum": 1, "maximum": 8},
                "max": {"type": "integer", "minimum": 1, "maximum": 8},
            },
            "required": ["min", "max"],
            "additionalProperties": False,
        },
        "mechanisms": {
            "type": "array",
            "items": {"type": "string", "enum": ["deck building", "worker placement", "auction"]},
            "maxItems": 2,
        },
    },
    "required": ["title", "players", "mechanisms"],
    "additionalProperties": False,
}

STOP = 0
CONTROL = 1
PIECES: list[bytes] = [b"", b""] + [bytes([c]) for c in range(32, 127)] + [
    b'{"', b'":', b'": ', b'", "', b"title", b"players", b"min", b"max", b"mechanisms", b"deck",
    b" building", b"worker", b" placement", b"auction", b"}", b"]", b"Spore", b" Wars", b"\\n",
]


@pytest.fixture(scope="module")
def grammar() -> VocabularyGrammar:
    return VocabularyGrammar.of_pieces(PIECES, len(PIECES), stop_token_ids=[STOP])


def random_walk(grammar: VocabularyGrammar, schema: dict | None, seed: int) -> str:
    rng = random.Random(seed)
    constraint = grammar.constraint(schema)
    out: list[int] = []
    for _ in range(500):
        logits = np.zeros(len(PIECES), dtype=np.float32)
        constraint.mask(logits)
        allowed = np.flatnonzero(np.isfinite(logits)).tolist()
        assert allowed, "the mask must never forbid every token"
        assert CONTROL not in allowed
        token = STOP if STOP in allowed and rng.random() < 0.5 else rng.choice(allowed)
        if token == STOP:
            break
        assert constraint.accept(token)
        out.append(token)
        if constraint.finished:
            break
        out.extend(constraint.forced_tokens(lambda text: [PIECES.index(bytes([b])) for b in text.encode()]))
    else:
        pytest.fail("generation did not finish")
    return b"".join(PIECES[t] for t in out).decode()


@pytest.mark.parametrize("seed", range(25))
def test_any_walk_under_the_mask_is_valid_and_within_bounds(grammar: VocabularyGrammar, seed: int) -> None:
    value = json.loads(random_walk(grammar, SCHEMA, seed))
    jsonschema.validate(value, SCHEMA)
    assert list(value) == ["title", "players", "mechanisms"]  # property order is generation order


def test_schemaless_constraint_yields_a_json_value(grammar: VocabularyGrammar) -> None:
    json.loads(random_walk(grammar, None, seed=3))


@pytest.mark.parametrize("seed", range(25))
def test_a_pattern_constrained_string_still_ends_where_json_says(grammar: VocabularyGrammar, seed: int) -> None:
    """The re-themed engines' prose pattern (no numerals) under the mask: xgrammar matches a pattern
    against the raw JSON text, so a class that admits the quote lets a walk run past the string's end."""
    from ontology.game_reskin import IdentityText

    schema = IdentityText.model_json_schema()
    value = IdentityText.model_validate(json.loads(random_walk(grammar, schema, seed)))
    assert not any(ch.isdigit() for ch in value.introduction)


def test_the_vocabulary_is_saved_once_and_read_back_the_same_by_the_next_process(tmp_path) -> None:
    from agents.lm import grammar as module

    built: list[int] = []

    def vocabulary() -> tuple[list[bytes], list[int]]:
        built.append(1)
        return PIECES, [STOP]

    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"weights")
    files = module.VocabularyFiles(weights, tmp_path / "cache")
    file = files.places()[0]
    first = VocabularyGrammar.saved_at(files, vocabulary, len(PIECES))
    again = VocabularyGrammar.saved_at(files, vocabulary, len(PIECES))
    assert built == [1] and file.is_file() and again.vocab_size == len(PIECES)
    assert [random_walk(again, SCHEMA, seed) for seed in range(5)] == [random_walk(first, SCHEMA, seed)
                                                                        for seed in range(5)]
    file.write_text("{not json", encoding="utf-8")  # a damaged file is built again and replaced
    assert random_walk(VocabularyGrammar.saved_at(files, vocabulary, len(PIECES)), SCHEMA, 0) == \
        random_walk(first, SCHEMA, 0)
    assert built == [1, 1] and VocabularyGrammar.saved_at(files, vocabulary, len(PIECES)) and built == [1, 1]
    weights.write_bytes(b"other weights")  # new weights name another file
    assert files.places()[0] != file


def test_a_saved_vocabulary_of_another_size_or_tokenizer_is_built_again(tmp_path, monkeypatch) -> None:
    """Review of session 30: a vocabulary saved by another llama.cpp (its tokenizer may differ) was
    read back as the model's. The file is named by llama.cpp's version too, and one holding
    another vocabulary size than the model's is built again."""
    from agents.lm import grammar as module

    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"weights")
    files = module.VocabularyFiles(weights)
    name = files.places()[0]
    monkeypatch.setattr(module, "llama_cpp_version", lambda: "9.9.9")
    assert files.places()[0] != name
    short = VocabularyGrammar.saved_at(files, lambda: (PIECES[:-1], [STOP]), len(PIECES) - 1)
    assert short.vocab_size == len(PIECES) - 1
    built = VocabularyGrammar.saved_at(files, lambda: (PIECES, [STOP]), len(PIECES))
    assert built.vocab_size == len(PIECES)


def test_a_read_only_weights_folder_saves_the_vocabulary_in_the_cache_once(tmp_path, caplog, monkeypatch) -> None:
    """Review of session 30: a read-only weights folder logged a warning on every run (the
    vocabulary built again each time), and vocabularies of earlier weights piled up, 5 MB each."""
    from agents.lm import grammar as module

    folder = tmp_path / "weights"
    folder.mkdir()
    weights = folder / "model.gguf"
    weights.write_bytes(b"weights")
    cache = tmp_path / "cache"
    old = cache / module.VOCABULARY_FOLDER / "model.gguf.1-2.xgrammar-0.1-llama-cpp-0.1.json"
    old.parent.mkdir(parents=True)
    old.write_text("{}", encoding="utf-8")
    other = old.with_name("other.gguf.1-2.xgrammar-0.1-llama-cpp-0.1.json")
    other.write_text("{}", encoding="utf-8")
    written = module.write_atomically

    def read_only(where, files):  # chmod does not stop root, who runs the tests in CI's container
        if where == folder:
            raise PermissionError(13, "Read-only file system", str(where))
        return written(where, files)

    monkeypatch.setattr(module, "write_atomically", read_only)
    built: list[int] = []

    def vocabulary() -> tuple[list[bytes], list[int]]:
        built.append(1)
        return PIECES, [STOP]

    files = module.VocabularyFiles(weights, cache)
    with caplog.at_level(logging.WARNING, logger=module.__name__):
        VocabularyGrammar.saved_at(files, vocabulary, len(PIECES))
        VocabularyGrammar.saved_at(files, vocabulary, len(PIECES))
    assert built == [1] and not caplog.records
    assert sorted(path.name for path in old.parent.iterdir()) == sorted([files.places()[1].name, other.name])
