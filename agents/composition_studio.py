"""The composition studio: a Composer who plans the form and key scheme, and two critics with
their own anxieties, all speaking in one conversation under schemas built from the session.

The agents decide what is musical; the tools (neural models) write the notes; the validators
and the analysis in `tools.music.analysis` supply the facts the critics judge.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, create_model

from agents.conversation import Conversation, Role
from agents.lm.adapter import Turn, field_notes
from ontology.music import Cadence
from ontology.music_drafts import MAX_SECTION_BARS, Plan, RequestFacts, plan_schema, sections_of, with_settled
from ontology.music_forms import form_settles, middles_kept

COMPOSER = Role(
    "Composer",
    "Your anxiety is a piece with no shape: sections of the same length and character, no contrast, no "
    "return, an ending that just stops.",
)
THEORY_CRITIC = Role(
    "Theory Critic",
    "Your anxiety is a student error in public: parallel fifths and octaves, a leading tone that does not "
    "rise, a cadence missing where the form needs one, a chord that contradicts the key. You do not praise.",
)
LISTENER_CRITIC = Role(
    "Listener Critic",
    "Your anxiety is monotony: the same rhythm bar after bar, a melody stuck in a few notes, sections you "
    "could swap without noticing. You do not praise.",
)

Action = Literal["regenerate", "more_variety", "simpler", "strengthen_cadence", "vary"]
ACTIONS_HELP = (
    "Actions: regenerate (new material, same plan), more_variety (bolder material; a variation moves further "
    "from its source), simpler (calmer, more stepwise), strengthen_cadence (a firmer close), vary (an earlier "
    "section's material returns varied: name it in variation_of)."
)
MIDDLES = ("", "a contrasting middle section", "up to {} contrasting middle sections")
"""How the plan's task names its middle sections, by how many the form keeps (none, one, more)."""
LENGTHS_HELP = (
    "A change may set bars, the section's new length, when the musician asks for a shorter or longer "
    "section; the piece's length follows. Leave bars null otherwise."
)


def plan_task(schema: type[BaseModel], middles: int) -> str:
    """The plan's task, naming only the sections `schema` asks for (a jig's form closes itself) and
    offering a variation only where an asked section may take one: a task asking for what the
    schema cannot hold sets the Composer writing fields it has no room for."""
    named = {"opening": "an opening section", "middle": MIDDLES[min(middles, 2)].format(middles),
             "closing": "a closing section"}
    asked = [words for role, words in named.items() if role in schema.model_fields and words]
    if not asked:
        return "Plan the piece."
    task = f"Plan the piece and its form: {', '.join(asked[:-1])}{' and ' if asked[:-1] else ''}{asked[-1]}."
    models = schema.model_json_schema().get("$defs", {}).values()
    if any("variation" in model.get("properties", {}) for model in models):
        task += " A later section may vary the opening or the section before it: that is how the form returns."
    return task


class ChangeRequest(BaseModel):
    """A change to one section, as a critic or the Composer (for the musician) asks for it. The
    schemas the agents answer under (`change_schema`) narrow the section ids and leave out `bars`
    where a length may not change; this is the shape every change takes once it is asked."""

    section: str
    problem: str
    action: Action
    cadence: Cadence | None = None
    variation_of: str | None = None
    bars: int | None = Field(None, description="the section's new length; None keeps it")
    length_from: str | None = Field(None, description="set when the new length was read from the musician's "
                                                      "words rather than taken from the model's answer")


class Brief(BaseModel):
    """What the session is asked for; it opens the conversation."""

    request: str
    fixed: str


def change_schema(section_ids: list[str], name: str, max_items: int, *, lengths: bool = False) -> type[BaseModel]:
    """A list of changes that can only name sections that exist and actions the tools can carry out.
    Only a musician's revision (`lengths`) may change a section's length: the critics work within
    the length the musician asked for."""
    ids = Literal[tuple(section_ids)]  # type: ignore[valid-type]
    fields: dict[str, Any] = {
        "section": (ids, Field(description="the section to change")),
        "problem": (str, Field(max_length=100, description="what is wrong, concretely")),
        "action": (Action, Field(description="what the tools should do")),
        "cadence": (Cadence | None, Field(None, description="a new closing cadence, if the cadence should change")),
        "variation_of": (ids | None, Field(None, description="for vary: the earlier section whose material returns")),
    }
    if lengths:
        fields["bars"] = (int | None, Field(None, ge=1, le=MAX_SECTION_BARS,
                                            description="the section's new length in bars, or null to keep it"))
    change = create_model(f"{name}Item", **fields)
    return create_model(name, changes=(list[change], Field(max_length=max_items)))


CHANGE_NOTES = "; ".join(field_notes(TypeAdapter(change_schema(["s1", "s2"], "Change", 1)).json_schema()))
"""The notes on a change's fields, as a critic's or a revision's request would give them (any section ids)."""
PREAMBLE = (
    "This is a working session of a composition studio. A composer plans a piece; neural tools write "
    "the notes; critics listen and point at concrete problems. Each turn names who speaks and what to "
    "write. Every answer is one JSON object. Texts are short and specific to this piece.\n"
    f"A change names a section, its problem and the action that fixes it. {ACTIONS_HELP}\n"
    f"Field notes of a change: {CHANGE_NOTES}"
)
"""The same in every session, so the embedded engine keeps it between processes (`agents.lm.prompt_states`):
the actions and the notes on a change's fields, which the critics and the Composer's revisions read, are
said here once rather than in a critic's turn of every version. The roles' anxieties stay in their turns
(the rules a role acts by were measured there: `agents.audiorag_agents.PREAMBLE`)."""


class TempoChange(BaseModel):
    tempo_bpm: int | None = Field(None, ge=30, le=240, description="a new tempo, or null to keep it")


class CompositionStudio:
    """The session's agents and their shared conversation (resumable from its transcript)."""

    def __init__(self, facts: RequestFacts, *, transcript: list[Turn] | None = None, max_reasks: int = 1) -> None:
        fixed = {name: getattr(facts, name) for name in ("style", "bars", "key", "meter", "tempo_bpm")}
        brief = Brief(request=facts.text,
                      fixed=", ".join(f"{k}={v}" for k, v in fixed.items() if v is not None) or "nothing")
        self.facts = facts
        self.conversation = Conversation(PREAMBLE, brief, max_reasks=max_reasks, transcript=transcript)

    @property
    def transcript(self) -> list[Turn]:
        return self.conversation.transcript

    def plan(self) -> Plan:
        """The Composer's plan, with no more middle sections than the style's form keeps (`middles_kept`)
        and none of the fields the form sets itself (`form_settles`: filled in with the form's values)."""
        middles, settled = middles_kept(self.facts), form_settles(self.facts)
        schema = plan_schema(self.facts, middles, settled)
        value = self.conversation.ask(COMPOSER, plan_task(schema, middles), "plan", schema,
                                      520)  # a variation takes ~15 tokens; four fit
        answer = with_settled(value.model_dump(mode="json"), settled)
        form = {name: answer.pop(name) for name in ("opening", "middle", "closing")}
        return Plan.model_validate({**answer, "sections": sections_of(form)})

    def critique(self, role: Role, analysis: str, section_ids: list[str]) -> list[ChangeRequest]:
        """A critic's changes to the draft `analysis` describes. A second critic of the same draft is
        pointed at the analysis in the first critic's turn, which it reads in the transcript, rather than
        shown it again (about 600 prompt tokens fewer); the actions are the preamble's."""
        schema = change_schema(section_ids, "Critique", 3)
        if self.conversation.said(analysis):
            task = ("Read the analysis of the current draft in the turn above (the draft has not changed) and name "
                    "at most three concrete problems, each with the section and the action that would fix it. "
                    "Return no changes only if nothing is wrong.")
        else:
            task = ("Read the analysis of the current draft and name at most three concrete problems, each with the "
                    "section and the action that would fix it. Return no changes only if nothing is wrong.\n"
                    f"Analysis:\n{analysis}")
        value = self.conversation.ask(role, task, role.name.lower().replace(" ", "_"), schema, 300)
        return [ChangeRequest.model_validate(change.model_dump()) for change in value.changes]

    def revise(self, feedback: str, analysis: str, section_ids: list[str]) -> tuple[list[ChangeRequest], int | None]:
        """Turn a musician's feedback into section changes (possibly new lengths) and possibly a new tempo.
        The actions are the preamble's."""
        schema = create_model("Revision", changes=(change_schema(section_ids, "Changes", 6, lengths=True), ...),
                              tempo=(TempoChange, ...))
        value = self.conversation.ask(
            COMPOSER,
            "The musician listened and asks for changes. Decide which sections change and how. "
            f"The actions are those above. {LENGTHS_HELP}\nCurrent draft:\n{analysis}",
            "revision", schema, 420, feedback=feedback)  # bars and variation_of: ~12 tokens a change
        changes = [ChangeRequest.model_validate(change.model_dump()) for change in value.changes.changes]
        return changes, value.tempo.tempo_bpm
