"""What a composition request fixes, and the schema the Composer plans under.

The user's words may already fix the length, key, meter or tempo ("a chorale in D minor, 16
bars"). Those facts are read here, checked (a 10,000-bar piece or a negative tempo is refused
before any model loads), and written into the plan's schema as constants, so the Composer cannot
contradict them; what the user left open becomes a choice from closed lists. The form is a grammar too:
an opening and a closing section in the home key (the closing one on a full cadence) around up to
three middle sections. The Composer decides proportions; `fit_sections` does the arithmetic so
the sections always add up, in whole four-bar phrases where the length allows, and no more
sections than a piece of that length can breathe in (`max_sections`: three in 16 bars). A middle
or closing section may vary the opening or the section before it (a return, A B A').
`ontology.music_forms.edit_plan` puts a plan into its style's form (a closed list: ternary, a
jig's two strains each played twice, free piano's own sections within bounds) and fits the bars;
`plan_to_piece` turns the edited plan into sections with ids. The style (`ontology.music_styles`)
is a choice from a closed list, or fixed by the request's words ("a waltz"); it bounds the meter
and tempo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from ontology.music import MAX_BARS, Cadence, Piece, Section, Variation, VariationDistance
from ontology.music_styles import (
    PHRASE_BARS,
    Motion,
    Style,
    motion_named_in,
    section_motion,
    style_named_in,
    style_spec,
)
from ontology.music_theory import NOTE_NAMES, Key, Mode, MusicTheoryError, parse_key, parse_meter, plainest_key

MAX_REQUEST_CHARS = 2_000
MIN_TEMPO, MAX_TEMPO = 30, 240
DEFAULT_BARS = 16
MAX_SECTION_BARS = 128
"""The longest section the tools write in one request, and so the most bars a revision may give one."""
METERS = ("2/4", "3/4", "4/4", "6/8", "2/2")
"""Meters the piano model writes whose bars are whole quarter notes (as the harmoniser needs)."""
TITLE_CHARS, LABEL_CHARS, CHARACTER_CHARS = 60, 24, 40
"""The longest title, section label and section character a Composer's plan holds (its answer is cut there).
A character is free text the tools never read, shown to the musician: at 80 characters the 1.5B model
filled it to the limit in long sentences (17 generated tokens a section, cut mid-word)."""
SAVED_CHARACTER_CHARS = 80
"""The longest section character a saved plan holds: sessions saved while plans were asked for 80 resume."""
KEYS = tuple(f"{name} {mode.value}" for mode in Mode for name in NOTE_NAMES)


class MusicRequestError(ValueError):
    """A composition request that cannot be honoured; the message says what would work."""


class RequestFacts(BaseModel):
    """What the request fixed explicitly; None where the Composer chooses."""

    text: str
    bars: int | None = None
    key: str | None = None
    meter: str | None = None
    tempo_bpm: int | None = None
    style: Style | None = None


_BARS = re.compile(r"(?<![\w.])(-?\d[\w.,+-]*?)\s*-?\s*(?:bars?|measures?)\b", re.IGNORECASE)
"""A count of bars: the whole numeric token before "bars", so that "1e3 bars" or "16.5 bars" is read
as written (and refused by `_WHOLE`) rather than as its last digits, "3" or "5"."""
_WHOLE = re.compile(r"-?(?:\d+|\d{1,3}(?:,\d{3})+)")
_KEY = re.compile(r"\b([A-Za-z](?:#|b|♯|♭|-)?)\s+(major|minor)\b", re.IGNORECASE)
_METER = re.compile(r"\b(\d{1,2}\s*/\s*\d{1,2})\s*(?:time|meter|metre)?\b")
_TEMPO = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:bpm|beats per minute)\b|\btempo\s*(?:of\s*)?(-?\d+(?:\.\d+)?)",
                    re.IGNORECASE)


def facts_from_request(text: str) -> RequestFacts:
    """Read the explicit facts of a request, or raise `MusicRequestError` for an impossible one."""
    if not isinstance(text, str) or not text.strip():
        raise MusicRequestError("The request is empty; describe the piece, e.g. 'a waltz in G major, 16 bars'")
    if len(text) > MAX_REQUEST_CHARS:
        raise MusicRequestError(f"The request is {len(text):,} characters; keep it under {MAX_REQUEST_CHARS:,}.")
    text = " ".join(text.split())
    facts = RequestFacts(text=text)
    if match := _BARS.search(text):
        if not _WHOLE.fullmatch(count := match.group(1)):
            raise MusicRequestError(f"The request asks for {count!r} bars, which is not a whole number; write the "
                                    "count in digits, e.g. '16 bars'.")
        bars = int(count.replace(",", ""))
        if not 1 <= bars <= MAX_BARS:
            raise MusicRequestError(f"A piece of {bars:,} bars is outside what a session writes (1 to {MAX_BARS}).")
        facts.bars = bars
    if match := _KEY.search(text):
        try:
            facts.key = parse_key(f"{match.group(1)} {match.group(2)}").name
        except MusicTheoryError as exc:
            raise MusicRequestError(str(exc)) from exc
    if match := _METER.search(text):
        try:
            facts.meter = parse_meter(match.group(1).replace(" ", "")).name
        except MusicTheoryError as exc:
            raise MusicRequestError(str(exc)) from exc
    if match := _TEMPO.search(text):
        tempo = float(match.group(1) or match.group(2))
        if not MIN_TEMPO <= tempo <= MAX_TEMPO:
            raise MusicRequestError(f"A tempo of {tempo:g} beats a minute is unplayable; use {MIN_TEMPO}-{MAX_TEMPO}.")
        facts.tempo_bpm = round(tempo)
    facts.style = style_named_in(text)
    if facts.style is Style.JIG and facts.meter is None and re.search(r"\breels?\b", text, re.IGNORECASE):
        facts.meter = "4/4"  # a reel is the jig's common-time sibling
    return facts


def with_drawn_meter(facts: RequestFacts, seed: int) -> RequestFacts:
    """`facts` with a meter for the session with `seed` where the request names a style but no meter:
    drawn in the style's reference shares (`StyleSpec.drawn_meter`), so a Composer that always picks
    the first meter offered writes its chorales in 3/4 as often as Bach did. The Composer is then
    told the meter as it is told the request's own facts."""
    if facts.meter is not None or facts.style is None:
        return facts
    meter = style_spec(facts.style).drawn_meter(seed)
    return facts if meter is None else facts.model_copy(update={"meter": meter})


KeyRelation = Literal["home", "relative", "dominant", "subdominant", "parallel"]
"""A section's key beside the home key; "parallel" is the tonic's other mode (C minor in C major)."""
LengthWish = Literal["shorter", "longer"]


class _SectionPlan(BaseModel):
    label: str = Field(max_length=LABEL_CHARS, description="e.g. 'A', 'B', 'A prime', 'coda'")
    share: int = Field(ge=1, le=8, description="relative length: a section of share 2 is twice one of share 1")
    character: str = Field(max_length=CHARACTER_CHARS,
                           description="three or four words on its mood, register and motion")


class PlannedVariation(BaseModel):
    """A section made from earlier material, named by position because ids do not exist yet."""

    of: Literal["opening", "previous"] = Field(description="the opening section, or the section just before")
    distance: VariationDistance = Field(description="restate (a return), near (varied) or far (developed)")


class OpeningSection(_SectionPlan):
    """The first section: always in the home key, closing on a full or a half cadence (a deceptive
    close there, the small model's habit, leans the whole piece toward the relative key)."""

    cadence: Literal[Cadence.AUTHENTIC, Cadence.HALF] = Field(description="how the section closes")


class MiddleSection(_SectionPlan):
    key_relation: KeyRelation = Field(description="the section's key relative to the home key")
    cadence: Cadence = Field(description="how the section closes")
    variation: PlannedVariation | None = Field(None, description="null for new material")


class ClosingSection(_SectionPlan):
    """The last section: back in the home key, closing on an authentic cadence (V-I). A plagal close
    is the musician's to ask for in feedback; a first plan ends the way a listener expects to hear
    an ending."""

    cadence: Literal[Cadence.AUTHENTIC] = Field(description="the final cadence (V-I)")
    variation: PlannedVariation | None = Field(None, description="e.g. the opening restated; null for new material")


class SectionDraft(_SectionPlan):
    """A section of a plan in one list (what `CompositionStudio.plan` returns); `bars` is set when
    the plan is edited into its style's form (`ontology.music_forms.edit_plan`)."""

    character: str = Field(max_length=SAVED_CHARACTER_CHARS)
    key_relation: KeyRelation
    cadence: Cadence
    variation: PlannedVariation | None = None
    bars: int | None = Field(None, ge=1, le=MAX_BARS, description="the section's length once the plan is fitted")


class Plan(BaseModel):
    """The Composer's plan: the piece's title, style, home key, meter and tempo, and its sections
    in order (opening, middle, closing: `sections_of`). `edit_plan` puts it into its style's form
    and fits the sections' bars; `edits` says what that changed, for the session's report."""

    title: str
    style: Style = Style.FREE_PIANO
    key: str
    meter: str
    tempo_bpm: int
    sections: list[SectionDraft]
    edits: list[str] = Field(default_factory=list, description="what editing the plan into its form changed")


def in_drawn_meter(plan: Plan, facts: RequestFacts, seed: int) -> Plan:
    """`plan` in the meter drawn for the session with `seed` in its style's reference shares where the
    request named neither a style nor a meter and the Composer, choosing the style itself, wrote
    that style's usual meter: the meter no one chose (`with_drawn_meter` draws it before the
    Composer plans where the request names the style), or one its style is not written in. Another
    of the style's meters, which the Composer chose against the usual one, stands."""
    if facts.meter is not None or facts.style is not None:
        return plan
    spec = style_spec(plan.style)
    meter = spec.drawn_meter(seed)
    if meter is None or meter == plan.meter or plan.meter in spec.meters[1:]:
        return plan
    return plan.model_copy(update={"meter": meter, "edits": [
        *plan.edits, f"meter {meter} (planned {plan.meter}): drawn as the {spec.style}'s references are"]})


def sections_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The Composer's opening, middle and closing sections as one list, home key made explicit."""
    return ([{**answer["opening"], "key_relation": "home"}] + list(answer.get("middle", []))
            + [{**answer["closing"], "key_relation": "home"}])


def _choice(value: Any, open_type: Any, description: str, **constraints: Any) -> tuple[Any, Any]:
    """A field the request fixed becomes a constant; an open one keeps its type and bounds."""
    if value is None:
        return open_type, Field(description=description, **constraints)
    return Literal[value], Field(description=f"{description} (fixed by the request)")


MAX_MIDDLE_SECTIONS = 3
"""The most contrasting middle sections a plan may have."""


SectionRole = Literal["opening", "middle", "closing"]
"""The Composer's sections by place: the first, the contrasting ones, the last."""
SECTION_PLANS: dict[SectionRole, type[_SectionPlan]] = {
    "opening": OpeningSection, "middle": MiddleSection, "closing": ClosingSection}


def _asked(role: SectionRole, settled: Mapping[str, Any]) -> type[BaseModel] | None:
    """The section's plan without the fields `settled` (the form sets them), or None when none is left:
    the plan itself where nothing is settled, else a model of its name and docstring (the schema's
    description of the section, which the Composer reads) with the fields still asked."""
    plan = SECTION_PLANS[role]
    if not settled:
        return plan
    kept = {name: (field.annotation, field) for name, field in plan.model_fields.items() if name not in settled}
    return create_model(plan.__name__, __doc__=plan.__doc__, **kept) if kept else None  # type: ignore[call-overload]


def plan_schema(facts: RequestFacts, middle_sections: int = MAX_MIDDLE_SECTIONS,
                settled: Mapping[SectionRole, Mapping[str, Any]] | None = None) -> type[BaseModel]:
    """The Composer's answer: the request's facts as constants, open choices from closed lists, at
    most `middle_sections` middle sections. A style the request names narrows the meters and tempi
    to the style's own. `settled` names, by section, the fields the style's form sets whatever the
    Composer writes (`ontology.music_forms.form_settles`): they are not asked at all, since each is
    generated tokens (and field notes) the form then discards; a section left with nothing to ask
    is not asked either. `with_settled` puts their values back into the answer."""
    meters: tuple[str, ...] = METERS
    slowest, fastest = MIN_TEMPO, MAX_TEMPO
    if facts.style is not None:
        spec = style_spec(facts.style)
        meters = tuple(meter for meter in spec.meters if meter in METERS) or METERS
        slowest, fastest = spec.tempo[0], spec.tempo[1]
    only_meter = meters[0] if len(meters) == 1 else None  # a style written in one meter fixes it
    settled = settled or {}
    sections: dict[str, Any] = {}
    for role in SECTION_PLANS:
        asked = _asked(role, settled.get(role, {}))
        if asked is None:
            continue
        middle = list[asked]  # type: ignore[valid-type]  # a model built at run time
        sections[role] = (middle, Field(max_length=middle_sections, description="contrasting sections, possibly in "
                                        "other keys")) if role == "middle" else (asked, ...)
    return create_model(
        "PlanDraft",
        title=(str, Field(max_length=TITLE_CHARS)),
        style=_choice(facts.style, Literal[tuple(Style)], "the style: a four-part chorale, a waltz, a nocturne, "
                                                          "a jig, or free piano writing"),
        key=_choice(facts.key, Literal[KEYS], "home key"),
        meter=_choice(facts.meter or only_meter, Literal[meters], "time signature"),
        tempo_bpm=_choice(facts.tempo_bpm, int, "quarter notes per minute", ge=slowest, le=fastest),
        **sections,
    )


def with_settled(answer: dict[str, Any], settled: Mapping[SectionRole, Mapping[str, Any]]) -> dict[str, Any]:
    """The Composer's answer (a `plan_schema` instance dumped) with the settled fields filled in, so
    that every section has all its fields again (a middle section left unasked is left out)."""
    filled = dict(answer)
    for role, values in settled.items():
        if role == "middle":
            filled["middle"] = [{**values, **section} for section in answer.get("middle", [])]
        else:
            filled[role] = {**values, **(answer.get(role) or {})}
    return filled


def related_key(home: Key, relation: KeyRelation) -> Key:
    """The key `relation` names beside `home`, spelled with the fewest sharps or flats."""
    if relation == "home":
        return home
    other = home.parallel().mode
    steps, mode = {"relative": (9 if home.mode is Mode.MAJOR else 3, other), "dominant": (7, home.mode),
                   "subdominant": (5, home.mode), "parallel": (0, other)}[relation]
    return plainest_key((home.tonic + steps) % 12, mode, flats=home.sharps < 0)


def max_sections(total: int) -> int:
    """The most sections a piece of `total` bars can breathe in: three up to 16 bars, one more per
    further 16, and never more than it has four-bar phrases (at least one)."""
    by_length = 3 + max(0, total - 16) // 16
    return max(1, min(by_length, total // PHRASE_BARS))


def fit_sections(shares: list[int], total: int) -> list[int]:
    """Bars per section in proportion to `shares`, adding up to `total`: whole four-bar phrases per
    section where the piece has a phrase for each (bars beyond the last whole phrase extend the
    closing section), else single bars, each section at least one."""
    if total < len(shares):
        raise MusicRequestError(f"{total} bars cannot hold {len(shares)} sections.")
    phrases, extra = divmod(total, PHRASE_BARS)
    if phrases >= len(shares):
        bars = [PHRASE_BARS * count for count in _proportional(shares, phrases)]
        bars[-1] += extra
        return bars
    return _proportional(shares, total)


def _proportional(shares: list[int], total: int) -> list[int]:
    """Whole units per share in proportion, each at least one, adding up to `total`: each share
    rounded down (to one at least), then spare units to the shares furthest below their exact
    amount and missing ones from those furthest above it. (Ranking by the exact amounts' fractions
    alone gave a spare unit to a share already raised to one: shares 9, 15, 15 of 4 came out 2, 1, 1.)"""
    whole = sum(shares)
    exact = [total * share / whole for share in shares]
    units = [max(1, int(value)) for value in exact]
    while sum(units) < total:
        units[max(range(len(units)), key=lambda i: exact[i] - units[i])] += 1
    while sum(units) > total:
        units[min((i for i in range(len(units)) if units[i] > 1), key=lambda i: exact[i] - units[i])] -= 1
    return units


_PRIMES = re.compile(r"\s*(?:'|′|’|\bprime\b)+\s*$", re.IGNORECASE)


def label_return(label: str, earlier: list[str]) -> tuple[int, VariationDistance] | None:
    """Which earlier section a label brings back, and how closely: a form written "A B A" means the
    second A restates the first, and "A B A'" that it varies it. The plan's explicit choice wins;
    this reads the form the way a musician wrote it when the plan left the variation open."""
    base = _PRIMES.sub("", label).strip().lower()
    primed = base != label.strip().lower()
    for index, name in enumerate(earlier):
        if _PRIMES.sub("", name).strip().lower() == base and base:
            return index, VariationDistance.NEAR if primed else VariationDistance.RESTATE
    return None


def plan_to_piece(plan: Plan) -> Piece:
    """The empty `Piece` (form, keys, cadences; no notes yet) an edited plan describes (every
    section's bars fitted by `ontology.music_forms.edit_plan`)."""
    from ontology.music import INSTRUMENTS

    lengths = [draft.bars for draft in plan.sections if draft.bars is not None]
    if len(lengths) != len(plan.sections):
        raise MusicRequestError("The plan's sections have no lengths yet; fit them with edit_plan first.")
    spec = style_spec(plan.style)
    home = parse_key(plan.key)
    sections = []
    for index, (draft, bars) in enumerate(zip(plan.sections, lengths, strict=True)):
        key = related_key(home, draft.key_relation)
        variation = None
        if draft.variation is not None and index > 0:
            source = 1 if draft.variation.of == "opening" else index
            variation = Variation(of=f"s{source}", distance=draft.variation.distance)
        elif (named := label_return(draft.label, [d.label for d in plan.sections[:index]])) is not None:
            variation = Variation(of=f"s{named[0] + 1}", distance=named[1])
        sections.append(Section(id=f"s{index + 1}", label=draft.label, bars=bars,
                                key=None if key == home else key.name, cadence=draft.cadence, variation=variation))
    fits = spec.pickup < parse_meter(plan.meter).bar_quarters  # a meter with room for it
    return Piece(title=plan.title, key=plan.key, meter=plan.meter, tempo_bpm=plan.tempo_bpm, style=spec.style,
                 instruments=[INSTRUMENTS[name] for name in spec.instruments], sections=sections,
                 length_bars=sum(section.bars for section in sections), pickup=spec.pickup if fits else 0.0)


def section_motions(plan: Plan, request: str) -> dict[str, Motion | None]:
    """The motion each section of `plan_to_piece(plan)` asks for, by section id: an inner section's
    character's words, else the request's (`ontology.music_styles.section_motion`); the first and the
    last section keep the motion the request names whatever the Composer wrote, since a piece opens and
    closes in the character asked and only its middle may contrast (session 32's example of "a stormy
    piano piece in C minor" was planned "powerful, intense" A, "calm" B and a "gentle, reflective" coda,
    and its last five bars were quarters and whole notes). The tools read it; a Piece does not keep its
    sections' words."""
    asked, last = motion_named_in(request), len(plan.sections) - 1
    return {f"s{index + 1}": asked if asked and index in (0, last) else section_motion(draft.character, request)
            for index, draft in enumerate(plan.sections)}


_ORDINALS = {"first": 0, "opening": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4,
             "last": -1, "final": -1, "closing": -1}
_LENGTH_WORDS: dict[str, LengthWish] = {"shorter": "shorter", "shorten": "shorter", "briefer": "shorter",
                                        "longer": "longer", "lengthen": "longer", "extend": "longer"}
_WISH = re.compile(
    rf"\b(?P<how>{'|'.join(_LENGTH_WORDS)})\s+(?:the\s+)?(?P<which>{'|'.join(_ORDINALS)})\s+(?:phrase|section|part)\b"
    rf"|\b(?P<which2>{'|'.join(_ORDINALS)})\s+(?:phrase|section|part)\s+(?:\w+\s+){{0,2}}?(?P<how2>shorter|longer)\b",
    re.IGNORECASE)


def length_wishes(feedback: str, sections: int) -> dict[int, LengthWish]:
    """Section indexes the musician explicitly asked to be shorter or longer ("shorter second
    phrase", "make the last section longer"). Like the request's facts, these are read here rather
    than left to the model: a small model asked for a shorter phrase has been seen to lengthen it."""
    wishes: dict[int, LengthWish] = {}
    for match in _WISH.finditer(feedback):
        which = (match.group("which") or match.group("which2")).lower()
        how = _LENGTH_WORDS[(match.group("how") or match.group("how2")).lower()]
        index = _ORDINALS[which] % sections if sections else 0
        if _ORDINALS[which] < sections:
            wishes[index] = how
    return wishes


_LENGTH_TALK = re.compile(r"\b(?:longer|shorter|shorten|lengthen|extend|length|bars?|measures?)\b", re.IGNORECASE)


def honour_length_wishes(changes: list[dict[str, Any]], feedback: str, sections: list[Section]) -> list[dict[str, Any]]:
    """The Composer's changes with every explicit length wish carried out: a change the wish's
    section lacks is added, and a new length that goes the wrong way (or none) is replaced by one
    that goes the asked way (a third shorter, half as long again). A new length for a section the
    musician's words do not touch is dropped (the 1.5B Composer, asked for a shorter second phrase,
    also stretched the closing section from 4 to 16 bars); feedback about length with no section
    named ("make it longer") leaves the Composer's lengths to it."""
    changes = [dict(change) for change in changes]
    wishes = length_wishes(feedback, len(sections))
    asks_for_length = bool(wishes) or _LENGTH_TALK.search(feedback) is not None
    named = {sections[index].id for index in wishes}
    for proposed in changes:  # a length the musician did not ask for is the model's, not theirs
        if proposed.get("bars") and (not asks_for_length or (wishes and proposed["section"] not in named)):
            proposed["bars"] = None
            proposed["note"] = "the musician did not ask for this section's length to change; kept"
    for index, how in wishes.items():
        section = sections[index]
        change = next((c for c in changes if c["section"] == section.id), None)
        if change is None:
            change = {"section": section.id, "problem": f"the musician asked for a {how} section {section.label}",
                      "action": "regenerate", "cadence": None}
            changes.append(change)
        bars = change.get("bars")
        if not bars or (bars >= section.bars if how == "shorter" else bars <= section.bars):
            if how == "shorter":
                change["bars"] = max(1, section.bars - max(1, section.bars // 3))
            else:
                change["bars"] = min(MAX_SECTION_BARS, section.bars + max(1, section.bars // 2))
            change["length_from"] = "the feedback's words"
    return changes
