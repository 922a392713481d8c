"""Rules text from the ontology: the sections a group needs to play, written from the structure.

The rulebook is derived, not generated: every rule the text states comes from a field of the
design (components with their counts, setup steps in order, phases and their actions with costs
and gains, end conditions, scoring), so it cannot drift from the validated design or contain
template leftovers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ontology.game import Action, EndKind, GameDesign, RulesSection


def _amounts(action: Action, side: str, names: dict[str, str]) -> str:
    amounts = getattr(action, side)
    return ", ".join(f"{amount.amount} {names.get(amount.resource, amount.resource)}" for amount in amounts)


def _action_line(action: Action, names: dict[str, str]) -> str:
    terms = []
    if action.costs:
        terms.append(f"pay {_amounts(action, 'costs', names)}")
    if action.gains:
        terms.append(f"gain {_amounts(action, 'gains', names)}")
    if action.components:
        terms.append("uses " + ", ".join(names.get(ref, ref) for ref in action.components))
    detail = f" ({'; '.join(terms)})" if terms else ""
    return f"- **{action.name}**{detail}: {action.description}"


def rules_sections(design: GameDesign) -> list[RulesSection]:
    """The rulebook's sections, in reading order."""
    names = {r.id: r.name for r in design.resources} | {c.id: c.name for c in design.components}
    actions = {a.id: a for a in design.actions}
    mode = "cooperative: all players win or lose together" if design.cooperative else "competitive"
    overview = (
        f"{design.players.min}-{design.players.max} players, {design.play_time_minutes.min}-"
        f"{design.play_time_minutes.max} minutes, complexity {design.complexity}/5, {mode}.\n\n"
        + "\n".join(f"- **{m.name}** ({m.family.value.replace('_', ' ')}): {m.how_it_works}"
                    for m in design.mechanisms)
    )
    components = []
    for c in design.components:
        share = f", {c.per_player} per player" if c.per_player else ""
        line = f"- {c.quantity} x **{c.name}** ({c.kind.value.replace('_', ' ')}{share}): {c.description}"
        if c.represents:
            line += f" Stands for {names.get(c.represents, c.represents)}."
        if c.sides:
            line += f" {c.sides}-sided."
        components.append(line)
        components += [f"  - {card.count} x *{card.name}*: {card.effect}" for card in c.card_types]
    if design.resources:
        components.append("\nResources: " + "; ".join(f"**{r.name}**: {r.description}" for r in design.resources))
    setup = "\n".join(f"{i}. {step.instruction}" for i, step in enumerate(design.setup, start=1))
    turn = [design.turn_structure.summary, ""]
    for i, phase in enumerate(design.turn_structure.phases, start=1):
        turn.append(f"**{i}. {phase.name}.** {phase.description}")
        turn += [_action_line(actions[ref], names) for ref in phase.actions if ref in actions]
        turn.append("")
    end = []
    for condition in design.end_conditions:
        detail = {
            EndKind.ROUNDS: f" (after {condition.rounds} rounds)" if condition.rounds else "",
            EndKind.SCORE_THRESHOLD: f" (at {condition.threshold} points)" if condition.threshold else "",
            EndKind.RESOURCE_THRESHOLD: (f" (when a player has {condition.threshold} "
                                         f"{names.get(condition.target or '', condition.target)})"
                                         if condition.threshold else ""),
            EndKind.COMPONENT_EXHAUSTED: (f" (when the {names.get(condition.target or '', condition.target)} "
                                          "run out)" if condition.target else ""),
        }.get(condition.kind, "")
        end.append(f"- {condition.description}{detail}")
    scoring = [
        f"- {rule.description} ({rule.points:+d} per "
        + ", ".join(names.get(ref, ref) for ref in rule.counts) + ")"
        for rule in design.victory.scoring
    ]
    scoring.append(f"\nTies: {design.victory.tie_breaker}")
    return [
        RulesSection(heading="Introduction", text=design.introduction),
        RulesSection(heading="Overview", text=overview),
        RulesSection(heading="Components", text="\n".join(components)),
        RulesSection(heading="Setup", text=setup),
        RulesSection(heading="Playing a turn", text="\n".join(turn).strip()),
        RulesSection(heading="End of the game", text="\n".join(end)),
        RulesSection(heading="Scoring and winning", text="\n".join(scoring)),
    ]


def render_section(section: RulesSection) -> str:
    """One section as Markdown, as the rulebook writes each of its sections."""
    return f"## {section.heading}\n\n{section.text}"


def render_rulebook(design: GameDesign) -> str:
    """The whole rulebook as Markdown."""
    sections = design.rules or rules_sections(design)
    body = "\n\n".join(render_section(section) for section in sections)
    return f"# {design.title}\n\n*{design.tagline}*\n\n{body}\n"


def playtested_section(figures: Sequence[tuple[str, str]], *, games: int, players: int,
                       findings: Sequence[str] = ()) -> RulesSection:
    """The "Playtested" section: what simulated games measured, as (measure, value) rows, and the
    playtest's findings. It takes plain figures rather than a playtest report, so the ontology stays
    free of the simulator; append `render_section` of it to the rulebook."""
    rows = "\n".join(f"| {measure} | {value} |" for measure, value in figures)
    text = (f"Measured over {games} simulated games with {players} players (bots of three skill levels: "
            f"random, greedy, search).\n\n| Measure | Value |\n|---|---|\n{rows}")
    if findings:
        text += "\n\nOpen findings:\n" + "\n".join(f"- {finding}" for finding in findings)
    return RulesSection(heading="Playtested", text=text)
