"""The small typed signature the LM-layer tests predict: a game idea whose fields carry bounds
(lengths, ranges, item counts), so schema constraints and re-asks have something to enforce.
A helper module, not a test module: the classes are imported where they are checked with
`isinstance` or asked for their JSON schema."""

from __future__ import annotations

import dspy
from pydantic import BaseModel, Field


class Range(BaseModel):
    low: int = Field(ge=1, le=10)
    high: int = Field(ge=1, le=10)


class Idea(BaseModel):
    title: str = Field(max_length=40)
    players: Range
    tags: list[str] = Field(max_length=3)


class Ideate(dspy.Signature):
    """Invent a game for the theme."""

    theme: str = dspy.InputField()
    idea: Idea = dspy.OutputField()
