"""The facts a game request states in its own words, read before any agent runs.

"2 players only", "a solo game", "cooperative", "under 30 minutes" written in a theme or in the
constraints are not suggestions for a model to weigh: they are fixed in the engine step's schema
(`ontology.game_drafts.engine_schema`), the way a composition request's bars, key and meter are
fixed before the Composer writes. A request that contradicts itself ('solo' and '2 players only')
is refused with a message the user can act on.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

MAX_PLAYERS = 12
MIN_MINUTES = 5

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "single": 1}
_N = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_PLAYERS = r"[- ]?(?:players?|people|persons?|gamers?)"
_RANGE = re.compile(_N + r"\s*(?:-|–|—|to|or)\s*" + _N + _PLAYERS + r"\b", re.IGNORECASE)
_EXACT = re.compile(r"(?:\bexactly\s+|\bonly\s+|\bfor\s+)?" + _N + _PLAYERS + r"(\s+only\b)?", re.IGNORECASE)
_INCLUDE = re.compile(r"\binclude\s+" + _N + _PLAYERS + r"\b", re.IGNORECASE)
_UP_TO = re.compile(r"\bup to\s+" + _N + _PLAYERS + r"\b", re.IGNORECASE)  # a maximum only: the agents choose
_SOLO = re.compile(r"\b(?:solo|solitaire|single[- ]player|one[- ]player|1[- ]player)\b", re.IGNORECASE)
_COOPERATIVE = re.compile(r"\b(?:co-?op(?:erative)?|work(?:ing)? together|team up|as a team)\b", re.IGNORECASE)
_COMPETITIVE = re.compile(r"\b(?:competitive|compete|against each other|head[- ]to[- ]head)\b", re.IGNORECASE)
_UNDER = re.compile(
    r"\b(?:under|less than|at most|no more than|within|max(?:imum)?|up to|shorter than)\s+(\d{1,3})\s*"
    r"(?:-\s*)?(?:minutes?|mins?)\b|\b(\d{1,3})\s*(?:minutes?|mins?)\s+(?:or less|or under|max(?:imum)?)\b",
    re.IGNORECASE)


class GameRequestError(ValueError):
    """A game request that cannot be honoured; the message says what would work."""


class GameRequestFacts(BaseModel):
    """What the request fixed explicitly; None where the agents choose."""

    players_min: int | None = Field(None, ge=1, le=MAX_PLAYERS)
    players_max: int | None = Field(None, ge=1, le=MAX_PLAYERS)
    includes_players: int | None = Field(None, ge=1, le=MAX_PLAYERS,
                                         description="the player range must include this count (--players)")
    cooperative: bool | None = None
    max_minutes: int | None = Field(None, ge=MIN_MINUTES, le=600)


def _count(word: str) -> int:
    """The count a word of `_N` names. It matched case-insensitively, so it may spell a number word with letters
    that only fold to ASCII there (the long s of 'ſix', the dotless i of 'fıve'): look it up the same way."""
    if word.isdigit():
        return int(word)
    return next(count for name, count in _NUMBER_WORDS.items() if re.fullmatch(name, word, re.IGNORECASE))


def _checked(count: int, phrase: str) -> int:
    if not 1 <= count <= MAX_PLAYERS:
        raise GameRequestError(f"'{phrase}' asks for {count} players; a design supports 1 to {MAX_PLAYERS}.")
    return count


def _player_range(text: str) -> tuple[int, int] | None:
    """The player count the text states: a range ('for 3-5 players'), one count ('2 players only'),
    or solo; two different statements are refused."""
    stated: list[tuple[tuple[int, int], str]] = []
    for match in _RANGE.finditer(text):
        low, high = (_checked(_count(match.group(i)), match.group(0)) for i in (1, 2))
        if low > high:
            raise GameRequestError(f"'{match.group(0)}' has its smallest player count last; "
                                   f"write '{high}-{low} players'.")
        stated.append(((low, high), match.group(0)))
    rest = _RANGE.sub(" ", _UP_TO.sub(" ", _INCLUDE.sub(" ", text)))
    for match in _EXACT.finditer(rest):
        count = _checked(_count(match.group(1)), match.group(0))
        stated.append(((count, count), match.group(0).strip()))
    if solo := _SOLO.search(text):
        stated.append(((1, 1), solo.group(0)))
    ranges = {players for players, _ in stated}
    if len(ranges) > 1:
        phrases = " and ".join(f"'{phrase}'" for _, phrase in stated)
        raise GameRequestError(f"The request states different player counts ({phrases}); keep one of them.")
    return next(iter(ranges), None)


def facts_from_request(theme: str, constraints: str = "") -> GameRequestFacts:
    """Read the explicit facts of a game request (theme and constraints together), or raise
    `GameRequestError` for an impossible one.

    A solo game is played against the game itself, so it is cooperative (the team of one wins or
    loses by the end conditions): 'solo' with 'competitive' is refused.
    """
    text = " ".join(f"{theme} {constraints}".split())
    facts = GameRequestFacts()
    if players := _player_range(text):
        facts.players_min, facts.players_max = players
    if included := _INCLUDE.search(text):
        facts.includes_players = _checked(_count(included.group(1)), included.group(0))
        if players and not players[0] <= facts.includes_players <= players[1]:
            raise GameRequestError(f"The request asks for {players[0]}-{players[1]} players but must include "
                                   f"{facts.includes_players}; change --players or the request.")
    cooperative, competitive = _COOPERATIVE.search(text), _COMPETITIVE.search(text)
    if cooperative and competitive:
        raise GameRequestError(f"The request is both '{cooperative.group(0)}' and '{competitive.group(0)}'; "
                               "keep one of them.")
    if players == (1, 1):
        if competitive:
            raise GameRequestError(f"A solo game has no one to compete with ('{competitive.group(0)}'); "
                                   "drop 'competitive' or ask for 2 or more players.")
        facts.cooperative = True
    elif cooperative or competitive:
        facts.cooperative = bool(cooperative)
    minutes = [int(match.group(1) or match.group(2)) for match in _UNDER.finditer(text)]
    if minutes:
        if min(minutes) < MIN_MINUTES:
            raise GameRequestError(f"A game under {min(minutes)} minutes is too short to design; "
                                   f"ask for at least {MIN_MINUTES} minutes.")
        facts.max_minutes = min(min(minutes), 600)
    return facts
