"""Sources that disagree: another source saying the same thing with a different number or date.

An answer cites the span that states its value ("Beethoven died in Vienna on 26 March 1827"). If an
independent source (another site, another local document) has a sentence that says nearly the same
(`SAME_STATEMENT` of its content words shared) with a different value of the same kind and without
the cited value ("Beethoven died in Vienna in 1828"), the sources conflict, and picking one would be
a guess. Names are compared by `tools.web.name_conflicts`: which name fills which role needs a little of the
sentence's grammar, not only its words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tools.web.facts import SENTENCE_STARTERS, Fact, extract_facts, fact_in
from tools.web.passages import Passage
from tools.web.sentences import split_sentences
from tools.web.stems import split_words, word_stems

SAME_STATEMENT = 0.6
"""Share of content words (Jaccard) two sentences need to count as the same statement."""

_COMMON = SENTENCE_STARTERS | frozenset({"was", "were", "has", "had", "have", "are", "been", "into", "than"})


def origin(source: str) -> str:
    """What makes two sources independent: the site of a URL, the document of a local id."""
    host = urlsplit(source).hostname
    return (host or source).removeprefix("www.")


def _words(text: str) -> set[str]:
    """The stems of a sentence's content words (of three letters or more), so "died" and "dies" agree."""
    return {found for word in split_words(text) if len(word) >= 3 and word not in _COMMON
            for found in word_stems(word)}


def _similar(a: str, b: str) -> bool:
    first, second = _words(a), _words(b)
    return bool(first and second) and len(first & second) / len(first | second) >= SAME_STATEMENT


@dataclass(frozen=True)
class Conflict:
    """A cited value and another source's different value for the same statement."""

    value: str
    cited: str
    source: str
    other_value: str
    other: str

    def describe(self) -> str:
        return (f"the sources disagree: '{self.cited}' gives {self.value}, but {self.source} says "
                f"'{self.other}' ({self.other_value})")


def find_conflicts(facts: Sequence[Fact], cited: Sequence[tuple[str, str]], passages: Sequence[Passage]) \
        -> list[Conflict]:
    """Conflicts of the answer's numbers and dates (`facts`) with `passages` from origins none of the
    `cited` (source, quote) pairs comes from."""
    cited_origins = {origin(source) for source, _ in cited}
    values = [fact for fact in facts if fact.kind in ("number", "date")]
    conflicts = []
    for passage in passages:
        if origin(passage.source) in cited_origins:
            continue
        for sentence in split_sentences(passage.text):
            for value in values:
                quote = next((q for _, q in cited if fact_in(value, q)), None)
                if quote is None or fact_in(value, sentence) or not _similar(quote, sentence):
                    continue
                other = next((f for f in extract_facts(sentence) if f.kind in ("number", "date")), None)
                if other is not None:
                    conflicts.append(Conflict(value.text, quote, passage.source, other.text, sentence))
    return conflicts
