"""Re-theming a proven engine: the schemas keep the structure, the names and ids follow the answers,
and a scripted run through the pipeline comes out as the engine's rules in new words."""

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
from ontology.game_requests import facts_from_request
from ontology.game_reskin import (
    ENGINE_KEY,
    about_wording,
    candidates,
    engine_nouns,
    names_schema,
    plain_wording,
    reskin,
    setup_steps,
    slug,
    step_keys,
    vocabulary,
)
from ontology.game_validators import DraftStep, validate_design
from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps, GameGrammarState, build_graph
from retrieval.calibration import load_calibration_games, rank_engines
from retrieval.embeddings import shared_embedder
from tests.studio_script import VERDICT
from tools.games.playtest import PlaytestBudget
from tools.games.simulator import Rules
from tools.games.tuning import TuningBudget

ENGINES = load_calibration_games()


def _text(kind: str, ident: str) -> dict[str, str]:
    """A name unique per id (its letters, shifted, so no engine word or mechanism name shows through)."""
    code = "".join(chr(ord("a") + (ord(ch) - ord("a") + 7) % 26) if ch.isalpha() else "x" for ch in ident)
    return {"name": f"Glow {kind} {code}", "description": f"A glowing {kind} of the cave."}


def names_for(engine: GameDesign) -> dict[DraftStep, dict[str, Any]]:
    """Answers to every step for `engine` (by the neutral keys the steps see), each name made from
    the part's kind and engine id."""
    key = step_keys(engine)
    components: dict[str, Any] = {}
    for c in engine.components:
        components[key[c.id]] = _text("part", c.id)
        if c.card_types:
            components[key[c.id]]["cards"] = {key[f"{c.id}.{card.id}"]: {"name": f"Spore {card.id}",
                                                                          "effect": "It glows."}
                                              for card in c.card_types}
    return {
        DraftStep.ENGINE: {"mechanisms": [{"name": f"Glow way {i}", "how_it_works": "Caps glow."}
                                          for i, _ in enumerate(engine.mechanisms)],
                           "resources": {key[r.id]: _text("stuff", r.id) for r in engine.resources}},
        DraftStep.ACTIONS: {"actions": {key[a.id]: _text("deed", a.id) for a in engine.actions}},
        DraftStep.FLOW: {"summary": "Caps grow in turn.", "tie_breaker": "The brightest cap wins.",
                         "phases": [_text("phase", str(i)) for i, _ in enumerate(engine.turn_structure.phases)],
                         "ends": ["The cave goes dark."] * len(engine.end_conditions),
                         "scoring": ["Caps glow for points."] * len(engine.victory.scoring)},
        DraftStep.COMPONENTS: components,
        DraftStep.SETUP: {key[c.id]: "Set it out." for c in engine.components},
        DraftStep.IDENTITY: {"title": "Glowcap", "tagline": "Glow or fade.", "theme": "Fungi glow in a cave.",
                             "introduction": "Deep in the cave the caps wake."},
    }


def theme_words(answers: dict[DraftStep, dict[str, Any]]) -> list[str]:
    """Every resource, component and card name the answers use: the theme's words they were chosen from."""
    names = [text["name"] for text in answers[DraftStep.ENGINE]["resources"].values()]
    for text in answers[DraftStep.COMPONENTS].values():
        names += [text["name"]] + [card["name"] for card in text.get("cards", {}).values()]
    return list(dict.fromkeys(names))


def choice_words(words: list[str]) -> dict[str, list[str]]:
    """`words` as the engine choice's lists by kind (their sizes as the schema bounds them)."""
    words = words + [f"Glow filler {letter}" for letter in "abcdefghijklmnop"[:max(0, 16 - len(words))]]
    return {"materials": words[:6], "creatures": words[6:10], "objects": words[10:14], "places": words[14:16]}


def _structure(design: GameDesign) -> Any:
    """What the simulator reads, with ids replaced by their positions: equal for a design and its reskin."""
    rules = Rules.compile(design)
    return ([(a.costs, a.gains, a.roll, a.draw, a.deck, a.take, a.limit, a.price_step) for a in rules.actions],
            rules.phases, rules.starting, rules.shared, rules.token_supply, rules.income, rules.decks,
            rules.card_gains, [(e.kind, e.rounds, e.threshold, e.resource, e.deck, e.supply) for e in rules.ends],
            rules.scoring, rules.cooperative, design.turn_structure.actions_per_phase)


@pytest.mark.parametrize("key", sorted(ENGINES))
def test_a_reskinned_engine_keeps_its_structure_and_takes_every_new_name(key: str) -> None:
    engine = ENGINES[key]
    answers = names_for(engine)
    for step, answer in answers.items():
        names_schema(step, engine).model_validate(answer)
    design = reskin(engine, answers)
    assert _structure(design) == _structure(engine)
    assert [r.name for r in design.resources] == [_text("stuff", r.id)["name"] for r in engine.resources]
    assert all(a.id == slug(a.name) for a in design.actions)
    assert {c.id for c in design.components}.isdisjoint({r.id for r in design.resources})
    assert design.title == "Glowcap" and [s.components for s in design.setup] == [[c.id] for c in design.components]
    assert all(card.name.startswith("Spore") for c in design.components for card in c.card_types)
    assert not any(f.code == "generic_name" for f in validate_design(design))
    assert {f.code for f in validate_design(design) if f.severity is Severity.ERROR} == \
        {f.code for f in validate_design(engine) if f.severity is Severity.ERROR}


def test_ids_follow_names_and_stay_distinct() -> None:
    engine = ENGINES["stone_age"]
    answers = names_for(engine)
    for text in answers[DraftStep.ACTIONS]["actions"].values():
        text["name"] = "Forage"
    design = reskin(engine, answers)
    ids = [a.id for a in design.actions]
    assert ids[0] == "forage" and len(set(ids)) == len(ids)
    assert slug("Glühwürmchen Höhle") == "gluhwurmchen_hohle" and slug("蘑菇") == "" and slug("3 Caps") == "caps"
    unnamed = reskin(engine, {DraftStep.ACTIONS: {"actions": {key: {"name": "蘑菇", "description": "x"}
                                                             for key in answers[DraftStep.ACTIONS]["actions"]}}})
    assert [a.id for a in unnamed.actions] == [a.id for a in engine.actions]


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
        _reply("engine_choice", {**choice_words(theme_words(answers)), "engine": "splendor",
                                 "why": "Gathering glows like gems."}),
        _reply("engine", answers[DraftStep.ENGINE]), _reply("actions", answers[DraftStep.ACTIONS]),
        _reply("flow", answers[DraftStep.FLOW]), _reply("identity", answers[DraftStep.IDENTITY]),
        _reply("components", answers[DraftStep.COMPONENTS]), VERDICT,
    ]
    lm_engine = ScriptedEngine(*script)
    config = GameGrammarConfig(max_reasks=0, playtest=PlaytestBudget(greedy_games=6, search_games=2,
                                                                     search_playouts=2, restricted_games=4),
                               playtest_games=20, tuning=TuningBudget(evaluations=2, confirm_games=20))
    graph = build_graph(GameGrammarDeps(search=lambda query, constraints, k: [], config=config,
                                        rank_engines=lambda theme, engines: ["splendor", "pandemic", *engines]))
    with dspy.context(lm=scripted_lm(lm_engine)):
        final = GameGrammarState.model_validate(graph.invoke(
            GameGrammarState(theme="glowing fungi trading spores", constraints="none"), {"recursion_limit": 60}))
    assert final.failure is None and final.design is not None and final.critique is None
    assert final.answers[DraftStep.ENGINE][ENGINE_KEY] == "splendor"
    choice_prompt = lm_engine.requests[0].messages[-1].text or ""
    assert "splendor" in choice_prompt and "pandemic" in choice_prompt
    names_prompt = lm_engine.requests[2].messages[-1].text or ""
    assert "Glow stuff" in names_prompt  # the actions step reads the resources by their new names
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
    food = next(c for c in design.components if c.represents == design.resources[0].id)
    assert f"Each player takes {design.resources[0].starting} {food.name}" in steps[design.components.index(food)]
    assert steps[0] == f"Place the {design.components[0].name} in the middle of the table."


def test_a_name_that_keeps_the_engine_s_noun_goes_back_to_its_author_unless_the_theme_uses_it() -> None:
    engine = ENGINES["stone_age"]
    answers = names_for(engine)
    answers[DraftStep.ENGINE]["resources"][step_keys(engine)["wood"]]["name"] = "Glowing Wood"
    design = reskin(engine, answers)
    found, tokens = engine_nouns(design, engine, "bioluminescent fungi in a cave")  # the tokens take its name
    assert (found.code, str(found.location), found.step) == ("engine_noun", "resources[1].name", "engine")
    assert tokens.step == "components" and design.components[tokens.location.index or 0].name == "Glowing Wood tokens"
    assert engine_nouns(design, engine, "wood elves of the deep forest") == []


def test_answers_written_for_another_engine_are_left_out_until_rewritten() -> None:
    splendor, stone_age = ENGINES["splendor"], ENGINES["stone_age"]
    mixed = {**names_for(stone_age), DraftStep.FLOW: names_for(splendor)[DraftStep.FLOW]}
    design = reskin(stone_age, mixed)
    assert [p.name for p in design.turn_structure.phases] == [p.name for p in stone_age.turn_structure.phases]
    assert design.resources[0].name == names_for(stone_age)[DraftStep.ENGINE]["resources"]["r1"]["name"]


def test_a_repair_of_the_engine_step_renames_and_keeps_the_engine() -> None:
    engine = ENGINES["stone_age"]
    answers = names_for(engine)
    chosen = {ENGINE_KEY: "stone_age", "why": "Foraging caps.", "words": [], **answers[DraftStep.ENGINE]}
    renamed = {**answers[DraftStep.ENGINE], "resources": {**answers[DraftStep.ENGINE]["resources"],
                                                          "r2": {"name": "Glowcap", "description": "A cap."}}}
    lm_engine = ScriptedEngine(_reply("engine", renamed))
    studio = Studio(Brief(theme="glowing fungi", constraints="none", exemplars=""),
                    answers={**answers, DraftStep.ENGINE: chosen}, engines=ENGINES, offer=list(ENGINES))
    with dspy.context(lm=scripted_lm(lm_engine)):
        answer = studio.write(DraftStep.ENGINE, "- resources[1].name: 'Glowing Wood' keeps the engine's word")
    assert answer[ENGINE_KEY] == "stone_age" and answer["resources"]["r2"]["name"] == "Glowcap"
    assert len(lm_engine.requests) == 1 and studio.draft.stale_after(DraftStep.ENGINE) == []


def test_names_come_from_the_theme_s_words_never_the_engine_s_nouns() -> None:
    engine = ENGINES["dominion"]
    words = vocabulary(["glowcap", "Spore Silver", "tokens", "Mycelium", "mycelium", "  cave  moss ", "Dark Pool",
                        "Competition", "End"], engine, "fungi in a cave")
    assert words == ["Glowcap", "Mycelium", "Cave moss", "Dark Pool"]
    schema = names_schema(DraftStep.ENGINE, engine, words)
    good = {"mechanisms": [{"name": "Sporecraft", "how_it_works": "x"}] * len(engine.mechanisms),
            "resources": {f"r{i}": {"name": "Glowcap", "description": "x"} for i, _ in enumerate(engine.resources, 1)}}
    schema.model_validate(good)
    with pytest.raises(ValidationError):
        schema.model_validate({**good, "resources": {**good["resources"], "r1": {"name": "Coin", "description": "x"}}})


@pytest.mark.parametrize("text", ["Gain 3 caps.", "获得 二十 个", "Gain ３ caps.", "x" * 241, "Say \"grow\" twice."])
def test_prose_the_tuner_could_make_stale_cannot_be_written(text: str) -> None:
    schema = names_schema(DraftStep.ACTIONS, ENGINES["stone_age"])
    actions = {f"a{i}": {"name": "Forage", "description": "Gain three caps."} for i in range(1, 6)}
    schema.model_validate({"actions": actions})
    with pytest.raises(ValidationError):
        schema.model_validate({"actions": {**actions, "a1": {"name": "Forage", "description": text}}})


def test_the_engines_closest_to_the_theme_are_offered_first() -> None:
    embedder = shared_embedder()
    assert rank_engines("farmers ploughing fields and raising a family in a village", ENGINES, embedder)[0] == \
        "agricola"
    assert "splendor" in rank_engines("gem merchants buying mines and attracting nobles", ENGINES, embedder)[:2]
    studio = Studio(Brief(theme="a cooperative rescue", constraints="none", exemplars=""), engines=ENGINES,
                    offer=rank_engines("a cooperative rescue", ENGINES, embedder))
    assert set(studio.offered) == {"pandemic", "spirit_island"}


def test_a_sentence_still_contradicting_the_rules_is_rewritten_from_them() -> None:
    engine = ENGINES["stone_age"]
    answers = names_for(engine)
    answers[DraftStep.ACTIONS]["actions"]["a2"]["description"] = "Pay five caps and gain nothing at all."
    design = reskin(engine, answers)
    found = [f for f in validate_design(design) if f.severity is Severity.ERROR]
    assert [f.code for f in found] == ["prose_contradicts_action"]
    plain, answered = plain_wording(design, found)
    assert answered == found and errors(validate_design(plain)) == []
    assert plain.actions[1].description.startswith("Pay 1 ") and plain.actions[0] == design.actions[0]
