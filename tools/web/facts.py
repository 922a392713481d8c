"""The checkable facts of a sentence: the names, numbers and dates it states.

An answer is grounded only if every such fact appears in the source spans it cites (see
`tools.web.grounding`); a swapped name, a wrong year or an invented place is exactly what this
finds. It is deliberately simple and rule-based, so what it accepts can be read in one screen:

- a **date** is a day, month name and/or year written together ("26 March 1827", "March 26, 1827",
  "March 1827", "1827-03-26"); it matches a date in the spans with the same parts, whatever the order;
- a **number** is written in digits ("1606", "1,000", "3.5") or as a cardinal word ("nine",
  "thirty-two"); a word matches its digits and the other way round ("nine" and "9");
- a **name** is a run of capitalised words, with the lowercase particles of names inside it
  ("Ludwig van Beethoven", "Ode to Joy"); a capitalised function word that starts a sentence
  ("The", "He", "In") is not a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
MONTHS.update({name[:3]: number for name, number in list(MONTHS.items())})
MONTHS["sept"] = 9

NUMBER_WORDS = {word: value for value, word in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"))}
NUMBER_WORDS.update({word: 10 * tens for tens, word in enumerate(
    ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), start=2)})
SCALE_WORDS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NOT_NUMBERS = frozenset({"one"})
"""'one' is far more often a pronoun ("the one who", "one of the") than a count."""

NAME_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "du", "del", "della", "des", "la", "le",
                            "of", "the", "to", "y", "al", "bin", "ibn"})
_STARTER_WORDS = """
a an the this that these those there here it its he she they we i you his her their our my your
in on at by for from with without of to as after before during since until when where while which who whom
whose what why how if yes no not and but or so because although though however also both either neither
each every all some any many most few several according based born died yet still then thus therefore
only just about around approximately nearly over under between among above below once today later now
please welcome hello well oh ok okay let let's it's here's there's i'm we're
"""
SENTENCE_STARTERS = frozenset(_STARTER_WORDS.split())
"""Capitalised only because they start a sentence: never the first word of a name there."""

Kind = Literal["name", "number", "date"]


@dataclass(frozen=True)
class Fact:
    """One checkable item of a sentence, as written (`text`) and in the form compared (`key`)."""

    kind: Kind
    text: str
    key: tuple[int | str, ...]


_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:[12]\d{3})"
_DATE = re.compile(
    rf"\b(?:(?P<iy>{_YEAR})-(?P<im>[01]\d)-(?P<id>[0-3]\d)"  # 1827-03-26
    rf"|(?P<d1>{_DAY})(?:\s+of)?\s+(?P<m1>{_MONTH})(?:,?\s+(?P<y1>{_YEAR}))?"  # 26 March 1827, 26th of March
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>{_DAY})(?:,?\s+(?P<y2>{_YEAR}))?"  # March 26, 1827
    rf"|(?P<m3>{_MONTH})(?:,?\s+(?P<y3>{_YEAR})))\b",  # March 1827
    re.IGNORECASE)
_DIGITS = re.compile(r"(?<![\w.])(?:[12]\d{2}0['\u2019]?s|\d+(?:[,.]\d+)*(?:st|nd|rd|th)?)(?!\w)")
"""A number as digits: a decade ("1950s", "1950's") is one, kept apart from its first year, or an answer's
"in the 1950s" would be a fact-free claim that no span needs to state."""
_NUMBER_WORD = re.compile(
    r"\b(?:" + "|".join(sorted(NUMBER_WORDS | SCALE_WORDS, key=len, reverse=True)) + r")(?:[- ](?:"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r"))?\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f](?:[\w\u00c0-\u024f'\u2019-]*\w)?")
"""A word ends on a letter or digit, so a name is not its closing quote ("'Gymnopédies'")."""
_SENTENCE_STOPS = ".!?;:"
_LOOK_BACK = 64


def _day(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _dates(text: str) -> list[tuple[Fact, tuple[int, int]]]:
    found = []
    for match in _DATE.finditer(text):
        g = match.groupdict()
        if g["iy"]:
            key: tuple[int | str, ...] = (int(g["iy"]), int(g["im"]), int(g["id"]))
        else:
            month = MONTHS[(g["m1"] or g["m2"] or g["m3"]).lower().rstrip(".")]
            day = g["d1"] or g["d2"]
            year = g["y1"] or g["y2"] or g["y3"]
            key = (int(year) if year else 0, month, _day(day) if day else 0)
        found.append((Fact("date", match.group(0), key), match.span()))
    return found


def number_value(text: str) -> str:
    """A number's comparable form: digits without thousands separators, or a word's value ("nine" -> "9")."""
    lowered = text.lower().replace("\u2019", "'")
    if lowered[0].isdigit():
        return re.sub(r"(?:st|nd|rd|th)$", "", lowered.replace(",", "").replace("'", ""))
    parts = re.split(r"[- ]", lowered)
    if parts[0] in SCALE_WORDS:
        return str(SCALE_WORDS[parts[0]])
    return str(sum(NUMBER_WORDS.get(part, 0) for part in parts))


def starts_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` begins the text or follows a stop. Only the few characters before it are
    read (the whole text before every word made a long paragraph quadratic: a hostile page of 8,000 words
    took 4 s), unless they are all blank."""
    before = text[max(0, start - _LOOK_BACK):start].rstrip()
    if not before and start > _LOOK_BACK:
        before = text[:start].rstrip()
    return not before or before[-1] in _SENTENCE_STOPS


def _inside(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in taken)


def _numbers(text: str, taken: list[tuple[int, int]]) -> list[Fact]:
    found = []
    for pattern in (_DIGITS, _NUMBER_WORD):
        for match in pattern.finditer(text):
            if _inside(match.span(), taken) or match.group(0).lower() in NOT_NUMBERS:
                continue
            taken.append(match.span())
            found.append(Fact("number", match.group(0), (number_value(match.group(0)),)))
    return found


def _name_key(words: list[str]) -> tuple[str, ...]:
    """A name's words compared: lowercased, without a possessive, a hyphenated one as its parts
    ("Saint-Saëns" is "Saint Saëns")."""
    return tuple(part for word in words
                 for part in re.sub(r"['\u2019]s$", "", word.lower().replace("\u2019", "'")).split("-") if part)


def _names(text: str, taken: list[tuple[int, int]]) -> list[Fact]:
    names: list[Fact] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and run[-1].group(0).lower() in NAME_PARTICLES:
            run.pop()  # "Tower of" -> "Tower"
        if run:
            start, end = run[0].start(), run[-1].end()
            words = [m.group(0) for m in run]
            names.append(Fact("name", text[start:end], _name_key(words)))
        run.clear()

    for match in _WORD.finditer(text):
        word = match.group(0)
        gap = text[run[-1].end():match.start()] if run else ""
        if run and (gap.strip() or "\n" in gap):
            close()  # punctuation or a line break ends a name
        if _inside(match.span(), taken):
            close()
            continue
        capitalised = word[0].isupper()
        at_start = starts_sentence(text, match.start())
        if capitalised and not run and at_start and word.lower() in SENTENCE_STARTERS:
            continue
        if capitalised:
            run.append(match)
            if re.search(r"['\u2019]s$", word):
                close()  # "Beethoven's Symphony": the owner is one name, the thing owned another
        elif run and word in NAME_PARTICLES:
            run.append(match)
        else:
            close()
    close()
    return names


def extract_facts(text: str) -> list[Fact]:
    """The dates, numbers and names `text` states, in that order of precedence (a date's year is not
    also a number; a month inside a date is not also a name)."""
    dated = _dates(text)
    taken = [span for _, span in dated]
    numbers = _numbers(text, taken)
    return [fact for fact, _ in dated] + numbers + _names(text, taken)


def date_matches(claimed: tuple[int | str, ...], stated: tuple[int | str, ...]) -> bool:
    """Whether a date stated in a source has every part the claimed one gives (0 = part not given)."""
    return all(part == 0 or part == other for part, other in zip(claimed, stated, strict=True))


def fact_in(fact: Fact, text: str) -> bool:
    """Whether `text` states `fact`: the same date parts, the same number, the same name as whole words."""
    if fact.kind == "date":
        return any(date_matches(fact.key, stated.key) for stated, _ in _dates(text))
    if fact.kind == "number":
        return any(number_value(m.group(0)) == fact.key[0] for pattern in (_DIGITS, _NUMBER_WORD)
                   for m in pattern.finditer(text))
    words = _name_key(_WORD.findall(text))
    size = len(fact.key)
    return any(words[i:i + size] == fact.key for i in range(len(words) - size + 1))
