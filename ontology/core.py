"""The machinery every domain ontology shares: ids, references, findings and validators.

A domain (games, music) writes its schemas as Pydantic models with `Id` fields and cross-references
by id, and registers semantic validators on a `ValidatorRegistry`. Each validator yields
`Finding`s that carry a severity, the path of the offending part and the role that owns it, so a
pipeline can send each problem back to the agent that can fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field, StringConstraints

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$"),
    Field(description="snake_case identifier, unique within the design"),
]
"""A machine identifier; other parts refer to it by this value."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(BaseModel):
    """One problem (or note) about an ontology instance."""

    severity: Severity
    code: str = Field(description="stable identifier of the check, e.g. 'dangling_reference'")
    message: str
    path: str = Field(description="where in the instance, e.g. 'actions[2].costs[0].resource'")
    owner: str = Field(description="the role that owns this part and should repair it")

    def __str__(self) -> str:
        return f"[{self.severity}] {self.path}: {self.message} ({self.code}, owner: {self.owner})"


ModelT = TypeVar("ModelT", bound=BaseModel)
Check = Callable[[ModelT], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredCheck(Generic[ModelT]):
    name: str
    check: Check[ModelT]


class ValidatorRegistry(Generic[ModelT]):
    """An ordered set of semantic checks for one ontology root type."""

    def __init__(self) -> None:
        self._checks: list[RegisteredCheck[ModelT]] = []

    def register(self, check: Check[ModelT]) -> Check[ModelT]:
        """Decorator: add `check` to the registry."""
        self._checks.append(RegisteredCheck(check.__name__, check))
        return check

    @property
    def names(self) -> list[str]:
        return [registered.name for registered in self._checks]

    def validate(self, instance: ModelT) -> list[Finding]:
        """Run every check; findings come out errors first, then in check order."""
        findings = [finding for registered in self._checks for finding in registered.check(instance)]
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return sorted(findings, key=lambda finding: order[finding.severity])


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity is Severity.ERROR]


def duplicate_ids(owned: Iterable[tuple[str, str, str]]) -> Iterator[Finding]:
    """Findings for every (path, id, owner) whose id an earlier entry already used."""
    seen: dict[str, str] = {}
    for path, ident, owner in owned:
        if ident in seen:
            yield Finding(severity=Severity.ERROR, code="duplicate_id",
                          message=f"id '{ident}' is also used by {seen[ident]}", path=path, owner=str(owner))
        else:
            seen[ident] = path


def dangling(
    refs: Iterable[tuple[str, str]], known: set[str], *, what: str, owner: str
) -> Iterator[Finding]:
    """Findings for every (path, id) reference whose id is not in `known`."""
    for path, ref in refs:
        if ref not in known:
            yield Finding(
                severity=Severity.ERROR,
                code="dangling_reference",
                message=f"refers to {what} '{ref}', which does not exist",
                path=path,
                owner=owner,
            )
