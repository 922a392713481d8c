"""Schema-constrained decoding without a model: random token choices under the mask must still
produce JSON that validates against the bounded schema."""

from __future__ import annotations

import json
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
    file = module.vocabulary_file(weights)
    first = VocabularyGrammar.saved_at(file, vocabulary, len(PIECES))
    again = VocabularyGrammar.saved_at(file, vocabulary, len(PIECES))
    assert built == [1] and file.is_file() and again.vocab_size == len(PIECES)
    assert [random_walk(again, SCHEMA, seed) for seed in range(5)] == [random_walk(first, SCHEMA, seed)
                                                                        for seed in range(5)]
    file.write_text("{not json", encoding="utf-8")  # a damaged file is built again and replaced
    assert random_walk(VocabularyGrammar.saved_at(file, vocabulary, len(PIECES)), SCHEMA, 0) == \
        random_walk(first, SCHEMA, 0)
    assert built == [1, 1] and VocabularyGrammar.saved_at(file, vocabulary, len(PIECES)) and built == [1, 1]
    weights.write_bytes(b"other weights")  # new weights name another file
    assert module.vocabulary_file(weights) != file
