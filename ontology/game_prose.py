"""Reading a design's prose against its structure: the amounts, round counts and claims that model-
written sentences make, found conservatively enough that a hand-written game raises nothing.

Every `Sentence` of a `GameDesign` is written by a model, and the numbers beside it in the rulebook
come from the structure (and may be changed afterwards by the numbers tuner). This module only
reads text: it finds "gain 3 food", "pay two wood", "after 5 rounds", "worth 4", "costs nothing",
"the player with the most points wins" and runs of words shared with another text, and leaves the
judgement (which contradiction is whose to repair, and how bad) to `ontology.game_validators`.

A phrase counts only where it is unambiguous: a number (digits or a word up to twenty) directly
before a resource's name or id (an adjective may stand between, "one new field"), followed by the
end of a phrase; "two train cards" names no resource even where "trains" is one, since "train" there
is part of a longer noun.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ontology.core import Location, at
from ontology.game import GameDesign


def _words(text: str) -> list[str]:
    """A word list written as text, one space or line break between words."""
    return text.split()


_UNITS = _words("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen twenty")
NUMBER_WORDS = {word: value for value, word in enumerate(_UNITS)}
ORDINAL_WORDS = {word: value for value, word in enumerate(
    _words("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
           "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"))}

# Words after which a resource's name has ended: a noun phrase goes on with none of these.
_PHRASE_ENDS = frozenset(_words("""
and or nor for to from on onto in into at of per each every but with without as by this that these those the a an
when if then until while it they you your their its his her is are was be were plus instead back more less there
here so than which who where away now again also too total at once before after during whenever apiece
"""))
# Words that may stand between a number and a resource's name ("one new field", "two extra food").
_BETWEEN_EXCLUDED = _PHRASE_ENDS | frozenset(NUMBER_WORDS)
# Words that end the verb's reach: what follows is not what the verb gains or pays.
_CLAUSE_ENDS = frozenset(_words("to then but if when where which that who from until unless so while"))
_RELATIVE = frozenset(_words("that which who it they each every"))
_PUNCTUATION_ENDS = frozenset(".;:!?()")

GAIN_VERBS = frozenset(_words("""
gain gains gaining gained produce produces producing yield yields yielding collect collects collecting earn earns
earning receive receives receiving get gets getting take takes taking add adds adding harvest harvests
"""))
COST_VERBS = frozenset(_words("""
pay pays paying spend spends spending discard discards discarding remove removes removing give gives giving
sell sells selling trade trades trading send sends sending lose loses losing
"""))

_NUMBER = r"\d+|" + "|".join(NUMBER_WORDS)
"""A number in a regular expression: digits, or a word up to twenty."""
_TOKEN = re.compile(r"\d+|[a-z]+(?:-[a-z]+)*|[.,;:!?()]")


class Side(StrEnum):
    """What a verb says happens to the resources that follow it."""

    COST = "cost"
    GAIN = "gain"


@dataclass(frozen=True)
class Mention:
    """A resource named in prose, with the amount before it (None: no number, as in "produces
    food") and the side its verb puts it on (None: no verb governs it)."""

    resource: str
    amount: int | None
    side: Side | None
    phrase: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def number(token: str) -> int | None:
    """The value of a digit string or a number word up to twenty; None for anything else."""
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def stem(word: str) -> str:
    """A word without its plural ending, so "rubies" and "ruby", "coins" and "coin" agree."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def name_key(text: str) -> tuple[str, ...]:
    """A name or id as the stemmed words an alias is looked up by."""
    return tuple(stem(word) for word in re.findall(r"[a-z]+", text.lower().replace("_", " ")))


def resource_aliases(design: GameDesign) -> dict[tuple[str, ...], str]:
    """The word sequences (stemmed) that name each resource: its id and name, and the id and name of
    the tokens that stand for it. A sequence that could name two resources names neither."""
    candidates: dict[tuple[str, ...], set[str]] = {}
    for resource in design.resources:
        for text in (resource.id, resource.name):
            candidates.setdefault(name_key(text), set()).add(resource.id)
    resources = {resource.id for resource in design.resources}
    for component in design.components:
        if component.represents in resources:
            for text in (component.id, component.name):
                candidates.setdefault(name_key(text), set()).add(component.represents)
    return {key: next(iter(ids)) for key, ids in candidates.items() if key and len(ids) == 1}


def _alias_at(words: list[str], start: int, aliases: dict[tuple[str, ...], str]) -> tuple[str, int] | None:
    """The resource whose longest alias starts at `start` and ends a phrase there, with its end."""
    longest = max((len(key) for key in aliases), default=0)
    for length in range(min(longest, len(words) - start), 0, -1):
        key = tuple(stem(word) for word in words[start:start + length])
        if key in aliases:
            end = start + length
            if end == len(words) or words[end] in _PHRASE_ENDS or words[end] in _PUNCTUATION_ENDS \
                    or words[end] == ",":
                return aliases[key], end
    return None


def mentions(text: str, aliases: dict[tuple[str, ...], str]) -> list[Mention]:
    """The resources `text` names with an amount ("gain 3 food", "one new field"), or right after a
    verb that gains or pays them ("produces food, water and wood"), each with its verb's side."""
    words = tokens(text)
    found: list[Mention] = []
    side: Side | None = None
    i = 0
    while i < len(words):
        word = words[i]
        before = words[i - 1] if i else ""
        if word in _PUNCTUATION_ENDS or word in _CLAUSE_ENDS:
            side = None
        elif word == "for":
            side = Side.GAIN if side is Side.COST else None
        elif word in GAIN_VERBS or word in COST_VERBS:
            side = None if before in _RELATIVE else (Side.GAIN if word in GAIN_VERBS else Side.COST)
        amount = number(word)
        start = i + 1 if amount is not None or word in ("a", "an") else i
        if amount is None and side is None:
            i += 1
            continue
        match = _alias_at(words, start, aliases)
        if match is None and start < len(words) and words[start] not in _BETWEEN_EXCLUDED \
                and words[start] not in _PUNCTUATION_ENDS and words[start] != ",":
            match = _alias_at(words, start + 1, aliases)
        if match is None:
            i += 1
            continue
        resource, end = match
        found.append(Mention(resource, amount, side, " ".join(words[i:end])))
        i = end
    return found


_ROUND_COUNT = re.compile(
    rf"(?<!every )(?<!each )(?<!per )\b({_NUMBER}) (?:full |more |game )?rounds?\b"
    r"|\b(?:after|until|through) rounds? (\d+)\b"
    r"|\b(?:after|until|through|end of) the ([a-z]+|\d+(?:st|nd|rd|th)) round\b")


def round_counts(text: str) -> list[int]:
    """The numbers of rounds `text` states as the game's length: "5 rounds", "ten rounds", "after
    round 30", "after the eighth round" (not "every 2 rounds", nor "in round 1")."""
    counts = []
    for match in _ROUND_COUNT.finditer(text.lower()):
        cardinal, after, ordinal = match.groups()
        if cardinal is not None and (value := number(cardinal)) is not None:
            counts.append(value)
        elif after is not None:
            counts.append(int(after))
        elif ordinal is not None:
            value = int(ordinal[:-2]) if ordinal[:-2].isdigit() else ORDINAL_WORDS.get(ordinal)
            if value is not None:
                counts.append(value)
    return counts


_REACHES = re.compile(rf"\b(?:reach|reaches|reaching|reached|first to|at least) ({_NUMBER})\b")
_POINTS = re.compile(rf"\b({_NUMBER}) (?:victory )?(?:points?|vp)\b")


def threshold_numbers(text: str, aliases: dict[tuple[str, ...], str], counted: set[str], *,
                      points: bool) -> list[int]:
    """The thresholds `text` states: "reaches 10", an amount of one of the `counted` resources
    ("connected 10 cities"), and with `points` "50 points"."""
    lowered = text.lower()
    patterns = (_REACHES, _POINTS) if points else (_REACHES,)
    values = [number(match.group(1)) for pattern in patterns for match in pattern.finditer(lowered)]
    values += [mention.amount for mention in mentions(text, aliases) if mention.resource in counted]
    return [value for value in values if value is not None]


_WORTH = re.compile(rf"\bworth ({_NUMBER})(?: (?:victory )?points?| vp)?"
                    r"(?=$|[.,;:!?)]| each| apiece| at| even| in| when| if| and| to)"
                    rf"|\b({_NUMBER}) (?:victory )?(?:points?|vp) (?:each|per|for each|apiece)\b")


def worth_numbers(text: str) -> list[int]:
    """The points `text` says a thing is worth: "each worth 3", "2 points each"."""
    values = [number(match.group(1) or match.group(2)) for match in _WORTH.finditer(text.lower())]
    return [value for value in values if value is not None]


COSTS_NOTHING = re.compile(r"\b(?:costs? nothing|no cost|free of charge|for free|is free|"
                           r"without (?:paying|any cost))\b")
GAINS_NOTHING = re.compile(r"\b(?:gains?|produces?|yields?|gives?) nothing\b")
NO_SCORING = re.compile(r"\b(?:there (?:is|are) no (?:scoring|points|score)|no (?:scoring|victory points)|"
                        r"nothing (?:scores|is scored)|(?:does|do) not score)\b")
INDIVIDUAL_WINNER = re.compile(
    r"\bthe (?!team\b)(?:\w+ ){0,3}(?:with|who has|who holds|who scores|who collects|who sells) (?:the )?"
    r"(?:most|highest|fewest|lowest|greatest|largest|best|more)\b.*\bwins?\b"
    r"|\b(?:most|highest) (?:points|score|victory points|vp) wins\b"
    r"|\bthe winner is\b"
    r"|\bfirst (?!team\b)(?:\w+ ){0,2}to (?:reach|score|collect|get|finish)\b.*\bwins?\b"
    r"|\bthe first (?:player|one) to\b|\bthe (?:player|one) (?:with|who has|who scores) the "
    r"(?:most|highest)\b")
COOPERATIVE_CLAIM = re.compile(r"\bco-?operative\b|\bwork(?:s|ing)? together\b|\bas a team\b")
SHARED_OUTCOME = re.compile(r"\b(?:win|wins|lose|loses)(?: or (?:win|lose))? together\b|\bthe team (?:wins|loses)\b|"
                            r"\b(?:all players|everyone|the whole table) (?:win|wins|lose|loses)\b")


def prose_fields(design: GameDesign) -> Iterator[tuple[Location, str]]:
    """Every model-written sentence of `design`, where it is."""
    yield at("tagline"), design.tagline
    yield at("theme"), design.theme
    yield at("introduction"), design.introduction
    for i, mechanism in enumerate(design.mechanisms):
        yield at("mechanisms", i, "how_it_works"), mechanism.how_it_works
    for i, resource in enumerate(design.resources):
        yield at("resources", i, "description"), resource.description
    for i, action in enumerate(design.actions):
        yield at("actions", i, "description"), action.description
    yield at("turn_structure", field="summary"), design.turn_structure.summary
    for i, phase in enumerate(design.turn_structure.phases):
        yield at("turn_structure", field="phases", item=i), phase.description
    for i, end in enumerate(design.end_conditions):
        yield at("end_conditions", i, "description"), end.description
    for i, rule in enumerate(design.victory.scoring):
        yield at("victory", field="scoring", item=i), rule.description
    yield at("victory", field="tie_breaker"), design.victory.tie_breaker
    for i, component in enumerate(design.components):
        yield at("components", i, "description"), component.description
        for j, card in enumerate(component.card_types):
            yield at("components", i, "card_types", j), card.effect
    for i, step in enumerate(design.setup):
        yield at("setup", i, "instruction"), step.instruction


# Words that carry no content of their own: a copied run is a run of the other words.
_STOPWORDS = frozenset(_words("""
a an the and or nor but of to in on at by for with from into onto as is are was were be been being it its this that
these those there here their them they you your his her he she we our us i me my not no so than then too very can
may must will would should could do does did has have had each every all any some more most other such own same
only just also when while if which who whom what where why how up out over under again once per
"""))


def content_words(text: str) -> list[str]:
    return [stem(word) for word in re.findall(r"[a-z]+", text.lower()) if word not in _STOPWORDS]


def runs(text: str, length: int) -> set[tuple[str, ...]]:
    """Every run of `length` consecutive content words of `text`."""
    words = content_words(text)
    return {tuple(words[i:i + length]) for i in range(len(words) - length + 1)}


def shared_run(text: str, references: Sequence[str], length: int) -> str | None:
    """A run of `length` content words that `text` shares with one of `references`, as words."""
    theirs = set().union(*(runs(reference, length) for reference in references)) if references else set()
    words = content_words(text)
    for i in range(len(words) - length + 1):
        if tuple(words[i:i + length]) in theirs:
            return " ".join(words[i:i + length])
    return None
