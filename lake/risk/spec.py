"""The shared shape of a risk score: the :class:`RiskScore` protocol and its :class:`ScoreSpec`.

Each score module declares one ``SPEC`` (name, C5 version id, citation, inputs as
``table.column``, category codes, disease, CONFIRMED/UNCONFIRMED status with the unconfirmed rules,
configurable policy values) and :mod:`lake.risk.registry` collects them in one tuple.

Order
-----
``categories`` is the score's one declaration of order: the codes in scale order, then the codes
outside the scale (``unranked``, e.g. IMWG ``NE``). ``lowest_risk`` says which end of the scale
carries the lowest risk (``"last"`` for scales listed worst first: IMWG responses, CrCl). Every
analysis follows it: the category Enum, group order of survival and incidence answers, the trend
test's scores 1..K (ranked codes only), the Cox reference level (:attr:`ScoreSpec.reference`),
staging stages, risk distributions and cross-tabs. Labels are never sorted as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from lake.risk.tristate import ScoreParts

Status = Literal["CONFIRMED", "UNCONFIRMED"]
Disease = Literal["MM", "AML", "CML", "ANY"]
#: Which end of a score's ranked categories carries the lowest risk.
LowestRisk = Literal["first", "last"]


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
    @property
    def unranked(self) -> tuple[str, ...]: ...
    @property
    def ranked(self) -> tuple[str, ...]: ...
    @property
    def by_risk(self) -> tuple[str, ...]: ...
    @property
    def reference(self) -> str: ...

    def parts(self) -> ScoreParts:
        """The score's expressions over canonical cohort columns."""
        ...


@dataclass(frozen=True, slots=True)
class ScoreSpec:
    """A registered score: metadata plus the function building its expression.

    ``categories`` lists the codes in scale order, ``unranked`` ones (outside the scale) last.

    Raises
    ------
    ValueError
        A category is listed twice, or ``unranked`` is not the tail of ``categories``.
    """

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
    unranked: tuple[str, ...] = ()
    lowest_risk: LowestRisk = "first"

    def __post_init__(self) -> None:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"score {self.version}: a category is listed twice {self.categories}")
        if not self.ranked or self.categories[len(self.ranked) :] != self.unranked:
            raise ValueError(
                f"score {self.version}: unranked {self.unranked} must be the last categories of "
                f"{self.categories}, after at least one ranked one"
            )

    @property
    def ranked(self) -> tuple[str, ...]:
        """The categories on the scale, in scale order (the trend test scores them 1..K)."""
        return self.categories[: len(self.categories) - len(self.unranked)]

    @property
    def by_risk(self) -> tuple[str, ...]:
        """Every category from lowest to highest risk, the unranked ones last."""
        ranked = self.ranked if self.lowest_risk == "first" else self.ranked[::-1]
        return (*ranked, *self.unranked)

    @property
    def reference(self) -> str:
        """The lowest-risk category: the default reference level of a Cox model."""
        return self.by_risk[0]

    def parts(self) -> ScoreParts:
        """The score's expressions over canonical cohort columns."""
        return self.build()
