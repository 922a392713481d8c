"""Relation words and their equivalents: the one table of which words state the same relation.

A claim ties its values and names to a relation word ("the Games were *held* in Sydney in 2000"), and its
source may state that relation in another form of the word or another word: a table's column "*Host* city",
"*composer*" for "composed", "his *death*" for "died", "the *author*" for "wrote". Plain inflections are already
one stem (`tools.web.stems`); derivations and the few synonyms that state the same relation are listed here,
once, for every place that asks whether a word states a relation:

- `tools.web.entailment.SpanRules`: the *anchor* rule (the word a claim ties a value to must be in the span
  clause stating the value) and the *coverage* rule (every content word of the claim is said by the spans);
- `pipelines.audiorag_graph.dated_as_asked`: whether a sentence read dates what the question asks about;
- `tools.web.name_conflicts`: which relation a sentence gives a name for (its verbs and agent nouns only,
  `RelationFamily.verbs` and `.nouns`, for the families that have a slot `role`; its grammar of slots
  does not read the `equivalents`).

Only words of one family are equivalent, and a family holds only words that state its one relation in any
context where they tie a date, place or person to a subject: "held" is in the hosting family (an event is held
in a city), not "kept". A word in no family is equivalent to itself alone.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Literal

from tools.web.stems import covers, stem

Role = Literal["agent", "place"]


@dataclass(frozen=True)
class RelationFamily:
    """The words that state one relation: its verbs' forms, its nouns (the agent or place it names: "inventor",
    "birthplace"), and other `equivalents` (derivations naming the event, "birth", "death", "construction", and
    synonyms, "held" for "hosted"). `role`: the kind of name that fills the relation's slot when
    `tools.web.name_conflicts` compares sources about it ("agent", introduced by "by"; "place", by "in" or
    "at"); None for the relations it does not compare. `asks`: what the relation asks of its subject, as a
    conflict says it ("who invented it")."""

    name: str
    verbs: frozenset[str]
    nouns: frozenset[str]
    equivalents: frozenset[str] = frozenset()
    role: Role | None = None
    asks: str = ""

    @property
    def words(self) -> frozenset[str]:
        """The verbs and nouns: the words by which name conflicts read the relation."""
        return self.verbs | self.nouns

    @property
    def prepositions(self) -> frozenset[str]:
        return frozenset({"by"} if self.role == "agent" else {"in", "at"})

    @property
    def stems(self) -> frozenset[str]:
        """The stems of every word of the family, equivalents included: what entailment compares."""
        return frozenset(stem(word) for word in self.words | self.equivalents)


def _family(name: str, verbs: str, nouns: str = "", equivalents: str = "", role: Role | None = None,
            asks: str = "") -> RelationFamily:
    return RelationFamily(name, frozenset(verbs.split()), frozenset(nouns.split()), frozenset(equivalents.split()),
                          role, asks or (f"who {name} it" if role == "agent" else ""))


RELATION_FAMILIES = (
    _family("invented", "invent invents invented co-invented", "inventor inventors invention co-inventor",
            role="agent"),
    _family("designed", "design designs designed", "designer designers architect architects", role="agent"),
    _family("wrote", "write writes wrote written authored co-wrote co-written", "writer author authors",
            role="agent"),
    _family("composed", "compose composes composed", "composer composers", "composition", role="agent"),
    _family("painted", "paint paints painted", "painter", role="agent"),
    _family("founded", "founds founded co-founded", "founder founders co-founder", role="agent"),
    _family("discovered", "discover discovers discovered", "discoverer discovery", role="agent"),
    _family("directed", "directs directed", "director", role="agent"),
    _family("sculpted", "sculpt sculpted", "sculptor", role="agent"),
    _family("commissioned", "commission commissions commissioned", role="agent"),
    _family("built", "build builds built", "builder builders", "construct constructed construction", role="agent"),
    _family("born", "born", "birthplace", "birth", role="place", asks="where they were born"),
    _family("died", "died", "", "die dies death", role="place", asks="where they died"),
    _family("capital", "", "capital", role="place", asks="what its capital is"),
    _family("hosted", "host hosts hosted held", "host hosts"),
    _family("completed", "complete completes completed", "", "completion"),
)
"""Every relation whose words are compared beyond their stems (see the module docstring)."""


def _families_by_stem() -> dict[str, frozenset[str]]:
    """Each stem of a family word -> the stems of every family it is in."""
    found: dict[str, frozenset[str]] = {}
    for family in RELATION_FAMILIES:
        for own in family.stems:
            found[own] = found.get(own, frozenset()) | family.stems
    return found


_EQUIVALENT_STEMS = _families_by_stem()


def equivalent_stems(word: str) -> frozenset[str]:
    """The stems of the words that state what `word` states: its own stem, and those of every family it is a
    word of ("held" -> "held", "host", ...; "died" -> "die", "death")."""
    own = stem(word)
    return _EQUIVALENT_STEMS.get(own, frozenset()) | {own}


def says(stems_said: Set[str], word: str) -> bool:
    """Whether `stems_said` (a text's `tools.web.stems.stems`) say `word` (`tools.web.stems.covers`) or a word
    of its relation's family ("Host" says "held", "death" says "died")."""
    return covers(stems_said, word) or bool(equivalent_stems(word) & stems_said)
