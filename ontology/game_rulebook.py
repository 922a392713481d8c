"""Rules text from the ontology: the sections a group needs to play, written from the structure.

The rulebook is derived, not generated: every rule the text states comes from a field of the
design (components with their counts, setup steps in order, phases and their actions with costs
and gains, end conditions, scoring), so it cannot drift from the validated design or contain
template leftovers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ontology.game import (
    Action,
    Component,
    ComponentKind,
    EndCondition,
    EndKind,
    GameDesign,
    Income,
    ResourceAmount,
    RulesSection,
    TeamOutcome,
)


def _amounts(amounts: Sequence[ResourceAmount], names: Mapping[str, str]) -> str:
    return ", ".join(f"{amount.amount} {names.get(amount.resource, amount.resource)}" for amount in amounts)


def action_terms(action: Action, names: Mapping[str, str], decks: Mapping[str, Component]) -> str:
    """What taking the action does, from its fields: costs, gains, dice, draws, takes, limits."""
    terms = []
    if action.costs:
        rising = f", plus {action.price_step} more of each for every time anyone took it this round" \
            if action.price_step else ""
        terms.append(f"pay {_amounts(action.costs, names)}{rising}")
    if action.gains:
        terms.append(f"gain {_amounts(action.gains, names)}")
    if action.roll:
        roll = action.roll
        per = "per pip" if roll.per == 1 else f"per {roll.per} pips, rounded down"
        terms.append(f"roll {roll.dice} {roll.sides}-sided {'die' if roll.dice == 1 else 'dice'} and gain 1 "
                     f"{names.get(roll.resource, roll.resource)} {per}")
    if action.draw:
        deck = next((ref for ref in action.components if ref in decks), None)
        source = names.get(deck, deck) if deck else "a deck"
        cards = "card" if action.draw == 1 else "cards"
        if action.face_up:
            after = ", after its other effects" if action.gains or action.roll or action.take else ""
            terms.append(f"choose {action.draw} {cards}, one at a time, from the {action.face_up} cards of the "
                         f"{source} dealt face up beside it at setup{after}, and gain what they show (each card taken "
                         "is replaced from the top of the deck while any is left face down; drawn cards are not "
                         "reshuffled; no drawing once none is left face up)")
        else:
            terms.append(f"draw {action.draw} {cards} from the {source} and gain what they show (drawn cards are "
                         "not reshuffled; no drawing from an empty deck)")
    if action.take:
        terms.append(f"take {_amounts(action.take, names)} from the opponent who holds the most of it (earliest "
                     "seat on a tie), or as much as they have")
    if action.limit_per_round:
        times = "once" if action.limit_per_round == 1 else f"{action.limit_per_round} times"
        terms.append(f"all players together may take it only {times} each round")
    if action.components:
        terms.append("uses " + ", ".join(names.get(ref, ref) for ref in action.components))
    return "; ".join(terms)


def terms_sentence(action: Action, names: Mapping[str, str], decks: Mapping[str, Component]) -> str:
    """`action_terms` as a sentence: the description of an action whose words come from its structure."""
    terms = action_terms(action, names, decks) or "it changes nothing"
    return f"{terms[:1].upper()}{terms[1:]}."[:240]


def _action_line(action: Action, names: Mapping[str, str], decks: Mapping[str, Component]) -> str:
    terms = action_terms(action, names, decks)
    detail = f" ({terms})" if terms else ""
    said = "" if action.description == terms_sentence(action, names, decks) else f": {action.description}"
    return f"- **{action.name}**{detail}{said}"


def income_line(income: Income, names: Mapping[str, str], shared: set[str]) -> str:
    """One income or upkeep rule as a sentence of the rulebook."""
    what = names.get(income.resource, income.resource)
    times = f" for each {names.get(income.per, income.per)} they hold" if income.per else ""
    who = f"the shared {what} pool" if income.resource in shared else "each player"
    label = f"**{income.cause}**: " if income.cause else ("" if income.amount >= 0 else "Upkeep: ")
    if income.amount >= 0:
        line = f"{who} gains {income.amount} {what}{times}."
    else:
        line = f"{who} loses {-income.amount} {what}{times} (never below 0)."
    return f"- {label}{line[0].upper() if not label else line[0]}{line[1:]}"


def end_clause(condition: EndCondition, names: Mapping[str, str], shared: set[str]) -> str:
    """When the condition ends the game, from its fields ('after 12 rounds', 'when a player has 10
    points'); '' for a kind that carries no number."""
    target = names.get(condition.target or "", condition.target)
    holder = "the shared pool holds" if condition.target in shared else "a player has"
    return {
        EndKind.ROUNDS: f"after {condition.rounds} rounds" if condition.rounds else "",
        EndKind.SCORE_THRESHOLD: f"when a player has {condition.threshold} points" if condition.threshold else "",
        EndKind.RESOURCE_THRESHOLD: f"when {holder} {condition.threshold} {target}" if condition.threshold else "",
        EndKind.COMPONENT_EXHAUSTED: f"when the {target} {'run' if str(target).endswith('s') else 'runs'} out"
        if condition.target else "",
    }.get(condition.kind, "")


def team_outcome(condition: EndCondition) -> str:
    """' The team wins.' or ' The team loses.' for a cooperative end, '' otherwise."""
    return {TeamOutcome.WIN: " The team wins.", TeamOutcome.LOSE: " The team loses."}.get(condition.team, "") \
        if condition.team else ""


def end_detail(condition: EndCondition, names: Mapping[str, str], shared: set[str]) -> str:
    """One end condition as a line of the rulebook, with its number and, co-op, its outcome."""
    clause = end_clause(condition, names, shared)
    detail = f" ({clause})" if clause and clause not in condition.description else ""
    return f"- {condition.description}{detail}{team_outcome(condition)}"


def part_names(design: GameDesign) -> dict[str, str]:
    """Resource and component names by id: what costs, gains, ends and scoring rules name."""
    return {r.id: r.name for r in design.resources} | {c.id: c.name for c in design.components}


def _supply(component: Component, names: dict[str, str]) -> str:
    what = names.get(component.represents or "", component.represents)
    return (f" Stands for {what}: the box holds {component.quantity}, and when none are left in the supply no "
            f"one can gain {what} until some is paid back.")


def players(design: GameDesign) -> str:
    """'2-4', or '2' when the game takes exactly one count."""
    low, high = design.players.min, design.players.max
    return str(low) if low == high else f"{low}-{high}"


def _family(name: str, family: str) -> str:
    """' (worker placement)' after a mechanism's name, unless the name already says it."""
    plain = family.replace("_", " ")
    return "" if name.lower() == plain else f" ({plain})"


def rules_sections(design: GameDesign) -> list[RulesSection]:
    """The rulebook's sections, in reading order."""
    names = part_names(design)
    shared = {r.id for r in design.resources if r.shared}
    decks = {c.id: c for c in design.components if c.kind is ComponentKind.DECK}
    actions = {a.id: a for a in design.actions}
    mode = "cooperative: all players win or lose together" if design.cooperative else "competitive"
    overview = (
        f"{players(design)} players, {design.play_time_minutes.min}-"
        f"{design.play_time_minutes.max} minutes, complexity {design.complexity}/5, {mode}.\n\n"
        + "\n".join(f"- **{m.name}**{_family(m.name, m.family.value)}: {m.how_it_works}" for m in design.mechanisms)
    )
    components = []
    for c in design.components:
        share = f", {c.per_player} per player" if c.per_player else ""
        line = f"- {c.quantity} x **{c.name}** ({c.kind.value.replace('_', ' ')}{share}): {c.description}"
        if c.represents and c.kind is ComponentKind.TOKENS:
            line += _supply(c, names)
        elif c.represents:
            line += f" Stands for {names.get(c.represents, c.represents)}."
        if c.sides:
            line += f" {c.sides}-sided."
        components.append(line)
        components += [f"  - {card.count} x *{card.name}*"
                       + (f" (gain {_amounts(card.gains, names)})" if card.gains else "") + f": {card.effect}"
                       for card in c.card_types]
    if design.resources:
        components.append("\nResources: " + "; ".join(
            f"**{r.name}** ({'one shared pool, starting at' if r.shared else 'each player starts with'} "
            f"{r.starting}): {r.description}" for r in design.resources))
    setup = "\n".join(f"{i}. {step.instruction}" for i, step in enumerate(design.setup, start=1))
    per_phase = design.turn_structure.actions_per_phase
    turn = [design.turn_structure.summary, "",
            "Players take turns in seat order, the first player first; "
            + ("the same player goes first every round" if design.turn_structure.first_player == "fixed" else
               "the first-player marker passes to the left at the end of each round")
            + ". On your turn, go through the phases in "
            f"order; in each phase take up to {per_phase} of its actions ({'one' if per_phase == 1 else 'each'} "
            "you can pay for), or pass, which ends that phase for you.", ""]
    for i, phase in enumerate(design.turn_structure.phases, start=1):
        turn.append(f"**{i}. {phase.name}.** {phase.description}")
        turn += [_action_line(actions[ref], names, decks) for ref in phase.actions if ref in actions]
        turn.append("")
    if design.turn_structure.income:
        turn.append("**End of the round.** When every player has had a turn, in turn order from the round's "
                    "first player:")
        turn += [income_line(income, names, shared) for income in design.turn_structure.income]
    end = ["At the end of each round, check these in order; the first that holds ends the game:"]
    end += [end_detail(condition, names, shared) for condition in design.end_conditions]
    if design.cooperative:
        scoring = ["You win or lose together, as the end of the game says; if the game has not ended after "
                   "60 rounds, the team loses. Points measure how well you did:"]
    else:
        scoring = ["The player with the most points wins:"]
    for rule in design.victory.scoring:
        counted = ", ".join(names.get(ref, ref) for ref in rule.counts)
        stated = f"{rule.points:+d}" in rule.description
        scoring.append(f"- {rule.description}" + ("" if stated else f" ({rule.points:+d} per {counted})"))
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
