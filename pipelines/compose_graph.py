"""The composition-session LangGraph: plan -> realise (one section per step) -> validate ->
repair (best of several candidates, bounded) -> critique -> revise -> render; and on a later
turn, feedback -> realise -> ... -> render.

Every step is checkpointed (a SQLite checkpointer keyed by the session id), so a killed process
resumes at the step it was in, a failed tool leaves the session at the last good step, and a
session can be branched. The state (`ComposeState`) is plain typed data: the plan, the piece,
per-section seeds, temperatures and notes, the conversation, findings, tool calls and changes.
The nodes are module-level functions of the state and the session's `ComposeDeps` (the pipeline
shape of `pipelines.pipeline`), so each can be called alone.

Changes are carried out in `apply`: new seeds and temperatures, a new cadence, a variation of an
earlier section (`vary`), and, from a musician's feedback, a new length for a section (`resize`).
The musician's latest wish about length wins over the original request: the piece's
`length_bars` becomes the new total, so the validators check the piece against what was asked
last. A section that varies a rewritten section is rewritten after it, so a return stays a return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.composition_studio import LISTENER_CRITIC, THEORY_CRITIC, ChangeRequest, CompositionStudio, Plan
from agents.lm.adapter import Turn
from agents.lm.usage import CallRecord
from ontology.core import Finding, Location, Severity, at
from ontology.music import (
    MAX_BARS,
    Bar,
    Cadence,
    ChordEvent,
    Event,
    Part,
    Piece,
    Section,
    Variation,
    VariationDistance,
)
from ontology.music_drafts import (
    MAX_SECTION_BARS,
    RequestFacts,
    honour_length_wishes,
    in_drawn_meter,
    plan_to_piece,
    section_motions,
    with_drawn_meter,
)
from ontology.music_forms import edit_plan
from ontology.music_styles import reach_named_in, style_spec
from ontology.music_theory import parse_key, parse_meter
from ontology.music_validators import Role as MusicRole
from ontology.music_validators import validate_piece
from pipelines.pipeline import Progress, Update, bind, log_progress
from tools.files import write_atomically
from tools.music.analysis import describe_piece
from tools.music.listening import listen, listening_report
from tools.music.render import RenderedFiles, render_all
from tools.music.section_tools import (
    TUNE_DESCRIPTION,
    SectionRequest,
    SectionTools,
    ToolCall,
    VariationSource,
    sung_as_tune,
)
from tools.music.styles.pickup import cut_short, lead_in, lead_into
from tools.music.variations import opening_notes

BASE_TEMPERATURE = 1.0
FARTHER = {VariationDistance.RESTATE: VariationDistance.NEAR, VariationDistance.NEAR: VariationDistance.FAR,
           VariationDistance.FAR: VariationDistance.FAR}
"""What `more_variety` does to a variation: one step further from its source."""


class FormError(ValueError):
    """The piece's form cannot be realised as it stands (a variation whose source is not written)."""


class ComposeConfig(BaseModel):
    max_repair_rounds: int = Field(2, ge=0, le=6)
    repair_candidates: int = Field(3, ge=1, le=8, description="candidates generated per repaired section")
    repairs_per_warning: int = Field(1, ge=0, le=6, description="repairs of one warning in one section between "
                                                                "critiques or feedback turns (errors: every round)")
    critique: bool = Field(True, description="let the critics listen to the first draft")
    audio: bool = Field(True, description="render a WAV with FluidSynth")


# --- the state ---------------------------------------------------------------------------------

Reason = Literal["validation", "critique", "feedback"]


class Material(BaseModel):
    """The notes a section was written with (harmony bars count from the section's first bar)."""

    right: list[Bar]
    left: list[Bar]
    harmony: list[ChordEvent]
    tune: list[Bar] = Field(default_factory=list, description=TUNE_DESCRIPTION)


class SectionParams(BaseModel):
    """How a section is written next (seed, temperature, candidates to choose from) and the notes
    it was last written with: None until it is written, and again once a change asks for a rewrite."""

    seed: int
    temperature: float = BASE_TEMPERATURE
    candidates: int = 1
    material: Material | None = None
    incumbent: Material | None = Field(None, description="the notes a repair replaces: its candidates must do "
                                                         "better than these, or these stay")


class Change(ChangeRequest):
    """A change as it was carried out, for the report: why (and which critic asked), and what was
    done where it differs from what was asked (a length limited, a variation of another section)."""

    reason: Reason
    critic: str | None = None
    bars_before: int | None = Field(None, description="the section's length before a new one was set")
    note: str | None = Field(None, description="how the change differs from the request")


class Run(BaseModel):
    """One command on the session (start, continue, resume) and what it cost: its model calls one
    by one, since a call's seconds go mostly to the prompt tokens the KV cache did not hold."""

    command: str
    wall_s: float
    model_calls: int
    prompt_tokens: int
    cached_prompt_tokens: int = Field(0, description="prompt tokens found in the embedded model's KV cache")
    completion_tokens: int
    calls: list[CallRecord] = Field(default_factory=list, description="each model call, in order")


class ComposeState(BaseModel):
    """Everything a session is, as the checkpointer stores it after every step."""

    facts: RequestFacts
    seed: int = 0
    transcript: list[Turn] = Field(default_factory=list, description="the agents' conversation so far")
    plan: Plan | None = None
    piece: Piece | None = Field(None, description="the form, keys and cadences; the notes live in `sections`")
    sections: dict[str, SectionParams] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list, description="the latest validation's findings")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    critiqued: bool = False
    repair_rounds: int = Field(0, description="repair rounds since the last critique or feedback")
    repairs: dict[str, int] = Field(default_factory=dict, description="repairs per warning and section since the "
                                                                      "last critique or feedback (`repair_key`)")
    feedback: list[str] = Field(default_factory=list, description="the musician's turns so far")
    pending_feedback: str | None = None
    version: int = Field(0, description="the number of the last rendered version")
    rendered: RenderedFiles | None = None
    runs: list[Run] = Field(default_factory=list)
    branched_from: str | None = None

    def planned(self) -> tuple[Plan, Piece]:
        """The plan and the piece it describes; every step after `plan` has them (`route_start`
        sees to it)."""
        if self.plan is None or self.piece is None:
            raise FormError("the session has no plan yet; it starts with the plan step")
        return self.plan, self.piece


@dataclass(frozen=True)
class ComposeDeps:
    """What the nodes use besides the state; the language model comes from `dspy.context`."""

    tools: SectionTools
    out_dir: Callable[[int], Path] = field(repr=False)
    """Where rendered version N goes."""
    config: ComposeConfig = field(default_factory=ComposeConfig)
    progress: Progress = log_progress


# --- what the nodes share ----------------------------------------------------------------------

PART_IDS = ("upper", "lower")
"""The staves a section writes: the right hand (or a chorale's soprano and alto, or a tune), and
the left hand (or tenor and bass); a style written on one staff has no lower part."""


def assemble(piece: Piece, sections: dict[str, SectionParams]) -> Piece:
    """The piece with every written section's bars and harmony in place (unwritten ones empty), one
    part per instrument of the piece's style; where its line breathes after a section's close and the
    next section is written, the breath's last beat leads into it (`pickup.lead_into`)."""
    right: list[Bar] = []
    left: list[Bar] = []
    harmony: list[ChordEvent] = []
    spec = style_spec(piece.style)
    closing = None
    for section, first, _ in piece.section_spans():
        material = sections[section.id].material
        if material is None:
            continue
        if closing is not None and spec.melody.breath and len(right) == first - 1 and right and material.right:
            under = (left[-1], material.left[0]) if len(left) == first - 1 and left and material.left else None
            right[-1] = lead_into(right[-1], material.right[0], parse_meter(piece.meter).beat_quarters,
                                  parse_key(section.key or piece.key), (spec.melody.lowest, spec.melody.highest),
                                  under, parse_key(closing.key or piece.key))
        right += material.right
        left += material.left
        harmony += [chord.model_copy(update={"bar": chord.bar + first - 1}) for chord in material.harmony]
        closing = section
    staves = (right, left)
    parts = [Part(id=PART_IDS[index], instrument=instrument.id, bars=staves[index])
             for index, instrument in enumerate(piece.instruments[:2])]
    return piece.model_copy(update={"parts": with_pickup(piece, parts), "harmony": harmony})


def bars_before(piece: Piece, sections: dict[str, SectionParams], first: int) -> tuple[list[Bar], list[Bar]]:
    """The upper and lower staves' last two bars before bar `first` (counted from 1), as the section
    starting there continues them: the upper staff's first voice the tune where a section carries
    one (`Material.tune`), since a chorale's soprano figures are not the tune the piano model should
    continue, nor figures for the next section to decorate again."""
    parts = assemble(piece, sections).parts
    tunes: list[Bar] = []
    for section, _, _ in piece.section_spans():
        material = sections[section.id].material
        if material is not None:
            tunes += material.tune if len(material.tune) == len(material.right) else material.right
    recent = slice(max(0, first - 3), first - 1)
    upper = parts[0].bars[recent] if parts else []
    return sung_as_tune(upper, tunes[recent]), parts[1].bars[recent] if len(parts) > 1 else []


def with_pickup(piece: Piece, parts: list[Part]) -> list[Part]:
    """`parts` with the piece's pickup: the first part's line led into from the pickup bar (the other
    parts rest through it) once its first bar is written, and every part's last bar short by as much
    once the whole piece is."""
    if not piece.pickup or not parts or not parts[0].bars:
        return parts
    opening = piece.sections[0]
    spec = style_spec(piece.style)
    lead = lead_in(parts[0].bars[0], piece.pickup, parse_key(opening.key or piece.key),
                   (spec.melody.lowest, spec.melody.highest))
    rest = Bar(voices=[[Event(duration=piece.pickup)]])
    finished = []
    for index, part in enumerate(parts):
        bars = part.bars
        if len(bars) == piece.total_bars:
            bars = [*bars[:-1], cut_short(bars[-1], piece.pickup)]
        finished.append(part.model_copy(update={"bars": bars, "pickup_bar": lead if index == 0 else rest}))
    return finished


def drafted(state: ComposeState) -> Piece:
    """The piece as far as it is written."""
    _, piece = state.planned()
    return assemble(piece, state.sections)


def check_piece(piece: Piece) -> list[Finding]:
    """The ontology's findings, then the listening ones (`tools.music.listening`), errors first."""
    findings = validate_piece(piece) + listen(piece)
    return sorted(findings, key=lambda finding: finding.severity is not Severity.ERROR)


def _section_findings(findings: list[Finding], piece: Piece) -> dict[str, list[Finding]]:
    """Findings the tools can act on, grouped by the section whose bars they are in."""
    spans = piece.section_spans()
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.owner == MusicRole.COMPOSER or finding.severity is Severity.INFO:
            continue
        bar = _bar_of(finding.location, piece)
        for index, (section, first, last) in enumerate(spans):
            whole_section = finding.location == at("sections", index)
            if (bar is None and whole_section) or (bar is not None and first <= bar <= last):
                grouped.setdefault(section.id, []).append(finding)
    return grouped


def _bar_of(location: Location, piece: Piece) -> int | None:
    """The bar (1-based) a finding is in: a bar of a part, or the bar of a chord symbol."""
    if location.part == "parts" and location.field == "bars" and location.item is not None:
        return location.item + 1
    if location.part == "harmony" and location.index is not None:
        return piece.harmony[location.index].bar
    return None


def actionable(state: ComposeState) -> dict[str, list[Finding]]:
    """The latest findings the tools can act on, by section."""
    return _section_findings(state.findings, drafted(state))


def repair_key(section_id: str, finding: Finding) -> str:
    """How `ComposeState.repairs` counts the repairs of one finding in one section."""
    return f"{section_id}/{finding.code}"


def repairable(state: ComposeState, config: ComposeConfig) -> dict[str, list[Finding]]:
    """The sections a repair may still rewrite, with their findings: those with an error, or with a
    warning repaired fewer than `repairs_per_warning` times. A warning that rewrites do not fix (an
    inner cadence the tools keep missing) is left for the critics rather than re-rolled every round."""
    def open_(section_id: str, finding: Finding) -> bool:
        return (finding.severity is Severity.ERROR
                or state.repairs.get(repair_key(section_id, finding), 0) < config.repairs_per_warning)

    return {section_id: findings for section_id, findings in actionable(state).items()
            if any(open_(section_id, finding) for finding in findings)}


def studio(state: ComposeState) -> CompositionStudio:
    """The session's agents, resumed from the conversation so far, told the request's facts and the
    meter drawn for the session where the request names none (`with_drawn_meter`)."""
    return CompositionStudio(with_drawn_meter(state.facts, state.seed), transcript=list(state.transcript))


def variation_source(piece: Piece, section: Section, sections: dict[str, SectionParams]) -> VariationSource | None:
    """What the tools need to vary `section`'s source: its key and the notes it was written with."""
    if section.variation is None:
        return None
    source = next((s for s in piece.sections if s.id == section.variation.of), None)
    params = sections.get(section.variation.of)
    material = params.material if params is not None else None
    if source is None or material is None:
        raise FormError(f"section {section.id} varies {section.variation.of!r}, which is not an earlier, written "
                        "section; plan variations of earlier sections only")
    return VariationSource(section=source.id, key=source.key or piece.key, distance=section.variation.distance,
                           right=material.right, left=material.left, tune=material.tune)


def _following(piece: Piece, section: Section) -> Section | None:
    """The section after `section` (None after the last)."""
    after = [s.id for s in piece.sections].index(section.id) + 1
    return piece.sections[after] if after < len(piece.sections) else None


def return_openings(piece: Piece, section: Section, sections: dict[str, SectionParams]) -> list[int]:
    """The top notes the section after `section` may begin on, where it varies another section already
    written (a return): the section is led to close near them (`SectionRequest.leads_to`); none where
    no return follows."""
    following = _following(piece, section)
    if following is None or following.variation is None or following.variation.of == section.id:
        return []
    params = sections.get(following.variation.of)
    if params is None or params.material is None:
        return []
    source = variation_source(piece, following, sections)
    assert source is not None
    return opening_notes(source, parse_key(following.key or piece.key), following.bars, style_spec(piece.style))


def leads_back(piece: Piece, section: Section) -> bool:
    """Whether the section after `section` varies `section` itself (a strain's repeat), so that it
    begins on notes `section` has yet to write (`SectionRequest.leads_back`)."""
    following = _following(piece, section)
    return following is not None and following.variation is not None and following.variation.of == section.id


def vary(section: Section, change: Change, order: list[str]) -> Change:
    """Make `section` a variation of the section `change` names (or of what it varied, or of the
    opening) and say what was done: only an earlier section can be varied, so another choice falls
    back to the opening."""
    earlier = order[: order.index(section.id)]
    if not earlier:
        return change.model_copy(update={
            "variation_of": None, "note": "the first section has nothing earlier to vary; rewritten instead"})
    named = change.variation_of
    fallback = section.variation.of if section.variation and section.variation.of in earlier else earlier[0]
    source = named if named in earlier else fallback
    distance = section.variation.distance if section.variation else VariationDistance.NEAR
    section.variation = Variation(of=source, distance=distance)
    note = None if named in (None, source) else f"{named} is not before {section.id}; varied {source}"
    return change.model_copy(update={"variation_of": source, "note": note})


def recadence(piece: Piece, section: Section, change: Change) -> Change:
    """Give `section` the cadence `change` asks for, unless it is the last section and the asker may
    not end the piece that way: anyone may ask for the authentic close, only the musician for a
    plagal one, nobody for a half or deceptive one (it would leave the piece unfinished). Say what
    was done."""
    wanted = Cadence(change.cadence) if change.cadence else None
    last = section.id == piece.sections[-1].id
    ends = wanted is Cadence.AUTHENTIC or (wanted is Cadence.PLAGAL and change.reason == "feedback")
    if wanted is None or (last and not ends):
        return change.model_copy(update={"note": f"the last section keeps its {section.cadence} close; "
                                                 f"a {wanted} cadence would not end the piece"})
    section.cadence = wanted
    return change


def resize(piece: Piece, section: Section, change: Change) -> Change:
    """Give `section` the length `change` asks for, within what the tools write and the piece may
    hold, and say so."""
    wanted = change.bars or section.bars
    others = piece.total_bars - section.bars
    allowed = min(wanted, MAX_SECTION_BARS, MAX_BARS - others)
    update: dict[str, Any] = {"bars": allowed, "bars_before": section.bars}
    if allowed != wanted:
        update["note"] = f"limited to {allowed} bars (sections up to {MAX_SECTION_BARS}, pieces up to {MAX_BARS})"
    section.bars = allowed
    return change.model_copy(update=update)


def rewrite(params: SectionParams, action: str, reason: Reason, config: ComposeConfig) -> SectionParams:
    """`params` set to write the section anew: a new seed, no notes, and several candidates to
    choose from where the rewrite must fix something (a regeneration, a cadence, a finding). A
    repair keeps the notes it replaces as the incumbent its candidates must beat; a critic's or the
    musician's change asks for different notes, so it keeps none."""
    fixes = action in ("regenerate", "strengthen_cadence") or reason == "validation"
    return params.model_copy(update={"seed": params.seed + 1000, "material": None,
                                     "incumbent": params.material if reason == "validation" else None,
                                     "candidates": config.repair_candidates if fixes else 1})


def apply(state: ComposeState, changes: list[Change], deps: ComposeDeps) -> Update:
    """Carry out `changes` on the plan and the sections' parameters (the notes are written by the
    `realise` steps that follow), then rewrite every variation of a rewritten section."""
    piece = state.planned()[1].model_copy(deep=True)  # its sections are changed in place below
    length_before = piece.total_bars
    sections = dict(state.sections)
    by_id = {section.id: section for section in piece.sections}
    order = [section.id for section in piece.sections]
    done: list[Change] = []
    rewritten: dict[str, Reason] = {}
    for change in changes:
        section = by_id[change.section]
        params = sections[section.id]
        if change.action == "vary":
            change = vary(section, change, order)
        elif change.action == "more_variety" and section.variation is not None:
            section.variation.distance = FARTHER[section.variation.distance]
        if change.action == "more_variety":
            params = params.model_copy(update={"temperature": min(1.4, params.temperature + 0.15)})
        elif change.action == "simpler":
            params = params.model_copy(update={"temperature": max(0.6, params.temperature - 0.15)})
        if change.cadence:
            change = recadence(piece, section, change)
        if change.bars:
            change = resize(piece, section, change)
        sections[section.id] = rewrite(params, change.action, change.reason, deps.config)
        rewritten[section.id] = change.reason
        done.append(change)
    for section in piece.sections:  # in order, so a variation of a variation follows as well
        if section.variation and section.variation.of in rewritten and section.id not in rewritten:
            reason = rewritten[section.variation.of]
            sections[section.id] = rewrite(sections[section.id], "vary", reason, deps.config)
            rewritten[section.id] = reason
            done.append(Change(section=section.id, problem=f"varies {section.variation.of}, which changed",
                               action="vary", variation_of=section.variation.of, reason=reason))
    if piece.total_bars != length_before:
        piece.length_bars = piece.total_bars  # the musician's latest wish about length wins
        deps.progress(f"Composer: the piece is now {piece.total_bars} bars (was {length_before})")
    return {"sections": sections, "piece": piece, "changes": state.changes + done}


def describe_form(piece: Piece) -> str:
    """The analysis the critics and the Composer read, with the variations the notes cannot show and
    what listening to the draft measured against its style."""
    returns = [f"section {s.id} is a {s.variation.distance} variation of section {s.variation.of}"
               for s in piece.sections if s.variation is not None]
    return "\n".join([describe_piece(piece, listened=True), *returns, listening_report(piece)])


# --- routers -----------------------------------------------------------------------------------

def route_start(state: ComposeState, deps: ComposeDeps) -> str:
    """A new session plans; a feedback turn reads the feedback; a resumed one goes on writing."""
    if state.plan is None:
        return "plan"
    if state.pending_feedback:
        return "feedback"
    return write_or_check(state, deps)


def write_or_check(state: ComposeState, deps: ComposeDeps) -> str:
    """Write the next section that has no notes, or validate once every section has some."""
    return "realise" if any(params.material is None for params in state.sections.values()) else "validate"


def route_after_validate(state: ComposeState, deps: ComposeDeps) -> str:
    """Repair while there are findings and rounds left; then let the critics listen once; then render."""
    if repairable(state, deps.config) and state.repair_rounds < deps.config.max_repair_rounds:
        return "repair"
    return "render" if state.critiqued else "critique"


# --- nodes -------------------------------------------------------------------------------------

def plan(state: ComposeState, deps: ComposeDeps) -> Update:
    """The Composer plans; the plan is edited into its style's form (`edit_plan`, which says what it
    changed); each section gets its seed and no notes yet."""
    deps.progress("Composer: planning the form and key scheme")
    agents = studio(state)
    if agents.facts.meter != state.facts.meter:
        deps.progress(f"Meter: {agents.facts.meter}, drawn as the {agents.facts.style}'s references are "
                      "(the request names none)")
    planned = agents.plan()
    drafted_plan = edit_plan(in_drawn_meter(planned, state.facts, state.seed), agents.facts)
    if drafted_plan.meter != planned.meter and state.facts.style is None:
        deps.progress(f"Meter: {drafted_plan.meter}, drawn as the {drafted_plan.style}'s references are "
                      f"(the Composer wrote its usual {planned.meter})")
    if drafted_plan.edits:
        deps.progress(f"Form: {len(drafted_plan.edits)} edits put the plan into its style's form "
                      f"({drafted_plan.edits[0]}{', ...' if len(drafted_plan.edits) > 1 else ''})")
    piece = plan_to_piece(drafted_plan)
    sections = {section.id: SectionParams(seed=state.seed * 1000 + index * 101)
                for index, section in enumerate(piece.sections)}
    return {"plan": drafted_plan, "piece": piece, "sections": sections, "transcript": agents.transcript,
            "tool_calls": [], "changes": [], "findings": [], "critiqued": not deps.config.critique,
            "repair_rounds": 0, "repairs": {}, "feedback": [], "pending_feedback": None, "version": 0,
            "rendered": None}


def realise(state: ComposeState, deps: ComposeDeps) -> Update:
    """Write the first section that has no notes yet (one checkpointed step per section), keeping
    the best of its candidates by the validators' findings in that section. A repaired section's
    incumbent (the notes it had) stays unless a candidate has fewer findings; then the warnings it
    still has count as repaired to the budget, so a repair that made nothing better is not re-rolled,
    and a later section that varies this one keeps its own incumbent. Once a candidate wins, the
    sections varying this one must follow the new notes and lose theirs."""
    plan, piece = state.planned()
    spans = piece.section_spans()
    section, first, last = next(span for span in spans if state.sections[span[0].id].material is None)
    motion, reach = section_motions(plan, state.facts.text).get(section.id), reach_named_in(state.facts.text)
    params = state.sections[section.id]
    previous = bars_before(piece, state.sections, first)
    variation = variation_source(piece, section, state.sections)
    leads_to, back = return_openings(piece, section, state.sections), leads_back(piece, section)
    deps.progress(f"Tools: writing section {section.label} ({section.bars} bars, {section.key or piece.key}"
                  + (f", a {variation.distance} variation of {variation.section}" if variation else "")
                  + (f", best of {params.candidates}" if params.candidates > 1 else "") + ")")
    def heard(material: Material) -> list[Finding]:
        trial = assemble(piece, {**state.sections, section.id: params.model_copy(update={"material": material})})
        return _section_findings(check_piece(trial), trial).get(section.id, [])

    def score(findings: list[Finding]) -> tuple[int, int]:
        return sum(f.severity is Severity.ERROR for f in findings), len(findings)

    best, best_findings = params.incumbent, heard(params.incumbent) if params.incumbent is not None else []
    best_score = score(best_findings) if best is not None else None
    calls: list[ToolCall] = []
    for candidate in range(params.candidates):
        request = SectionRequest(bars=section.bars, key=section.key or piece.key, meter=piece.meter,
                                 style=piece.style, cadence=section.cadence,
                                 seed=params.seed + candidate, piece_seed=state.seed, temperature=params.temperature,
                                 motion=motion, reach=reach,
                                 previous_right=previous[0], previous_left=previous[1], variation=variation,
                                 leads_to=leads_to, leads_back=back,
                                 place=((first - 1) / spans[-1][2], last / spans[-1][2]))
        written = deps.tools.realise(request)
        calls += written.calls
        material = Material(right=written.right, left=written.left, harmony=written.harmony, tune=written.tune)
        findings = heard(material)
        if best_score is None or score(findings) < best_score:
            best, best_findings, best_score = material, findings, score(findings)
    sections = {**state.sections, section.id: params.model_copy(update={"material": best, "candidates": 1,
                                                                        "incumbent": None})}
    repairs = dict(state.repairs)
    if params.incumbent is not None and best is params.incumbent:
        deps.progress(f"Tools: section {section.label} keeps its notes; no candidate had fewer findings")
        repairs.update({repair_key(section.id, f): deps.config.repairs_per_warning for f in best_findings
                        if f.severity is not Severity.ERROR})
    else:
        sections.update({other.id: sections[other.id].model_copy(update={"incumbent": None})
                         for other in piece.sections if other.variation and other.variation.of == section.id})
    return {"sections": sections, "tool_calls": state.tool_calls + calls, "repairs": repairs}


def validate(state: ComposeState, deps: ComposeDeps) -> Update:
    deps.progress("Validators: checking ranges, bars, harmony and cadences, and listening to the draft")
    return {"findings": check_piece(drafted(state))}


def repair(state: ComposeState, deps: ComposeDeps) -> Update:
    """Rewrite each section with findings left to repair (`repairable`), best of several candidates
    against the notes it has (a missed cadence: strengthened), counting each warning's repairs."""
    changes = []
    repairs = dict(state.repairs)
    for section_id, findings in repairable(state, deps.config).items():
        cadence = any(f.code in ("cadence_not_realised", "cadence_not_heard") for f in findings)
        changes.append(Change(section=section_id, problem="; ".join(f.message for f in findings)[:300],
                              action="strengthen_cadence" if cadence else "regenerate", reason="validation"))
        for key in {repair_key(section_id, f) for f in findings if f.severity is not Severity.ERROR}:
            repairs[key] = repairs.get(key, 0) + 1
        deps.progress(f"Repair: section {section_id} ({len(findings)} findings)")
    return {**apply(state, changes, deps), "repair_rounds": state.repair_rounds + 1, "repairs": repairs}


def critique(state: ComposeState, deps: ComposeDeps) -> Update:
    """The two critics listen to the first draft; one change per section is carried out."""
    piece = drafted(state)
    analysis, ids = describe_form(piece), [s.id for s in piece.sections]
    agents = studio(state)
    changes = []
    for critic in (THEORY_CRITIC, LISTENER_CRITIC):
        deps.progress(f"{critic.name}: listening to the draft")
        changes += [Change(**request.model_dump(), reason="critique", critic=critic.name)
                    for request in agents.critique(critic, analysis, ids)]
    unique = list({change.section: change for change in changes}.values())  # one change per section
    return {**apply(state, unique, deps), "critiqued": True, "transcript": agents.transcript, "repair_rounds": 0,
            "repairs": {}}


def feedback(state: ComposeState, deps: ComposeDeps) -> Update:
    """The Composer turns the musician's feedback into section changes (explicit length wishes kept)."""
    text = state.pending_feedback or ""
    deps.progress("Composer: reading your feedback")
    piece = drafted(state)
    agents = studio(state)
    requests, tempo = agents.revise(text, describe_form(piece), [s.id for s in piece.sections])
    honoured = honour_length_wishes([request.model_dump() for request in requests], text, piece.sections)
    update = apply(state, [Change(**request, reason="feedback") for request in honoured], deps)
    if tempo:
        update["piece"].tempo_bpm = tempo  # the piece `apply` made for this update
    return {**update, "transcript": agents.transcript, "feedback": state.feedback + [text],
            "pending_feedback": None, "repair_rounds": 0, "repairs": {}, "critiqued": True}


def render(state: ComposeState, deps: ComposeDeps) -> Update:
    """Write the next version's files and the piece it is."""
    version = state.version + 1
    folder = deps.out_dir(version)
    deps.progress(f"Rendering version {version} into {folder}")
    piece = drafted(state)
    files = render_all(piece, folder, audio=deps.config.audio)
    write_atomically(folder, {"piece.json": piece.model_dump_json(indent=2)})
    return {"version": version, "rendered": files}


def build_graph(deps: ComposeDeps, checkpointer: Any = None) -> Any:
    """Compile the session graph over `deps`."""
    graph = StateGraph(ComposeState)
    for node in (plan, realise, validate, repair, critique, feedback, render):
        graph.add_node(node.__name__, bind(node, deps))
    graph.add_conditional_edges(START, bind(route_start, deps), ["plan", "feedback", "realise", "validate"])
    graph.add_edge("plan", "realise")
    graph.add_conditional_edges("realise", bind(write_or_check, deps), ["realise", "validate"])
    graph.add_conditional_edges("validate", bind(route_after_validate, deps), ["repair", "critique", "render"])
    for name in ("repair", "critique", "feedback"):
        graph.add_conditional_edges(name, bind(write_or_check, deps), ["realise", "validate"])
    graph.add_edge("render", END)
    return graph.compile(checkpointer=checkpointer)
