"""Text cut into sentences: one splitter for every web tool.

A too-long paragraph is cut into passages at its sentence ends (`tools.web.passages`), evidence is
numbered sentence by sentence (`tools.web.evidence`), an answer is checked claim by claim
(`tools.web.grounding`), spans are read statement by statement (`tools.web.entailment`) and
disagreeing sources are compared sentence by sentence (`tools.web.conflicts`). Each once had its own
pattern, each handling a case the others missed; the cases together are the rules here:

- a sentence ends at `.`, `!` or `?` followed by white space, and at a blank line (a heading or a list
  item ends without a full stop);
- an abbreviation's full stop ("No. 9", "St. Paul", "J. S. Bach") ends none, but a blank line after one does;
- with `clauses`, a `;` followed by white space ends one too (an answer's claims);
- each sentence has its white space made single, unless `as_written`: a passage keeps a paragraph's
  lines, as a table's rows are the blocks a quote may not cross (`tools.web.grounding.text_blocks`).
"""

from __future__ import annotations

import re

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")
_BLANK_LINE = re.compile(r"\n\s*\n")
_ABBREVIATION = re.compile(r"\b(?:[A-Z]|St|Mr|Mrs|Ms|Dr|No|Op|Jr|Sr|vs|ca|c|Vol|Nos)\.$")


def split_sentences(text: str, *, clauses: bool = False, as_written: bool = False) -> list[str]:
    """The sentences of `text` (and its `;` clauses with `clauses`), without empty ones, each stripped and
    with its white space made single unless `as_written`; see the module docstring for where they end."""
    sentences: list[str] = []
    start = 0
    for end in (_CLAUSE_BREAK if clauses else _SENTENCE_BREAK).finditer(text):
        if _ABBREVIATION.search(text[start:end.start()]) and not _BLANK_LINE.search(end.group()):
            continue
        sentences.append(text[start:end.start()])
        start = end.end()
    sentences.append(text[start:])
    shaped = (sentence.strip() if as_written else " ".join(sentence.split()) for sentence in sentences)
    return [sentence for sentence in shaped if sentence]
