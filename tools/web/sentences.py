"""Text cut into sentences: one splitter for every web tool.

A too-long paragraph is cut into passages at its sentence ends (`tools.web.passages`), evidence is
numbered sentence by sentence (`tools.web.evidence`), an answer is checked claim by claim
(`tools.web.grounding`), spans are read statement by statement (`tools.web.entailment`) and
disagreeing sources are compared sentence by sentence (`tools.web.conflicts`). Each once had its own
pattern, each handling a case the others missed; the cases together are the rules here:

- a sentence ends at `.`, `!` or `?` followed by white space, and at a blank line (a heading or a list
  item ends without a full stop);
- an abbreviation's full stop ("No. 9", "St. Paul", "Mt. Fuji", "cf. the") ends none, but a blank line after
  one does;
- a lone capital's full stop is an initial's ("J. S. Bach", "John F. Kennedy") only between names: after a
  capitalised word that is no designation ("World War I.", "Vitamin C.", "Plan B." end a sentence) or another
  initial, or at a sentence's start, and before a capitalised word; after a lowercase word ("in C.") it ends one;
- with `clauses`, a `;` followed by white space ends one too (an answer's claims), except before "or," as a
  title's alternative follows it ("Moby-Dick; or, The Whale": cut there, the bench's moby answer kept
  "or, The Whale by Herman Melville." when its first clause was dropped);
- each sentence has its white space made single, unless `as_written`: a passage keeps a paragraph's
  lines, as a table's rows are the blocks a quote may not cross (`tools.web.grounding.text_blocks`).
"""

from __future__ import annotations

import re

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_CLAUSE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=;)\s+(?!or,)|\n\s*\n")
_BLANK_LINE = re.compile(r"\n\s*\n")
_ABBREVIATION = re.compile(r"\b(?:St|Mr|Mrs|Ms|Dr|Mt|No|Op|Jr|Sr|vs|ca|cf|c|Vol|Nos)\.$")
_ABBREVIATION_CHARS = 4
"""The longest abbreviation with its full stop ("Mrs."): only so much of a sentence's tail is searched, so
splitting stays linear however many full stops a paragraph holds ("A. A. A. ...")."""
_INITIAL = re.compile(r"\b[A-Z]\.$")
_NAME_BEFORE = re.compile(r"(?:^|[\s(\"\u201c\u2018])(?P<word>[A-Z][\w'\u2019.-]*)\s+$|^\s*$|[(\"\u201c\u2018]$")
"""What may come before an initial: a capitalised word or another initial, a sentence's start, an opening
bracket or quote ("(J. S. Bach)")."""
_NAME_AFTER = re.compile(r"[A-Z]")
_WORD_CHARS = 40
"""How far before an initial its preceding word is looked for (a name's word is shorter)."""
_DESIGNATIONS = frozenset({"War", "Part", "Act", "Op", "No", "Nos", "Vol", "Volume", "Book", "Chapter", "Section",
                          "Appendix", "Vitamin", "Plan", "Type", "Class", "Grade", "Group", "Phase", "Stage",
                          "Level", "Model", "Series", "Category", "Option", "Scene", "Exhibit", "Annex"})
"""Words a lone capital designates rather than follows as an initial ("World War I", "Vitamin C", "Plan B")."""


def split_sentences(text: str, *, clauses: bool = False, as_written: bool = False) -> list[str]:
    """The sentences of `text` (and its `;` clauses with `clauses`), without empty ones, each stripped and
    with its white space made single unless `as_written`; see the module docstring for where they end."""
    sentences: list[str] = []
    start = 0
    for end in (_CLAUSE_BREAK if clauses else _SENTENCE_BREAK).finditer(text):
        if not _BLANK_LINE.search(end.group()) and _abbreviated(text, start, end.start(), end.end()):
            continue
        sentences.append(text[start:end.start()])
        start = end.end()
    sentences.append(text[start:])
    shaped = (sentence.strip() if as_written else " ".join(sentence.split()) for sentence in sentences)
    return [sentence for sentence in shaped if sentence]


def _abbreviated(text: str, start: int, stop: int, following: int) -> bool:
    """Whether the full stop before `stop` (in the sentence begun at `start`, the next piece begun at
    `following`) is an abbreviation's or an initial's rather than a sentence's end; see the module docstring."""
    if _ABBREVIATION.search(text, max(start, stop - _ABBREVIATION_CHARS), stop):
        return True
    if not _INITIAL.search(text, max(start, stop - 2), stop) or not _NAME_AFTER.match(text, following):
        return False
    before = _NAME_BEFORE.search(text[max(start, stop - 2 - _WORD_CHARS):stop - 2])
    return before is not None and (before.group("word") or "").rstrip(".") not in _DESIGNATIONS
