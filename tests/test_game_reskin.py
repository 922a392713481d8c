"""Re-theming a proven engine: the schemas keep the structure, every part is named from the theme's
words by its role (distinct by construction), sentences about parts come from the structure, and a
scripted run through the pipeline comes out as the engine's rules in new words."""

from __future__ import annotations

import json
from typing import Any

import dspy
import pytest
from pydantic import ValidationError

from agents.game_studio import Brief, Studio
from agents.lm.testing import ScriptedEngine, scripted_lm
from ontology.core import Severity, at, errors
from ontology.game import GameDesign
from ontology.game_naming import ResourceRole, ThemeWords, commonness, pressure_target, resource_roles
from ontology.game_requests import facts_from_request
from ontology.game_reskin import (
    ENGINE_KEY,
    about_wording,
    candidates,
    engine_nouns,
    names_schema,
    players_noun,
    reskin,
    setup_steps,
    slug,
    step_keys,
    vocabulary,
    worded,
)
from ontology.game_rulebook import render_rulebook, rules_sections
from ontology.game_validators import DraftStep, validate_design
from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps, GameGrammarState, build_graph
from retrieval.calibration import load_calibration_games, rank_engines
from retrieval.embeddings import shared_embedder
from tests.studio_script import VERDICT
from tools.games.playtest import PlaytestBudget
from tools.games.simulator import Rules
from tools.games.tuning import TuningBudget

ENGINES = load_calibration_games()

WORDS = ThemeWords(materials=["Spores", "Moss", "Glowcaps", "Amber sap", "Starlight dew"],
                   works=["Colonies", "Fruiting towers", "Ancient rings"],
                   creatures=["Beetles", "Bats", "Fungus folk"], objects=["Lanterns", "Root drums", "Spore pods"],
                   places=["Cavern", "Deep pool", "Hollow"], threat="Blight")


def chosen(key: str, words: ThemeWords = WORDS) -> dict[str, Any]:
    """The engine step's answer as the studio stores it: the words the engine's nouns leave."""
    kept = vocabulary(words, ENGINES[key], "glowing fungi in a cave")
    return {ENGINE_KEY: key, "why": "Glowing things grow.", "words": kept.model_dump()}


def _deed(ident: str) -> str:
    """An action name unique per id (its letters, shifted, so no engine word shows through)."""
    code = "".join(chr(ord("a") + (ord(ch) - ord("a") + 7) % 26) if ch.isalpha() else "x" for ch in ident)
    return f"Glow {code[:6]} {code[6:12] or 'on'}"


def names_for(engine: GameDesign) -> dict[DraftStep, dict[str, Any]]:
    """Answers to every step for `engine`: the written steps by the keys they see, the others empty."""
    key = step_keys(engine)
    return {
        DraftStep.ENGINE: chosen(next(k for k, e in ENGINES.items() if e is engine)),
        DraftStep.ACTIONS: {key[a.id]: _deed(a.id) for a in engine.actions},
        DraftStep.FLOW: {}, DraftStep.COMPONENTS: {}, DraftStep.SETUP: {},
        DraftStep.IDENTITY: {"title": "Glowcap", "tagline": "Glow or fade.", "theme": "Fungi glow in a cave.",
                             "introduction": "Deep in the cave the caps wake."},
    }


def _structure(design: GameDesign) -> Any:
    """What the simulator reads, with ids replaced by their positions: equal for a design and its reskin."""
    rules = Rules.compile(design)
    return ([(a.costs, a.gains, a.roll, a.draw, a.deck, a.take, a.limit, a.price_step) for a in rules.actions],
            rules.phases, rules.starting, rules.shared, rules.token_supply, rules.income, rules.decks,
            rules.card_gains, [(e.kind, e.rounds, e.threshold, e.resource, e.deck, e.supply) for e in rules.ends],
            rules.scoring, rules.cooperative, design.turn_structure.actions_per_phase)


@pytest.mark.parametrize("key", sorted(ENGINES))
def test_a_reskinned_engine_keeps_its_structure_and_names_every_part_from_the_theme(key: str) -> None:
    engine = ENGINES[key]
    answers = names_for(engine)
    for step, answer in answers.items():
        names_schema(step, engine).model_validate(answer)
    design = reskin(engine, answers)
    plain, added = Rules.compile(design), Rules.compile(engine)
    income = 5  # the round's end may gain the theme's danger, checked below
    assert [*_structure(design)[:income], *_structure(design)[income + 1:]] == \
        [*_structure(engine)[:income], *_structure(engine)[income + 1:]]
    assert plain.income[:len(added.income)] == added.income and len(plain.income) - len(added.income) <= 1
    names = [r.name for r in design.resources] + [a.name for a in design.actions] + [c.name for c in design.components]
    assert len({name.lower() for name in names}) == len(names)
    assert all(a.id == slug(a.name) for a in design.actions)
    assert {c.id for c in design.components}.isdisjoint({r.id for r in design.resources})
    assert design.title == "Glowcap" and [s.components for s in design.setup] == [[c.id] for c in design.components]
    assert not {f.code for f in validate_design(design)} & {"generic_name", "duplicate_name"}
    assert {f.code for f in validate_design(design) if f.severity is Severity.ERROR} == \
        {f.code for f in validate_design(engine) if f.severity is Severity.ERROR}
    theirs = {word.lower() for word in _engine_words(engine)}
    assert not [(name, word) for name in names for word in theirs if word in name.lower()]


def _engine_words(engine: GameDesign) -> set[str]:
    """The engine's own nouns of 5+ letters, which no re-themed name may keep."""
    names = [r.name for r in engine.resources] + [c.name for c in engine.components]
    generic = {"tokens", "board", "cards", "tiles", "pieces", "player", "boards"}
    return {word for name in names for word in name.split() if len(word) > 4 and word.lower() not in generic}


def test_each_part_takes_a_word_of_the_kind_its_role_needs() -> None:
    stone_age = reskin(ENGINES["stone_age"], {DraftStep.ENGINE: chosen("stone_age")})
    roles = resource_roles(ENGINES["stone_age"])
    common = commonness(ENGINES["stone_age"])
    materials = sorted((r for r in ENGINES["stone_age"].resources if roles[r.id] is ResourceRole.MATERIAL),
                       key=lambda r: -common[r.id])
    renamed = {r.name for r in stone_age.resources}
    assert [stone_age.resources[ENGINES["stone_age"].resources.index(r)].name for r in materials] == WORDS.materials[:4]
    assert "Colonies" in renamed  # huts score: a work
    assert next(c.name for c in stone_age.components if c.kind.value == "board") == "Cavern"
    assert next(c.name for c in stone_age.components if c.kind.value == "player_pieces") == "Beetles"
    pandemic = reskin(ENGINES["pandemic"], {DraftStep.ENGINE: chosen("pandemic")})
    assert roles_named(pandemic, "infection") == "Blight"  # the shared pool the team fights is the danger


def roles_named(design: GameDesign, engine_id: str) -> str:
    engine = next(e for e in ENGINES.values() if any(r.id == engine_id for r in e.resources)
                  and len(e.resources) == len(design.resources))
    return design.resources[[r.id for r in engine.resources].index(engine_id)].name


def test_names_stay_distinct_when_the_theme_gives_few_words() -> None:
    few = ThemeWords(materials=["Moss"], works=["Colony"], creatures=[], objects=["Lantern"], places=["Cave"],
                     threat="Moss")
    for key, engine in ENGINES.items():
        design = reskin(engine, {DraftStep.ENGINE: chosen(key, few)})
        names = [r.name.lower() for r in design.resources] + [c.name.lower() for c in design.components]
        assert len(set(names)) == len(names), key


def test_the_theme_s_danger_is_a_rule_where_the_engine_has_no_pressure_of_its_own() -> None:
    splendor = reskin(ENGINES["splendor"], names_for(ENGINES["splendor"]))
    danger = splendor.turn_structure.income[-1]
    target = pressure_target(ENGINES["splendor"])
    assert (danger.amount, danger.cause) == (-1, "Blight") and target is not None
    assert danger.resource == slug(roles_named(splendor, target))
    assert "**Blight**: each player loses 1 " in render_rulebook(splendor.model_copy(
        update={"rules": rules_sections(splendor)}))
    stone_age = reskin(ENGINES["stone_age"], names_for(ENGINES["stone_age"]))  # its upkeep takes the danger's name
    assert [(i.amount, i.cause) for i in stone_age.turn_structure.income] == [(-2, "Blight")]
    assert len(reskin(ENGINES["king_of_tokyo"], names_for(ENGINES["king_of_tokyo"])).turn_structure.income) == 0


def test_a_generic_or_repeated_action_name_is_replaced_by_what_the_action_does() -> None:
    engine = ENGINES["ticket_to_ride"]
    answers = names_for(engine)
    answers[DraftStep.ACTIONS] = dict.fromkeys(answers[DraftStep.ACTIONS], "Glow and glow")
    answers[DraftStep.ACTIONS]["a1"] = "Moss"  # a resource's name
    answers[DraftStep.ACTIONS]["a3"] = "Pay for the moss"  # a verb of the rulebook
    answers[DraftStep.ACTIONS]["a4"] = "Find two lanterns"  # a number word
    answers[DraftStep.ACTIONS]["a5"] = "Explore the Glowcaps"  # a part the action does not touch
    design = reskin(engine, answers)
    names = [a.name for a in design.actions]
    assert len(set(names)) == len(names) and names[0].startswith("Draw from the ")
    assert names[1] == "Glow and glow" and all(name.startswith("Trade ") and " for " in name for name in names[2:])


def test_actions_that_read_alike_are_numbered_apart() -> None:
    engine = ENGINES["jaipur"]  # two actions trade the same goods for the same coin
    answers = {**names_for(engine), DraftStep.ACTIONS: dict.fromkeys(names_for(engine)[DraftStep.ACTIONS], "Glow")}
    names = [a.name for a in reskin(engine, answers).actions]
    assert len({name.lower() for name in names}) == len(names) and any(name.endswith(" (2)") for name in names)


def test_a_sentence_that_contradicts_the_mode_is_left_out_of_the_story() -> None:
    engine = ENGINES["power_grid"]
    answers = names_for(engine)
    answers[DraftStep.IDENTITY] = {**answers[DraftStep.IDENTITY], "tagline": "Work together or fail.",
                                   "introduction": "In this cooperative game, the crew repairs the station. "
                                                   "The blight creeps closer every night."}
    design = reskin(engine, answers)
    assert design.introduction == "The blight creeps closer every night."
    assert design.tagline == "Each player plays to win." and errors(validate_design(design)) == []


def test_ids_follow_names_and_stay_distinct() -> None:
    engine = ENGINES["stone_age"]
    answers = names_for(engine)
    answers[DraftStep.ACTIONS] = dict.fromkeys(answers[DraftStep.ACTIONS], "Forage")
    design = reskin(engine, answers)
    ids = [a.id for a in design.actions]
    assert ids[0] == "forage" and len(set(ids)) == len(ids)
    assert slug("Glühwürmchen Höhle") == "gluhwurmchen_hohle" and slug("蘑菇") == "" and slug("3 Caps") == "caps"


def test_the_request_picks_which_engines_are_offered_and_narrows_the_shape() -> None:
    assert candidates(ENGINES, facts_from_request("a solo game of beekeeping")) == ["spirit_island"]
    assert set(candidates(ENGINES, facts_from_request("a cooperative rescue"))) == {"pandemic", "spirit_island"}
    five = candidates(ENGINES, facts_from_request("pirates, for 5 players"))
    assert "jaipur" not in five and "carcassonne" in five
    design = reskin(ENGINES["stone_age"], {}, facts_from_request("a 2 player duel, under 30 minutes"))
    assert (design.players.min, design.players.max) == (2, 2) and design.play_time_minutes.max == 30


def test_only_findings_about_words_go_back_to_a_reskinned_design_s_steps() -> None:
    assert about_wording(at("actions", 2, "name")) and about_wording(at("tagline"))
    assert about_wording(at("components", 0, "card_types.description"))
    assert not about_wording(at("actions", 2)) and not about_wording(at("end_conditions", 0, "threshold"))


def _reply(key: str, value: Any) -> str:
    return json.dumps({key: value})


def test_a_scripted_run_re_themes_the_chosen_engine_end_to_end() -> None:
    engine = ENGINES["splendor"]
    answers = names_for(engine)
    script = [
        _reply("engine_choice", {**WORDS.model_dump(), "engine": "splendor", "why": "Gathering glows like gems."}),
        _reply("actions", answers[DraftStep.ACTIONS]), _reply("identity", answers[DraftStep.IDENTITY]), VERDICT,
    ]
    lm_engine = ScriptedEngine(*script)
    few_games = PlaytestBudget(greedy_games=6, search_games=2, search_playouts=2, restricted_games=4)
    config = GameGrammarConfig(max_reasks=0, playtest=few_games, playtest_games=20,
                               tuning=TuningBudget(evaluations=2, confirm_games=20, playtest=few_games))
    graph = build_graph(GameGrammarDeps(search=lambda query, constraints, k: [], config=config,
                                        rank_engines=lambda theme, engines: ["splendor", "pandemic", *engines]))
    with dspy.context(lm=scripted_lm(lm_engine)):
        final = GameGrammarState.model_validate(graph.invoke(
            GameGrammarState(theme="glowing fungi trading spores", constraints="none"), {"recursion_limit": 60}))
    assert final.failure is None and final.design is not None and final.critique is None
    assert final.answers[DraftStep.ENGINE][ENGINE_KEY] == "splendor"
    choice_prompt = lm_engine.requests[0].messages[-1].text or ""
    assert "splendor" in choice_prompt and "pandemic" in choice_prompt
    actions_prompt = lm_engine.requests[1].messages[-1].text or ""
    assert "Spores" in actions_prompt  # the actions step reads the resources by their new names
    identity_prompt = lm_engine.requests[2].messages[-1].text or ""
    assert "Blight" in identity_prompt  # the introduction is asked for the theme's struggle
    assert final.design.title == "Glowcap" and final.design.rules and final.playtest is not None
    assert [step.instruction for step in final.design.setup] == setup_steps(final.design)
    assert len(lm_engine.requests) == len(script)


def test_a_free_design_is_written_when_no_engine_fits_the_request() -> None:
    party = Studio(Brief(theme="a party game for 7 players", constraints="none", exemplars=""),
                   engines=ENGINES, offer=list(ENGINES))
    assert party.offered == [] and party.draft.schema_for(DraftStep.ENGINE).model_fields["players"]
    solo = Studio(Brief(theme="a solo game", constraints="none", exemplars=""), engines=ENGINES, offer=list(ENGINES))
    assert solo.offered == ["spirit_island"]


def test_setup_comes_from_the_structure() -> None:
    design = reskin(ENGINES["stone_age"], names_for(ENGINES["stone_age"]))
    steps = setup_steps(design)
    assert [step.instruction for step in design.setup] == steps
    food = next(c for c in design.components if c.represents == design.resources[0].id)
    assert f"Each player takes {design.resources[0].starting} {food.name}" in steps[design.components.index(food)]
    assert steps[0] == f"Place the {design.components[0].name} in the middle of the table."


def test_a_name_that_keeps_the_engine_s_noun_goes_back_to_its_author_unless_the_theme_uses_it() -> None:
    engine = ENGINES["stone_age"]
    design = reskin(engine, names_for(engine))
    renamed = design.model_copy(update={"actions": [design.actions[0].model_copy(update={"name": "Glowing Wood"}),
                                                    *design.actions[1:]]})
    [found] = engine_nouns(renamed, engine, "bioluminescent fungi in a cave")
    assert (found.code, str(found.location), found.step) == ("engine_noun", "actions[0].name", "actions")
    assert engine_nouns(renamed, engine, "wood elves of the deep forest") == []


def test_answers_written_for_another_engine_are_left_out_until_rewritten() -> None:
    splendor, stone_age = ENGINES["splendor"], ENGINES["stone_age"]
    mixed = {**names_for(stone_age), DraftStep.ACTIONS: names_for(splendor)[DraftStep.ACTIONS]}
    design = reskin(stone_age, mixed)
    assert [a.name for a in design.actions] == [a.name for a in stone_age.actions]
    assert design.resources[0].name != stone_age.resources[0].name


def test_only_the_written_steps_call_the_model_once_the_engine_is_chosen() -> None:
    engine = ENGINES["stone_age"]
    answers = names_for(engine)
    lm_engine = ScriptedEngine(_reply("actions", answers[DraftStep.ACTIONS]))
    studio = Studio(Brief(theme="glowing fungi", constraints="none", exemplars=""),
                    answers={DraftStep.ENGINE: answers[DraftStep.ENGINE]}, engines=ENGINES, offer=list(ENGINES))
    with dspy.context(lm=scripted_lm(lm_engine)):
        assert studio.write(DraftStep.ENGINE, "- resources[1].name: fix it")[ENGINE_KEY] == "stone_age"
        studio.write(DraftStep.ACTIONS)
        assert studio.write(DraftStep.FLOW) == {} and studio.write(DraftStep.COMPONENTS) == {}
    assert len(lm_engine.requests) == 1 and studio.draft.stale_after(DraftStep.ENGINE) == []


def test_names_come_from_the_theme_s_words_never_the_engine_s_nouns() -> None:
    engine = ENGINES["dominion"]
    words = vocabulary(ThemeWords(materials=["glowcap", "Spore Silver", "tokens", "Mycelium", "mycelium",
                                             "  cave  moss "], works=["Dark Pool", "Competition", "End"],
                                  threat="Province"), engine, "fungi in a cave")
    assert words.materials == ["Glowcap", "Mycelium", "Cave moss"] and words.works == ["Dark Pool"]
    assert words.threat == ""
    phrase = vocabulary(ThemeWords(threat="Predators and pests", places=["Rival or force"]), engine, "a farm")
    assert (phrase.threat, phrase.places) == ("Predators", ["Rival"])
    things = vocabulary(ThemeWords(materials=["Bioluminescence", "Resource gathering", "Cave ecosystem", "Fence",
                                              "Parchment", "Station"]), engine, "a farm")
    assert things.materials == ["Fence", "Parchment", "Station"]
    mine = vocabulary(ThemeWords(materials=["Tea leaf", "Merchant's purse"], works=["Rival tea merchant", "Caravan"]),
                      engine, "rival tea merchants on the Silk Road")
    assert (mine.materials, mine.works) == (["Tea leaf"], ["Caravan"])  # the players are not what they win
    assert [players_noun(t) for t in ("foxes and hens in a farmyard", "lighthouse keepers guiding ships",
                                      "a crew of astronauts", "bioluminescent fungi")] == ["fox", "keeper", "crew",
                                                                                           "fungi"]


@pytest.mark.parametrize("text", ["Gain 3 caps.", "获得 二十 个", "Gain ３ caps.", "Cost ③ caps.", "Gain ½ a cap.",
                                  "x" * 601, "Say \"grow\" twice."])
def test_prose_the_tuner_could_make_stale_cannot_be_written(text: str) -> None:
    schema = names_schema(DraftStep.IDENTITY, ENGINES["stone_age"])
    identity = {"title": "Glowcap", "tagline": "Glow or fade.", "theme": "Fungi glow.",
                "introduction": "Deep in the cave, the caps wake – and the blight comes (as it always does)."}
    schema.model_validate(identity)
    with pytest.raises(ValidationError):
        schema.model_validate({**identity, "introduction": text})
    with pytest.raises(ValidationError):
        names_schema(DraftStep.ACTIONS, ENGINES["stone_age"]).model_validate(dict.fromkeys(
            names_for(ENGINES["stone_age"])[DraftStep.ACTIONS], "Forage 3 caps"))


def test_the_engines_closest_to_the_theme_are_offered_first() -> None:
    embedder = shared_embedder()
    assert rank_engines("farmers ploughing fields and raising a family in a village", ENGINES, embedder)[0] == \
        "agricola"
    assert "splendor" in rank_engines("gem merchants buying mines and attracting nobles", ENGINES, embedder)[:2]
    studio = Studio(Brief(theme="a cooperative rescue", constraints="none", exemplars=""), engines=ENGINES,
                    offer=rank_engines("a cooperative rescue", ENGINES, embedder))
    assert set(studio.offered) == {"pandemic", "spirit_island"}


def test_every_sentence_about_a_part_comes_from_the_structure_even_after_tuning() -> None:
    engine = ENGINES["stone_age"]
    design = reskin(engine, names_for(engine))
    assert [a.description for a in design.actions][0].startswith("Roll ")
    assert [p.name for p in design.turn_structure.phases] == ["Rolling", "Building"]
    rounds = next(i for i, e in enumerate(design.end_conditions) if e.rounds)
    retuned = design.model_copy(update={"end_conditions": [
        e.model_copy(update={"rounds": 17}) if i == rounds else e for i, e in enumerate(design.end_conditions)]})
    assert "17 rounds" in worded(retuned).end_conditions[rounds].description
    assert errors(validate_design(worded(retuned))) == []
