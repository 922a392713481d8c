"""The composition-session LangGraph: plan -> realise (one section per step) -> validate ->
repair (best of several candidates, bounded) -> critique -> revise -> render; and on a later
turn, feedback -> realise -> ... -> render.

Every step is checkpointed (a SQLite checkpointer keyed by the session id), so a killed process
resumes at the step it was in, a failed tool leaves the session at the last good step, and a
session can be branched. The state holds plain data only: the plan, the piece, per-section
seeds and temperatures, the conversation, findings, tool calls and changes.

Changes are carried out in `apply`: new seeds and temperatures, a new cadence, a variation of an
earlier section (`vary`), and, from a musician's feedback, a new length for a section. The
musician's latest wish about length wins over the original request: the piece's `length_bars`
becomes the new total, so the validators check the piece against what was asked last. A section
that varies a rewritten section is rewritten after it, so a return stays a return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.composition_studio import LISTENER_CRITIC, THEORY_CRITIC, CompositionStudio
from agents.lm.adapter import Turn
from ontology.core import Finding, Location, Severity, at
from ontology.music import MAX_BARS, Bar, Cadence, ChordEvent, Part, Piece, Section, Variation, VariationDistance
from ontology.music_drafts import MAX_SECTION_BARS, RequestFacts, honour_length_wishes, plan_to_piece
from ontology.music_validators import Role as MusicRole
from ontology.music_validators import validate_piece
from tools.files import write_atomically
from tools.music.analysis import describe_piece
from tools.music.section_tools import SectionRequest, SectionTools, VariationSource

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]

BASE_TEMPERATURE = 1.0
FARTHER = {VariationDistance.RESTATE: VariationDistance.NEAR, VariationDistance.NEAR: VariationDistance.FAR,
           VariationDistance.FAR: VariationDistance.FAR}
"""What `more_variety` does to a variation: one step further from its source."""


class FormError(ValueError):
    """The piece's form cannot be realised as it stands (a variation whose source is not written)."""


class ComposeConfig(BaseModel):
    max_repair_rounds: int = Field(2, ge=0, le=6)
    repair_candidates: int = Field(3, ge=1, le=8, description="candidates generated per repaired section")
    critique: bool = Field(True, description="let the critics listen to the first draft")
    audio: bool = Field(True, description="render a WAV with FluidSynth")


class ComposeState(TypedDict, total=False):
    facts: dict[str, Any]
    seed: int
    transcript: list[dict[str, str]]
    plan: dict[str, Any] | None
    piece: dict[str, Any] | None
    sections: dict[str, dict[str, Any]]
    findings: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    critiqued: bool
    repair_rounds: int
    feedback: list[str]
    pending_feedback: str | None
    version: int
    rendered: dict[str, str] | None
    runs: list[dict[str, Any]]
    branched_from: str | None


def assemble(piece: Piece, sections: dict[str, dict[str, Any]]) -> Piece:
    """The piece with every realised section's bars and harmony in place (unrealised ones empty)."""
    right, left, harmony = [], [], []
    for section, first, _ in piece.section_spans():
        material = sections[section.id].get("material")
        if material is None:
            continue
        right += [Bar.model_validate(bar) for bar in material["right"]]
        left += [Bar.model_validate(bar) for bar in material["left"]]
        harmony += [ChordEvent.model_validate({**chord, "bar": chord["bar"] + first - 1})
                    for chord in material["harmony"]]
    return piece.model_copy(update={
        "parts": [Part(id="right_hand", instrument="piano_right", bars=right),
                  Part(id="left_hand", instrument="piano_left", bars=left)],
        "harmony": harmony,
    })


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


def variation_source(piece: Piece, section: Section, sections: dict[str, dict[str, Any]]) -> VariationSource | None:
    """What the tools need to vary `section`'s source: its key and the notes it was written with."""
    if section.variation is None:
        return None
    source = next((s for s in piece.sections if s.id == section.variation.of), None)
    material = sections.get(section.variation.of, {}).get("material")
    if source is None or material is None:
        raise FormError(f"section {section.id} varies {section.variation.of!r}, which is not an earlier, written "
                        "section; plan variations of earlier sections only")
    return VariationSource(section=source.id, key=source.key or piece.key, distance=section.variation.distance,
                           right=material["right"], left=material["left"])


def vary(section: Section, named: str | None, order: list[str]) -> dict[str, Any]:
    """Make `section` a variation of `named` (or of what it varied, or of the opening) and say what was
    done: only an earlier section can be varied, so another choice falls back to the opening."""
    earlier = order[: order.index(section.id)]
    if not earlier:
        return {"variation_of": None, "note": "the first section has nothing earlier to vary; rewritten instead"}
    fallback = section.variation.of if section.variation and section.variation.of in earlier else earlier[0]
    source = named if named in earlier else fallback
    distance = section.variation.distance if section.variation else VariationDistance.NEAR
    section.variation = Variation(of=source, distance=distance)
    note = {} if named in (None, source) else {"note": f"{named} is not before {section.id}; varied {source}"}
    return {"variation_of": source, **note}


def resize(piece: Piece, section: Section, bars: int) -> dict[str, Any]:
    """Give `section` a new length, within what the tools write and the piece may hold, and say so."""
    others = piece.total_bars - section.bars
    allowed = min(bars, MAX_SECTION_BARS, MAX_BARS - others)
    record: dict[str, Any] = {"bars": allowed, "bars_before": section.bars}
    if allowed != bars:
        record["note"] = f"limited to {allowed} bars (sections up to {MAX_SECTION_BARS}, pieces up to {MAX_BARS})"
    section.bars = allowed
    return record


def describe_form(piece: Piece) -> str:
    """The analysis the critics and the Composer read, with the variations the notes cannot show."""
    returns = [f"section {s.id} is a {s.variation.distance} variation of section {s.variation.of}"
               for s in piece.sections if s.variation is not None]
    return "\n".join([describe_piece(piece), *returns])


def build_graph(tools: SectionTools, out_dir: Callable[[int], Path], config: ComposeConfig | None = None,
                progress: Progress | None = None, checkpointer: Any = None):
    """Compile the session graph. `out_dir(version)` is where each rendered version goes."""
    config = config or ComposeConfig()
    say = progress or (lambda message: logger.info(message))

    def studio(state: ComposeState) -> CompositionStudio:
        return CompositionStudio(RequestFacts.model_validate(state["facts"]),
                                 transcript=[Turn.model_validate(t) for t in state.get("transcript", [])])

    def saved(agents: CompositionStudio) -> list[dict[str, str]]:
        return [turn.model_dump() for turn in agents.transcript]

    def piece_of(state: ComposeState) -> Piece:
        return Piece.model_validate(state["piece"])

    def route_start(state: ComposeState) -> str:
        if not state.get("plan"):
            return "plan"
        if state.get("pending_feedback"):
            return "feedback"
        return write_or_check(state)

    def plan(state: ComposeState) -> dict[str, Any]:
        say("Composer: planning the form and key scheme")
        agents = studio(state)
        drafted = agents.plan()
        piece = plan_to_piece(drafted, agents.facts)
        seed = state.get("seed", 0)
        sections = {section.id: {"seed": seed * 1000 + index * 101, "temperature": BASE_TEMPERATURE,
                                 "candidates": 1, "material": None}
                    for index, section in enumerate(piece.sections)}
        return {"plan": drafted, "piece": piece.model_dump(mode="json"),
                "sections": sections, "transcript": saved(agents), "tool_calls": [], "changes": [],
                "findings": [], "critiqued": not config.critique, "repair_rounds": 0, "feedback": [],
                "pending_feedback": None, "version": 0, "rendered": None}

    def realise(state: ComposeState) -> dict[str, Any]:
        """Write the first section that has no material yet (one checkpointed step per section)."""
        piece = piece_of(state)
        sections = {sid: dict(params) for sid, params in state["sections"].items()}
        spans = piece.section_spans()
        index = next(i for i, (section, _, _) in enumerate(spans) if not sections[section.id].get("material"))
        section, first, _ = spans[index]
        params = sections[section.id]
        so_far = assemble(piece, sections)
        recent = slice(max(0, first - 3), first - 1)
        previous = (so_far.parts[0].bars[recent], so_far.parts[1].bars[recent])
        variation = variation_source(piece, section, sections)
        say(f"Tools: writing section {section.label} ({section.bars} bars, {section.key or piece.key}"
            + (f", a {variation.distance} variation of {variation.section}" if variation else "")
            + (f", best of {params['candidates']}" if params["candidates"] > 1 else "") + ")")
        best, best_score, calls = None, None, []
        for candidate in range(params["candidates"]):
            request = SectionRequest(bars=section.bars, key=section.key or piece.key, meter=piece.meter,
                                     texture=state["plan"]["texture"], cadence=section.cadence,
                                     seed=params["seed"] + candidate, temperature=params["temperature"],
                                     previous_right=previous[0], previous_left=previous[1], variation=variation)
            material = tools.realise(request)
            calls += [call.model_dump(mode="json") for call in material.calls]
            trial = {**sections, section.id: {**params, "material": material.model_dump(mode="json",
                                                                                        exclude={"calls"})}}
            drafted = assemble(piece, trial)
            findings = _section_findings(validate_piece(drafted), drafted).get(section.id, [])
            score = (sum(f.severity is Severity.ERROR for f in findings), len(findings))
            if best_score is None or score < best_score:
                best, best_score = trial[section.id]["material"], score
        sections[section.id] = {**params, "material": best, "candidates": 1}
        return {"sections": sections, "tool_calls": state["tool_calls"] + calls}

    def write_or_check(state: ComposeState) -> str:
        """Write the next section that has no material, or validate once every section has some."""
        return "realise" if any(not s.get("material") for s in state["sections"].values()) else "validate"

    def validate(state: ComposeState) -> dict[str, Any]:
        say("Validators: checking ranges, bars, harmony and cadences")
        piece = assemble(piece_of(state), state["sections"])
        return {"findings": [f.model_dump(mode="json") for f in validate_piece(piece)]}

    def actionable(state: ComposeState) -> dict[str, list[Finding]]:
        findings = [Finding.model_validate(f) for f in state.get("findings", [])]
        return _section_findings(findings, assemble(piece_of(state), state["sections"]))

    def route_after_validate(state: ComposeState) -> str:
        if actionable(state) and state.get("repair_rounds", 0) < config.max_repair_rounds:
            return "repair"
        return "render" if state.get("critiqued") else "critique"

    def apply(state: ComposeState, changes: list[dict[str, Any]], reason: str) -> dict[str, Any]:
        piece = piece_of(state)
        length_before = piece.total_bars
        sections = {sid: dict(params) for sid, params in state["sections"].items()}
        by_id = {section.id: section for section in piece.sections}
        order = [section.id for section in piece.sections]

        def rewrite(section_id: str, action: str) -> None:
            params = sections[section_id]
            params["seed"] += 1000
            params["material"] = None
            params["candidates"] = config.repair_candidates if action in ("regenerate", "strengthen_cadence") \
                or reason == "validation" else 1

        logged = []
        for change in changes:
            section, action = by_id[change["section"]], change["action"]
            params = sections[section.id]
            record: dict[str, Any] = {}
            if action == "vary":
                record = vary(section, change.get("variation_of"), order)
            elif action == "more_variety" and section.variation is not None:
                section.variation.distance = FARTHER[section.variation.distance]
            if action == "more_variety":
                params["temperature"] = min(1.4, params["temperature"] + 0.15)
            elif action == "simpler":
                params["temperature"] = max(0.6, params["temperature"] - 0.15)
            if change.get("cadence"):
                section.cadence = Cadence(change["cadence"])
            if change.get("bars"):
                record |= resize(piece, section, change["bars"])
            rewrite(section.id, action)
            logged.append({**change, **record, "reason": reason})
        rewritten = {change["section"] for change in changes}
        for section in piece.sections:  # in order, so a variation of a variation follows as well
            if section.variation and section.variation.of in rewritten and section.id not in rewritten:
                rewrite(section.id, "vary")
                rewritten.add(section.id)
                logged.append({"section": section.id, "problem": f"varies {section.variation.of}, which changed",
                               "action": "vary", "cadence": None, "variation_of": section.variation.of,
                               "reason": reason})
        if piece.total_bars != length_before:
            piece.length_bars = piece.total_bars  # the musician's latest wish about length wins
            say(f"Composer: the piece is now {piece.total_bars} bars (was {length_before})")
        return {"sections": sections, "piece": piece.model_dump(mode="json"),
                "changes": state["changes"] + logged}

    def repair(state: ComposeState) -> dict[str, Any]:
        grouped = actionable(state)
        changes = []
        for section_id, findings in grouped.items():
            cadence = any(f.code == "cadence_not_realised" for f in findings)
            changes.append({"section": section_id, "problem": "; ".join(f.message for f in findings)[:300],
                            "action": "strengthen_cadence" if cadence else "regenerate", "cadence": None})
            say(f"Repair: section {section_id} ({len(findings)} findings)")
        return {**apply(state, changes, "validation"), "repair_rounds": state.get("repair_rounds", 0) + 1}

    def critique(state: ComposeState) -> dict[str, Any]:
        piece = assemble(piece_of(state), state["sections"])
        analysis, ids = describe_form(piece), [s.id for s in piece.sections]
        agents = studio(state)
        changes = []
        for critic in (THEORY_CRITIC, LISTENER_CRITIC):
            say(f"{critic.name}: listening to the draft")
            changes += [{**change, "critic": critic.name} for change in agents.critique(critic, analysis, ids)]
        unique = list({change["section"]: change for change in changes}.values())  # one change per section
        return {**apply(state, unique, "critique"), "critiqued": True,
                "transcript": saved(agents), "repair_rounds": 0}

    def feedback(state: ComposeState) -> dict[str, Any]:
        text = state["pending_feedback"] or ""
        say("Composer: reading your feedback")
        piece = assemble(piece_of(state), state["sections"])
        agents = studio(state)
        changes, tempo = agents.revise(text, describe_form(piece), [s.id for s in piece.sections])
        changes = honour_length_wishes(changes, text, piece.sections)
        update = apply(state, changes, "feedback")
        if tempo:
            update["piece"] = {**update["piece"], "tempo_bpm": tempo}
        return {**update, "transcript": saved(agents), "feedback": state.get("feedback", []) + [text],
                "pending_feedback": None, "repair_rounds": 0, "critiqued": True}

    def render(state: ComposeState) -> dict[str, Any]:
        from tools.music.render import render_all

        version = state.get("version", 0) + 1
        folder = out_dir(version)
        say(f"Rendering version {version} into {folder}")
        piece = assemble(piece_of(state), state["sections"])
        files = render_all(piece, folder, audio=config.audio)
        write_atomically(folder, {"piece.json": piece.model_dump_json(indent=2)})
        rendered = {name: str(path) for name, path in files.model_dump().items() if path is not None}
        return {"version": version, "rendered": rendered}

    graph = StateGraph(ComposeState)
    for name, node in (("plan", plan), ("realise", realise), ("validate", validate), ("repair", repair),
                       ("critique", critique), ("feedback", feedback), ("render", render)):
        graph.add_node(name, node)
    graph.add_conditional_edges(START, route_start, ["plan", "feedback", "realise", "validate"])
    graph.add_edge("plan", "realise")
    graph.add_conditional_edges("realise", write_or_check, ["realise", "validate"])
    graph.add_conditional_edges("validate", route_after_validate, ["repair", "critique", "render"])
    for name in ("repair", "critique", "feedback"):
        graph.add_conditional_edges(name, write_or_check, ["realise", "validate"])
    graph.add_edge("render", END)
    return graph.compile(checkpointer=checkpointer)
