"""Plans written as the Composer answers them, edited and turned into pieces as the plan step does."""

from __future__ import annotations

from typing import Any

from ontology.music import Piece
from ontology.music_drafts import Plan, RequestFacts, plan_to_piece
from ontology.music_forms import edit_plan


def piece_of(plan: dict[str, Any], facts: RequestFacts) -> Piece:
    """The empty piece a plan (its `sections` in one list) describes once edited into its style's form."""
    return plan_to_piece(edit_plan(Plan.model_validate(plan), facts))
