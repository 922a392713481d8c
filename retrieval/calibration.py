"""Calibration games: well-known published games, simplified and written by hand as `GameDesign`s.

They are the playtests' ground truth. Every game here must play to an end with a clear gap between a
searching bot and a random one, and each broken variant (`broken_variants`) must be caught by the
metric it names; a playtest that passes a broken game or fails a good one is miscalibrated. They also
serve the agents as complete worked examples of the executable ontology.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import ValidationError

from ontology.game import Action, FirstPlayer, GameDesign, ResourceAmount

CALIBRATION_DIR = Path(__file__).with_name("calibration_games")


class CalibrationGameError(ValueError):
    """A calibration game file is not a valid `GameDesign`."""


@cache
def _load() -> dict[str, GameDesign]:
    games: dict[str, GameDesign] = {}
    for path in sorted(CALIBRATION_DIR.glob("*.json")):
        try:
            games[path.stem] = GameDesign.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as error:
            raise CalibrationGameError(f"{path} is not a valid game design; fix it:\n{error}") from error
    return games


def load_calibration_games() -> dict[str, GameDesign]:
    """Each calibration game by id (its file name without `.json`); fresh copies the caller may change."""
    return {game_id: design.model_copy(deep=True) for game_id, design in _load().items()}


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def rank_engines(theme: str, engines: Mapping[str, GameDesign], embedder: Embedder) -> list[str]:
    """The engines' keys, closest to `theme` first: cosine similarity of the theme and each game's own
    story and mechanisms (L2-normalised sentence embeddings), so a theme about farming finds the farm
    game and one about merchants the trading games."""
    keys = list(engines)
    texts = [f"{engines[key].title}: {engines[key].theme} "
             + ", ".join(m.family.value.replace("_", " ") for m in engines[key].mechanisms) for key in keys]
    vectors = embedder.embed([theme, *texts])
    scores = vectors[1:] @ vectors[0]
    return [keys[i] for i in np.argsort(-scores, kind="stable")]


def _action(design: GameDesign, action_id: str) -> Action:
    return next(action for action in design.actions if action.id == action_id)


def broken_variants() -> dict[str, tuple[GameDesign, str]]:
    """Good games with one deliberate flaw each, mapped to the playtest metric that must catch it.

    Each changes one part of its source game and nothing else (but the sentence that states the
    changed number, so the prose stays true), so only the named flaw can explain the finding (the
    first-seat variant also keeps the start player, which a first-seat edge needs).
    """
    games = load_calibration_games()

    dominant = games["splendor"].model_copy(deep=True)
    # 5 prestige a turn beats every purchase (the palace gives 4): taking three gems is all there is to do
    _action(dominant, "take_three").gains.append(ResourceAmount(resource="prestige", amount=5))

    noop = games["agricola"].model_copy(deep=True)
    grove = _action(noop, "grove")
    grove.costs = [amount.model_copy() for amount in grove.gains]

    unreachable = games["lords_of_waterdeep"].model_copy(deep=True)
    for quest in ("warfare_quest", "arcana_quest"):
        _action(unreachable, quest).gains = [ResourceAmount(resource="gold", amount=1)]

    endless = games["splendor"].model_copy(deep=True)
    endless.end_conditions[0].threshold = 1000
    endless.end_conditions[0].description = "The game ends at the end of the round in which a merchant reaches 1000."

    # the start player never passes, and the one-worker space it reaches first now also gives 4 renown
    first_seat = games["lords_of_waterdeep"].model_copy(deep=True)
    first_seat.turn_structure.first_player = FirstPlayer.FIXED
    _action(first_seat, "aurora_realms").gains.append(ResourceAmount(resource="renown", amount=4))
    _action(first_seat, "aurora_realms").description = "Collect four gold and four renown."

    # a palace priced beyond the gems a player ever gathers, for the same 4 prestige: nobody buys it
    dead = games["splendor"].model_copy(deep=True)
    _action(dead, "buy_palace").costs = [ResourceAmount(resource="rubies", amount=12),
                                         ResourceAmount(resource="sapphires", amount=12)]
    _action(dead, "buy_palace").description = "Pay twelve rubies and twelve sapphires for a palace worth 4 prestige."

    # five cures to win with four cure markers in the box (what the tuner once did to a re-themed Pandemic)
    unwinnable = games["pandemic"].model_copy(deep=True)
    unwinnable.end_conditions[0].threshold = 5
    unwinnable.end_conditions[0].description = "The team wins as soon as five diseases are cured."

    return {
        "splendor_dominant_take_three": (dominant, "dominant_action"),
        "agricola_noop_grove": (noop, "noop_action"),
        "waterdeep_quests_without_renown": (unreachable, "unreachable_scoring"),
        "splendor_unreachable_threshold": (endless, "never_completes"),
        "waterdeep_aurora_first_seat": (first_seat, "first_seat_advantage"),
        "splendor_dead_palace": (dead, "dead_action"),
        "pandemic_unwinnable": (unwinnable, "cooperative_out_of_band"),
    }
