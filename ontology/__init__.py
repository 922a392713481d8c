"""Ontologies as Pydantic schemas, and the semantic validators that check instances of them.

Imports only pydantic and the standard library, so the names below are re-exported eagerly.
"""

from ontology.core import Finding, Location, Owner, Problem, Severity, ValidatorRegistry, at
from ontology.game import GameDesign
from ontology.game_rulebook import render_rulebook
from ontology.game_validators import validate_design
from ontology.music import Piece, Section
from ontology.music_theory import MusicTheoryError
from ontology.music_validators import validate_piece

__all__ = [
    "Finding",
    "GameDesign",
    "Location",
    "MusicTheoryError",
    "Owner",
    "Piece",
    "Problem",
    "Section",
    "Severity",
    "ValidatorRegistry",
    "at",
    "render_rulebook",
    "validate_design",
    "validate_piece",
]
