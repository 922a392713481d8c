"""The typed-tool contract every agent-callable tool follows.

A tool declares a Pydantic input and output model. Agents (or any caller) may hand it a model
instance or a plain dict; the dict is validated first, so a malformed call fails with the schema's
own message before any work starts. `input_schema()` is what an agent is shown.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError

InputT = TypeVar("InputT", bound=BaseModel)
OutputT = TypeVar("OutputT", bound=BaseModel)


class ToolError(Exception):
    """Root of every tool error; the message says what the caller can change."""


class ToolInputError(ToolError, ValueError):
    """The request cannot be served as given (bad arguments, unreadable or empty input)."""


class TypedTool(ABC, Generic[InputT, OutputT]):
    """A named operation with a validated input model and a typed result."""

    name: ClassVar[str]
    description: ClassVar[str]
    input_model: ClassVar[type[BaseModel]]
    output_model: ClassVar[type[BaseModel]]

    def __call__(self, request: InputT | Mapping[str, Any]) -> OutputT:
        if isinstance(request, self.input_model):
            validated: BaseModel = request
        else:
            try:
                validated = self.input_model.model_validate(request)
            except ValidationError as exc:
                raise ToolInputError(f"{self.name}: invalid arguments: {exc}") from exc
        # `input_model` is InputT at run time; a ClassVar cannot be typed with the class's type variable.
        return self.run(cast(InputT, validated))

    @abstractmethod
    def run(self, request: InputT) -> OutputT:
        """Do the work on a validated request."""

    @classmethod
    def input_schema(cls) -> dict[str, Any]:
        return cls.input_model.model_json_schema()
