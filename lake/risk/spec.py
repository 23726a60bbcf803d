"""The shared shape of a risk score: the :class:`RiskScore` protocol and its :class:`ScoreSpec`.

Each score module declares one ``SPEC`` (name, C5 version id, citation, inputs as
``table.column``, category codes, disease, CONFIRMED/UNCONFIRMED status with the unconfirmed rules,
configurable policy values) and :mod:`lake.risk.registry` collects them in one tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from lake.risk.tristate import ScoreParts

Status = Literal["CONFIRMED", "UNCONFIRMED"]
Disease = Literal["MM", "AML", "CML", "ANY"]


class RiskScore(Protocol):
    """What every registered score exposes."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def citation(self) -> str: ...
    @property
    def doi(self) -> str | None: ...
    @property
    def inputs(self) -> tuple[str, ...]: ...
    @property
    def categories(self) -> tuple[str, ...]: ...
    @property
    def disease(self) -> Disease: ...
    @property
    def status(self) -> Status: ...
    @property
    def unconfirmed_rules(self) -> tuple[str, ...]: ...
    @property
    def policy(self) -> Mapping[str, str]: ...

    def parts(self) -> ScoreParts:
        """The score's expressions over canonical cohort columns."""
        ...


@dataclass(frozen=True, slots=True)
class ScoreSpec:
    """A registered score: metadata plus the function building its expression."""

    name: str
    version: str
    citation: str
    doi: str | None
    inputs: tuple[str, ...]
    categories: tuple[str, ...]
    disease: Disease
    build: Callable[[], ScoreParts]
    status: Status = "CONFIRMED"
    unconfirmed_rules: tuple[str, ...] = ()
    policy: Mapping[str, str] = field(default_factory=dict)

    def parts(self) -> ScoreParts:
        """The score's expressions over canonical cohort columns."""
        return self.build()
