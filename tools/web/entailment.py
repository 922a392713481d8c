"""Whether the cited spans *entail* a claim, beyond containing its names, numbers and dates.

`tools.web.grounding` keeps a claim whose facts all occur in the quotes; that still passes "Rembrandt
died in 1606" on "Rembrandt was born in 1606", "Sydney is the capital" on "Sydney ... is not the
capital", and "Mozart died in 1827" on two quoted table rows. An `EntailmentChecker` decides, claim
by claim, whether the spans state it; the AudioRAG graph drops the claims that fail.

Two checkers are measured by `bench/entailment.py` on a hand-labelled set:

- `SpanRules` (here): deterministic and instant, for the failures that must never pass.
  A claim is entailed only if
  1. **together**: each number or date of the claim is stated in a span statement that also names one
     of the claim's names, and each name shares its statement with another fact of the claim (two
     table rows, or two quotes, cannot be spliced into one claim); a table row's value is its own names', so a
     claim naming something takes none from a row naming none of its names (`_of_another_row`);
  2. **role**: the word the claim ties a number or date to ("*died* in 1606", "*published* in 1801")
     is in the same clause of the span as that value (a table cell's clause is its column header),
     or a word of its relation's family is ("*held*" under the column "*Host* city", "*died*" by "his
     *death*": `tools.web.relations`), unless that word names the question's topic ("the *melody* of The Swan");
  3. **polarity**: the span clauses about the claim are negated exactly when the claim is;
  4. **certainty**: those clauses do not hedge ("may have", "is believed", "attributed to") a claim
     that states the thing as certain;
  5. **coverage**: every content word of the claim occurs in the spans (after stripping plain
     suffixes: "composed"/"composer", or as a word of its relation's family: "author" for "wrote"), so an
     added qualifier ("peacefully", "his first") fails. The
     words that name what the question is about (`topic_words`: "the *composer* of the Moonlight
     Sonata", "which *instrument*") count as covered, since an answer restates its subject in the
     question's words; its predicates ("wrote", "directed", "born") do not, as they are the claim.
  Only the spans' words say a relation's family: the question's topic words count as themselves alone ("the
  *building*" is no "built"). Coverage is strict: a true paraphrase with other words ("passed away" for "died")
  fails too. That
  is the cost of being deterministic; the benchmark reports it as recall.
- `agents.entailment.LMEntailment`: the embedded model asked a narrow yes/no under a constrained schema.

The names, numbers and dates themselves are checked before either (`ground_answer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tools.web.facts import SENTENCE_STARTERS, Fact, extract_facts, fact_in
from tools.web.relations import says
from tools.web.sentences import split_sentences
from tools.web.stems import covers, split_words, stem, stems, word_stems

_NEGATION_WORDS = "not never no none nobody nothing neither nor cannot without"
_HEDGE_WORDS = """may might could possibly probably perhaps likely unlikely thought believed said reportedly allegedly
attributed suggested uncertain unclear disputed doubt doubted claimed rumoured supposedly apparently presumably
reputedly"""
_MORE_FUNCTION_WORDS = """was were is are be been being has had have do does did done than into onto upon out off up
down its also very much more such same other own s t"""
NEGATIONS = frozenset(_NEGATION_WORDS.split())
HEDGES = frozenset(_HEDGE_WORDS.split())
"""Words that make a statement less than certain: a span with one does not state a claim without one."""
FUNCTION_WORDS = (SENTENCE_STARTERS - {"born", "died"}) | NEGATIONS | frozenset(_MORE_FUNCTION_WORDS.split())
"""Words that carry no claim of their own: coverage ignores them (negations are checked as polarity)."""

_OPENER_WORDS = "the a an this that these those its his her their whose which what many much"
TOPIC_OPENERS = frozenset(_OPENER_WORDS.split())
"""Words that open a noun phrase: the words after them name a thing, not a relation."""
TOPIC_WORDS_MAX = 3
"""A noun phrase's words counted as topic words ("the solo *concert piano*"): more is a clause, not a name."""
_PREDICATE_WORDS = """wrote write writes written directed direct directs composed compose composes
born bore died die dies played play plays performed perform sang sing sung premiered founded built designed
painted invented discovered won
made make created create produced produce recorded record released release published publish married lived"""
PREDICATES = frozenset(_PREDICATE_WORDS.split())
"""Relation words that may follow an opener ("which *wrote*"): never topic words, as they are what a claim asserts."""
_QUANTITY_WORDS = """temperature population diameter radius height length width depth distance speed price
cost weight mass area age altitude elevation attendance capacity tempo size volume duration"""
QUANTITIES = frozenset(_QUANTITY_WORDS.split())
"""Measured quantities: a number means nothing without the quantity it measures, so the question's "the
*diameter* of Saturn" is never a topic word; the span must say diameter (a ring's 140,000 km is not one)."""

_LOCATION_WORDS = "located situated lies lie lying stands stand standing sits sit sitting"
LOCATIONS = frozenset(_LOCATION_WORDS.split())
"""Predicates that only place their subject ("is *located* in China"): a span that places the subject in the
place states them in other words, and coverage does not ask for the word itself (session 29's wall item:
"The Great Wall of China is located in China." was dropped on "The Great Wall of China is a series of
fortifications built across the historical northern borders of ancient Chinese states and Imperial China")."""
_LOCATED_IN = re.compile(rf"\b(?:{'|'.join(LOCATIONS)})\s+(?:in|within|inside)\s", re.IGNORECASE)
_INSIDE = re.compile(r"\b(?:in|within|inside|across|throughout)\b", re.IGNORECASE)
"""The prepositions that put their subject in a place; "on", "near", "at" may put it beside or on the border."""
_NOT_INSIDE = frozenset(["from", "to", "toward", "towards", "by", "near", "beside", "outside", "beyond", "than",
                         "between", "off", "against", "via"])
"""Words that put a place, or the thing placed, elsewhere: "*visible from* Kenya", "*taller than* any building in
London", "*between* Nepal and China"."""
_ANOTHER_CLAUSE = frozenset(["and", "but", "while", "whereas", "although", "though", "which", "who", "whose", "where",
                             "that"])
"""Words that start another clause, with a subject of its own, between the subject and its preposition ("built in
Paris, *and* a copy stands in Las Vegas")."""
_MAIN_BREAK = re.compile(r"\s*[;:]\s*")
_PLACE_BREAK = re.compile(r",\s*[^\W\d_A-Z]|[()]")
"""A comma before a lower-case word, or a bracket, between a preposition and the place: the place is in another
phrase ("a bell in London, *rang* for the mayor of Paris"); "in Agra, India" is one."""
PLACE_WORDS_MAX = 25
"""Words a span may have between the subject and the place it puts it in: one sentence's noun phrase."""


def _placed_in(subject: str, place: str, statement: str) -> bool:
    """Whether `statement` puts `subject` in `place`: the subject, then in the same clause a preposition that
    puts it inside (`_INSIDE`), then the place in that preposition's phrase (`_PLACE_BREAK`), with no word
    between that puts either elsewhere (`_NOT_INSIDE`, a negation), no other clause before the preposition
    (`_ANOTHER_CLAUSE`) and at most `PLACE_WORDS_MAX` words in all. A list's "and" after the preposition is one
    phrase ("across the borders of ancient Chinese states and Imperial China")."""
    for part in _MAIN_BREAK.split(statement):
        start, end = part.find(subject), part.rfind(place)
        if not 0 <= start < end:
            continue
        segment = part[start + len(subject):end]
        prepositions = list(_INSIDE.finditer(segment))
        if not prepositions:
            continue
        preposition = prepositions[-1]
        path, gap = split_words(segment[:preposition.start()]), split_words(segment[preposition.end():])
        if (len(path) + len(gap) <= PLACE_WORDS_MAX and not set(path + gap) & (_NOT_INSIDE | NEGATIONS)
                and not set(path) & _ANOTHER_CLAUSE and not _PLACE_BREAK.search(segment[preposition.end():])):
            return True
    return False


def _places(claim: str, facts: Sequence[Fact], statements: Sequence[str]) -> bool:
    """Whether the claim only places its subject (its first name) in the names after its "located in"
    (`LOCATIONS`), and a statement puts the subject in each of them (`_placed_in`)."""
    located = _LOCATED_IN.search(claim)
    if not located:
        return False
    names = [fact for fact in facts if fact.kind == "name"]
    subject = next((fact for fact in names if claim.find(fact.text) < located.start()), None)
    places = [fact for fact in names if claim.find(fact.text, located.end()) >= 0]
    return subject is not None and bool(places) and all(
        any(_placed_in(subject.text, place.text, statement) for statement in statements) for place in places)


CLIP_REFERENCE = re.compile(r"\b([^\W\d_]+)\s+((?:named|mentioned|announced|described|read|played|heard|featured)"
                            r"\s+(?:in|from)\s+(?:the|this)\s+clip)\b", re.IGNORECASE)
"""How a question points at the clip, after the noun it points with ("the *building named in the clip*"): an
answer that restates it after the same noun says nothing about the world, so coverage does not ask the spans
for "named" or "clip" (session 29's opera item: "Jorn Utzon designed the building named in the clip" was
dropped for "named"). Only that exact phrase after that noun: "Glenn Gould played in the clip" for "the
pianist heard in the clip" asserts its own predicate, which the spans must state."""


def _without_clip_reference(claim: str, question: str) -> str:
    """`claim` less each phrase by which `question` points at the clip (`CLIP_REFERENCE`) where the claim has
    it after the same noun: "the building named in the clip" keeps "the building"."""
    for match in CLIP_REFERENCE.finditer(question):
        noun, phrase = match.groups()
        claim = re.sub(rf"\b({re.escape(noun)})\s+{re.escape(phrase)}\b", r"\1", claim, flags=re.IGNORECASE)
    return claim


_CONJUNCTION = r"\s+(?:and|but|while|whereas|although|though)\s+"
_CLAUSE_BREAK = re.compile(rf"\s*[,;:()\u2013\u2014]\s*|{_CONJUNCTION}", re.IGNORECASE)
_MAIN_CLAUSE_BREAK = re.compile(rf"\s*[;:]\s*|{_CONJUNCTION}", re.IGNORECASE)
"""Commas aside: a name is often set off by commas from its verb ("the Moonlight Sonata, was composed")."""
_NUMBER_SIGN = re.compile(r"\b[Nn][Oo][Ss]?\.(?=\s*\d)|(?<=\w\s)Nos?(?=\s+\d)")
"""A catalogue number's sign, never the word "no": "No." or "no." before a number, or without its full stop a
capitalised "No" that follows a word ("Symphony No 9"); at a sentence's start "No 18th-century composer"
is the word."""


@dataclass(frozen=True)
class Verdict:
    """Whether the spans entail a claim, and why not when they do not."""

    entailed: bool
    why: str = ""


class EntailmentChecker(Protocol):
    """Decides whether `spans` (verified quotes) state `claim`; facts in `given` (the question on its first
    line, then what was heard) are the user's own and need no span."""

    name: str

    def check(self, claim: str, spans: Sequence[str], given: str = "") -> Verdict: ...


def table_statements(spans: Sequence[str]) -> list[str]:
    """The spans as statements: sentences, and table rows (`a | b | c`) read against their header row when
    one was quoted, the row's first cell (what the row is about) stated with each other column, whose
    header is the predicate ("Planet | Equatorial diameter (km)" + "Saturn | 120,536" -> "Planet Saturn
    Equatorial diameter km 120,536"; "Composer | Born | Died" + "Mozart | 1756 | 1791" -> "Composer Mozart
    Born 1756; Composer Mozart Died 1791"), so a value's column name, and the row's subject, are in its
    clause (session 29's saturn item: "The equatorial diameter of Saturn is 120,536 km." was dropped for
    want of "diameter" beside "Saturn"). A header's brackets are dropped: they would cut its unit off
    as a clause of its own. Two data rows stay two statements, so they cannot be spliced into one claim."""
    rows = [[cell.strip() for cell in span.strip().strip("|").split("|")] for span in spans]
    headers = [cells for cells, span in zip(rows, spans, strict=True)
               if "|" in span and not any(f.kind != "name" for f in extract_facts(span))]
    statements = []
    for cells, span in zip(rows, spans, strict=True):
        if "|" not in span:
            statements += split_sentences(span)
            continue
        header = next((h for h in headers if len(h) == len(cells) and h is not cells), None)
        if header is None or header is cells:
            statements.append("; ".join(cells))
            continue
        names = [" ".join(re.sub(r"[()\[\]]", " ", name).split()) for name in header]
        subject = f"{names[0]} {cells[0]}"
        statements.append("; ".join(f"{subject} {name} {cell}" for name, cell in zip(names[1:], cells[1:],
                                                                                    strict=True)))
    return statements


def clauses(text: str, commas: bool = True) -> list[str]:
    """The clauses of a statement: split at commas too, or (`commas` False) only at `;`, `:` and conjunctions."""
    return [part for part in (_CLAUSE_BREAK if commas else _MAIN_CLAUSE_BREAK).split(text) if part.strip()]


def _content(text: str, facts: Sequence[Fact]) -> list[str]:
    """The claim's words that must be covered: not function words, not its facts (checked as facts)."""
    for fact in facts:
        text = text.replace(fact.text, " ")
    return [word for word in split_words(text) if word not in FUNCTION_WORDS and len(word) > 2]


def anchor_word(claim: str, fact: Fact, facts: Sequence[Fact]) -> str | None:
    """The word the claim ties a fact to: for a number or date the nearest content word of its clause
    before it, else after ("*born* in 1606", "330 *metres*"); for a name only the word before it in its
    main clause ("born in *Vienna*": the predicate it completes), as a subject is tied to its whole claim."""
    value = fact.kind != "name"
    for clause in clauses(claim, commas=value):
        at = clause.find(fact.text)
        if at < 0:
            continue
        before, after = _content(clause[:at], facts), _content(clause[at + len(fact.text):], facts)
        if before:
            return before[-1]
        return after[0] if value and after else None
    return None


def topic_words(question: str) -> set[str]:
    """The stems of the words that name what `question` is about: the words of its noun phrases, from an
    opener ("the", "which", "how many") up to the next function word or predicate, at most
    `TOPIC_WORDS_MAX` ("Who was *the composer* of the Moonlight Sonata?" -> "compos"). "Who wrote and
    directed Jaws?" has none: its words are relations, which a span must state."""
    topics: set[str] = set()
    phrase = 0
    for word in split_words(question):
        if word in TOPIC_OPENERS:
            phrase = TOPIC_WORDS_MAX
        elif phrase and word not in FUNCTION_WORDS | PREDICATES | QUANTITIES and not word.endswith("ed"):
            topics.add(stem(word))
            phrase -= 1
        else:
            phrase = 0
    return topics


def _polar(text: str) -> bool:
    """Whether `text` is negated; the "No." of a catalogue number ("Sonata No. 14") is not the word "no"."""
    said = set(split_words(_NUMBER_SIGN.sub(" ", text)))
    return bool(said & NEGATIONS) or any(word.endswith("n't") for word in said)


_MAY = re.compile(r"\bmay\b", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|[\"(]\s*)$")


def _hedged(text: str) -> bool:
    """Whether `text` hedges what it says. "may" is the modal but for the month: "May" capitalised mid-sentence
    ("opened in May") or inside a date ("24 May 1883", "May 1883 saw"); lower-case "may" is always the
    modal ("Beethoven may 1827 have died" is no date)."""
    words = set(split_words(text))
    if words & (HEDGES - {"may"}):
        return True
    dates = [(at.start(), at.end()) for fact in extract_facts(text) if fact.kind == "date" and "May" in fact.text
             for at in re.finditer(re.escape(fact.text), text)]
    return any(found.group(0) != "May" or (_SENTENCE_START.search(text[:found.start()])
                                             and not any(start <= found.start() < end for start, end in dates))
               for found in _MAY.finditer(text))


def _of_another_row(statement: str, rows: set[str], facts: Sequence[Fact]) -> bool:
    """Whether `statement` is a table row's (`rows`) that names none of the claim's names while the claim names
    something: a row states its cells of what it names, so "Sydney hosted the Games in 1956" (Sydney given by the
    question, so needing no span) is not stated by "1956 | Melbourne | Australia" under "Year | Host city |
    Country". A claim naming nothing ("The planet has a diameter of 120,536 km") may take the row's values."""
    claimed = [fact for fact in facts if fact.kind == "name"]
    return statement in rows and bool(claimed) and not any(fact_in(fact, statement) for fact in claimed)


class SpanRules:
    """The deterministic checker (see the module docstring for its five rules)."""

    name = "rules"

    def check(self, claim: str, spans: Sequence[str], given: str = "") -> Verdict:
        statements = table_statements(spans)
        rows = set(table_statements([span for span in spans if "|" in span]))
        facts = extract_facts(claim)
        quoted = [fact for fact in facts if any(fact_in(fact, s) for s in statements)]
        names = [fact for fact in quoted if fact.kind == "name"]
        topics = topic_words(given.partition("\n")[0])  # the question's (given's first line), never the heard speech
        used: list[str] = []
        placing = _places(claim, facts, statements)
        for fact in facts:
            if fact not in quoted and fact_in(fact, given):
                continue  # the user's own words ("a sonata by Mozart") need no span, and tie nothing to one
            partners = names if fact.kind != "name" else [f for f in quoted if f is not fact]
            holding = [s for s in statements if fact_in(fact, s) and not _of_another_row(s, rows, facts)]
            together = [s for s in holding if not partners or any(fact_in(p, s) for p in partners)]
            if not together:
                if not holding:
                    return Verdict(False, f"'{fact.text}' is in none of the spans")
                return Verdict(False, f"'{fact.text}' is stated apart from the rest of the claim")
            anchor = anchor_word(claim, fact, facts)
            placed = placing and anchor in LOCATIONS
            if anchor and stem(anchor) not in topics and not placed and not any(
                    says(stems(c), anchor) for s in together
                    for c in clauses(s, commas=fact.kind != "name") if fact_in(fact, c)):
                return Verdict(False, f"the spans state '{fact.text}' but not of '{anchor}'")
            used += [s for s in together if s not in used]
        content = _content(_without_clip_reference(claim, given.partition("\n")[0]), facts)
        said = set().union(*(stems(s) for s in statements)) if statements else set()
        missing = [word for word in content if not says(said, word) and not covers(topics, word)
                   and word not in HEDGES and not (placing and word in LOCATIONS)]
        if missing:
            return Verdict(False, f"the spans do not say '{', '.join(missing)}'")
        relevant = {found for word in [*content, *(w for fact in facts for w in split_words(fact.text))]
                    for found in word_stems(word)}
        about = [c for s in (used or statements) for c in clauses(s) if stems(c) & relevant]
        if _polar(claim) != any(_polar(c) for c in about):
            return Verdict(False, "the spans and the claim differ in negation")
        if not _hedged(claim) and any(_hedged(c) for c in about):
            return Verdict(False, "the spans hedge what the claim states as certain")
        return Verdict(True)
