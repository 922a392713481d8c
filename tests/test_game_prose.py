"""Prose that agrees with the rules: model-written sentences checked against the structure.

Every crafted case changes one sentence (or one number) of a hand-written calibration game, so only
that change can explain the finding; the calibration games themselves must raise nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from agents.game_studio import Brief, Critique, Issue
from ontology.core import Finding, Severity
from ontology.game import GameDesign, ResourceAmount
from ontology.game_prose import mentions, resource_aliases, round_counts
from ontology.game_validators import DraftStep, Role, copied_prose, validate_design
from pipelines.gamegrammar_graph import GameGrammarConfig, GameGrammarDeps, GameGrammarState, assemble, validate
from retrieval.calibration import load_calibration_games
from tests.studio_script import answers
from tools.games.tuning import TuningResult

PROSE_CODES = {"prose_contradicts_action", "prose_contradicts_end", "prose_contradicts_setup",
               "prose_contradicts_scoring", "prose_denies_scoring", "prose_contradicts_mode"}
GAMES = load_calibration_games()


def prose_findings(design: GameDesign) -> list[Finding]:
    return [finding for finding in validate_design(design) if finding.code in PROSE_CODES]


@pytest.mark.parametrize("game", sorted(GAMES))
def test_the_hand_written_games_raise_no_prose_finding(game: str) -> None:
    assert prose_findings(GAMES[game]) == []


def _action(design: GameDesign, action_id: str):
    return next(action for action in design.actions if action.id == action_id)


def changed(game: str, change: Callable[[GameDesign], object]) -> GameDesign:
    design = GAMES[game].model_copy(deep=True)
    change(design)
    return design


CASES: list[tuple[str, str, Callable[[GameDesign], object], str, str, Role, DraftStep]] = [
    ("an amount other than the gains", "agricola",
     lambda d: setattr(_action(d, "forest"), "description", "Take four wood from the forest."),
     "prose_contradicts_action", "actions[0].description", Role.MECHANICS, DraftStep.ACTIONS),
    ("an amount in digits other than the costs", "agricola",
     lambda d: setattr(_action(d, "family_growth"), "description", "Pay 2 food to welcome a new member."),
     "prose_contradicts_action", "actions[6].description", Role.MECHANICS, DraftStep.ACTIONS),
    ("a resource the action neither costs nor gains", "agricola",
     lambda d: setattr(_action(d, "forest"), "description", "Take three clay from the forest."),
     "prose_contradicts_action", "actions[0].description", Role.MECHANICS, DraftStep.ACTIONS),
    ("paying what the action gains", "agricola",
     lambda d: setattr(_action(d, "forest"), "description", "Pay three wood to clear the forest."),
     "prose_contradicts_action", "actions[0].description", Role.MECHANICS, DraftStep.ACTIONS),
    ("producing a resource the action does not gain", "agricola",
     lambda d: setattr(_action(d, "build_room"), "description",
                       "Pay two wood and two clay; the new room produces food, clay and wood."),
     "prose_contradicts_action", "actions[5].description", Role.MECHANICS, DraftStep.ACTIONS),
    ("no cost claimed for an action that costs", "agricola",
     lambda d: setattr(_action(d, "build_room"), "description", "This action has no cost: add a room."),
     "prose_contradicts_action", "actions[5].description", Role.MECHANICS, DraftStep.ACTIONS),
    ("another round count than the end's", "agricola",
     lambda d: setattr(d.end_conditions[0], "description", "The game ends after 10 rounds."),
     "prose_contradicts_end", "end_conditions[0].description", Role.MECHANICS, DraftStep.FLOW),
    ("another ordinal round than the end's", "stone_age",
     lambda d: setattr(d.end_conditions[1], "description", "Otherwise the game ends after the tenth round."),
     "prose_contradicts_end", "end_conditions[1].description", Role.MECHANICS, DraftStep.FLOW),
    ("a phase promising rounds no end counts", "jaipur",
     lambda d: setattr(d.turn_structure.phases[0], "description", "Trade goods for five rounds."),
     "prose_contradicts_end", "turn_structure.phases[0]", Role.MECHANICS, DraftStep.FLOW),
    ("another score threshold than the end's", "catan",
     lambda d: setattr(d.end_conditions[0], "description", "The game ends when a player reaches 12 points."),
     "prose_contradicts_end", "end_conditions[0].description", Role.MECHANICS, DraftStep.FLOW),
    ("another resource threshold than the end's", "ticket_to_ride",
     lambda d: setattr(d.end_conditions[0], "description", "The game ends once a player has laid 40 trains."),
     "prose_contradicts_end", "end_conditions[0].description", Role.MECHANICS, DraftStep.FLOW),
    ("a setup handing out other than the starting amount", "agricola",
     lambda d: setattr(d.setup[1], "instruction", "Give each player two farmers and five food."),
     "prose_contradicts_setup", "setup[1].instruction", Role.COMPONENTS, DraftStep.SETUP),
    ("a scoring rule worth other than its points", "agricola",
     lambda d: setattr(d.victory.scoring[0], "description", "Each family member is worth 4."),
     "prose_contradicts_scoring", "victory.scoring[0]", Role.MECHANICS, DraftStep.FLOW),
    ("a resource worth other than its scoring", "catan",
     lambda d: setattr(d.resources[5], "description", "Walled cities, each worth 3."),
     "prose_contradicts_scoring", "resources[5].description", Role.MECHANICS, DraftStep.ENGINE),
    ("no scoring claimed beside rules that score", "splendor",
     lambda d: setattr(d.victory.scoring[0], "description", "There is no scoring in this game."),
     "prose_denies_scoring", "victory.scoring[0]", Role.MECHANICS, DraftStep.FLOW),
    ("no scoring claimed in the story", "splendor",
     lambda d: setattr(d, "introduction", "Gems glitter in Florence, though there is no scoring at all."),
     "prose_denies_scoring", "introduction", Role.THEME, DraftStep.IDENTITY),
    ("one winner in a cooperative game", "pandemic",
     lambda d: setattr(d.victory, "tie_breaker", "The player with the most cures wins."),
     "prose_contradicts_mode", "victory.tie_breaker", Role.MECHANICS, DraftStep.FLOW),
    ("one winner by points in a cooperative game's scoring", "spirit_island",
     lambda d: setattr(d.victory.scoring[0], "description", "Highest score wins: each fear is worth 1."),
     "prose_contradicts_mode", "victory.scoring[0]", Role.MECHANICS, DraftStep.FLOW),
    ("a shared outcome in a competitive game", "catan",
     lambda d: setattr(d.end_conditions[1], "description", "After round 30 all players lose together."),
     "prose_contradicts_mode", "end_conditions[1].description", Role.MECHANICS, DraftStep.FLOW),
    ("a cooperative story for a competitive game", "power_grid",
     lambda d: setattr(d, "introduction", "In this cooperative game, the crew repairs a failing station."),
     "prose_contradicts_mode", "introduction", Role.THEME, DraftStep.IDENTITY),
    ("a race in a cooperative game's story", "spirit_island",
     lambda d: setattr(d, "introduction", "The objective is to be the first player to reach the shore."),
     "prose_contradicts_mode", "introduction", Role.THEME, DraftStep.IDENTITY),
    ("a lone winner in a cooperative game's story", "pandemic",
     lambda d: setattr(d, "tagline", "The medic who scores the most wins."),
     "prose_contradicts_mode", "tagline", Role.THEME, DraftStep.IDENTITY),
]


@pytest.mark.parametrize(("case", "game", "change", "code", "path", "role", "step"), CASES,
                         ids=[case[0] for case in CASES])
def test_prose_that_contradicts_the_structure_is_routed_to_its_author(
    case: str, game: str, change: Callable[[GameDesign], object], code: str, path: str, role: Role,
    step: DraftStep,
) -> None:
    found = prose_findings(changed(game, change))
    assert [(f.code, f.path, f.severity, f.owner, f.step) for f in found] == [
        (code, path, Severity.ERROR, role, step)], case


def test_a_number_the_tuner_changed_is_caught_in_the_description() -> None:
    tuned = changed("agricola", lambda d: setattr(_action(d, "clay_pit").gains[0], "amount", 3))
    assert [f.path for f in prose_findings(tuned)] == ["actions[1].description"]
    assert "'two clay'" in prose_findings(tuned)[0].message and "3 'clay'" in prose_findings(tuned)[0].message


def test_amounts_chance_decides_and_phrases_that_name_no_resource_are_left_alone() -> None:
    catan = GAMES["catan"]
    aliases = resource_aliases(catan)
    # the roll decides how much ore: any amount may be said
    assert prose_findings(changed("catan", lambda d: setattr(
        _action(d, "roll_dice"), "description", "Roll two dice and take up to three ore."))) == []
    # what one monster takes, the other loses
    assert prose_findings(changed("king_of_tokyo", lambda d: setattr(
        _action(d, "smash"), "description", "The healthiest rival loses two health to your claws."))) == []
    # "train" is part of a longer noun here, not the resource trains
    ticket = GAMES["ticket_to_ride"]
    assert mentions("Draw two train cards from the deck.", resource_aliases(ticket)) == []
    assert [(m.resource, m.amount) for m in mentions("Pay a brick, 2 lumber and one new grain.", aliases)] == [
        ("brick", None), ("lumber", 2), ("grain", 1)]
    assert round_counts("Every 2 rounds, and in round 1, nothing happens; it ends after round 30.") == [30]


def test_a_competitive_tie_breaker_and_a_cooperative_shared_loss_are_fine() -> None:
    assert prose_findings(changed("catan", lambda d: setattr(
        d.victory, "tie_breaker", "The tied player with the most cities wins."))) == []
    assert prose_findings(changed("pandemic", lambda d: setattr(
        d.victory, "tie_breaker", "There are no ties: the team wins or loses together."))) == []


CRITIQUE = ("Every action yields the same amount of spores, so players face no real choices between the "
            "caverns at all.")


def test_copied_critique_text_is_an_error_for_the_sentence_author() -> None:
    design = changed("agricola", lambda d: setattr(
        d, "tagline", "Every action yields the same amount of spores, so players face no real choices."))
    found = copied_prose(design, [CRITIQUE])
    assert [(f.code, f.path, f.severity, f.owner, f.step) for f in found] == [
        ("copied_prose", "tagline", Severity.ERROR, Role.THEME, DraftStep.IDENTITY)]
    assert "'action yield amount spore player face'" in found[0].message


def test_copied_exemplar_text_in_an_action_goes_to_the_mechanics_architect() -> None:
    lesson = "Stone Age (worker placement): placing workers on scarce spaces forces painful choices each round."
    design = changed("agricola", lambda d: setattr(
        _action(d, "forest"), "description",
        "Take three wood; placing workers on scarce spaces forces painful choices each round."))
    found = copied_prose(design, [lesson])
    assert [(f.path, f.owner, f.step) for f in found] == [("actions[0].description", Role.MECHANICS, DraftStep.ACTIONS)]


def test_five_shared_words_or_unrelated_references_are_not_copying() -> None:
    design = changed("agricola", lambda d: setattr(d, "tagline", "Players face no real choices here, sadly."))
    assert copied_prose(design, [CRITIQUE]) == []
    assert all(copied_prose(game, [CRITIQUE]) == [] for game in GAMES.values())


# --- the pipeline hook: the validate and assemble nodes know what the agents read

DEPS = GameGrammarDeps(search=lambda query, constraints, k: [], config=GameGrammarConfig(max_reasks=0, playtest=None))


def mycelium_state(**fields) -> GameGrammarState:
    brief = Brief(theme="glowing fungi", constraints="none",
                  exemplars="- Stone Age (worker placement): placing workers on scarce spaces forces painful "
                            "choices each round.")
    return GameGrammarState(theme="glowing fungi", brief=brief, **{"answers": answers(), **fields})


def test_the_validate_node_catches_critique_words_in_the_tagline_but_not_quoted_design_words() -> None:
    copied = answers()
    copied["identity"]["tagline"] = "Every action yields the same amount of spores: players face no real choices."
    intro = copied["identity"]["introduction"]
    issue = Issue(step="identity", problem=f"The introduction '{intro}' says little.", fix=CRITIQUE)
    update = validate(mycelium_state(answers=copied, critique=Critique(issues=[issue])), DEPS)
    found = [(f.code, f.path, f.owner) for f in update["findings"] if f.code == "copied_prose"]
    assert found == [("copied_prose", "tagline", Role.THEME)]
    assert update["findings"][0].code == "copied_prose"  # errors first


def test_the_validate_node_catches_exemplar_words() -> None:
    copied = answers()
    copied["identity"]["theme"] = "Fungi where placing workers on scarce spaces forces painful choices each round."
    update = validate(mycelium_state(answers=copied), DEPS)
    assert [f.path for f in update["findings"] if f.code == "copied_prose"] == ["theme"]


def test_assemble_reports_a_description_the_tuning_made_wrong() -> None:
    untuned = assemble(mycelium_state(), DEPS)
    assert [f for f in untuned["findings"] if f.code == "prose_contradicts_action"] == []
    tuned = untuned["design"].model_copy(deep=True)
    absorb = _action(tuned, "absorb")
    assert absorb.description == "Take 3 nutrients from the supply."
    absorb.gains = [ResourceAmount(resource="nutrients", amount=4)]  # as the tuner would
    result = TuningResult.model_construct(design=tuned)
    final = assemble(mycelium_state(tuning=result), DEPS)
    assert [(f.code, f.path) for f in final["findings"] if f.code == "prose_contradicts_action"] == [
        ("prose_contradicts_action", "actions[1].description")]


# --- digits in drafted prose: whether the decoder can forbid them

def test_xgrammar_honours_a_pattern_but_only_with_the_length_inside_it() -> None:
    """Evidence for a digit-free `ProseSentence` in the drafting schemas: xgrammar enforces a string
    `pattern`, and ignores minLength/maxLength beside one, so the bound must be in the pattern."""
    xgr = pytest.importorskip("xgrammar")
    stop = 256
    info = xgr.TokenizerInfo([bytes([i]) for i in range(256)] + [b""], xgr.VocabType.RAW, vocab_size=257,
                             stop_token_ids=[stop])
    compiler = xgr.GrammarCompiler(info, max_threads=1)

    def accepts(pattern_schema: dict, value: str) -> bool:
        schema = {"type": "object", "properties": {"d": pattern_schema}, "required": ["d"],
                  "additionalProperties": False}
        matcher = xgr.GrammarMatcher(compiler.compile_json_schema(json.dumps(schema), any_whitespace=False,
                                                                 strict_mode=True))
        text = json.dumps({"d": value})
        return all(matcher.accept_token(byte) for byte in text.encode()) and matcher.accept_token(stop)

    bounded = {"type": "string", "pattern": r"^[^0-9]{1,20}$"}
    assert accepts(bounded, "gain three food")
    assert not accepts(bounded, "gain 3 food")
    assert not accepts(bounded, "a" * 21) and not accepts(bounded, "")
    beside = {"type": "string", "pattern": r"^[^0-9]*$", "maxLength": 20}
    assert not accepts(beside, "gain 3 food")
    assert accepts(beside, "a" * 21)  # the maxLength beside the pattern is dropped
