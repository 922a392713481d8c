"""Words and their stems: the one way wording is compared across inflections.

Entailment asks whether the spans cover a claim's words ("composed" by "composer",
`tools.web.entailment`), evidence ranks a passage's sentences by the question's words
(`tools.web.evidence`), and a Researcher's query must share a word with what was heard or asked
(`agents.audiorag_queries`). Each once had its own word pattern and stem; they now share these.

A word starts with a letter, may hold digits, apostrophes and hyphens ("Beethoven's", "well-known",
"MP3") and ends on a letter or digit, so quotes around it are not part of it ("'Gymnopédies'",
"‘Moonlight’"); with `numbers`, a number ("1827", "4th") is a word too, for the callers where a year or a
catalogue number names the subject (a query) rather than being a fact checked on its own (entailment).
A hyphenated word also stands for its parts, as a name is written with and without ("Saint-Saëns",
"Saint Saëns").
"""

from __future__ import annotations

import re
from collections.abc import Set

_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ed", "es", "s", "ly", "d")
_WORD = re.compile(r"[^\W\d_](?:[\w'\u2019-]*\w)?")
_WORD_OR_NUMBER = re.compile(r"[^\W\d_](?:[\w'\u2019-]*\w)?|\d\w*")


def split_words(text: str, *, numbers: bool = False) -> list[str]:
    """The words of `text`, lowercased, in order (numbers too with `numbers`)."""
    return [match.group(0).lower() for match in (_WORD_OR_NUMBER if numbers else _WORD).finditer(text)]


def stem(word: str) -> str:
    """A word without its plainest inflection ("compose", "composed", "composer" -> "compos"; "died",
    "dies" -> "die"), so a comparison is not defeated by grammar; irregular forms ("born"/"birth") stay apart.
    Both sides are stemmed alike, so a stem need not be a word."""
    word = re.sub(r"['\u2019]s$", "", word.lower())
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word


def hyphen_parts(word: str) -> list[str]:
    """The parts of a hyphenated word ("saint-saëns" -> "saint", "saëns"); none for another word."""
    return [part for part in word.split("-") if part] if "-" in word else []


def word_stems(word: str) -> set[str]:
    """The stem of `word` and of its hyphenated parts: what it may be matched by."""
    return {stem(word), *map(stem, hyphen_parts(word))}


def stems(text: str, ignore: Set[str] = frozenset()) -> set[str]:
    """The stems of the words of `text` and of their hyphenated parts, but for the words in `ignore`
    (function words, say)."""
    return {found for word in split_words(text) if word not in ignore for found in word_stems(word)}


def covers(stems_said: Set[str], word: str) -> bool:
    """Whether `stems_said` (a text's `stems`) hold `word`: its stem, or the stems of all its parts
    ("saint-saëns" is said by "Saint Saëns")."""
    parts = hyphen_parts(word)
    return stem(word) in stems_said or bool(parts) and all(stem(part) in stems_said for part in parts)
