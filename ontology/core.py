"""The machinery every domain ontology shares: ids, references, findings and validators.

A domain (games, music) writes its schemas as Pydantic models with `Id` fields and cross-references
by id, and registers semantic validators on a `ValidatorRegistry`. Each validator yields
`Problem`s located by a structured `Location`; the registry turns them into `Finding`s owned by the
role (and drafting step) declared where the check is registered, so a pipeline can send each
problem back to the agent that can fix it without knowing the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field, StringConstraints, computed_field

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


class Location(BaseModel):
    """Where in an instance a finding points, as data a pipeline can act on without parsing:
    the top-level `part` (a field of the root model), which item of it (`index`), which field of
    that item (`field`, dotted when nested), and which entry of that field (`item`)."""

    part: str
    index: int | None = None
    field: str | None = None
    item: int | None = None

    def __str__(self) -> str:
        text = self.part + (f"[{self.index}]" if self.index is not None else "")
        text += f".{self.field}" if self.field else ""
        return text + (f"[{self.item}]" if self.item is not None else "")


def at(part: str, index: int | None = None, field: str | None = None, item: int | None = None) -> Location:
    """A `Location`, written the way it reads: `at("parts", 0, "bars", 3)` is `parts[0].bars[3]`."""
    return Location(part=part, index=index, field=field, item=item)


@dataclass(frozen=True)
class Problem:
    """What a check yields: the problem and where it is. The registry adds who repairs it."""

    severity: Severity
    code: str
    message: str
    location: Location


class Finding(BaseModel):
    """One problem (or note) about an ontology instance, with the role (and drafting step) that owns it."""

    severity: Severity
    code: str = Field(description="stable identifier of the check, e.g. 'dangling_reference'")
    message: str
    location: Location
    owner: str = Field(description="the role that owns this part and should repair it")
    step: str | None = Field(None, description="the drafting step that rewrites this part, where the domain has steps")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def path(self) -> str:
        """The location as people read it, e.g. 'actions[2].costs'."""
        return str(self.location)

    def __str__(self) -> str:
        return f"[{self.severity}] {self.path}: {self.message} ({self.code}, owner: {self.owner})"


@dataclass(frozen=True)
class Owner:
    """Who repairs what a check finds: a role, and the drafting step it rewrites (where the domain
    drafts in steps). A check whose problems lie in parts with different owners declares one
    `Owner` per group of `parts`; an owner without parts answers for every part."""

    role: str
    step: str | None = None
    parts: frozenset[str] = frozenset()

    def answers_for(self, location: Location) -> bool:
        return not self.parts or location.part in self.parts


ModelT = TypeVar("ModelT", bound=BaseModel)
Check = Callable[[ModelT], Iterable[Problem]]


@dataclass(frozen=True)
class RegisteredCheck(Generic[ModelT]):
    name: str
    check: Check[ModelT]
    owners: tuple[Owner, ...]

    def findings(self, instance: ModelT) -> Iterator[Finding]:
        for problem in self.check(instance):
            owner = next((owner for owner in self.owners if owner.answers_for(problem.location)), None)
            if owner is None:
                raise LookupError(f"check {self.name!r} found a problem in '{problem.location.part}' but was "
                                  "registered with no owner for that part")
            yield Finding(severity=problem.severity, code=problem.code, message=problem.message,
                          location=problem.location, owner=owner.role, step=owner.step)


class ValidatorRegistry(Generic[ModelT]):
    """An ordered set of semantic checks for one ontology root type, each registered with its owners."""

    def __init__(self) -> None:
        self._checks: list[RegisteredCheck[ModelT]] = []

    def register(self, *owners: Owner) -> Callable[[Check[ModelT]], Check[ModelT]]:
        """Decorator: add the check, owned by `owners` (at least one)."""
        if not owners:
            raise ValueError("register a check with at least one Owner")

        def add(check: Check[ModelT]) -> Check[ModelT]:
            self._checks.append(RegisteredCheck(check.__name__, check, owners))
            return check

        return add

    @property
    def names(self) -> list[str]:
        return [registered.name for registered in self._checks]

    def validate(self, instance: ModelT) -> list[Finding]:
        """Run every check; findings come out errors first, then in check order."""
        findings = [finding for registered in self._checks for finding in registered.findings(instance)]
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return sorted(findings, key=lambda finding: order[finding.severity])


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity is Severity.ERROR]


def duplicate_ids(owned: Iterable[tuple[Location, str]]) -> Iterator[Problem]:
    """Problems for every (location, id) whose id an earlier entry already used."""
    seen: dict[str, Location] = {}
    for location, ident in owned:
        if ident in seen:
            yield Problem(Severity.ERROR, "duplicate_id", f"id '{ident}' is also used by {seen[ident]}", location)
        else:
            seen[ident] = location


def dangling(refs: Iterable[tuple[Location, str]], known: set[str], *, what: str) -> Iterator[Problem]:
    """Problems for every (location, id) reference whose id is not in `known`."""
    for location, ref in refs:
        if ref not in known:
            yield Problem(Severity.ERROR, "dangling_reference", f"refers to {what} '{ref}', which does not exist",
                          location)
