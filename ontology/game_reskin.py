"""A proven engine in the theme's own words: the drafting schemas of the re-theming mode.

A 1.5B model cannot balance an economy in its head, and a game whose numbers are guessed is rarely
worth playing. Designers often start instead from an engine they know works and re-theme it. Here
the engines are the hand-written calibration games (complete rule sets that pass the playtests);
the Mechanics Architect chooses one that suits the theme and the request's facts, and every step
after that renames parts and rewrites sentences only. Each step's schema is keyed by the chosen
engine's ids and asks for names and sentences, so an answer cannot add, drop or rewire a part: the
structure (what each action costs and yields, the phases, the ends, the scoring, the box) stays the
engine's, and the numbers tuner then fits it to the requested player count and play time.

The steps and their owners are the free mode's (`ontology.game_drafts`): resource and mechanism
names come with the engine step, action names with the actions step, phases, ends and scoring with
the flow step, the box with the components step, so a finding routes to the same agent in both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationError, create_model

from ontology.core import Finding, Location, Problem, RegisteredCheck, Severity, at
from ontology.game import (
    Component,
    ComponentKind,
    GameDesign,
    MinutesRange,
    Name,
    PlayerRange,
    Sentence,
    SetupStep,
    ThemePart,
)
from ontology.game_drafts import distinct_id
from ontology.game_requests import GameRequestFacts
from ontology.game_rulebook import action_terms, end_clause, income_line, part_names, team_outcome
from ontology.game_validators import ACTIONS, COMPONENTS, ENGINE, DraftStep, is_generic_name, owned_in

ENGINE_KEY = "engine"
"""The key of the engine step's answer that names the chosen engine: its presence is the mode."""


def chosen_engine(answers: Mapping[DraftStep, dict[str, Any]]) -> str | None:
    """The key of the engine a draft re-themes (None for a free design)."""
    return answers.get(DraftStep.ENGINE, {}).get(ENGINE_KEY)


def theme_words(answers: Mapping[DraftStep, dict[str, Any]]) -> list[str]:
    """The theme's words the engine step kept (`vocabulary`), which later names are chosen from."""
    return list(answers.get(DraftStep.ENGINE, {}).get("words", []))


WORDING_FIELDS = frozenset({"name", "description", "how_it_works", "effect", "summary", "tie_breaker", "phases",
                            "scoring", "card_types"})
WORDING_PARTS = frozenset(ThemePart.model_fields)


def about_wording(location: Location) -> bool:
    """Whether a finding at `location` is about words (a name, a sentence), the only thing the steps of
    a re-themed engine write: a finding about its structure is the tuner's or nobody's to fix."""
    return location.part in WORDING_PARTS or (location.field or "").split(".")[-1] in WORDING_FIELDS


class EngineChoice(BaseModel):
    """The engine step's first turn. The theme's words come first, before any engine is read, and
    every later name is chosen from them: a 1.5B model renaming an engine's parts otherwise keeps the
    engine's nouns ('Silver' and 'Estate' in a game about fungi; measured on the bench's themes).
    Asked as one list it wrote game words ('Goal', 'Turn'); asked by kind, it writes the world's."""

    materials: list[Name] = Field(min_length=4, max_length=6, description=(
        "things found, grown, made, traded or treasured in the theme's world"))
    creatures: list[Name] = Field(min_length=2, max_length=4, description="creatures or people of the theme's world")
    objects: list[Name] = Field(min_length=2, max_length=4, description="tools, vessels, buildings or relics there")
    places: list[Name] = Field(min_length=2, max_length=4, description="places in the theme's world")
    engine: str
    why: Sentence

    @property
    def words(self) -> list[str]:
        return [*self.materials, *self.creatures, *self.objects, *self.places]


Prose = Annotated[str, StringConstraints(
    pattern='^[^0-9"\\\\\u2150-\u218f\u3000-\u9fff\uff10-\uff19]{1,240}$')]
"""A sentence (1-240 characters) with no numerals: the rulebook prints every number from the structure beside
the words, and the tuner changes numbers after the words are written, so a number in prose goes stale (it
did in 8 of 10 bench designs). CJK and fullwidth numerals are excluded too: with only digits banned the
model wrote them instead. The length bound lives in the pattern, as xgrammar ignores maxLength beside one;
so do the quote and the backslash, because xgrammar matches the pattern against the raw JSON text of the
string: a class that allowed `"` let the model run past the string's end (3 of 3
bench runs broke)."""


class NamedPart(BaseModel):
    name: Name
    description: Prose


class DescribedPart(BaseModel):
    """A part whose name comes from the structure (the tokens that stand for a resource)."""

    description: Prose


class MechanismText(BaseModel):
    name: Name
    how_it_works: Prose


class CardText(BaseModel):
    name: Name
    effect: Prose


class FlowText(BaseModel):
    summary: Prose
    tie_breaker: Prose


def _fixed(item: Any, count: int) -> Any:
    return (list[item], Field(min_length=count, max_length=count))


def _keyed(name: str, keys: Sequence[str], value: Any) -> type[BaseModel]:
    """An object with exactly these keys (engine ids), each holding a `value`."""
    fields: dict[str, Any] = {key: (value, ...) for key in keys}
    return create_model(name, **fields)


def fits(engine: GameDesign, facts: GameRequestFacts) -> bool:
    """Whether the engine can honour the request's facts: its mode, and every player count asked."""
    if facts.cooperative is not None and engine.cooperative != facts.cooperative:
        return False
    counts = [c for c in (facts.players_min, facts.players_max, facts.includes_players) if c is not None]
    return all(engine.players.min <= count <= engine.players.max for count in counts)


def candidates(engines: Mapping[str, GameDesign], facts: GameRequestFacts) -> list[str]:
    """The engines that fit the facts (a stated play time does not rule one out: the tuner fits its
    rounds to it)."""
    return [key for key, engine in engines.items() if fits(engine, facts)]


GAME_WORDS = frozenset({"competition", "competitor", "end", "turn", "goal", "round", "win", "winner", "rule",
                        "score", "scoring", "victory", "level", "phase", "bonus", "penalty", "strategy"})
"""Words about the game rather than its world, which a small model lists as the theme's."""


def vocabulary(words: Sequence[str], engine: GameDesign, theme: str) -> list[str]:
    """The theme's words that can name parts: tidied, once each, none generic or about the game, and
    none that keeps a noun of the engine's own part names the theme does not use."""
    nouns = _engine_nouns(engine, theme)
    kept: dict[str, str] = {}
    for word in words:
        text = " ".join(word.split()).strip(" .,;:!?\"'")
        text = text[:1].upper() + text[1:]
        plain = set(slug(text).split("_"))
        if text and not is_generic_name(text) and not _words(text) & nouns and slug(text) and not plain <= GAME_WORDS:
            kept.setdefault(text.lower(), text)
    return list(kept.values())


def choice_schema(keys: Sequence[str]) -> type[BaseModel]:
    """The first turn of the engine step: the theme's words, which engine, and why it suits the theme."""
    fields: dict[str, Any] = {"engine": (Literal[tuple(keys)], ...)}
    return create_model("EngineChoiceDraft", __base__=EngineChoice, **fields)


def engine_menu(engines: Mapping[str, GameDesign], keys: Sequence[str]) -> str:
    """One line per candidate engine, for the Mechanics Architect to choose from: how it plays, in the
    words of mechanisms, never its nouns (a small model copies the nouns it reads)."""
    lines = []
    for key in keys:
        engine = engines[key]
        families = ", ".join(dict.fromkeys(m.family.value.replace("_", " ") for m in engine.mechanisms))
        traits = [f"{len(engine.resources)} resources", f"{len(engine.actions)} actions"]
        traits += [trait for trait, present in (
            ("dice yields", any(a.roll for a in engine.actions)), ("card draws", any(a.draw for a in engine.actions)),
            ("spaces that block", any(a.limit_per_round for a in engine.actions)),
            ("a market whose prices rise", any(a.price_step for a in engine.actions)),
            ("taking from rivals", any(a.take for a in engine.actions)),
            ("income each round", any(i.amount > 0 for i in engine.turn_structure.income)),
            ("upkeep each round", any(i.amount < 0 for i in engine.turn_structure.income))) if present]
        mode = "cooperative" if engine.cooperative else "competitive"
        lines.append(f"- {key}: {families}; {', '.join(traits)}; {mode}, {engine.players.min}-"
                     f"{engine.players.max} players, {engine.play_time_minutes.min}-{engine.play_time_minutes.max} "
                     f"min, complexity {engine.complexity}")
    return "\n".join(lines)


def step_keys(engine: GameDesign) -> dict[str, str]:
    """Engine id -> the key the steps answer under: r1.., a1.., c1.. and per deck k1.. for its cards.
    Measured on the bench's themes: under the engine's own ids the 1.5B model wrote about the engine's
    things ('Food is the primary resource' for a resource it had named after the theme); under
    neutral keys with free names it copied the keys as names, which the theme's words now rule out."""
    keys = {r.id: f"r{i}" for i, r in enumerate(engine.resources, start=1)}
    keys |= {a.id: f"a{i}" for i, a in enumerate(engine.actions, start=1)}
    keys |= {c.id: f"c{i}" for i, c in enumerate(engine.components, start=1)}
    for c in engine.components:
        keys |= {f"{c.id}.{card.id}": f"k{i}" for i, card in enumerate(c.card_types, start=1)}
    return keys


ActionName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z' -]{1,39}$")]
"""An action's name: a few words a player says at the table, no numbers (the rulebook prints those)."""


class ActionText(BaseModel):
    name: ActionName
    description: Prose


def _themed(words: Sequence[str]) -> tuple[type[BaseModel], type[BaseModel]]:
    """A named part and a card whose name is one of the theme's `words` (free when too few are left)."""
    if len(words) < 2:
        return NamedPart, CardText
    fields: dict[str, Any] = {"name": (Literal[tuple(words)], ...)}
    return (create_model("ThemedPart", __base__=NamedPart, **fields),
            create_model("ThemedCard", __base__=CardText, **fields))


def names_schema(step: DraftStep, engine: GameDesign, words: Sequence[str] = ()) -> type[BaseModel]:
    """The schema of `step` for this engine: names and sentences keyed by `step_keys`; resources,
    components and cards are named with the theme's `words` (`vocabulary`)."""
    key = step_keys(engine)
    part, card_text = _themed(words)
    if step is DraftStep.ENGINE:
        return create_model("EngineNamesDraft",
                            mechanisms=_fixed(MechanismText, len(engine.mechanisms)),
                            resources=(_keyed("ResourceNames", [key[r.id] for r in engine.resources], part), ...))
    if step is DraftStep.ACTIONS:
        return create_model("ActionNamesDraft",
                            actions=(_keyed("ActionNames", [key[a.id] for a in engine.actions], ActionText), ...))
    if step is DraftStep.FLOW:
        return create_model("FlowNamesDraft", __base__=FlowText,
                            phases=_fixed(NamedPart, len(engine.turn_structure.phases)),
                            ends=_fixed(Prose, len(engine.end_conditions)),
                            scoring=_fixed(Prose, len(engine.victory.scoring)))
    if step is DraftStep.COMPONENTS:
        parts: dict[str, Any] = {}
        for component in engine.components:
            if component.card_types:
                cards = _keyed(f"{key[component.id]}_cards",
                               [key[f"{component.id}.{card.id}"] for card in component.card_types], card_text)
                parts[key[component.id]] = (create_model(f"{key[component.id]}_deck", __base__=part,
                                                         cards=(cards, ...)), ...)
            elif _named_by_resource(component):
                parts[key[component.id]] = (DescribedPart, ...)
            else:
                parts[key[component.id]] = (part, ...)
        return create_model("ComponentNamesDraft", **parts)
    if step is DraftStep.SETUP:
        return _keyed("SetupDraft", [key[c.id] for c in engine.components], Sentence)
    return ThemePart


def _named_by_resource(component: Component) -> bool:
    return component.kind is ComponentKind.TOKENS and component.represents is not None


def tokens_name(resource_name: str) -> str:
    """The name of the tokens that stand for a resource."""
    return f"{resource_name} tokens"[:60]


_NOT_ID = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A snake_case id from a name ('' when nothing of it is ASCII letters or digits)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = _NOT_ID.sub("_", ascii_name).strip("_")
    text = text.lstrip("0123456789_")
    return text[:40].rstrip("_")


def _renamed_ids(engine: GameDesign, names: Mapping[str, str]) -> dict[str, str]:
    """Each engine id -> an id made from its new name, distinct across the design (the engine's id
    where a name gives none)."""
    taken: set[str] = set()
    mapping = {}
    for ident in [*(r.id for r in engine.resources), *(a.id for a in engine.actions),
                  *(c.id for c in engine.components)]:
        new = slug(names[ident]) if ident in names else ""
        mapping[ident] = distinct_id(new or ident, "part", taken)
    return mapping


def rename_ids(design: GameDesign, mapping: Mapping[str, str]) -> GameDesign:
    """The design with every id in `mapping` replaced, wherever a part names another."""
    data = design.model_dump(mode="json")

    def new(ident: str | None) -> str | None:
        return None if ident is None else mapping.get(ident, ident)

    def amounts(items: list[dict[str, Any]]) -> None:
        for item in items:
            item["resource"] = new(item["resource"])

    for resource in data["resources"]:
        resource["id"] = new(resource["id"])
    for action in data["actions"]:
        action["id"] = new(action["id"])
        for part in ("costs", "gains", "take"):
            amounts(action[part])
        if action["roll"]:
            action["roll"]["resource"] = new(action["roll"]["resource"])
        action["components"] = [new(ref) for ref in action["components"]]
    for mechanism in data["mechanisms"]:
        mechanism["components"] = [new(ref) for ref in mechanism["components"]]
    for component in data["components"]:
        component["id"], component["represents"] = new(component["id"]), new(component["represents"])
        for card in component["card_types"]:
            amounts(card["gains"])
    for phase in data["turn_structure"]["phases"]:
        phase["actions"] = [new(ref) for ref in phase["actions"]]
    for income in data["turn_structure"]["income"]:
        income["resource"], income["per"] = new(income["resource"]), new(income["per"])
    for step in data["setup"]:
        step["components"] = [new(ref) for ref in step["components"]]
    for end in data["end_conditions"]:
        end["target"] = new(end["target"])
    for rule in data["victory"]["scoring"]:
        rule["counts"] = [new(ref) for ref in rule["counts"]]
    return GameDesign.model_validate(data)


def _shape(engine: GameDesign, facts: GameRequestFacts) -> dict[str, Any]:
    """The engine's player range and box time, narrowed to what the request states."""
    players = PlayerRange(min=facts.players_min or engine.players.min, max=facts.players_max or engine.players.max)
    minutes = engine.play_time_minutes
    if facts.max_minutes is not None and minutes.max > facts.max_minutes:
        minutes = MinutesRange(min=max(5, min(minutes.min, facts.max_minutes // 2)), max=facts.max_minutes)
    return {"players": players.model_dump(), "play_time_minutes": minutes.model_dump()}


def _tidy(value: Any) -> Any:
    """Written text with its whitespace collapsed (where the model wanted a numeral it may leave a run
    of spaces), recursively through an answer."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_tidy(item) for item in value]
    if isinstance(value, dict):
        return {key: _tidy(item) for key, item in value.items()}
    return value


def fitting(engine: GameDesign, answers: Mapping[DraftStep, dict[str, Any]]) -> dict[DraftStep, dict[str, Any]]:
    """The answers that fit this engine's schemas: while a changed engine's later steps are rewritten
    one by one, the ones not yet rewritten were written for another engine and are left out."""
    kept = {}
    words = theme_words(answers)
    for step, answer in answers.items():
        try:
            names_schema(step, engine, words).model_validate(answer)
        except ValidationError:
            continue
        kept[step] = answer
    return kept


def reskin(engine: GameDesign, answers: Mapping[DraftStep, dict[str, Any]],
           facts: GameRequestFacts | None = None) -> GameDesign:
    """The engine with the names and sentences the steps wrote so far (the engine's own where a
    step is not written yet), its shape narrowed to the request, and ids made from the new names.
    The rules text is left empty: the pipeline renders it from the structure."""
    answers = {step: _tidy(answer) for step, answer in fitting(engine, answers).items()}
    data = engine.model_dump(mode="json") | _shape(engine, facts or GameRequestFacts())
    data["rules"] = []
    key = step_keys(engine)
    written = answers.get(DraftStep.ENGINE, {})
    for mechanism, text in zip(data["mechanisms"], written.get("mechanisms", []), strict=False):
        mechanism.update(text)
    for resource in data["resources"]:
        resource.update(written.get("resources", {}).get(key[resource["id"]], {}))
    for action in data["actions"]:
        action.update(answers.get(DraftStep.ACTIONS, {}).get("actions", {}).get(key[action["id"]], {}))
    if flow := answers.get(DraftStep.FLOW):
        data["turn_structure"]["summary"] = flow["summary"]
        data["victory"]["tie_breaker"] = flow["tie_breaker"]
        for phase, text in zip(data["turn_structure"]["phases"], flow["phases"], strict=True):
            phase.update(text)
        for end, description in zip(data["end_conditions"], flow["ends"], strict=True):
            end["description"] = description
        for rule, description in zip(data["victory"]["scoring"], flow["scoring"], strict=True):
            rule["description"] = description
    for component in data["components"]:
        text = dict(answers.get(DraftStep.COMPONENTS, {}).get(key[component["id"]], {}))
        cards = text.pop("cards", {})
        component.update(text)
        for card in component["card_types"]:
            card.update(cards.get(key[f"{component['id']}.{card['id']}"], {}))
    resource_names = {r["id"]: r["name"] for r in data["resources"]}
    for component in data["components"]:
        if component["kind"] == ComponentKind.TOKENS.value and component["represents"] in resource_names \
                and key[component["id"]] in answers.get(DraftStep.COMPONENTS, {}):
            component["name"] = tokens_name(resource_names[component["represents"]])
    if setup := answers.get(DraftStep.SETUP):
        data["setup"] = [SetupStep(instruction=setup[key[c["id"]]], components=[c["id"]]).model_dump()
                         for c in data["components"]]
    if identity := answers.get(DraftStep.IDENTITY):
        data.update(ThemePart.model_validate(identity).model_dump())
    design = GameDesign.model_validate(data)
    names = ({r.id: r.name for r in design.resources} | {a.id: a.name for a in design.actions}
             | {c.id: c.name for c in design.components})
    return rename_ids(design, _renamed_ids(engine, {ident: names[ident] for ident in names
                                                    if _written(engine, answers, ident)}))


def _written(engine: GameDesign, answers: Mapping[DraftStep, dict[str, Any]], ident: str) -> bool:
    """Whether a step already renamed the part `ident` (its id follows its new name only then)."""
    key = step_keys(engine)[ident]
    if any(r.id == ident for r in engine.resources):
        return key in answers.get(DraftStep.ENGINE, {}).get("resources", {})
    if any(a.id == ident for a in engine.actions):
        return key in answers.get(DraftStep.ACTIONS, {}).get("actions", {})
    return key in answers.get(DraftStep.COMPONENTS, {})


def _display(engine: GameDesign, preview: GameDesign, answers: Mapping[DraftStep, dict[str, Any]]) -> dict[str, str]:
    """Preview id -> how the steps' prompts call the part: its new name once a step wrote it, its engine
    id before."""
    key, answers = step_keys(engine), fitting(engine, answers)
    pairs: list[tuple[str, str, str]] = [(o.id, p.id, p.name) for o, p in zip(engine.resources, preview.resources,
                                                                              strict=True)]
    pairs += [(o.id, p.id, p.name) for o, p in zip(engine.actions, preview.actions, strict=True)]
    shown = {ident: name if _written(engine, answers, original) else key[original] for original, ident, name in pairs}
    for original_part, part in zip(engine.components, preview.components, strict=True):  # unnamed: by their kind
        shown[part.id] = part.name if _written(engine, answers, original_part.id) else \
            f"the {part.kind.value.replace('_', ' ')}"
    for component in preview.components:  # tokens take the name of what they stand for (see `reskin`)
        if _named_by_resource(component) and component.represents in shown:
            shown[component.id] = tokens_name(shown[component.represents])
    return shown


def step_task(step: DraftStep, engine: GameDesign, answers: Mapping[DraftStep, dict[str, Any]],
              facts: GameRequestFacts | None = None) -> str:
    """What the step's author names, with what each part does in play, by the keys its schema asks for
    and the names written so far."""
    preview = reskin(engine, answers, facts)
    shown, key = _display(engine, preview, answers), step_keys(engine)
    decks = {c.id: c for c in preview.components if c.kind is ComponentKind.DECK}
    words = theme_words(answers)
    no_numbers = ((f" Names come from the theme's words: {', '.join(words)}." if len(words) >= 2 else "")
                  + " Write no numbers: the rulebook prints them from the rules.")
    if step is DraftStep.ENGINE:
        families = "; ".join(f"{i}. {m.family.value.replace('_', ' ')}" for i, m in enumerate(engine.mechanisms, 1))
        uses = "\n".join(f"- {key[original.id]}: {_resource_role(preview, resource.id, shown)}"
                         for original, resource in zip(engine.resources, preview.resources, strict=True))
        return ("Name this game's mechanisms and resources in the theme's own words (what the players gather, "
                "spend and score in this world), each with one sentence on what it is. Mechanisms, in order: "
                f"{families}. Resources:\n{uses}.{no_numbers}")
    if step is DraftStep.ACTIONS:
        lines = "\n".join(f"- {key[original.id]}: {action_terms(action, shown, decks) or 'no cost or yield'}"
                          for original, action in zip(engine.actions, preview.actions, strict=True))
        return ("Name each action in the theme's own words (a verb phrase a player would say at the table) and say "
                f"in one sentence what the player does in this world. What each action does:\n{lines}.{no_numbers}")
    if step is DraftStep.FLOW:
        phases = "\n".join(f"{i}. {', '.join(shown[a.id] for a in preview.actions if a.id in phase.actions)}"
                           for i, phase in enumerate(preview.turn_structure.phases, start=1))
        shared = {r.id for r in preview.resources if r.shared}
        ends = "\n".join(f"{i}. The game ends {end_clause(end, shown, shared)}{team_outcome(end)}"
                         for i, end in enumerate(preview.end_conditions, start=1))
        scoring = "\n".join(f"- {rule.points:+d} per {', '.join(shown.get(ref, ref) for ref in rule.counts)}"
                            for rule in preview.victory.scoring)
        income = "\n".join(income_line(entry, shown, shared) for entry in preview.turn_structure.income)
        return ("Describe how a turn goes in one sentence, name each phase (with a sentence on what happens in it), "
                "and describe each end condition and scoring rule, in the theme's own words, in this order. "
                f"Phases and their actions:\n{phases}\nAt each round's end:\n{income or '- nothing'}\nEnds:\n{ends}"
                f"\nScoring:\n{scoring}\nAlso write the tie-breaker.{no_numbers}")
    if step is DraftStep.COMPONENTS:
        lines = "\n".join(f"- {key[original.id]}: {_component_role(original, component, shown, key)}"
                          + (" (named after what it stands for: describe it only)" if _named_by_resource(original)
                             else "")
                          for original, component in zip(engine.components, preview.components, strict=True))
        return ("Name every component in the theme's own words, each with one sentence on what it looks like; name "
                f"each card of a deck and say its effect.\n{lines}.{no_numbers}")
    return ("Write the game's identity: title, tagline, a one-sentence theme, and a short introduction for the "
            "rulebook that sets the scene and names the conflict at the heart of these rules.")


def setup_steps(design: GameDesign) -> list[str]:
    """One setup instruction per component, from the structure (what it is, who takes how many, what
    each player starts with), so no number in it can disagree with the rules."""
    starting = {r.id: r for r in design.resources}
    steps = []
    for c in design.components:
        if c.kind is ComponentKind.DECK:
            steps.append(f"Shuffle the {c.name} and place the deck face down within reach.")
        elif c.kind is ComponentKind.BOARD:
            steps.append(f"Place the {c.name} in the middle of the table.")
        elif c.represents in starting:
            held = starting[c.represents]
            if held.shared:
                steps.append(f"Put {held.starting} {c.name} in the shared pool and the rest in the supply.")
            elif held.starting:
                steps.append(f"Each player takes {held.starting} {c.name}; put the rest in the supply.")
            else:
                steps.append(f"Put the {c.name} in the supply.")
        elif c.per_player:
            steps.append(f"Each player takes {c.per_player} {c.name} in their colour.")
        else:
            steps.append(f"Put the {c.name} where every player can reach them.")
    return steps


def _words(name: str) -> set[str]:
    return {word for word in slug(name).split("_") if len(word) > 3}


def _engine_nouns(engine: GameDesign, theme: str) -> set[str]:
    """The words of the engine's part names that belong to its own world: not generic ('tokens',
    'board'), not in the theme."""
    words = set().union(*(_words(name) for _, name in _part_names(engine)))
    return {word for word in words if not is_generic_name(word)} - _words(theme)


def _part_names(design: GameDesign) -> list[tuple[Location, str]]:
    named = [(at("resources", i, "name"), r.name) for i, r in enumerate(design.resources)]
    named += [(at("actions", i, "name"), a.name) for i, a in enumerate(design.actions)]
    return named + [(at("components", i, "name"), c.name) for i, c in enumerate(design.components)]


def engine_nouns(design: GameDesign, engine: GameDesign, theme: str) -> list[Finding]:
    """A warning for each part whose name keeps a noun (4+ letters) of the engine's own part names that
    the theme does not use ('Wood' in a game about fungi), owned by the step that wrote the name."""
    nouns = _engine_nouns(engine, theme)

    def kept(checked: GameDesign) -> Iterator[Problem]:
        for where, name in _part_names(checked):
            if shared := sorted(_words(name) & nouns):
                yield Problem(Severity.WARNING, "engine_noun",
                              f"'{name}' keeps the proven engine's word '{shared[0]}'; name it in this game's world",
                              where)

    owners = (owned_in(ENGINE, "resources"), owned_in(ACTIONS, "actions"), owned_in(COMPONENTS, "components"))
    return list(RegisteredCheck("engine_nouns", kept, owners).findings(design))


def plain_wording(design: GameDesign, findings: Sequence[Finding]) -> tuple[GameDesign, list[Finding]]:
    """The design with every sentence that an error-level wording finding still points at rewritten
    from the structure (an action's terms, an end's condition, a rule's points), and the findings so
    answered. The last resort of a re-themed design once its repairs are spent: its structure is the
    engine's and plays, and a sentence that contradicts it would mislead the table."""
    data = design.model_dump(mode="json")
    names, shared = part_names(design), {r.id for r in design.resources if r.shared}
    decks = {c.id: c for c in design.components if c.kind is ComponentKind.DECK}
    answered = []
    for finding in findings:
        where = finding.location
        if finding.severity is not Severity.ERROR or not about_wording(where):
            continue
        i = where.index if where.index is not None else where.item
        if where.part == "actions" and i is not None:
            terms = action_terms(design.actions[i], names, decks) or "it changes nothing"
            data["actions"][i]["description"] = f"{terms[:1].upper()}{terms[1:]}."[:240]
        elif where.part == "end_conditions" and i is not None:
            clause = end_clause(design.end_conditions[i], names, shared)
            data["end_conditions"][i]["description"] = f"The game ends {clause}".strip()[:240]
        elif where.part == "turn_structure" and where.field == "phases" and i is not None:
            phase = design.turn_structure.phases[i]
            taken = [a.name for a in design.actions if a.id in phase.actions]
            data["turn_structure"]["phases"][i]["description"] = f"Take {' or '.join(taken) or 'no action'}."[:240]
        elif where.part == "turn_structure":
            data["turn_structure"]["summary"] = "Each player in turn goes through the phases in order."
        elif where.part == "victory" and where.field == "scoring" and i is not None:
            rule = design.victory.scoring[i]
            data["victory"]["scoring"][i]["description"] = \
                f"Score {rule.points:+d} per {', '.join(names.get(ref, ref) for ref in rule.counts)}."[:240]
        elif where.part == "resources" and i is not None:
            data["resources"][i]["description"] = f"{design.resources[i].name}, as the rules use it."
        else:
            continue
        answered.append(finding)
    return GameDesign.model_validate(data), answered


def engine_sentences(engine: GameDesign) -> list[str]:
    """The engine's own prose (names aside): what a re-themed design must not copy."""
    texts = [engine.tagline, engine.theme, engine.introduction, engine.turn_structure.summary,
             engine.victory.tie_breaker]
    texts += [m.how_it_works for m in engine.mechanisms] + [p.description for p in engine.turn_structure.phases]
    texts += [r.description for r in engine.resources] + [a.description for a in engine.actions]
    texts += [c.description for c in engine.components]
    texts += [e.description for e in engine.end_conditions] + [r.description for r in engine.victory.scoring]
    return texts + [card.effect for c in engine.components for card in c.card_types]


def _resource_role(design: GameDesign, rid: str, shown: Mapping[str, str]) -> str:
    """What a resource does in the rules, in a few words, naming actions as the prompt shows them."""
    resource = next(r for r in design.resources if r.id == rid)
    gained = [shown[a.id] for a in design.actions if any(g.resource == rid for g in a.gains)
              or (a.roll is not None and a.roll.resource == rid)]
    spent = [shown[a.id] for a in design.actions if any(c.resource == rid for c in a.costs)]
    scored = [rule.points for rule in design.victory.scoring if rid in rule.counts]
    facts = [f"{'one shared pool' if resource.shared else 'each player'} starts with {resource.starting}"]
    if gained:
        facts.append(f"gained by {', '.join(gained)}")
    if spent:
        facts.append(f"spent by {', '.join(spent)}")
    if scored:
        facts.append(f"worth {scored[0]:+d} points each")
    return "; ".join(facts)


def _component_role(original: Component, component: Component, shown: Mapping[str, str],
                    key: Mapping[str, str]) -> str:
    parts = [f"{component.quantity} {component.kind.value.replace('_', ' ')}"]
    if component.per_player:
        parts.append(f"{component.per_player} per player")
    if component.represents:
        parts.append(f"stands for {shown.get(component.represents, component.represents)}")
    if component.card_types:
        parts.append("cards: " + ", ".join(
            f"{key[f'{original.id}.{card.id}']} (gain "
            f"{', '.join(f'{g.amount} {shown.get(g.resource, g.resource)}' for g in card.gains)})"
            for card in component.card_types))
    return ", ".join(parts)
