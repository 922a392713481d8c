"""Property-based fuzzing of what reads user input before any model loads: the game design loader (the
`validate` command), the music and game request parsers, theme cleaning and run/session ids.

The property is the same for each: arbitrary input either passes or is refused with the loader's own typed
error (whose message a user can act on); a KeyError, TypeError, RecursionError or any other traceback type
never escapes. Examples are kept modest so the file runs in seconds; `@example`s pin what fuzzing found.
"""

from __future__ import annotations

import io
import json
import string
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from ontology.game_requests import GameRequestError
from ontology.game_requests import facts_from_request as game_facts
from ontology.music_drafts import MusicRequestError
from ontology.music_drafts import facts_from_request as music_facts
from pipelines.checkpoints import InvalidRunIdError, checked_run_id
from pipelines.gamegrammar import InvalidThemeError, start_state, validate_command

DESIGN = json.loads((Path(__file__).parent / "data" / "mycelium_design.json").read_text())
FUZZ = settings(max_examples=60, deadline=None)

CASE_FOLDING = "\u017f\u212a\u0131\u0130\u00df\ufb00"
"""Letters a case-insensitive regex matches as ASCII (long s, Kelvin sign, dotless and dotted i, ...)."""
REQUEST_WORDS = st.sampled_from([
    "bars", "bar", "measures", "major", "minor", "bpm", "tempo", "3/4", "6/8", "in", "waltz", "jig", "reel",
    "chorale", "players", "player", "solo", "cooperative", "competitive", "under", "minutes", "up to", "for",
    "include", "exactly", "only", "six", "one", "twelve", "-", "to", "or", "C#", "Bb", "1e3", "16.5", "0",
    "-4", "999999999999", "٣", "\u017fix", "f\u0131ve", "\u212a", "\x00", "\u202e",
])
"""Words the parsers look for, so random requests hit their patterns rather than only plain text."""
REQUESTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(REQUEST_WORDS, st.text(alphabet=string.digits + CASE_FOLDING, min_size=1, max_size=4)),
             max_size=14).map(" ".join),
)


@FUZZ
@given(REQUESTS)
@example("\u017fix players, a cave game")
@example("f\u0131ve players")
@example("a chorale in \u212a major")
@example("a waltz in \u017f minor, 1e3 bars")
def test_music_requests_are_read_or_refused_with_a_reason(text: str) -> None:
    try:
        facts = music_facts(text)
    except MusicRequestError as exc:
        assert str(exc)
        return
    assert facts.bars is None or facts.bars >= 1


@FUZZ
@given(REQUESTS, REQUESTS)
@example("\u017fix players, a cave game", "")  # 'ſix' matches 'six' case-insensitively: was a KeyError
@example("a race", "for f\u0131ve players")  # the dotless i: was a KeyError
@example("SIX PLAYERS", "up to \u017fEVEN players")
def test_game_requests_are_read_or_refused_with_a_reason(theme: str, constraints: str) -> None:
    try:
        facts = game_facts(theme, constraints)
    except GameRequestError as exc:
        assert str(exc)
        return
    assert facts.players_min is None or facts.players_min <= (facts.players_max or 12)


@FUZZ
@given(REQUESTS, st.one_of(st.none(), st.integers(-5, 20)), REQUESTS)
@example("\u017fix players", None, "")
@example("a cave game", 0, "")  # was a pydantic ValidationError from the retrieval filter, not a typed refusal
@example("a cave game", -1, "")
def test_a_new_run_is_started_or_refused_with_a_reason(theme: str, players: int | None, constraints: str) -> None:
    try:
        state = start_state(theme, players=players, constraints=constraints)
    except InvalidThemeError as exc:
        assert str(exc)
        return
    assert state.theme.strip()


@FUZZ
@given(st.one_of(st.text(max_size=80), st.text(alphabet="abz09_-./\\\x00 ~", max_size=70)))
@example("../escape")
@example("/tmp/absolute")
@example("a\n")
@example("..")
def test_run_ids_are_plain_names_or_refused(run_id: str) -> None:
    try:
        checked = checked_run_id(run_id)
    except InvalidRunIdError as exc:
        assert repr(run_id) in str(exc)
        return
    assert checked == run_id and Path(checked).name == checked and checked not in (".", "..")
    assert not set(checked) - set(string.ascii_lowercase + string.digits + "_-")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree a mutation can replace (the root excluded)."""
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    tree = json.loads(json.dumps(tree))
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return tree


def validate_file(content: bytes) -> tuple[int, str]:
    """The `validate` command on a file holding `content`: its exit code and what it printed."""
    output = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "design.json"
        path.write_bytes(content)
        code = validate_command(str(path), Console(file=output, width=200))
    return code, output.getvalue()


DESIGN_PATHS = paths(DESIGN)


@FUZZ
@given(st.data())
def test_a_mutated_design_is_validated_or_refused(data: st.DataObject) -> None:
    """One field of a real design replaced by arbitrary JSON: a verdict, never a traceback."""
    path = data.draw(st.sampled_from(DESIGN_PATHS), label="path")
    mutated = replaced(DESIGN, path, data.draw(JSON, label="value"))
    code, output = validate_file(json.dumps(mutated).encode())
    assert code in (0, 1) and output


@FUZZ
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode), JSON.map(
    lambda value: json.dumps(value).encode())))
@example(b"[" * 100_000)  # nesting far past any recursion limit
@example(b"\xff\xfe{}")  # not UTF-8
@example(b'{"title": "' + b"\xc3\x28" + b'"}')
def test_arbitrary_files_are_validated_or_refused(content: bytes) -> None:
    code, output = validate_file(content)
    refused_as = ("not a valid game design", "is not UTF-8 text", "cannot be read", "is larger than")
    assert code in (1, 2) and any(reason in output for reason in refused_as), output
