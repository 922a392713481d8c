"""The evidence as numbered sentences, so that a citation is a sentence the system chose, not a quote
the model copied.

A small model rarely copies a quote word for word (7 of 10 attempts of the 1.5B Answerer were withheld
for it). Instead the screened passages are cut into sentences (inside one paragraph or table row,
so no sentence crosses what `tools.web.grounding.quote_occurs` forbids), the sentences most about the
question are numbered `[S1]`, `[S2]`, ... and the Answerer cites ids, which its schema limits to
those shown. The cited text is then the source's own sentence: verbatim by construction.

The Answerer's prompt is most of a question's time (docs/benchmarks.md), so it shows no more than it
must: only sentences that share a word with the question or state a value, each once (a search
snippet repeats its page), one quote per page, named by its title (its URL would cost some twenty
tokens and the Answerer cites ids, not URLs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from tools.web.entailment import FUNCTION_WORDS
from tools.web.facts import extract_facts
from tools.web.grounding import row_header, text_blocks
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


def shares_words(text: str, focus: str) -> bool:
    """Whether `text` shares a content word (by stem) with `focus`."""
    return bool(stems(text, FUNCTION_WORDS) & stems(focus, FUNCTION_WORDS))


def passage_sentences(passage: Passage) -> list[str]:
    """The sentences of a passage, none crossing a paragraph or table row."""
    return [sentence for block in text_blocks(passage.text) for sentence in split_sentences(block)]


def _relevance(sentence: str, focus: set[str]) -> float:
    """Shared content words with the question (a value is what answers ask for: a small bonus)."""
    values = any(fact.kind != "name" for fact in extract_facts(sentence))
    return len(stems(sentence, FUNCTION_WORDS) & focus) + 0.5 * values


def _header_relevance(row: str, header: str | None, focus: set[str]) -> float:
    """What a table row's header adds to the row's relevance: its shared words, when the row itself shares
    one (the row about what was asked, "Saturn | 120,536", under "Planet | Equatorial diameter (km)"); the
    other rows of the table name nothing asked and gain nothing."""
    if header is None or not stems(row, FUNCTION_WORDS) & focus:
        return 0.0
    return float(len(stems(header, FUNCTION_WORDS) & focus))


def _header_at(sentence: str, sentences: list[str], text: str) -> int | None:
    """Where among `sentences` the header row of the table row `sentence` is (None for a sentence, or a row
    whose header is not among them). A row is weighed with its header's words (`_header_relevance`), which
    name what its cells are, and shown under it: session 29's saturn item showed the header and three
    sentences about planets, never the row "Saturn | 120,536 | yes", which shares one word with the question."""
    header = row_header(sentence, text) if "|" in sentence else None
    return next((at for at, other in enumerate(sentences) if other == header), None) if header else None


def _by_page(passages: Sequence[Passage]) -> list[Passage]:
    """The passages grouped by page (pages in the order of their best passage), in page order within one."""
    first = {passage.source: rank for rank, passage in reversed(list(enumerate(passages)))}
    return sorted(passages, key=lambda passage: (first[passage.source], passage.index))


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _repeats(first: str, second: str) -> bool:
    """Two sentences' words (`_words`) are one sentence: equal, or the shorter, of four words or more, inside
    the longer (a shorter one, "It is.", is inside too many sentences to say so)."""
    shorter, longer = sorted((first, second), key=len)
    return shorter == longer or (shorter.count(" ") > 4 and shorter in longer)


def _show_once(chosen: list[tuple[Passage, str]], passage: Passage, sentence: str) -> None:
    """Add `sentence` unless it repeats one of its page chosen before; the longer of the two stays, in the
    earlier's place (a search snippet cut at "..." repeats its page's sentence, and two passages of one page
    can overlap). A longer sentence of another page is shown besides, never instead: a hostile page could
    otherwise replace the real page's sentence with its own, which adds "but records show 1925"."""
    words = _words(sentence)
    for place, (shown, other) in enumerate(chosen):
        if shown.source == passage.source and _repeats(words, _words(other)):
            if len(words) > len(_words(other)):
                chosen[place] = (passage, sentence)
            return
    chosen.append((passage, sentence))


def number_sentences(passages: Sequence[Passage], focus: str, *, per_passage: int = SENTENCES_PER_PASSAGE,
                     whole: Sequence[Passage] = ()) -> list[EvidenceSentence]:
    """The `per_passage` sentences of each of `passages` most about `focus` (the question and what was
    heard), page by page in page order, then every sentence of the `whole` passages, numbered S1, S2, ...
    A sentence that shares no word with `focus` and states no value is left out, and one that repeats a
    sentence shown before it is shown once."""
    wanted = stems(focus, FUNCTION_WORDS)
    chosen: list[tuple[Passage, str]] = []
    for passage in _by_page(passages):
        shown = [_words(text) for _, text in chosen]
        sentences = [sentence for sentence in passage_sentences(passage)
                     if not any(_repeats(_words(sentence), other) and len(_words(sentence)) <= len(other)
                                for other in shown)]  # adds nothing to what is shown
        headers = [_header_at(sentence, sentences, passage.text) for sentence in sentences]
        scores = [_relevance(sentence, wanted) + _header_relevance(sentence, None if at is None else sentences[at],
                                                                   wanted)
                  for sentence, at in zip(sentences, headers, strict=True)]
        best = sorted((i for i, score in enumerate(scores) if score > 0), key=lambda i: (-scores[i], i))[:per_passage]
        best += [at for i in best if (at := headers[i]) is not None and at not in best]
        for i in sorted(best):
            _show_once(chosen, passage, sentences[i])
    chosen += [(passage, sentence) for passage in whole for sentence in passage_sentences(passage)]
    return [EvidenceSentence(id=f"S{number}", passage=passage, text=text)
            for number, (passage, text) in enumerate(chosen, start=1)]


def quote_sentences(sentences: Sequence[EvidenceSentence]) -> str:
    """The sentences for the prompt: one `[S<n>] sentence` line each, those of one page together inside
    `quote_for_prompt`'s delimiters, under the page's title; the note that they are data is the system
    message's (`agents.audiorag_agents.PREAMBLE`)."""
    grouped: dict[str, tuple[Passage, list[str]]] = {}
    for sentence in sentences:
        # normalised and cleaned first, so that "[S\u200b3]" or a full-width "\uff3bS3\uff3d" cannot become an id
        shown = _ID_LOOKALIKE.sub(r"(\1)", neutralise(unicodedata.normalize("NFKC", sentence.text)))
        grouped.setdefault(sentence.passage.source, (sentence.passage, []))[1].append(f"[{sentence.id}] {shown}")
    return quote_for_prompt([passage.model_copy(update={"text": "\n".join(lines), "section": ""})
                             for passage, lines in grouped.values()], note=False, urls=False)
