"""The exemplar corpus: real published games as structured records, shipped beside this module.

Written for this project from public facts (player counts, mechanisms, components, how a game
ends and scores), in our own words. The agents are grounded in the exemplars retrieved for a
theme and its constraints, so each record says what makes the game work, not how it is marketed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

from ontology.game import MechanismFamily

CORPUS_PATH = Path(__file__).with_name("exemplar_games.jsonl")


class ExemplarGame(BaseModel):
    """A published game, described by its structure."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    name: str = Field(max_length=60)
    year: int = Field(ge=-3000, le=2030, description="first publication; negative for BCE")
    min_players: int = Field(ge=1, le=12)
    max_players: int = Field(ge=1, le=100)
    play_time_minutes: int = Field(ge=5, le=600, description="typical length of one game")
    complexity: int = Field(ge=1, le=5, description="1 = family, 5 = heavy strategy")
    cooperative: bool
    mechanisms: list[MechanismFamily] = Field(min_length=1, max_length=6)
    components: list[str] = Field(min_length=1, max_length=8, description="main components, with counts")
    core_loop: str = Field(max_length=300, description="what a player does on a turn")
    ends_when: str = Field(max_length=200)
    scoring: str = Field(max_length=250, description="how the winner is decided")
    why_it_works: str = Field(max_length=300, description="the design insight that makes it fun")

    def as_lesson(self) -> str:
        """What a designer should take from this game, without its nouns to copy."""
        mechanisms = ", ".join(m.value.replace("_", " ") for m in self.mechanisms)
        return f"{self.name} ({mechanisms}): {self.why_it_works}"

    def as_text(self) -> str:
        """A compact description for embedding and for prompts."""
        mode = "cooperative" if self.cooperative else "competitive"
        return (
            f"{self.name} ({self.year}; {self.min_players}-{self.max_players} players, "
            f"{self.play_time_minutes} min, complexity {self.complexity}/5, {mode}). "
            f"Mechanisms: {', '.join(m.value for m in self.mechanisms)}. "
            f"Components: {'; '.join(self.components)}. Turn: {self.core_loop} "
            f"Ends: {self.ends_when} Scoring: {self.scoring} Why it works: {self.why_it_works}"
        )


@cache
def load_exemplars(path: Path = CORPUS_PATH) -> tuple[ExemplarGame, ...]:
    """All exemplar games, validated; ids are unique."""
    games = tuple(
        ExemplarGame.model_validate(json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    ids = [game.id for game in games]
    duplicates = {ident for ident in ids if ids.count(ident) > 1}
    if duplicates:
        raise ValueError(f"{path}: duplicate exemplar ids {sorted(duplicates)}")
    return games
