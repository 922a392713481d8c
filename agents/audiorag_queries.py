"""Researcher queries that are queries: checked before any is sent to a search engine.

A small model sometimes copies its schema's wording ("best first query"), repeats itself, or writes
a query about nothing it was told. A query is kept only if it is not empty, not a repeat (case and
spacing aside), free of template words and placeholders, and shares a content word with what was
heard, asked or already read. The Researcher is asked once more with the problems listed; if that
fails too, the query is built from the question and the names heard (`fallback_query`).

A plan must also name the subject: the bench's swan clip said "from the carnival of the animals, here is
the swan" and the Researcher searched "instrument plays melody piece", which shares words with the
question and so passed, but found nothing about the piece. The words said in the clip or the names written
in the question (`subject_terms`) must be in some query; when none is, the subject's own query goes first
(`with_subject`).

A query written as an instruction to a person ("search for 'call me a schmail' in English novels") is sent
as what it asks for ("call me a schmail English novels", `as_query`): a search engine reads every word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.web.facts import SENTENCE_STARTERS, extract_facts
from tools.web.stems import split_words, stem, word_stems

MAX_QUERY_CHARS = 200

TEMPLATE = re.compile(
    r"\bbest[ -]first\b|\b(?:first|second|third|best|your|example|sample|search|web search|this) quer(?:y|ies)\b|"
    r"\bquery\s*#?\d\b|<[^>]*>|\{[^}]*\}|\[[^\]]*\]|\bplaceholder\b|\binsert (?:here|query|name|title)\b|"
    r"\.\.\.|\u2026|\b(?:todo|tbd|xxx|lorem ipsum)\b|"
    r"\btranscribed by\b|\b(?:speech|music|sounds?) \(|\baudio clip\b|\bin this clip\b",
    re.IGNORECASE)
INSTRUCTION = re.compile(
    r"^(?:please\s+)?(?:(?:do\s+a\s+)?(?:web\s+)?search(?:\s+the\s+web)?(?:\s+(?:for|on|about)\b|\s*:)|"
    r"look\s+(?:up|for)\b|find\s+out\b|query(?:\s+for\b|\s*:))\s*:?\s*", re.IGNORECASE)
"""The opening of a query written as an instruction to search, which an engine would read as words to match."""
WRAPPING = re.compile("^[\"'\u2018\u201c](?P<inner>.+?)[\"'\u2019\u201d](?P<rest>.*)$")
IN_WHERE = re.compile(r"^\s*(?:in|on|from|among|within)\s+", re.IGNORECASE)
QUERY_WORDS = frozenset({"query", "queries", "search", "web", "best", "first", "example", "keyword", "keywords",
                         "results", "google", "find", "look", "information", "info"})
"""Words about searching, not about the subject: they never count as a shared content word."""
FILLER = frozenset({"did", "does", "was", "were", "are", "has", "have", "had", "been", "being", "can", "could",
                    "would", "should", "will", "clip", "audio", "recording", "heard", "said", "says", "named",
                    "mentioned", "described", "announced", "transcribed", "whisper", "speech", "sounds", "like",
                    "unknown", "language"}) | SENTENCE_STARTERS
"""Function words, and words about the clip rather than its subject."""


def content_words(text: str) -> list[str]:
    """The words of `text` that could name a subject, lowercased, in order, without repeats."""
    words: list[str] = []
    for word in split_words(text, numbers=True):
        if (len(word) >= 3 or word.isdigit()) and word not in FILLER and word not in words:
            words.append(word)
    return words


def _stems(text: str) -> set[str]:
    """Query and context words compare by their stems ("composer", "composed" -> "compos")."""
    return {found for word in content_words(text) if word not in QUERY_WORDS for found in word_stems(word)}


@dataclass
class QueryReview:
    """The usable queries of a plan, and what was wrong with the others (to tell the Researcher)."""

    queries: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def as_query(text: str) -> str:
    """`text` as a search engine should get it: spacing collapsed, an instruction to search unwrapped
    ("Search for 'X' in Y" -> "X Y"), cut to `MAX_QUERY_CHARS`."""
    query = " ".join(text.split())
    unwrapped = INSTRUCTION.sub("", query, count=1)
    if unwrapped != query:
        quoted = WRAPPING.match(unwrapped)
        if quoted:
            unwrapped = f"{quoted['inner']} {IN_WHERE.sub('', quoted['rest'])}"
        query = " ".join(unwrapped.split())
    return query[:MAX_QUERY_CHARS]


def was_searched(query: str, searched: Sequence[str]) -> bool:
    """Whether `query` is one of `searched`, case and spacing aside."""
    key = " ".join(query.split()).lower()
    return any(" ".join(earlier.split()).lower() == key for earlier in searched)


def review_queries(queries: list[str], context: str, searched: Sequence[str] = ()) -> QueryReview:
    """Keep each query that is non-empty, new (in this plan and among the earlier rounds' `searched`),
    free of template words and about `context` (what was heard, asked and read); say why each other
    one was refused."""
    review, seen, known = QueryReview(), set(), _stems(context)
    for raw in queries:
        query = as_query(raw)
        key = query.lower()
        if not query:
            review.problems.append("an empty query")
        elif was_searched(query, searched):
            review.problems.append(f"'{query}' was already searched and did not find the answer")
        elif key in seen:
            review.problems.append(f"'{query}' repeats another query")
        elif TEMPLATE.search(query):
            review.problems.append(f"'{query}' contains template or placeholder words")
        elif not _stems(query) & known:
            review.problems.append(f"'{query}' names nothing that was heard or asked")
        else:
            review.queries.append(query)
        seen.add(key)
    return review


AUDIO_LLM_SAYS = "an audio-language model says:"
"""How `heard` introduces an audio-language model's description: a guess, unlike a transcript."""


def listeners_lines(heard: str) -> list[str]:
    """The lines of the listeners' report but an audio-language model's description (`AUDIO_LLM_SAYS`): a
    guess, which must neither become the subject every plan must search, nor tie a page to the question,
    nor be restated by an answer without a source."""
    return [line for line in heard.splitlines() if not line.startswith(AUDIO_LLM_SAYS)]


def heard_words(heard: str) -> str:
    """The quoted parts of the listeners' report (`listeners_lines`): what was said in the clip."""
    return " ".join(re.findall(r'"([^"]+)"', "\n".join(listeners_lines(heard))))


def subject_terms(question: str, heard: str) -> list[str]:
    """What the question is about, which a plan must name: the names written in the question and said in
    the clip, then the other content words said that the question does not use (words count, not only
    capitals: Whisper writes a title in lower case as often as not, "here is the swan")."""
    said = heard_words(heard)
    names = [re.sub(r"['\u2019]s$", "", fact.text) for text in (question, said)  # "Beethoven's" is Beethoven
             for fact in extract_facts(text) if fact.kind == "name"]
    taken = _stems(question) | {stem for name in names for stem in _stems(name)}
    words = [word for word in content_words(said) if word not in QUERY_WORDS and stem(word) not in taken]
    return list(dict.fromkeys([*names, *words]))


def names_subject(query: str, terms: Sequence[str]) -> bool:
    """Whether `query` shares a word (by stem) with one of the subject `terms`."""
    return bool(_stems(query) & {stem for term in terms for stem in _stems(term)})


def fallback_query(question: str, heard: str) -> str:
    """A query built without the model: the subject (`subject_terms`), then the question's other content words."""
    terms = subject_terms(question, heard)
    taken = {found for term in terms for found in _stems(term)}
    words = [*terms, *(word for word in content_words(question) if stem(word) not in taken)]
    return " ".join(words)[:MAX_QUERY_CHARS].strip() or " ".join(question.split())[:MAX_QUERY_CHARS]


def with_subject(queries: list[str], question: str, heard: str, *, limit: int,
                 searched: Sequence[str] = ()) -> list[str]:
    """`queries` if one of them, or one an earlier round `searched`, names the subject (or there is no subject
    to name: a later round may follow what was read instead); else the subject's own query (`fallback_query`)
    first, then the others, `limit` in all."""
    terms = subject_terms(question, heard)
    if not terms or any(names_subject(query, terms) for query in [*searched, *queries]):
        return queries
    return [fallback_query(question, heard), *queries][:limit]
