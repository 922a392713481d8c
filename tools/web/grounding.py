"""Grounding by construction: an answer keeps only what its cited source spans state.

Two exact checks, no word-overlap scores (a quote with one name swapped shares 16 of 18 words with
the truth, and a negation shares all but one):

1. `quote_occurs`: a cited quote must occur in its source verbatim, after normalising only case,
   whitespace and quote characters, and inside one block of the source (one paragraph or one table
   row), so two rows of a table cannot be spliced into a quote.
2. `ground_answer`: the answer is cut into claims (sentences and `;` clauses), and every name,
   number and date of a claim (`tools.web.facts`) must appear in one of the verified spans; a
   claim that fails is dropped. Facts the user supplied (the question, what was heard) are the
   subject of the question rather than claims from sources, so they need no span; but a day the user
   gave may not be laid over a span that states another day (`contradicted_day`): "Agnes Baird was the
   guest on 14 February 2019" on the table row "14 March 2019 | Agnes Baird" is dropped.

3. with an `EntailmentChecker` (`tools.web.entailment`), a claim whose facts are all quoted must also be
   entailed by the spans: "Rembrandt died in 1606" is dropped on "Rembrandt was born in 1606", and so is
   a negated, hedged or spliced claim.
4. with the `question`, a grounded claim must also state the kind of fact it asks for
   (`tools.web.answer_kind`): a true, cited sentence about the funeral crowd does not answer "when".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tools.web.answer_kind import unasked
from tools.web.entailment import EntailmentChecker
from tools.web.facts import Fact, date_matches, extract_facts, fact_in
from tools.web.sentences import split_sentences

QUOTE_CHARACTERS = "\"'`\u00b4\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033"
_QUOTES = str.maketrans({character: "'" for character in QUOTE_CHARACTERS})
_QUOTE_EDGES = " '.,;:!?"
MIN_QUOTE_CHARS = 3
_BLOCK_BREAK = re.compile(r"\n\s*\n")
_CITATION_MARK = re.compile(r"\[(?:source\s*)?\d+(?:\s*[,-]\s*\d+)*\]|\(\s*sources?\s*\d+(?:\s*(?:,|and)\s*\d+)*\s*\)|"
                            r"\b(?:according to |as stated in |per )?sources?\s*\d+(?:\s*(?:,|and)\s*\d+)*\b,?",
                            re.IGNORECASE)
"""How answers point at their sources ("[2]", "(Source 1)", "according to source 3"): not facts to check."""


def normalise_span(text: str) -> str:
    """Lowercase, every quote character as `'`, runs of whitespace as one space: the only liberties
    a copied quote may take."""
    return " ".join(text.translate(_QUOTES).lower().split())


def text_blocks(text: str) -> list[str]:
    """The units a quote may not cross, as written: paragraphs, and each row of a table (`a | b` lines)."""
    blocks: list[str] = []
    for paragraph in _BLOCK_BREAK.split(text):
        lines = paragraph.splitlines()
        if any("|" in line for line in lines):
            blocks += lines
        else:
            blocks.append(paragraph)
    return [block for block in blocks if block.strip()]


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def row_header(row: str, text: str) -> str | None:
    """The header row of the table that `row` (a block of `text`, `a | b | c`) belongs to: the table's first
    row (the rows above it run without another block between), when it has as many cells and no number or
    date, and is not `row` itself. A row's cells state something only under their column names
    (`tools.web.entailment.table_statements`), and a citation of "Saturn | 120,536 | yes" cites the row, not
    its header; only the first row may be the header, as a data row without numbers above the row cited
    ("Mercury | no | rocky") is no column's name, so rows still cannot be spliced."""
    blocks = text_blocks(text)
    wanted = normalise_span(row)
    at = next((i for i, block in enumerate(blocks) if "|" in block and normalise_span(block) == wanted), None)
    if not at:
        return None
    first = at
    while first > 0 and "|" in blocks[first - 1]:
        first -= 1
    header = blocks[first]
    if first == at or len(_cells(header)) != len(_cells(row)) or any(f.kind != "name" for f in extract_facts(header)):
        return None
    return header.strip()


def source_blocks(text: str) -> list[str]:
    """`text_blocks`, normalised as quotes are compared (`normalise_span`)."""
    return [normalised for block in text_blocks(text) if (normalised := normalise_span(block))]


def quote_occurs(quote: str, source_text: str) -> bool:
    """Whether `quote` is copied verbatim from one block of `source_text` (case, spacing, quote marks
    and the quote's own leading/trailing punctuation aside)."""
    wanted = normalise_span(quote).strip(_QUOTE_EDGES)
    if len(wanted) < MIN_QUOTE_CHARS:
        return False
    return any(wanted in block for block in source_blocks(source_text))


def split_claims(answer: str) -> list[str]:
    """The answer's sentences and `;` clauses (`tools.web.sentences.split_sentences`)."""
    return split_sentences(answer, clauses=True)


@dataclass(frozen=True)
class ClaimCheck:
    """One claim of an answer, its checkable facts, those no span (nor the question) states, why the
    spans do not entail it (`not_entailed`, empty when they do or when it was not checked) and why it
    does not answer the question (`off_question`, empty when it does or when it was not checked)."""

    claim: str
    facts: tuple[Fact, ...]
    missing: tuple[Fact, ...]
    not_entailed: str = ""
    off_question: str = ""

    @property
    def grounded(self) -> bool:
        return not self.missing and not self.not_entailed and not self.off_question

    def reason(self) -> str:
        if self.off_question and not self.missing and not self.not_entailed:
            return f"dropped the claim '{self.claim}': {self.off_question}"
        if self.not_entailed:
            return f"dropped the claim '{self.claim}': the quoted source spans do not entail it ({self.not_entailed})"
        unsupported = ", ".join(f"'{fact.text}'" for fact in self.missing)
        return f"dropped the claim '{self.claim}': {unsupported} is in none of the quoted source spans"


@dataclass(frozen=True)
class GroundedAnswer:
    """The answer cut down to its grounded claims (`text` None when nothing checkable survived)."""

    text: str | None
    checks: tuple[ClaimCheck, ...]

    @property
    def kept_facts(self) -> list[Fact]:
        return [fact for check in self.checks if check.grounded for fact in check.facts]

    @property
    def off_question(self) -> list[str]:
        """Why the claims that were quoted and entailed but do not answer the question were dropped."""
        return [check.off_question for check in self.checks if check.off_question and not check.missing
                and not check.not_entailed]

    def reasons(self) -> list[str]:
        return [check.reason() for check in self.checks if not check.grounded]


def _stated(fact: Fact, spans: Sequence[str]) -> bool:
    return any(fact_in(fact, span) for span in spans)


def contradicted_day(fact: Fact, spans: Sequence[str]) -> Fact | None:
    """A date of the spans that differs from `fact`, a date to the day that the claim restates from the user
    (no span states it), when one exists: the claim puts the user's day where its source states another.
    Only days are compared: a year the user gave ("president in 1990") sits inside spans' ranges
    ("from 1989 to 1993"); a day names one event."""
    if fact.kind != "date" or not all(fact.key[1:]):
        return None
    return next((other for span in spans for other in extract_facts(span)
                 if other.kind == "date" and all(other.key[1:]) and not date_matches(fact.key, other.key)), None)


def check_claim(claim: str, spans: Sequence[str], given: str, checker: EntailmentChecker | None,
                question: str = "") -> ClaimCheck:
    """The facts of `claim` no span (nor `given`) states; when all are stated, whether `checker` finds the
    claim entailed (not asked when a fact is already missing: the claim is dropped either way), and with
    a `question`, whether the claim states the kind of fact it asks for."""
    text = _CITATION_MARK.sub(" ", claim)
    facts = extract_facts(text)
    missing = tuple(f for f in facts if not _stated(f, spans) and (not fact_in(f, given)
                                                                 or contradicted_day(f, spans) is not None))
    verdict = checker.check(" ".join(text.split()), spans, given) if checker and not missing else None
    return ClaimCheck(claim, tuple(facts), missing, verdict.why or "not entailed" if verdict and not verdict.entailed
                      else "", unasked(text, question, spans=spans) if question else "")


def ground_answer(answer: str, spans: Sequence[str], given: str = "",
                  checker: EntailmentChecker | None = None, question: str = "") -> GroundedAnswer:
    """Keep the claims of `answer` whose names, numbers and dates each appear in one of `spans` (or in
    `given`: the question and what was heard), that the spans entail (with a `checker`) and that state
    the kind of fact `question` asks for (when given). The answer is refused (`text` None) when no claim
    survives, or when only fact-free claims ("He was a composer.") survive the loss of factual ones."""
    checks = tuple(check_claim(claim, spans, given, checker, question) for claim in split_claims(answer))
    checks = _counted_together(checks, question, spans)
    kept = [check for check in checks if check.grounded]
    if len(kept) == len(checks):
        return GroundedAnswer(answer.strip() or None, checks)
    if not any(check.facts for check in kept):
        return GroundedAnswer(None, checks)
    text = " ".join(check.claim.rstrip(";, ") for check in kept)
    return GroundedAnswer(text if text[-1] in ".!?" else text + ".", checks)


def _counted_together(checks: tuple[ClaimCheck, ...], question: str,
                      spans: Sequence[str]) -> tuple[ClaimCheck, ...]:
    """The checks with the names the question asks for counted across the answer's stated and entailed
    claims, before any is dropped for naming too few: "The mountain lies in Nepal. It also lies in China."
    answers "which two countries" in two claims, each of which names one."""
    stated = [check for check in checks if not check.missing and not check.not_entailed]

    def recounted(check: ClaimCheck) -> ClaimCheck:
        beside = [_CITATION_MARK.sub(" ", other.claim) for other in stated if other is not check]
        return replace(check, off_question=unasked(_CITATION_MARK.sub(" ", check.claim), question, beside, spans))

    return tuple(recounted(check) if check.off_question and check in stated else check for check in checks)


def spans_stating(facts: Sequence[Fact], spans: Sequence[str]) -> list[int]:
    """Indices of the spans that state at least one of `facts` (what a citation is for)."""
    return [index for index, span in enumerate(spans) if any(fact_in(fact, span) for fact in facts)]
