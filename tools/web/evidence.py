"""The evidence as numbered sentences, so that a citation is a sentence the system chose, not a quote
the model copied.

A small model rarely copies a quote word for word (7 of 10 attempts of the 1.5B Answerer were withheld
for it). Instead the screened passages are cut into sentences (inside one paragraph or table row,
so no sentence crosses what `tools.web.grounding.quote_occurs` forbids), the sentences most about the
question are numbered `[S1]`, `[S2]`, ... and the Answerer cites ids, which its schema limits to
those shown. The cited text is then the source's own sentence: verbatim by construction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from tools.web.entailment import FUNCTION_WORDS
from tools.web.facts import extract_facts
from tools.web.grounding import text_blocks
from tools.web.passages import Passage, neutralise, quote_for_prompt
from tools.web.sentences import split_sentences
from tools.web.stems import stems

SENTENCES_PER_PASSAGE = 4
"""Sentences shown of each passage: its best by overlap with the question, so the prompt stays small."""

_ID_LOOKALIKE = re.compile(r"\[\s*(S\s*\d+)\s*\]", re.IGNORECASE)
"""A page's own "[S3]" would pass for an id of ours: shown as "(S3)" instead."""


class EvidenceSentence(BaseModel):
    """One sentence of a passage, under the id the Answerer cites it by."""

    model_config = ConfigDict(frozen=True)

    id: str
    passage: Passage
    text: str


def passage_sentences(passage: Passage) -> list[str]:
    """The sentences of a passage, none crossing a paragraph or table row."""
    return [sentence for block in text_blocks(passage.text) for sentence in split_sentences(block)]


def _relevance(sentence: str, focus: set[str]) -> float:
    """Shared content words with the question (a value is what answers ask for: a small bonus)."""
    values = any(fact.kind != "name" for fact in extract_facts(sentence))
    return len(stems(sentence, FUNCTION_WORDS) & focus) + 0.5 * values


def number_sentences(passages: Sequence[Passage], focus: str, *, per_passage: int = SENTENCES_PER_PASSAGE,
                     whole: Sequence[Passage] = ()) -> list[EvidenceSentence]:
    """The `per_passage` sentences of each of `passages` most about `focus` (the question and what was
    heard), in their page order, then every sentence of the `whole` passages, numbered S1, S2, ..."""
    wanted = stems(focus, FUNCTION_WORDS)
    chosen: list[tuple[Passage, str]] = []
    for passage in passages:
        sentences = passage_sentences(passage)
        best = sorted(range(len(sentences)), key=lambda i: (-_relevance(sentences[i], wanted), i))[:per_passage]
        chosen += [(passage, sentences[i]) for i in sorted(best)]
    chosen += [(passage, sentence) for passage in whole for sentence in passage_sentences(passage)]
    return [EvidenceSentence(id=f"S{number}", passage=passage, text=text)
            for number, (passage, text) in enumerate(chosen, start=1)]


def quote_sentences(sentences: Sequence[EvidenceSentence]) -> str:
    """The sentences for the prompt: grouped by passage inside `quote_for_prompt`'s delimiters, one
    `[S<n>] sentence` line each."""
    grouped: dict[tuple[str, int, str], tuple[Passage, list[str]]] = {}
    for sentence in sentences:
        key = (sentence.passage.source, sentence.passage.index, sentence.passage.text)
        # normalised and cleaned first, so that "[S\u200b3]" or a full-width "\uff3bS3\uff3d" cannot become an id
        shown = _ID_LOOKALIKE.sub(r"(\1)", neutralise(unicodedata.normalize("NFKC", sentence.text)))
        grouped.setdefault(key, (sentence.passage, []))[1].append(f"[{sentence.id}] {shown}")
    return quote_for_prompt([passage.model_copy(update={"text": "\n".join(lines)})
                             for passage, lines in grouped.values()])
