"""Whether a claim states the kind of fact the question asks for.

A claim can be quoted, stated and entailed by its spans and still not answer: asked *when* the
composer of the Moonlight Sonata died, "Some 10,000 to 20,000 people lined the streets for his
funeral" is true, cited and beside the point. The question's wording says what kind of fact an
answer must state, and the claim must state one of that kind that the question does not already
give (the question's own names and numbers are its subject, not its answer):

- *when*, *what/which year*, *what date* -> a date or a year;
- *where*, *which city/town/place*, *what is the name*, *what language* -> a name;
- *which country* -> a country's name (`tools.web.countries`), and *which two countries* two of them: "Mount
  Everest is the highest mountain ... of the Himalayas" names places, not the two countries asked for;
  the names asked are counted across the answer's claims ("It lies in Nepal. It also lies in China."), and
  countries as the text writes them ("Nepal's border", "Côte d'Ivoire");
- *who*, *whom*, *whose*, *which composer/emperor/person/...* -> a name that can be a person's
  (`could_be_person`): no country, and no place's or work's name by its words (`_PLACES_OR_WORKS`: a last
  word such as "Bridge" or "Sonata", "Mount ..." or "Lake ...", a joining word as in "Ode to Joy" or "The
  Whale"), unless the claim makes it act ("Mungo Park explored"); then a name of two or more words
  ("Shah Jahan", "Catherine of Aragon", "Alexander the Great"), or a single word that is the whole claim
  ("Mozart."), follows a title, "by" or a person noun and a copula ("the composer was Beethoven"), or acts
  ("Melville wrote", "Adele sings it"): "The novel is Moby-Dick" names a work, not who wrote it. A relative
  "who" ("the man who composed") asks for no one, and *who* performed, recorded, sang or played for any
  name, a band's too ("The Beatles");
- *how many/much/long/old*, the tempo (*what tempo*, *how fast*, *beats per minute*) -> a number;
- *which/what instrument*, *what plays* -> an instrument word; *what/which key* -> a key ("C-sharp minor").

A question that asks none of these ("What is this song about?") puts no kind on its answer; a
question that asks several ("Who composed it, and when did he die?") is answered by a claim that
states any of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tools.web.countries import countries_in, is_country
from tools.web.entailment import FUNCTION_WORDS, QUANTITIES
from tools.web.facts import MONTHS, NUMBER_WORDS, extract_facts, fact_in
from tools.web.stems import covers, stems

AskedKind = Literal["date", "name", "number", "instrument", "key"]

_INSTRUMENT_WORDS = """
piano pianoforte fortepiano harpsichord organ celesta accordion harmonium keyboard synthesizer synth
violin viola cello violoncello contrabass double-bass bass guitar lute harp mandolin banjo ukulele sitar
strings flute piccolo oboe clarinet bassoon saxophone recorder horn trumpet trombone tuba cornet
bagpipes harmonica drums drum timpani percussion xylophone marimba vibraphone glockenspiel bells
voice voices choir orchestra"""
INSTRUMENTS = frozenset(_INSTRUMENT_WORDS.split())
"""The words an answer to "which instrument" names (General MIDI's families and what tags hear)."""

_QUANTITIES = f"(?:{'|'.join(sorted(QUANTITIES))})"
"""Measured quantities: "what was the temperature ..." asks for a number, as "how many" does."""

_KEY = re.compile(r"\b[A-G](?:[- ]?(?:sharp|flat)|[#b\u266f\u266d])?\s+(?:major|minor)\b")

ASKS_INSTRUMENT = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?instruments?\b|\bwhat\s+(?:is\s+)?play(?:s|ing)\b", re.I)
ASKS_KEY = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+(?:and|or)\s+)?key\b", re.I)
ASKS_TEMPO = re.compile(r"\btempo\b|\bbpm\b|\bhow\s+fast\b|\bbeats\s+per\s+minute\b", re.I)
"""How a question asks for the clip's instrument, key or tempo: the one definition, read here for the kind of
fact an answer must state and by `tools.audio.findings` for which of the listener's findings to show."""

_ASKS: tuple[tuple[AskedKind, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\bwhen\b|\b(?:what|which|in what|in which)\s+(?:year|decade|century|date|day)\b", re.I)),
    ("number", re.compile(rf"\bhow\s+(?:many|much|long|old|tall|high|far)\b|{ASKS_TEMPO.pattern}|"
                          r"\bwhat\s+(?:number|percentage|amount)\b|"
                          rf"\b(?:what|which)\s+(?:was|is|were|are)\s+(?:the\s+)?(?:[\w-]+\s+)?{_QUANTITIES}\b|"
                          r"\bin\s+(?:kilo|centi|milli)?(?:metres|meters|grams|litres|liters)\b|"
                          r"\bin\s+(?:degrees|miles|feet|kilometres|kilometers|beats per minute|bpm|percent)\b", re.I)),
    ("instrument", ASKS_INSTRUMENT),
    ("key", ASKS_KEY),
)

NameType = Literal["person", "country", "any"]

_PERSON_NOUN_WORDS = """
person people composer artist author singer conductor writer painter architect director emperor empress king
queen ruler pharaoh sultan pope president inventor scientist explorer poet sculptor playwright novelist actor
actress player designer engineer founder"""
_PERSON_NOUNS = frozenset(_PERSON_NOUN_WORDS.split())
_COUNTRY_NOUNS = frozenset({"country", "nation"})
_OTHER_NOUN_WORDS = "city town village place band language orchestra company label river mountain"
_OTHER_NOUNS = frozenset(_OTHER_NOUN_WORDS.split())
_NAME_NOUNS = _PERSON_NOUNS | _COUNTRY_NOUNS | _OTHER_NOUNS

_COUNT_WORDS = "|".join(word for word, value in NUMBER_WORDS.items() if 2 <= value <= 10)
_NOUN_ASK = re.compile(rf"\b(?:which|what)\s+(?:(?P<count>{_COUNT_WORDS}|\d+)\s+)?(?P<noun>[a-z]+)\b", re.I)
_ASKS_ANY_NAME = re.compile(r"\bwhere\b|\b(?:what|which)\s+(?:was|is|were|are)\s+(?:the\s+)?names?\b", re.I)
_ASKS_PERSON = re.compile(r"\bwho(?:m|se)?\b", re.I)
_RELATIVE = re.compile(r"\b(?:the|a|an|this|that|these|those)\s+(?:[\w'-]+\s+){1,3}$", re.I)
"""A "who" after a noun phrase ("the man *who* composed") is relative: it asks for no one."""
_ASKS_PERFORMER = re.compile(r"\bwho(?:\s+(?:is|was|were|are|has|had|first|originally))*\s+"
                             r"(?:perform|record|sing|sang|sung|play)\w*", re.I)
"""Who performed, recorded, sang or played is often a band ("The Beatles", "Radiohead"): any name answers."""

_TITLE_WORDS = "by sir dame dr mr mrs ms lord lady saint st prince princess professor"
_TITLES = _PERSON_NOUNS | frozenset(_TITLE_WORDS.split())
_COPULAS = frozenset({"is", "was", "are", "were"})
_AGENT_VERB_WORDS = """wrote write writes built build builds made make makes drew draw draws found founds led lead
leads won win wins sang sing sings gave give gives began begin begins took take takes painted paints ran run runs
composes plays performs records conducts designs directs explored explores"""
_AGENT_VERBS = frozenset(_AGENT_VERB_WORDS.split())
"""A single word is a person's name in a claim where a title or "by" precedes it, a person noun and a copula
do ("the composer was Beethoven"), or a deed follows it ("by Beethoven", "Emperor Akbar", "Melville wrote",
"Adele sings it", "Fleming discovered"). A deed also makes a person of a name that ends in a place's word
("Mungo Park explored the Niger", "Frederic Edwin Church painted it")."""
_PLACE_OR_WORK_WORDS = """
mount mountain lake river sea ocean island bridge tower canal cathedral church palace museum hall house street
square park university point harbour harbor bay valley desert forest road sonata symphony concerto opera suite
novel statue"""
_PLACES_OR_WORKS = frozenset(_PLACE_OR_WORK_WORDS.split())
_PLACE_PREFIXES = frozenset({"mount", "lake", "river", "cape", "fort"})
_JOINING_WORDS = frozenset({"of", "the", "to", "and", "for"})
_EPITHET_WORDS = "great elder younger conqueror magnificent terrible wise bold pious lionheart"
_EPITHETS = frozenset(_EPITHET_WORDS.split())
"""What makes a name a place or a work: its last word ("Sydney Opera *House*", "Mount Everest"'s first), a
place's word before "of" ("*Statue* of Liberty"), or a joining word ("Ode *to* Joy", "*The* Beatles"); not "of"
after a single word ("Catherine of Aragon") nor "the" before an epithet ("Alexander the Great")."""


@dataclass(frozen=True)
class NameAsk:
    """A name a question asks for: of what type, and how many ("which two countries": two countries)."""

    type: NameType
    count: int = 1

    def describe(self) -> str:
        noun = {"person": "person's name", "country": "country's name", "any": "name"}[self.type]
        if self.count == 1:
            return noun
        plural = {"person": "people's names", "country": "country names", "any": "names"}[self.type]
        count = next((word for word, value in NUMBER_WORDS.items() if value == self.count), str(self.count))
        return f"{count} {plural}"


def _singular(noun: str) -> str:
    noun = noun.lower()
    if noun.endswith("ies") and f"{noun[:-3]}y" in _NAME_NOUNS:
        return f"{noun[:-3]}y"
    return noun[:-1] if noun.endswith("s") and noun[:-1] in _NAME_NOUNS else noun


def asked_names(question: str) -> list[NameAsk]:
    """The names `question` asks for: a person's for *who* and "which emperor", a country's for "which country",
    any name for *where*, "which city" or "what is the name"; with the count it asks ("which two countries")."""
    asked_who = [match for match in _ASKS_PERSON.finditer(question) if not _RELATIVE.search(question[:match.start()])]
    asks = [NameAsk("any" if any(_ASKS_PERFORMER.match(question, match.start()) for match in asked_who)
                    else "person")] if asked_who else []
    asks += [NameAsk("any")] if _ASKS_ANY_NAME.search(question) else []
    for match in _NOUN_ASK.finditer(question):
        noun = _singular(match.group("noun"))
        if noun not in _NAME_NOUNS:
            continue
        count_word = (match.group("count") or "1").lower()
        count = int(count_word) if count_word.isdigit() else NUMBER_WORDS[count_word]
        kind: NameType = "person" if noun in _PERSON_NOUNS else "country" if noun in _COUNTRY_NOUNS else "any"
        asks.append(NameAsk(kind, max(1, count)))
    return asks


def _names_a_place_or_work(words: list[str]) -> bool:
    """Whether a name's words make it a place's or a work's (see `_PLACES_OR_WORKS`)."""
    lowered = [word.lower() for word in words]
    if lowered[-1] in _PLACES_OR_WORKS or (len(lowered) > 1 and lowered[0] in _PLACE_PREFIXES):
        return True
    for at, word in enumerate(lowered[1:-1], start=1):
        if word == "of" and (at == 1 and lowered[0] not in _PLACES_OR_WORKS):
            continue  # "Catherine of Aragon"
        if word == "the" and at == 1 and lowered[2] in _EPITHETS:
            continue  # "Alexander the Great"
        if word in _JOINING_WORDS:
            return True
    return False


def could_be_person(name: str, claim: str) -> bool:
    """Whether the name `name`, as `claim` states it, can be a person's (see the module's docstring)."""
    words = name.split()
    if not words or is_country(name) or any(char.isdigit() for char in name):
        return False
    if words[0].lower() in ("the", "a", "an"):
        return False
    match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", claim)
    before = re.findall(r"[\w.]+", claim[:match.start()]) if match else []
    after = re.match(r"\s+(\w+)", claim[match.end():]) if match else None
    acts = bool(after and after.group(1).lower() in _AGENT_VERBS)
    if _names_a_place_or_work(words):
        return acts
    if len(words) >= 2 or re.sub(r"[^\w\s'-]", "", claim).strip() == name:
        return True  # a bare name is the whole answer ("Mozart.")
    titled = bool(before) and before[-1].lower().rstrip(".") in _TITLES
    named_as = len(before) >= 2 and before[-1].lower() in _COPULAS and before[-2].lower() in _PERSON_NOUNS
    return titled or named_as or acts or bool(after and after.group(1).lower().endswith("ed"))


_WEEKDAY_WORDS = "monday tuesday wednesday thursday friday saturday sunday"
_CALENDAR_NAMES = frozenset(_WEEKDAY_WORDS.split()) | frozenset(MONTHS)
"""Capitalised words of time, not names of anyone or anything: session 32's ashcombe-cat (unanswerable) was
answered "... serves as the village's cafe on *Saturday* mornings." to "What was the name of the cat ...?"."""


def _fitting(text: str, ask: NameAsk, given: str) -> set[str]:
    """The names `text` states of `ask.type` that `given` does not, lower-cased: countries as `countries_in`
    finds them ("Nepal's border", "Côte d'Ivoire"), other names as facts, a day or month alone being none."""
    if ask.type == "country":
        return countries_in(text) - countries_in(given)
    names = [fact.text for fact in extract_facts(text) if fact.kind == "name" and not fact_in(fact, given)
             and fact.text.lower() not in _CALENDAR_NAMES]
    return {name.lower() for name in names if ask.type == "any" or could_be_person(name, text)}


def states_names(claim: str, ask: NameAsk, given: str, beside: Sequence[str] = ()) -> bool:
    """Whether the claim states a name of `ask.type` that `given` does not, and with the names of the
    answer's other claims (`beside`) `ask.count` different ones: "The mountain lies in Nepal. It also lies in
    China." names the two countries asked for in two claims."""
    own = _fitting(claim, ask, given)
    return bool(own) and len(own.union(*(_fitting(other, ask, given) for other in beside))) >= ask.count


_CATEGORY_NAMED = re.compile(r"\bnames?\s+of\s+(?:the|a|an|this|that|his|her|its|their)\s+(?P<noun>[a-z]+)\b", re.I)
_KIND_NOUN_WORDS = """year decade century date day month time hour number percentage amount instrument key tempo
name kind type sort one way part"""
_KIND_NOUNS = frozenset(_KIND_NOUN_WORDS.split()) | _NAME_NOUNS | QUANTITIES
"""Nouns a "which ..." asks by whose answer's kind is checked already (a year, a person, a country, a quantity)
or that name no category ("which one", "what kind")."""


def asked_category(question: str) -> str:
    """The category the question asks which member of: "museum" in "In which museum does it hang?", "cat" in
    "What was the name of the cat ...?"; "" when it asks none, or one whose kind is checked otherwise
    (`_KIND_NOUNS`)."""
    for match in [*_NOUN_ASK.finditer(question), *_CATEGORY_NAMED.finditer(question)]:
        noun = match.group("noun").lower()
        if noun not in FUNCTION_WORDS and _singular(noun) not in _KIND_NOUNS and noun.rstrip("s") not in _KIND_NOUNS:
            return noun
    return ""


KIND_WORDS: dict[AskedKind, str] = {"date": "date or year", "name": "name", "number": "number",
                                    "instrument": "instrument", "key": "key"}
"""How a refusal names what the question asked for."""


def asked_kinds(question: str) -> frozenset[AskedKind]:
    """The kinds of fact `question` asks for (empty: it puts no kind on its answer)."""
    kinds = {kind for kind, pattern in _ASKS if pattern.search(question)}
    return frozenset(kinds | ({"name"} if asked_names(question) else set()))


def states_kind(claim: str, kind: AskedKind, question: str, given: str = "", beside: Sequence[str] = ()) -> bool:
    """Whether `claim` states a fact of `kind` that neither `question` nor `given` (what the clip said)
    already gives (names counted with those of the answer's other claims, `beside`). Which names, and how
    many, are asked comes from the question alone: a clip saying "This is where Mount Everest rises" asks
    nothing, and must not make any name an answer to "which two countries"."""
    given = f"{question}\n{given}"
    facts = [fact for fact in extract_facts(claim) if not fact_in(fact, given)]
    if kind == "date":
        return any(f.kind == "date" or (f.kind == "number" and re.fullmatch(r"1\d{3}|20\d{2}", str(f.key[0])))
                   for f in facts) or bool(re.search(r"\b\d{1,2}(?:st|nd|rd|th)\s+century\b", claim, re.I))
    if kind == "number":
        return any(f.kind in ("number", "date") for f in facts)
    if kind == "name":
        return any(states_names(claim, ask, given, beside) for ask in asked_names(question))
    if kind == "instrument":
        said = {word.lower() for word in re.findall(r"[\w-]+", given)}
        return any(word in INSTRUMENTS and word not in said for word in re.findall(r"[\w-]+", claim.lower()))
    return any(match.group(0).lower() not in given.lower() for match in _KEY.finditer(claim))


def unasked(claim: str, question: str, beside: Sequence[str] = (), spans: Sequence[str] = ()) -> str:
    """Why `claim` does not answer `question` ("it states no date or year, which the question asks for"),
    or "" when it states a fact of an asked kind (names counted with the answer's other claims, `beside`),
    or the question asks for none; and when the question asks which member of a category (`asked_category`),
    the claim, another claim or a cited span (`spans`) must say the category: asked "In which museum does the
    Mona Lisa hang?", session 32's text run answered "The Mona Lisa is a half-length portrait painting by ...
    Leonardo da Vinci", which no kind caught ("which museum" asked none), and "the name of the cat" was once
    answered with the post office's opening days."""
    kinds = asked_kinds(question)
    if kinds and not any(states_kind(claim, kind, question, beside=beside) for kind in kinds):
        words = {**KIND_WORDS, "name": " or ".join(dict.fromkeys(ask.describe() for ask in asked_names(question)))}
        wanted = " or ".join(words[kind] for kind in sorted(kinds))
        return f"it states no {wanted}, which the question asks for"
    category = asked_category(question)
    if category and not any(covers(stems(text), category) for text in (claim, *beside, *spans)):
        return f"neither it nor its sources say which {category}, which the question asks for"
    return ""
