"""The forms a piece is written in, a closed list, and the edit that puts a Composer's plan into one.

A small model's plans are uneven. The five example sessions (Qwen2.5-Coder-1.5B) all planned four
sections for 16 bars. Their middle sections were twice as long as the home key's and all in the
relative key, every section closed on an authentic cadence, and the characters were cut off
mid-word at the schema's 80 characters and named keys the sections are not in. The system supplies
the form, as musicians learn it: each style has one from `FORMS`, and `edit_plan` rebuilds the plan
in it. It keeps the Composer's choices where the form leaves room: the proportions, the opening's
close, which related key the contrast goes to, how closely the return varies, and the words.

- ternary (waltz, nocturne): A in the home key, closing on its tonic; B in a related key closing on a half
  cadence (the dominant, the relative or the tonic's other mode, as its words' shade asks: `SHADED_KEYS`; a
  waltz keeps to the closely related keys, `contrast_key`); A'
  back in the home key on the opening's material, closing authentic. A chorale plays it with B in the home key
  too (measured: a related-key middle cost the chorale its key).
- strains (jig and reel): A, A again, B, B again (AABB), each strain closing on the tonic.
- free (free piano): the Composer's own sections within bounds: no more than the length breathes
  in, home key at both ends, the last on an authentic close.

The lengths are whole phrases of four bars (`fit_sections`), so cadences fall at phrase ends; a
piece too short for a phrase per section plays a shorter form. `Plan.edits` records what changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from ontology.music import Cadence, VariationDistance
from ontology.music_drafts import (
    CHARACTER_CHARS,
    DEFAULT_BARS,
    LABEL_CHARS,
    MAX_MIDDLE_SECTIONS,
    METERS,
    TITLE_CHARS,
    KeyRelation,
    Plan,
    PlannedVariation,
    RequestFacts,
    SectionDraft,
    SectionRole,
    fit_sections,
    max_sections,
)
from ontology.music_styles import PHRASE_BARS, Shade, Style, shade_named_in, style_spec
from ontology.music_theory import Mode, parse_key


class SectionShape(BaseModel):
    """One section of a form: its label, where its key lies, how it closes, whether it returns."""

    role: SectionRole
    label: str
    character: str = Field(description="its character where the Composer planned no section to draw it from")
    key: Literal["home", "contrast"] = "home"
    cadence: Cadence | None = Field(None, description="None: the Composer's close, where the opening allows it")
    returns: PlannedVariation | None = Field(None, description="the earlier material it brings back")


class Form(BaseModel):
    """A form as data: its sections, and the shorter one a piece with fewer phrases plays."""

    name: str
    sections: list[SectionShape]
    short: list[SectionShape] = Field(description="for a piece with a phrase for each of these but not the full form")


_A = SectionShape(role="opening", label="A", character="the opening")
_A_CONFIRMED = _A.model_copy(update={"cadence": Cadence.AUTHENTIC})
"""An opening before a middle in another key closes on its tonic: the key is confirmed by V-I before
the music leaves it (measured: a four-bar A on a half close, then four bars in the dominant, made
the dominant the key heard in 2 of 10 fixed-plan nocturnes)."""
_RETURN = SectionShape(role="closing", label="A'", character="the opening returns", cadence=Cadence.AUTHENTIC,
                       returns=PlannedVariation(of="opening", distance=VariationDistance.NEAR))
_AGAIN = PlannedVariation(of="previous", distance=VariationDistance.RESTATE)
_STRAIN_A = SectionShape(role="opening", label="A", character="the first strain", cadence=Cadence.AUTHENTIC)
_STRAIN_B = SectionShape(role="middle", label="B", character="the second strain", cadence=Cadence.AUTHENTIC)
_ALONE = SectionShape(role="opening", label="A", character="the tune", cadence=Cadence.AUTHENTIC)
"""The one section of a piece shorter than two phrases, whatever its form."""

FORMS: dict[str, Form] = {
    "ternary": Form(
        name="ternary",
        sections=[_A_CONFIRMED, SectionShape(role="middle", label="B", character="a contrast", key="contrast",
                                   cadence=Cadence.HALF), _RETURN],
        short=[_A, _RETURN]),
    "ternary at home": Form(
        name="ternary at home",
        sections=[_A, SectionShape(role="middle", label="B", character="a contrast", cadence=Cadence.HALF),
                  _RETURN],
        short=[_A, _RETURN]),
    "strains": Form(
        name="strains",
        sections=[_STRAIN_A, _STRAIN_A.model_copy(update={"returns": _AGAIN}),
                  _STRAIN_B, _STRAIN_B.model_copy(update={"returns": _AGAIN})],
        short=[_STRAIN_A, _STRAIN_B]),
}
"""The fixed forms. Free piano has none: its own sections are kept within bounds (`_bounded`)."""

STYLE_FORMS: dict[Style, str | None] = {
    Style.CHORALE: "ternary at home", Style.WALTZ: "ternary", Style.NOCTURNE: "ternary", Style.JIG: "strains",
    Style.FREE_PIANO: None,
}
"""A chorale's middle stays in the home key: with its four bars in the dominant or the relative key,
the ear (music21's key analysis) heard the asked key in 4 of 10 fixed-plan chorales, against 9 of 10
with the middle at home (`bench/compose_tools_quality.py -n 10`, session 24)."""

OPENING_CADENCES = (Cadence.AUTHENTIC, Cadence.HALF)
"""The closes an opening may keep (a deceptive one leans the piece toward the relative key)."""
CONTRAST_KEYS: tuple[KeyRelation, ...] = ("dominant", "relative", "parallel")
"""The related keys a ternary middle may go to; another choice becomes the mode's usual one."""
SHADED_KEYS: dict[tuple[bool, Shade], KeyRelation] = {
    (True, Shade.DARKER): "parallel", (True, Shade.BRIGHTER): "dominant",
    (False, Shade.DARKER): "subdominant", (False, Shade.BRIGHTER): "parallel"}
"""The key a contrast goes to by (home key major, the shade its words ask for): a major piece's darker
middle in the tonic minor, its brighter one in the dominant; a minor piece's darker middle in the
minor subdominant (the flat side), its brighter one in the tonic major. The tonic minor's or major's
dominant is the home key's, and the minor subdominant's is the home tonic's major chord, so a middle's
half close leads straight back into the return."""
_DANGLING = {"a", "an", "and", "as", "but", "in", "into", "of", "or", "that", "the", "to", "which", "while", "with"}
_KEY_NAME = re.compile(r"(?:\b(?:in|into|to)\s+)?\b[A-Ga-g](?:#|b|♯|♭|-flat|-sharp)?\s+(?:major|minor)\b",
                       re.IGNORECASE)


def clean_words(text: str, limit: int, *, cut_off: bool = False) -> str:
    """`text` as plain words within `limit` characters: control and invisible characters removed,
    cut at a word boundary, without a dangling last word ("and", "that"). `cut_off`: the text
    filled its schema's limit, so its last word is a fragment and goes too."""
    text = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in text)
    words = re.sub(r"\s+([,;:.!?])", r"\1", " ".join(text.split())).split()
    if cut_off and len(words) > 1:
        words = words[:-1]
    while len(words) > 1 and len(" ".join(words)) > limit:
        words = words[:-1]
    while len(words) > 1 and words[-1].lower().strip(",;:") in _DANGLING:
        words = words[:-1]
    return " ".join(words).strip(" ,;:-")[:limit]


def clean_character(text: str) -> str:
    """A section's character in plain words without key names: the plan's keys are its own
    fields, and a character saying "in B major" over an E minor section misleads whoever reads it.
    A character as long as the schema allows was cut off there, so its last word is a fragment."""
    return clean_words(_KEY_NAME.sub(" ", text), CHARACTER_CHARS, cut_off=len(text) >= CHARACTER_CHARS)


def contrast_key(home: str, planned: KeyRelation, character: str, *, other_mode: bool = True,
                 keeps: tuple[KeyRelation, ...] = CONTRAST_KEYS) -> KeyRelation:
    """A contrasting section's key: the one its words' shade asks for (`SHADED_KEYS`); else the
    Composer's if it is one of `keeps`, else the mode's usual contrast (a major piece's dominant, a
    minor piece's relative major). Where the style keeps a middle out of the tonic's other mode
    (`StyleSpec.contrast_in_other_mode`), the relative key stands in for the parallel one: it is as
    dark or as bright against home, and one accidental from it, not three. Measured: twenty
    language-model waltzes of sixteen bars (session 54), whose words sent nine of their four-bar
    middles to the parallel key, struck a quarter of those middles' notes outside the home key (the
    relative minor's middles 13%, the relative major's none), where Beethoven's sixteen-bar
    triple-time openings strike a median 3% in all."""
    major = parse_key(home).mode is Mode.MAJOR
    shade = shade_named_in(character)
    if shade is not None:
        relation = SHADED_KEYS[major, shade]
    elif planned in keeps:
        relation = planned
    else:
        relation = "dominant" if major else "relative"
    return "relative" if relation == "parallel" and not other_mode else relation


def _source(drafts: Sequence[SectionDraft], role: SectionRole) -> SectionDraft | None:
    """The Composer's section a form's `role` draws on: the first, the first middle one, the last."""
    if not drafts:
        return None
    if role == "opening":
        return drafts[0]
    if role == "closing":
        return drafts[-1] if len(drafts) > 1 else None
    return drafts[1] if len(drafts) > 2 else None


def _shapes(form: Form, total: int) -> list[SectionShape]:
    """The form's sections, or its short form, or one section: as many as `total` has phrases."""
    phrases = total // PHRASE_BARS
    if phrases >= len(form.sections):
        return form.sections
    return form.short if phrases >= len(form.short) else [_ALONE]


def _returning(shape: SectionShape, source: SectionDraft | None) -> PlannedVariation | None:
    """The material `shape` brings back: the form's, or the Composer's literal return of the
    opening where the form returns it varied (A rather than A')."""
    planned = source.variation if source is not None else None
    if shape.returns is not None and shape.returns.of == "opening" and planned is not None \
            and planned.of == "opening" and planned.distance is VariationDistance.RESTATE:
        return planned
    return shape.returns


def _in_form(plan: Plan, form: Form, total: int) -> list[tuple[SectionDraft, SectionDraft | None]]:
    """The plan rebuilt in `form`, each section beside the Composer's section it came from (its
    share, character and, where the form leaves them open, its close and contrasting key)."""
    built = []
    for shape in _shapes(form, total):
        source = _source(plan.sections, shape.role)
        relation: KeyRelation = "home"
        if shape.key == "contrast":
            relation = contrast_key(plan.key, source.key_relation if source else "home",
                                    source.character if source else "",
                                    other_mode=style_spec(plan.style).contrast_in_other_mode)
        cadence = shape.cadence or (source.cadence if source and source.cadence in OPENING_CADENCES
                                    else Cadence.AUTHENTIC)
        returns = _returning(shape, source)
        restated = returns is not None and returns.of == "opening" and returns.distance is VariationDistance.RESTATE
        built.append((SectionDraft(label=shape.label.rstrip("'") if restated else shape.label,
                                   share=source.share if source and form.name != "strains" else 1,
                                   character=source.character if source else shape.character,
                                   key_relation=relation, cadence=cadence, variation=returns), source))
    return built


def _bounded(plan: Plan, total: int) -> list[tuple[SectionDraft, SectionDraft | None]]:
    """Free piano: the Composer's sections, no more than the length breathes in (the opening, the
    first middle ones and the closing one), home key at both ends, a middle away from home in the key
    its words' shade asks for (`contrast_key`), the opening on an authentic or a half close and the
    last on an authentic one."""
    drafts = list(plan.sections) or [SectionDraft(label="A", share=1, character="", key_relation="home",
                                                  cadence=Cadence.AUTHENTIC)]
    most = max_sections(total)
    if len(drafts) > most:
        drafts = drafts[:1] + drafts[1:-1][: max(0, most - 2)] + drafts[-1:] if most > 1 else drafts[:1]
    built: list[tuple[SectionDraft, SectionDraft | None]] = []
    for index, draft in enumerate(drafts):
        update: dict[str, object] = {}
        first, last = index == 0, index == len(drafts) - 1
        if (first or last) and draft.key_relation != "home":
            update["key_relation"] = "home"
        elif draft.key_relation != "home":
            update["key_relation"] = contrast_key(plan.key, draft.key_relation, draft.character,
                                                  other_mode=style_spec(plan.style).contrast_in_other_mode,
                                                  keeps=get_args(KeyRelation))
        allowed = (Cadence.AUTHENTIC,) if last else OPENING_CADENCES if first else tuple(Cadence)
        if draft.cadence not in allowed:
            update["cadence"] = Cadence.AUTHENTIC
        if first and draft.variation is not None:
            update["variation"] = None
        built.append((draft.model_copy(update=update), draft))
    return built


def _home_key_holds(drafts: list[SectionDraft], bars: list[int]) -> list[int]:
    """`bars` with no section in another key longer than the home key's shortest section, the bars
    it loses going to the closing section: a relative-minor middle planned twice as long as the
    rest is what the ear then takes for the key (measured: a 16-bar D major waltz with an 8-bar B
    minor middle sounds in B minor). Capped in bars, not shares, so rounding cannot undo it."""
    home = min(length for draft, length in zip(drafts, bars, strict=True) if draft.key_relation == "home")
    capped = [length if draft.key_relation == "home" else min(length, home)
              for draft, length in zip(drafts, bars, strict=True)]
    capped[-1] += sum(bars) - sum(capped)
    return capped


def _describe(draft: SectionDraft) -> str:
    returns = f", returns {draft.variation.of} ({draft.variation.distance})" if draft.variation else ""
    return f"{draft.label}: {draft.key_relation} key, {draft.cadence} close, share {draft.share}{returns}"


def _section_edits(edited: SectionDraft, source: SectionDraft | None) -> list[str]:
    """What the edit changed in one section, in short words for the report."""
    if source is None:
        return [f"{edited.label}: added by the form ({_describe(edited)})"]
    changed = []
    for name, word in (("key_relation", "key"), ("cadence", "close"), ("share", "share")):
        before, after = getattr(source, name), getattr(edited, name)
        if before != after:
            changed.append(f"{word} {after} (planned {before})")
    if source.variation != edited.variation:
        now = f"{edited.variation.of} ({edited.variation.distance})" if edited.variation else "nothing"
        was = f"{source.variation.of} ({source.variation.distance})" if source.variation else "nothing"
        changed.append(f"returns {now} (planned {was})")
    return [f"{edited.label}: " + "; ".join(changed)] if changed else []


def _meter_and_tempo(plan: Plan, facts: RequestFacts) -> tuple[str, int, list[str]]:
    """The plan's meter and tempo inside its style's own, unless the request fixed them (a Composer
    who chose the style freely may still pick a meter the style is not written in)."""
    spec = style_spec(plan.style)
    meter, tempo, edits = plan.meter, plan.tempo_bpm, []
    if facts.meter is None and meter not in spec.meters:
        meter = next((m for m in spec.meters if m in METERS), meter)
        edits.append(f"meter {meter} (planned {plan.meter}): the {spec.style}'s own")
    slowest, fastest, _ = spec.tempo
    if facts.tempo_bpm is None and not slowest <= tempo <= fastest:
        tempo = min(max(tempo, slowest), fastest)
        edits.append(f"tempo {tempo} (planned {plan.tempo_bpm}): the {spec.style}'s range is {slowest}-{fastest}")
    return meter, tempo, edits


def middles_kept(facts: RequestFacts) -> int:
    """The most middle sections of a plan for `facts` that `edit_plan` keeps: one where the style's
    form draws on the first middle section, none where the piece is too short for the form's middle,
    and for free piano as many as the length breathes in beside the opening and the closing. The
    plan schema asks for no more, so the Composer writes none that would be dropped (each ~45
    generated tokens). Where the Composer chooses the style, the most that any style keeps."""
    if facts.style is None:
        return max(middles_kept(facts.model_copy(update={"style": style})) for style in Style)
    total = facts.bars or DEFAULT_BARS
    form = STYLE_FORMS[facts.style]
    if form is None:
        return min(MAX_MIDDLE_SECTIONS, max(0, max_sections(total) - 2))
    return int(any(shape.role == "middle" for shape in _shapes(FORMS[form], total)))


def form_settles(facts: RequestFacts) -> dict[SectionRole, dict[str, Any]]:
    """The fields of the Composer's sections that `edit_plan` sets itself for `facts` whatever the
    Composer writes, with the values it sets (so the form's edits report no change there): every
    label; a close the form fixes (`SectionShape.cadence`); a middle's key unless it goes to the
    contrasting key; a variation unless the form may keep the Composer's literal return of the
    opening (`_returning`); the shares of strains (each strain one share); and every field of a
    section no part of the form draws on (a jig's closing section). The plan schema does not ask
    for them (`plan_schema`'s `settled`). Nothing is settled where the Composer picks the style or
    the style has no form (free piano): `_bounded` reads every field."""
    form_name = STYLE_FORMS[facts.style] if facts.style is not None else None
    if form_name is None:
        return {}
    form = FORMS[form_name]
    shapes = _shapes(form, facts.bars or DEFAULT_BARS)
    settled: dict[SectionRole, dict[str, Any]] = {}
    for role in ("opening", "middle", "closing"):
        drawing = [shape for shape in shapes if shape.role == role]
        first = drawing[0] if drawing else SectionShape(role=role, label=role, character=role,
                                                        cadence=Cadence.AUTHENTIC)
        values: dict[str, Any] = {"label": first.label}
        if not drawing:
            values["character"] = first.character
        if form.name == "strains" or not drawing:
            values["share"] = 1
        if all(shape.cadence is not None for shape in drawing):
            values["cadence"] = first.cadence
        if role == "middle" and not any(shape.key == "contrast" for shape in drawing):
            values["key_relation"] = "home"
        if role != "opening" and not any(shape.returns is not None and shape.returns.of == "opening"
                                         for shape in drawing):
            values["variation"] = None
        settled[role] = values
    return settled


def edit_plan(plan: Plan, facts: RequestFacts) -> Plan:
    """`plan` in its style's form (`STYLE_FORMS`), its sections' bars fitted to the request's length
    in whole phrases, its meter and tempo in the style's, its words cleaned and bounded, and
    `edits` saying what changed from the Composer's plan."""
    total = facts.bars or DEFAULT_BARS
    form = STYLE_FORMS[plan.style]
    cleaned = plan.model_copy(update={"sections": [section.model_copy(update={
        "label": clean_words(section.label, LABEL_CHARS) or "A",
        "character": clean_character(section.character)})
        for section in plan.sections]})
    words = [before.label for before, after in zip(plan.sections, cleaned.sections, strict=True)
             if (before.label, before.character) != (after.label, after.character)]
    built = _bounded(cleaned, total) if form is None else _in_form(cleaned, FORMS[form], total)
    drafts = [draft for draft, _ in built]
    fitted = fit_sections([draft.share for draft in drafts], total)
    bars = _home_key_holds(drafts, fitted)
    drafts = [draft.model_copy(update={"bars": length}) for draft, length in zip(drafts, bars, strict=True)]
    meter, tempo, edits = _meter_and_tempo(plan, facts)
    title = clean_words(plan.title, TITLE_CHARS) or "Untitled"
    if title != plan.title:
        edits.append("title cleaned")
    if words:
        edits.append(f"words cleaned in {', '.join(words)}")
    planned_labels = [section.label for section in plan.sections]
    relabelled = [draft.label for draft in drafts] != planned_labels
    if form is not None or relabelled:  # a styled piece's report always names its form (the labels are its own)
        planned = f" (planned {' '.join(planned_labels) or 'nothing'})" if relabelled else ""
        edits.append(f"form {form or 'free'}: {' '.join(d.label for d in drafts)}{planned}")
    for draft, (_, source) in zip(drafts, built, strict=True):
        edits += _section_edits(draft, source)
    edits += [f"{draft.label}: {length} bars, not {share_of} (no longer than the home key's sections)"
              for draft, length, share_of in zip(drafts, bars[:-1], fitted, strict=False) if length < share_of]
    return plan.model_copy(update={"title": title, "meter": meter, "tempo_bpm": tempo, "sections": drafts,
                                   "edits": plan.edits + edits})
