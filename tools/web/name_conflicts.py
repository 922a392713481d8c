"""Sources that disagree about a name: another source giving a different person or place for the same relation.

Session 31's rubik item read two pages: an encyclopedia's "The Rubik's Cube is a 3-D combination puzzle invented in
1974 by ... Erno Rubik" and a blog's "It has now been established that the Rubik's Cube was invented by Larry
Nichols, not by the Hungarian professor usually credited". Each sentence grounds its own answer, so the checks
of one citation cannot see the other: the Answerer picked a side. A number or date is compared as a value
(`tools.web.conflicts`); a name needs to know which name fills which role, so this reads a little grammar:

- **the relation**: a word of one of the `RELATIONS` families ("invented", "inventor", "invention"; "wrote",
  "author"; "born", "birthplace"; "capital") that the answer or the question uses;
- **the subject**: a name the question or the words heard give, or the first name of a cited page's title
  ("Rubik's Cube"), that the other sentence states (an "It" sentence read with its page's subject named:
  `tools.web.referents.with_subject`); nothing but link words between it and the relation word, so "the
  Pyraminx" in "The Rubik's Cube's rival, the Pyraminx, was invented by ..." takes the relation;
- **the slot**: the name that fills the relation's role beside the subject (`slot_names`): after the relation
  and its preposition ("invented in 1974 *by* ...", "born on ... *in* ..."), right before it ("Larry Nichols
  invented the ...", "Paris is the capital of ..."), or after its noun ("the capital of France is Lyon", "the
  Rubik's Cube's inventor, Larry Nichols"). A nationality before a noun ("the *Hungarian* sculptor") is no name
  in a slot.

The other sentence conflicts when its slot holds a name that is none of the answer's names (nor shares a word
with one: "Rubik" is "Erno Rubik"), is not the subject, and that no cited page also gives in that role (a
co-designer the cited page names too). A sentence that states an answer's name without denying it ("not",
"wrongly", "actually" ...) agrees, whatever else it names: "designed by Jorn Utzon and Peter Hall" adds a
co-designer, it does not contradict. Denial words are not needed for a conflict; when present, the conflict
says so. Another relation of the subject ("studied with Joseph Haydn"), another subject's inventor ("the
ballpoint pen, invented by Laszlo Biro"), a place or time in the slot of a person ("invented in Budapest")
and pages from a cited page's own site are not compared. The rules err towards no conflict: a missed
conflict leaves the answer as it was, a false one costs a correct answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tools.web.conflicts import Conflict, origin
from tools.web.entailment import FUNCTION_WORDS
from tools.web.facts import NAME_PARTICLES, extract_facts, fact_in
from tools.web.passages import Passage
from tools.web.referents import with_subject
from tools.web.relations import RELATION_FAMILIES, RelationFamily
from tools.web.sentences import split_sentences
from tools.web.stems import split_words

log = logging.getLogger(__name__)

RELATIONS = tuple(family for family in RELATION_FAMILIES if family.role)
"""The relations compared: those of the shared table (`tools.web.relations`) with a slot for a person or a place,
each read by its verbs' and its nouns' forms (words, not stems: "found" is also "find"'s past)."""

RELATION_GAP = 5
"""Words allowed between a relation word and its preposition ("born *on 17 December 1770* in Bonn")."""
SLOT_GAP = 10
"""Words allowed between a preposition and the name it introduces ("by *the Hungarian sculptor and professor of
architecture* Erno Rubik")."""
SUBJECT_GAP = 6
"""Words allowed between the subject and the relation ("The Rubik's Cube *is a 3-D combination puzzle* invented")."""
LINK_GAP = 3
"""Link words allowed between a name and a relation beside it ("Larry Nichols, *the* inventor", "Paris *is the*
capital")."""

_LINKS = """is was are were be been has had have the a an who which that first originally also actually really later
famously his her its their"""
_LINK_WORDS = frozenset(_LINKS.split())
"""Words that join a name to the relation beside it without a role of their own."""
_ASIDES = "like unlike as than besides including include includes such whereas while"
_ASIDE_WORDS = frozenset(_ASIDES.split())
"""Words that bring in another thing than the subject ("The Rubik's Cube, *like* the ballpoint pen invented by
..."): the relation after them is not the subject's."""
_DENIAL_WORDS = "not never wrongly falsely mistakenly erroneously incorrectly actually contrary instead rather myth"
DENIALS = frozenset(_DENIAL_WORDS.split())
"""Words by which a sentence contradicts what others say ("not by the Hungarian professor", "wrongly credited")."""

_TOKEN = re.compile(r"[^\W_](?:[\w'-]*\w)?|[,;:]")
_CLAUSE_MARKS = frozenset(";:")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'"})


@dataclass(frozen=True)
class _Token:
    text: str
    kind: Literal["word", "name", "subject", "mark"]

    @property
    def lower(self) -> str:
        return self.text.lower()


def names_in(text: str) -> list[str]:
    """The names `text` states (`extract_facts`), a possessive joined to the name it owns when it is part of
    one name ("Rubik's" and "Cube" of "the Rubik's Cube" are "Rubik's Cube"), single letters ("3-D") left out."""
    names: list[str] = []
    text = text.translate(_QUOTES)
    for fact in (fact for fact in extract_facts(text) if fact.kind == "name"):
        if names and names[-1].endswith("'s") and f"{names[-1]} {fact.text}" in text:
            names[-1] = f"{names[-1]} {fact.text}"
        elif len(fact.text) > 1:
            names.append(fact.text)
    return names


def _name_words(name: str) -> set[str]:
    """The words that tell a name apart (its particles aside, possessive dropped): "Erno Rubik" -> erno, rubik."""
    return {re.sub(r"'s$", "", word) for word in split_words(name) if word not in NAME_PARTICLES}


def _same_person(name: str, others: Sequence[str]) -> bool:
    """Whether `name` shares a distinguishing word with one of `others` ("Rubik" and "Erno Rubik")."""
    return any(_name_words(name) & _name_words(other) for other in others)


def _subject_pattern(subject: str) -> str:
    """A subject's mention as whole words, in any case, possessive or not ("the Rubik's Cube's inventor")."""
    return rf"(?<![\w']){re.escape(subject)}(?:'s)?(?![\w'])"


def _mentions(text: str, subject: str) -> bool:
    return re.search(_subject_pattern(subject), text.translate(_QUOTES), re.IGNORECASE) is not None


def _part_of(name: str, subjects: Sequence[str]) -> bool:
    """Whether `name` is a subject or a part of one ("Rubik's" of "Rubik's Cube"; not "Erno Rubik")."""
    return any(fact_in(fact, subject) for subject in subjects for fact in extract_facts(name))


def _spans(pattern: str, text: str, flags: int = 0) -> list[tuple[int, int]]:
    return [(found.start(), found.end()) for found in re.finditer(pattern, text, flags)]


def _tokens(sentence: str, subjects: Sequence[str], relations: Sequence[RelationFamily]) -> list[_Token]:
    """`sentence` as words, marks, names and mentions of a subject (one token each), a single-word name followed by
    a lowercase word other than a relation's verb, a link or a function word read as a word ("the *Hungarian*
    sculptor"; not "by *Rubik* in 1974")."""
    text = sentence.translate(_QUOTES)
    spans: dict[tuple[int, int], Literal["name", "subject"]] = {}
    for subject in sorted(subjects, key=len, reverse=True):
        for span in _spans(_subject_pattern(subject), text, re.IGNORECASE):
            if not any(start < span[1] and span[0] < end for start, end in spans):
                spans[span] = "subject"
    verbs = {word for relation in relations for word in relation.verbs} | _LINK_WORDS | FUNCTION_WORDS
    for name in names_in(text):
        for span in _spans(rf"(?<![\w']){re.escape(name)}(?![\w'])", text):
            after = re.match(r"\s+([a-z][\w-]*)", text[span[1]:])
            if " " not in name and after and after.group(1) not in verbs:
                continue  # a nationality or other modifier: "the Hungarian sculptor"
            if not any(start < span[1] and span[0] < end for start, end in spans):
                spans[span] = "name"
    tokens: list[_Token] = []
    at = 0
    for (start, end), kind in sorted(spans.items()):
        tokens += [_Token(word, "mark" if word in ",;:" else "word") for word in _TOKEN.findall(text[at:start])]
        tokens.append(_Token(text[start:end], kind))
        at = end
    return tokens + [_Token(word, "mark" if word in ",;:" else "word") for word in _TOKEN.findall(text[at:])]


def _clauses(tokens: list[_Token]) -> list[list[_Token]]:
    clauses: list[list[_Token]] = [[]]
    for token in tokens:
        if token.kind == "mark" and token.text in _CLAUSE_MARKS:
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [clause for clause in clauses if clause]


def _subject_before(clause: list[_Token], at: int) -> bool:
    """Whether the subject comes before the relation word at `at`, at most `SUBJECT_GAP` words before it, with no
    other name and no aside word between."""
    for token in reversed(clause[max(0, at - SUBJECT_GAP - 1):at]):
        if token.kind == "subject":
            return True
        if token.kind == "name" or token.lower in _ASIDE_WORDS:
            return False
    return False


def _subject_of(clause: list[_Token], at: int) -> int | None:
    """Where the "of <subject>" after the relation noun at `at` ends (the index after the subject), or None."""
    if at + 1 >= len(clause) or clause[at + 1].lower != "of":
        return None
    for index in range(at + 2, min(len(clause), at + 2 + SUBJECT_GAP)):
        if clause[index].kind == "subject":
            return index + 1
        if clause[index].kind in ("name", "mark"):
            return None
    return None


def _linked(clause: list[_Token], indices: range) -> int | None:
    """The index of the first name reached over at most `LINK_GAP` link words and commas along `indices`."""
    links = 0
    for index in indices:
        token = clause[index]
        if token.kind == "name":
            return index
        if token.kind == "subject" or (token.kind == "word" and token.lower not in _LINK_WORDS):
            return None
        links += token.kind == "word"
        if links > LINK_GAP:
            return None
    return None


def _by_preposition(clause: list[_Token], at: int, relation: RelationFamily) -> int | None:
    """The name the relation's preposition introduces after the word at `at` ("invented in 1974 by ... Erno
    Rubik"), within `RELATION_GAP` and `SLOT_GAP` words and before a comma."""
    for index in range(at + 1, min(len(clause), at + 2 + RELATION_GAP)):
        token = clause[index]
        if token.kind != "word":
            if token.kind == "mark":
                return None
            continue
        if token.lower in relation.prepositions:
            for after in range(index + 1, min(len(clause), index + 2 + SLOT_GAP)):
                if clause[after].kind == "name":
                    return after
                if clause[after].kind != "word":
                    return None
            return None
    return None


def _subject_after(clause: list[_Token], at: int) -> bool:
    """Whether the subject follows the relation word at `at` within `LINK_GAP` + 1 words, no name between
    ("invented the Rubik's Cube", "capital of France")."""
    for token in clause[at + 1:at + 3 + LINK_GAP]:
        if token.kind == "subject":
            return True
        if token.kind in ("name", "mark"):
            return False
    return False


def slot_names(sentence: str, subjects: Sequence[str], relation: RelationFamily) -> list[str]:
    """The names `sentence` gives in `relation`'s slot for one of `subjects` (see the module docstring)."""
    found: list[str] = []
    for clause in _clauses(_tokens(sentence, subjects, RELATIONS)):
        for at, token in enumerate(clause):
            if token.kind != "word" or token.lower not in relation.words:
                continue
            of_end = _subject_of(clause, at)
            before = _subject_before(clause, at)
            slots = []
            if before or of_end is not None:
                slots.append(_by_preposition(clause, of_end - 1 if of_end is not None else at, relation))
            if _subject_after(clause, at):
                slots.append(_linked(clause, range(at - 1, -1, -1)))
            if of_end is not None or (at and clause[at - 1].kind == "subject" and clause[at - 1].lower.endswith("'s")):
                slots.append(_linked(clause, range(of_end if of_end is not None else at + 1, len(clause))))
            found += [clause[index].text for index in slots if index is not None]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class CitedPage:
    """A cited sentence (`quote`, read with its page's subject named) and the text read of its page."""

    source: str
    title: str
    quote: str
    page: str


def _title_name(title: str) -> list[str]:
    """The first name of a page's title, before its site ("Rubik's Cube" of "Rubik's Cube | Encyclopedia ...")."""
    return names_in(re.split(r"\s+[|\u2013\u2014-]\s+", title.strip(), maxsplit=1)[0])[:1]


def find_name_conflicts(answer: str, given: str, cited: Sequence[CitedPage], read: Sequence[Passage]) \
        -> list[Conflict]:
    """Conflicts of the names `answer` gives for a relation (see the module docstring) with sentences of the
    texts `read` (whole pages and snippets, as `Passage`s) from origins none of the `cited` pages comes from.
    `given` is what the user supplied (the question on its first line, then what was heard): its names that the
    answer or a cited sentence states are the subjects, else the names of the cited pages' titles (a name heard
    wrong is in neither); the answer's other names are its answer. A title's name is not a subject beside a
    given one: "the composer of the Moonlight Sonata" is answered from the page titled "Ludwig van Beethoven"."""
    stated = "\n".join([answer, *(page.quote for page in cited)])
    subjects = [name for name in dict.fromkeys(names_in(given)) if _mentions(stated, name)] or list(
        dict.fromkeys(name for page in cited for name in _title_name(page.title)))
    answers = [token.text for token in _tokens(answer, subjects, RELATIONS)
               if token.kind == "name" and not _part_of(token.text, subjects)]
    asked = set(split_words(f"{answer} {given.splitlines()[0] if given else ''}"))
    relations = [relation for relation in RELATIONS if relation.words & asked]
    if not answers or not relations or not subjects or not cited:
        return []
    cited_origins = {origin(page.source) for page in cited}
    known = {relation.name: [name for page in cited for sentence in _stating(page.page, relations)
                             for name in slot_names(with_subject(sentence, page.title, page.page), subjects, relation)]
             for relation in relations}
    quote = next((page.quote for page in cited if any(fact_in(fact, page.quote) for name in answers
                                                       for fact in extract_facts(name))), cited[0].quote)
    conflicts: list[Conflict] = []
    for passage in read:
        if origin(passage.source) in cited_origins:
            continue
        for sentence in _stating(passage.text, relations):
            read_as = with_subject(sentence, passage.title, passage.text)
            denial = next((word for word in split_words(read_as) if word in DENIALS), "")
            named = [token.text for token in _tokens(read_as, subjects, RELATIONS) if token.kind == "name"]
            if not denial and any(_same_person(name, answers) for name in named):
                continue  # it names the answer too: an agreeing source, or one naming a co-author beside it
            for relation in relations:
                others = [name for name in slot_names(read_as, subjects, relation)
                          if not _same_person(name, [*answers, *known[relation.name]])
                          and not _part_of(name, subjects)]
                if others:
                    log.info("%s gives %s where the answer gives %s", passage.source, others[0], answers[0])
                    conflicts.append(NameConflict(", ".join(answers), quote, passage.source, others[0], sentence,
                                                  relation.asks, denial))
                    break
    return conflicts


def _stating(text: str, relations: Sequence[RelationFamily]) -> list[str]:
    """The sentences of `text` with a word of one of `relations`: only they can state one (and reading "it" on a
    page is the costly part)."""
    words = {word for relation in relations for word in relation.words}
    return [sentence for sentence in split_sentences(text) if words & set(split_words(sentence))]


@dataclass(frozen=True)
class NameConflict(Conflict):
    """A cited name and another source's different name in the same relation of the same subject; `denial`, the
    word by which the other source contradicts an account ("not"), when it has one."""

    relation: str = ""
    denial: str = ""

    def describe(self) -> str:
        denial = f", in so many words: '{self.denial}'" if self.denial else ""
        return (f"the sources disagree about {self.relation}: '{self.cited}' gives {self.value}, "
                f"but {self.source} says '{self.other}' ({self.other_value}{denial})")
