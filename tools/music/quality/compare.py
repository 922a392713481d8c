"""Generated pieces against a style's reference set: per numeric feature the two means and the
overlapping area of their distributions; for the categorical features the rates in each set."""

from __future__ import annotations

from statistics import fmean

from pydantic import BaseModel

from tools.music.quality.features import NUMERIC_FEATURES, Cadence, PieceFeatures
from tools.music.quality.overlap import overlapping_area


class FeatureComparison(BaseModel):
    feature: str
    generated_mean: float
    reference_mean: float
    overlapping_area: float


class Rates(BaseModel):
    """Shares of pieces, in [0, 1]; `key_established` over the pieces that state a key (None if none do)."""

    key_established: float | None
    cadences: dict[Cadence, float]


class StyleComparison(BaseModel):
    style: str
    generated: int
    references: int
    features: list[FeatureComparison]
    generated_rates: Rates
    reference_rates: Rates


def rates(pieces: list[PieceFeatures]) -> Rates:
    """How often the stated key is the heard one, and how often each cadence ends a piece."""
    stated = [piece.key_established for piece in pieces if piece.key_established is not None]
    return Rates(key_established=sum(stated) / len(stated) if stated else None,
                 cadences={cadence: sum(piece.cadence is cadence for piece in pieces) / len(pieces)
                           for cadence in Cadence})


def compare(style: str, generated: list[PieceFeatures], references: list[PieceFeatures]) -> StyleComparison:
    """The comparison of one style; both lists must hold at least one piece."""
    if not generated or not references:
        raise ValueError(f"{style}: comparing needs generated and reference pieces "
                         f"(got {len(generated)} and {len(references)})")
    rows = []
    for name in NUMERIC_FEATURES:
        ours = [float(getattr(piece, name)) for piece in generated]
        theirs = [float(getattr(piece, name)) for piece in references]
        rows.append(FeatureComparison(feature=name, generated_mean=fmean(ours), reference_mean=fmean(theirs),
                                      overlapping_area=overlapping_area(ours, theirs)))
    return StyleComparison(style=style, generated=len(generated), references=len(references), features=rows,
                           generated_rates=rates(generated), reference_rates=rates(references))
