"""Ontologies as Pydantic schemas, and the semantic validators that check instances of them.

Imports only pydantic and the standard library, so the names below are re-exported eagerly.
"""

from ontology.core import Finding, Severity, ValidatorRegistry
from ontology.game import GameDesign
from ontology.game_rulebook import render_rulebook
from ontology.game_validators import validate_design
from ontology.music import Piece, Section
from ontology.music_theory import MusicTheoryError
from ontology.music_validators import validate_piece

__all__ = [
    "Finding",
    "GameDesign",
    "MusicTheoryError",
    "Piece",
    "Section",
    "Severity",
    "ValidatorRegistry",
    "render_rulebook",
    "validate_design",
    "validate_piece",
]
