"""Whether a claim states the kind of fact the question asks for.

A claim can be quoted, stated and entailed by its spans and still not answer: asked *when* the
composer of the Moonlight Sonata died, "Some 10,000 to 20,000 people lined the streets for his
funeral" is true, cited and beside the point. The question's wording says what kind of fact an
answer must state, and the claim must state one of that kind that the question does not already
give (the question's own names and numbers are its subject, not its answer):

- *when*, *what/which year*, *what date* -> a date or a year;
- *where*, *which city/country/town/place* -> a name (a place is a name; telling places from people
  needs more than rules);
- *who*, *whom*, *whose*, *what is the name*, *which composer/person/...*, *what language* -> a name;
- *how many/much/long/old*, the tempo (*what tempo*, *how fast*, *beats per minute*) -> a number;
- *which/what instrument*, *what plays* -> an instrument word; *what/which key* -> a key ("C-sharp minor").

A question that asks none of these ("What is this song about?") puts no kind on its answer; a
question that asks several ("Who composed it, and when did he die?") is answered by a claim that
states any of them.
"""

from __future__ import annotations

import re
from typing import Literal

from tools.web.entailment import QUANTITIES
from tools.web.facts import extract_facts, fact_in

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
    ("name", re.compile(r"\bwho(?:m|se)?\b|\bwhere\b|\b(?:what|which)\s+(?:was|is|were|are)\s+(?:the\s+)?names?\b|"
                        r"\b(?:which|what)\s+(?:city|country|town|village|place|"
                        r"composer|person|artist|author|singer|band|language|orchestra|conductor|writer|"
                        r"painter|architect|director|company|label)\b", re.I)),
    ("instrument", ASKS_INSTRUMENT),
    ("key", ASKS_KEY),
)

KIND_WORDS: dict[AskedKind, str] = {"date": "date or year", "name": "name", "number": "number",
                                    "instrument": "instrument", "key": "key"}
"""How a refusal names what the question asked for."""


def asked_kinds(question: str) -> frozenset[AskedKind]:
    """The kinds of fact `question` asks for (empty: it puts no kind on its answer)."""
    return frozenset(kind for kind, pattern in _ASKS if pattern.search(question))


def states_kind(claim: str, kind: AskedKind, question: str) -> bool:
    """Whether `claim` states a fact of `kind` that `question` does not already give."""
    facts = [fact for fact in extract_facts(claim) if not fact_in(fact, question)]
    if kind == "date":
        return any(f.kind == "date" or (f.kind == "number" and re.fullmatch(r"1\d{3}|20\d{2}", str(f.key[0])))
                   for f in facts) or bool(re.search(r"\b\d{1,2}(?:st|nd|rd|th)\s+century\b", claim, re.I))
    if kind == "number":
        return any(f.kind in ("number", "date") for f in facts)
    if kind == "name":
        return any(f.kind == "name" for f in facts)
    if kind == "instrument":
        asked = {word.lower() for word in re.findall(r"[\w-]+", question)}
        return any(word in INSTRUMENTS and word not in asked for word in re.findall(r"[\w-]+", claim.lower()))
    return any(match.group(0).lower() not in question.lower() for match in _KEY.finditer(claim))


def unasked(claim: str, question: str) -> str:
    """Why `claim` does not answer `question` ("it states no date or year, which the question asks for"),
    or "" when it states a fact of an asked kind, or the question asks for none."""
    kinds = asked_kinds(question)
    if not kinds or any(states_kind(claim, kind, question) for kind in kinds):
        return ""
    wanted = " or ".join(KIND_WORDS[kind] for kind in sorted(kinds))
    return f"it states no {wanted}, which the question asks for"
