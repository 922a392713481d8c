"""A proven engine in the theme's own words: the drafting schemas of the re-theming mode.

A 1.5B model cannot balance an economy in its head, and a game whose numbers are guessed is rarely
worth playing. Designers often start instead from an engine they know works and re-theme it. Here
the engines are the hand-written calibration games (complete rule sets that pass the playtests).
The Mechanics Architect lists the theme's words by kind and chooses the engine that suits the theme
and the request's facts; every part is named from those words by its role (`ontology.game_naming`),
every sentence about what a part does is written from the structure (`ontology.game_wording`), and
the agents write only what the structure cannot know: the action names (keyed by the engine's
actions, so an answer cannot add, drop or rewire one) and the identity. The structure (what each
action costs and yields, the phases, the ends, the scoring, the box) stays the engine's, plus the
theme's danger as round-end pressure where the engine has none; the numbers tuner then fits it to
the requested player count and play time.

The steps and their owners are the free mode's (`ontology.game_drafts`), so a finding routes to the
same agent in both; here the flow, components and setup steps have nothing left for an agent to write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from ontology.core import Finding, Location, Problem, RegisteredCheck, Severity, at
from ontology.game import (
    INCOME_LIMIT,
    Action,
    ComponentKind,
    GameDesign,
    Income,
    MinutesRange,
    PlayerRange,
    Sentence,
    SetupStep,
    ThemePart,
)
from ontology.game_drafts import distinct_id
from ontology.game_naming import (
    ResourceRole,
    ThemeWords,
    pressure_target,
    resource_roles,
    same_name_key,
    themed_names,
)
from ontology.game_prose import NUMBER_WORDS, name_key, stem
from ontology.game_requests import GameRequestFacts
from ontology.game_rulebook import action_terms, part_names, terms_sentence
from ontology.game_validators import (
    ACTIONS,
    COMPONENTS,
    ENGINE,
    GENERIC_WORDS,
    DraftStep,
    fits_the_mode,
    is_generic_name,
    owned_in,
)
from ontology.game_wording import (
    action_title,
    card_effect,
    component_sentence,
    end_sentence,
    mechanism_sentence,
    phase_sentence,
    phase_titles,
    resource_sentence,
    scoring_sentence,
    tie_breaker,
    turn_summary,
)

ENGINE_KEY = "engine"
"""The key of the engine step's answer that names the chosen engine: its presence is the mode."""

WRITTEN_STEPS = frozenset({DraftStep.ACTIONS, DraftStep.IDENTITY})
"""The steps whose words an agent writes for a re-themed engine once it is chosen, and so the only ones a
wording finding goes back to: the action names and the identity.
The engine step writes the theme's words and the choice (rewritten only for a revision request, which
may need another engine); every other name and sentence is written from the structure and the words
(`ontology.game_naming`, `ontology.game_wording`)."""


def chosen_engine(answers: Mapping[DraftStep, dict[str, Any]]) -> str | None:
    """The key of the engine a draft re-themes (None for a free design)."""
    return answers.get(DraftStep.ENGINE, {}).get(ENGINE_KEY)


def theme_words(answers: Mapping[DraftStep, dict[str, Any]]) -> ThemeWords | None:
    """The theme's words the engine step kept (`vocabulary`), which the parts are named from."""
    words = answers.get(DraftStep.ENGINE, {}).get("words")
    return ThemeWords.model_validate(words) if isinstance(words, dict) else None


WORDING_FIELDS = frozenset({"name", "description", "how_it_works", "effect", "summary", "tie_breaker", "phases",
                            "scoring", "card_types", "instruction"})
WORDING_PARTS = frozenset(ThemePart.model_fields)


def about_wording(location: Location) -> bool:
    """Whether a finding at `location` is about words (a name, a sentence), the only thing the steps of
    a re-themed engine write: a finding about its structure is the tuner's or nobody's to fix."""
    return location.part in WORDING_PARTS or (location.field or "").split(".")[-1] in WORDING_FIELDS


Word = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z'-]{2,14}( [A-Za-z'-]{1,14}){0,2}$")]
"""A noun of the theme's world: one to three words, letters only. Free, the model wrote phrases ('Storms and
rough seas') that read badly as a part's name in every rule."""


class EngineChoice(BaseModel):
    """The engine step's one turn. The theme's words come first, before any engine is read, and every
    name is chosen from them by the part's role (`ontology.game_naming`): a 1.5B model renaming an
    engine's parts otherwise keeps the engine's nouns ('Silver' and 'Estate' in a game about fungi;
    measured on the bench's themes). Asked as one list it wrote game words ('Goal', 'Turn'); asked by
    kind, it writes the world's."""

    materials: list[Word] = Field(min_length=4, max_length=6, description=(
        "goods a player could hold in a hand there (found, grown, made or traded; not people, not ideas), from the "
        "commonest to the most precious"))
    works: list[Word] = Field(min_length=2, max_length=4, description=(
        "things the players build, deliver or win there (not people, not ideas), from the least to the most "
        "prized"))
    creatures: list[Word] = Field(min_length=2, max_length=4, description="creatures or people of the theme's world")
    objects: list[Word] = Field(min_length=2, max_length=4, description="tools, vessels, buildings or relics there")
    places: list[Word] = Field(min_length=2, max_length=4, description="places in the theme's world")
    threat: Word = Field(description="the one danger the players face there, in one or two words")
    engine: str
    why: Sentence

    @property
    def words(self) -> ThemeWords:
        return ThemeWords.model_validate(self.model_dump(include=set(ThemeWords.model_fields)))


def _prose(most: int) -> Any:
    """Text of letters and punctuation only, 1 to `most` characters: the rulebook prints every number from
    the structure, and the tuner changes numbers after the words are written, so a number in prose goes
    stale (it did in 8 of 10 bench designs). A list of allowed characters, not of banned ones: with digits
    banned the model wrote CJK numerals, with those banned too, circled ones ('Cost ③ lighthouse'). The
    length bound lives in the pattern, as xgrammar ignores maxLength beside one; the quote and the backslash
    stay out, because xgrammar matches the pattern against the raw JSON text of the string: a class that
    allowed `"` let the model run past the string's end (3 of 3 bench runs broke)."""
    return Annotated[str, StringConstraints(
        pattern=f"^[A-Za-z\u00c0-\u024f ,.;:!?'()&/\u2019\u2013\u2014-]{{1,{most}}}$")]


class IdentityText(BaseModel):
    """The identity step's answer for a re-themed engine: `ThemePart` without numbers."""

    title: _prose(60)  # type: ignore[valid-type]
    tagline: _prose(140)  # type: ignore[valid-type]
    theme: _prose(240)  # type: ignore[valid-type]
    introduction: _prose(600)  # type: ignore[valid-type]


ActionName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3,12}( [A-Za-z']{1,12}){0,3}$")]
"""An action's or a phase's name: one to four words a player says at the table, no numbers (the rulebook
prints those), starting with a word of three letters or more (a phase came back named 'a a', an action
'Pay for Lighthouse and Storms and Ruddr', cut at the length bound)."""


def _keyed(name: str, keys: Sequence[str], value: Any) -> type[BaseModel]:
    """An object with exactly these keys, each holding a `value`."""
    fields: dict[str, Any] = {key: (value, ...) for key in keys}
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


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

ABSTRACT = re.compile(r"(?:escence|ism|ness|system)$")
"""Endings of nouns that are never a thing on the table: the model listed 'Bioluminescence', 'Cave ecosystem'
and 'Navigation system' among the materials and works of its themes. (Broader endings such as -tion, -ment or
-ence would also drop Station, Parchment and Fence.)"""


def _concrete(text: str) -> bool:
    """A name of a thing of the world: no generic or game word in it, not an abstract noun."""
    words = [word.removesuffix("s") if len(word) > 3 else word for word in slug(text).split("_")]
    return bool(words[0]) and not set(words) & (GENERIC_WORDS | GAME_WORDS) and not ABSTRACT.search(words[-1])


def _kept(words: Sequence[str], nouns: set[str]) -> list[str]:
    kept: dict[str, str] = {}
    for word in words:
        text = re.split(r"\s(?:and|or)\s", " ".join(word.split()))[0]  # 'Predators and pests': a phrase
        text = text.strip(" .,;:!?\"'")
        text = text[:1].upper() + text[1:]
        if _concrete(text) and not _words(text) & nouns:
            kept.setdefault(text.lower(), text)
    return list(kept.values())


_THEME_BREAK = re.compile(r"\b(?:of|on|in|at|to|from|through|across|with|for|and|under|over|\w+ing)\b")


def players_noun(theme: str) -> str:
    """Who the players are, as a theme usually opens ('rival tea merchants on the Silk Road': merchant;
    'lighthouse keepers guiding ships': keeper), singular and lower case; '' when it does not say."""
    head = _THEME_BREAK.split(theme.lower(), maxsplit=1)[0].split()
    return stem(head[-1]) if head else ""


def vocabulary(words: ThemeWords, engine: GameDesign, theme: str) -> ThemeWords:
    """The theme's words that can name parts: tidied, once each, none generic or about the game, none
    that keeps a noun of the engine's own part names the theme does not use, and no good or work named
    after the players themselves (the model listed 'Rival tea merchant' as what tea merchants win)."""
    nouns = _engine_nouns(engine, theme)
    pools = {kind: _kept(pool, nouns) for kind, pool in words.pools().items()}
    if who := players_noun(theme):
        for kind in ("materials", "works"):
            pools[kind] = [word for word in pools[kind] if who not in set(name_key(word))]
    threat = _kept([words.threat], nouns)
    return ThemeWords(**pools, threat=threat[0] if threat else "")


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
    """Action id -> the key the actions step answers under (a1, a2, ...). Measured on the bench's
    themes: under the engine's own ids the 1.5B model wrote about the engine's things."""
    return {a.id: f"a{i}" for i, a in enumerate(engine.actions, start=1)}


class FromStructure(BaseModel):
    """The answer of a step written from the structure: nothing for an agent to write."""


def names_schema(step: DraftStep, engine: GameDesign) -> type[BaseModel]:
    """The schema of `step`'s answer for this engine: the engine step's words and choice, the action
    names (keyed by `step_keys`), the identity; the other steps are written from the structure."""
    if step is DraftStep.ENGINE:
        return create_model("EngineWordsDraft", engine=(str, ...), why=(str, ...), words=(ThemeWords, ...))
    if step is DraftStep.ACTIONS:
        key = step_keys(engine)
        return _keyed("ActionNamesDraft", [key[a.id] for a in engine.actions], ActionName)
    if step is DraftStep.IDENTITY:
        return IdentityText
    return FromStructure


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
    for step, answer in answers.items():
        try:
            names_schema(step, engine).model_validate(answer)
        except ValidationError:
            continue
        kept[step] = answer
    return kept


def _threatened_income(engine: GameDesign, threat: str) -> list[dict[str, Any]]:
    """The engine's round-end income with the theme's danger as the cause of every upkeep, and, where
    the engine has no pressure of its own (no upkeep, no shared threat, no taking from rivals), the
    danger taking one of the commonest material from each player every round: the theme's central
    conflict as a rule the simulator plays, not only as flavour text."""
    incomes = [income.model_dump(mode="json") for income in engine.turn_structure.income]
    if not threat:
        return incomes
    shared = {r.id for r in engine.resources if r.shared}
    for income in incomes:
        if income["amount"] < 0 and income["resource"] not in shared:
            income["cause"] = threat
    pressured = (ResourceRole.THREAT in resource_roles(engine).values() or any(a.take for a in engine.actions)
                 or any(income["amount"] < 0 for income in incomes))
    target = pressure_target(engine)
    if not pressured and target is not None and len(incomes) < INCOME_LIMIT:
        incomes.append(Income(resource=target, amount=-1, cause=threat).model_dump(mode="json"))
    return incomes


RULE_VERBS = frozenset({"pay", "gain", "take", "get", "spend", "collect", "use", "draw", "buy", "lose", "roll",
                        "turn", "bring", "give"})
"""Verbs of the rulebook (and of the actions step's own prompt), not of the theme's world: the embedded model
named 16 of 16 actions of three engines 'Pay two lamp oil', 'Draw two cards', 'Turns Rope into' or 'rolls
dice for Moss', copying how the prompt put what each action does."""


def _fit_name(name: str, action: Action, names: Mapping[str, str]) -> bool:
    """Whether an agent's action name can stand: not generic, not opening with a rulebook verb, no number
    word (the model wrote 'Find two Bee hives' for an action that yields one hive and one flower), and no
    part named that the action does not touch ('Obtain silver coin with diamond')."""
    words = name.lower().split()
    if is_generic_name(name) or words[0].removesuffix("s") in RULE_VERBS or set(words) & set(NUMBER_WORDS):
        return False
    touched = {a.resource for a in (*action.costs, *action.gains, *action.take)} | set(action.components)
    touched |= {action.roll.resource} if action.roll else set()
    return not any(_mentions(name, part) for ref, part in names.items() if ref not in touched)


def _mentions(text: str, part: str) -> bool:
    """Whether `text` names `part`: its words in a row, plural endings aside ('Explore' does not mention
    'Ore')."""
    said, named = name_key(text), name_key(part)
    return any(said[i:i + len(named)] == named for i in range(len(said) - len(named) + 1))


def _distinct_action_names(design: GameDesign) -> GameDesign:
    """Each action named by its agent, unless the name is generic ('Pay and gain') or already names
    another part, or begins with a verb of the rules rather than of the world ('Pay for Lighthouse'):
    then by what it does ('Trade Rope for Lamp oil'), so no two parts share a name."""
    names = part_names(design)
    taken = {same_name_key(name) for name in names.values()}
    decks = {c.id: c for c in design.components if c.kind is ComponentKind.DECK}
    shared = frozenset(r.id for r in design.resources if r.shared)
    actions = []
    for action in design.actions:
        name = action.name[:1].upper() + action.name[1:]
        if not _fit_name(name, action, names) or same_name_key(name) in taken:
            name = plain = action_title(action, names, decks, shared)
            number = 1
            while same_name_key(name) in taken:
                number += 1
                name = f"{plain} ({number})"
        taken.add(same_name_key(name))
        actions.append(action.model_copy(update={"name": name}))
    return design.model_copy(update={"actions": actions})


def worded(design: GameDesign) -> GameDesign:
    """The design with every sentence about what a part does written from its structure
    (`ontology.game_wording`): mechanisms, resources, components and cards, phases, the turn, ends,
    scoring, ties and setup, the phases' names among them; and the story without a sentence that
    contradicts the mode. The agents' words stay in the action names and the identity."""
    data = design.model_dump(mode="json")
    names = part_names(design)
    for mechanism, family in zip(data["mechanisms"], (m.family for m in design.mechanisms), strict=True):
        mechanism["name"] = family.value.replace("_", " ").capitalize()
        mechanism["how_it_works"] = mechanism_sentence(family, design)
    for resource, held in zip(data["resources"], design.resources, strict=True):
        resource["description"] = resource_sentence(held, design)
    for component, part in zip(data["components"], design.components, strict=True):
        component["description"] = component_sentence(part, design)
        for card, card_type in zip(component["card_types"], part.card_types, strict=True):
            card["effect"] = card_effect(", ".join(f"{g.amount} {names.get(g.resource, g.resource)}"
                                                   for g in card_type.gains))
    decks = {c.id: c for c in design.components if c.kind is ComponentKind.DECK}
    for action, rules in zip(data["actions"], design.actions, strict=True):
        action["description"] = terms_sentence(rules, names, decks)
    titles = phase_titles(design)
    for phase, title, original in zip(data["turn_structure"]["phases"], titles, design.turn_structure.phases,
                                      strict=True):
        phase["name"], phase["description"] = title, phase_sentence(original, design)
    data["turn_structure"]["summary"] = turn_summary(titles, design)
    data["victory"]["tie_breaker"] = tie_breaker(design)
    for i, end in enumerate(data["end_conditions"]):
        end["description"] = end_sentence(i, design)
    for i, rule in enumerate(data["victory"]["scoring"]):
        rule["description"] = scoring_sentence(i, design)
    data["setup"] = [SetupStep(instruction=text, components=[c.id]).model_dump(mode="json")
                     for c, text in zip(design.components, setup_steps(design), strict=True)]
    for field in ("tagline", "theme", "introduction"):
        data[field] = _true_to_the_mode(data[field], design.cooperative)
    return GameDesign.model_validate(data)


STORY_SENTENCES = 3
"""The most sentences of a re-themed design's story: past the scene, the embedded model went on to invent
rules the game does not have ('each player has a hand of five cards ... can discard any number')."""


def _true_to_the_mode(text: str, cooperative: bool) -> str:
    """`text` without the sentences that contradict the game's mode, and at most `STORY_SENTENCES` long.
    The embedded model called 2 of 10 competitive designs 'a cooperative game' and kept doing so when told
    (the struggle against the theme's danger reads to it as teamwork); a sentence less is better than a
    false one."""
    kept = [s for s in re.split(r"(?<=[.!?])\s+", text) if fits_the_mode(s, cooperative)][:STORY_SENTENCES]
    mode = "A game for the whole team, won or lost together." if cooperative else "Each player plays to win."
    return " ".join(kept).strip() or mode


def reskin(engine: GameDesign, answers: Mapping[DraftStep, dict[str, Any]],
           facts: GameRequestFacts | None = None) -> GameDesign:
    """The engine in the theme's words: its parts named from the engine step's words by their roles,
    the actions as the actions step named them, the identity as written (the engine's own names where
    a step is not written yet), the theme's danger as the round's pressure, every sentence
    about a part written from the structure, its shape narrowed to the request, and ids made from the
    new names. The rules text is left empty: the pipeline renders it from the structure."""
    answers = {step: _tidy(answer) for step, answer in fitting(engine, answers).items()}
    data = engine.model_dump(mode="json") | _shape(engine, facts or GameRequestFacts())
    data["rules"] = []
    words = theme_words(answers)
    names = themed_names(engine, words) if words else {}
    for resource in data["resources"]:
        resource["name"] = names.get(resource["id"], resource["name"])
    for component in data["components"]:
        component["name"] = names.get(component["id"], component["name"])
        for card in component["card_types"]:
            card["name"] = names.get(f"{component['id']}.{card['id']}", card["name"])
    renamed = set(names)
    if written := answers.get(DraftStep.ACTIONS):
        key = step_keys(engine)
        for action in data["actions"]:
            action["name"] = written[key[action["id"]]]
        renamed |= set(key)
    if identity := answers.get(DraftStep.IDENTITY):
        data.update(ThemePart.model_validate(identity).model_dump())
    if words:
        data["turn_structure"]["income"] = _threatened_income(engine, words.threat)
    design = _distinct_action_names(GameDesign.model_validate(data))
    current = {a.id: a.name for a in design.actions} | part_names(design)
    return worded(rename_ids(design, _renamed_ids(engine, {ident: current[ident] for ident in renamed
                                                           if ident in current})))


def step_task(step: DraftStep, engine: GameDesign, answers: Mapping[DraftStep, dict[str, Any]],
              facts: GameRequestFacts | None = None) -> str:
    """What the step's author writes, with what each part does in play, by the keys its schema asks
    for and the names the parts have so far."""
    preview = reskin(engine, answers, facts)
    names, key = part_names(preview), step_keys(engine)
    decks = {c.id: c for c in preview.components if c.kind is ComponentKind.DECK}
    words = theme_words(answers)
    threat = words.threat if words else ""
    if step is DraftStep.ACTIONS:
        lines = "\n".join(f"- {key[original.id]}: {action_terms(action, names, decks) or 'no cost or yield'}"
                          for original, action in zip(engine.actions, preview.actions, strict=True))
        return ("Name each action in the theme's own words: a short verb phrase a player would say at the table, "
                "with a verb of this world (not pay, gain, take, draw or buy: the rulebook prints what it costs "
                f"and yields) and a different verb for each action. What each action does:\n{lines}")
    scored = ", ".join(dict.fromkeys(names.get(ref, ref) for rule in preview.victory.scoring for ref in rule.counts))
    danger = f" against {threat}" if threat else ""
    goal = ("it is a cooperative game: the players win or lose together" if preview.cooperative else
            "it is a competitive game, each player for themselves: the player who scores most wins")
    return ("Write the game's identity: title, tagline, a one-sentence theme, and an introduction of two or three "
            f"sentences for the rulebook that sets the scene: who the players are, the struggle{danger}, and that "
            f"{goal}, by gaining {scored}. Describe no rule, card, hand or number: the rulebook states the rules.")


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
            if held.shared and held.starting:
                steps.append(f"Put {held.starting} {c.name} in the shared pool and the rest in the supply.")
            elif held.shared:
                steps.append(f"Put the {c.name} in the supply; the shared pool starts empty.")
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
    names = [r.name for r in engine.resources] + [c.name for c in engine.components]
    names += [card.name for c in engine.components for card in c.card_types]
    words = set().union(*(_words(name) for name in names))  # nouns: action names are verbs ('gather')
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


def engine_sentences(engine: GameDesign) -> list[str]:
    """The engine's own prose (names aside): what a re-themed design must not copy."""
    texts = [engine.tagline, engine.theme, engine.introduction, engine.turn_structure.summary,
             engine.victory.tie_breaker]
    texts += [m.how_it_works for m in engine.mechanisms] + [p.description for p in engine.turn_structure.phases]
    texts += [r.description for r in engine.resources] + [a.description for a in engine.actions]
    texts += [c.description for c in engine.components]
    texts += [e.description for e in engine.end_conditions] + [r.description for r in engine.victory.scoring]
    return texts + [card.effect for c in engine.components for card in c.card_types]
