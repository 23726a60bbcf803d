"""The cohort filter input: typed fields, combined with AND, plus allOf / anyOf / not.

Each input validates in ``__post_init__`` (raising :class:`schema.errors.BadRequestError` naming the
field) and converts to the typed filters of :mod:`lake.cohort.filters` with ``to_filter()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal, TypeVar

import strawberry
from lake.cohort import filters as lc
from lake.errors import AnalysisError

from schema.errors import BadRequestError
from schema.inputs.occurrence import TemporalInput
from schema.scores import score_version
from schema.types.enums import (
    Agent,
    DataOrigin,
    Disease,
    EventType,
    GroupingAttribute,
    ImwgResponse,
    ListAttribute,
    Marker,
    MarkerStatus,
    NumericAttribute,
    Sex,
    TherapyStrategy,
    TransplantType,
)

T = TypeVar("T")


def _check_bounds(field: str, low: object, high: object) -> None:
    if low is None and high is None:
        raise BadRequestError(f"{field}: give min, max or both")
    if low is not None and high is not None and low > high:  # type: ignore[operator]  # same type
        raise BadRequestError(f"{field}: min ({low}) is greater than max ({high})")


@strawberry.input(description="A closed numeric range; either bound may be omitted.")
class FloatRangeInput:
    min: float | None = strawberry.field(default=None, description="Lower bound (inclusive).")
    max: float | None = strawberry.field(default=None, description="Upper bound (inclusive).")


@strawberry.input(description="A closed integer range; either bound may be omitted.")
class IntRangeInput:
    min: int | None = strawberry.field(default=None, description="Lower bound (inclusive).")
    max: int | None = strawberry.field(default=None, description="Upper bound (inclusive).")


@strawberry.input(description="A closed date range; either bound may be omitted.")
class DateRangeInput:
    start: dt.date | None = strawberry.field(default=None, description="First day (inclusive).")
    end: dt.date | None = strawberry.field(default=None, description="Last day (inclusive).")

    def __post_init__(self) -> None:
        _check_bounds("diagnosisDate", self.start, self.end)


@strawberry.input(description="Patients whose marker has one of the statuses.")
class MarkerFilterInput:
    marker: Marker = strawberry.field(description="The genetic marker or comorbidity item.")
    statuses: list[MarkerStatus] = strawberry.field(
        description="Accepted statuses; a missing record counts as NOT_TESTED."
    )

    def __post_init__(self) -> None:
        if not self.statuses:
            raise BadRequestError("markers.statuses: give at least one status")


@strawberry.input(description="Treatment history conditions (all given conditions must hold).")
class TreatmentFilterInput:
    agents_any: list[Agent] | None = strawberry.field(
        default=None, description="Received at least one of these agents in any line."
    )
    agents_all: list[Agent] | None = strawberry.field(
        default=None, description="Received every one of these agents (in any lines)."
    )
    lines: IntRangeInput | None = strawberry.field(
        default=None, description="Number of lines of therapy (inclusive integer range)."
    )
    transplant: TransplantType | None = strawberry.field(
        default=None, description="Received at least one transplant of this type."
    )
    strategy: TherapyStrategy | None = strawberry.field(
        default=None, description="At least one line given with this strategy."
    )

    def to_filters(self) -> list[lc.CohortFilter]:
        """The lake filters for the conditions given."""
        out: list[lc.CohortFilter] = []
        for agents, mode in ((self.agents_any, "any"), (self.agents_all, "all")):
            if agents is not None:
                if not agents:
                    raise BadRequestError(
                        f"treatment.agents{mode.title()}: give at least one agent"
                    )
                codes = tuple(a.value for a in agents)
                out.append(
                    lc.ListMembership("agents_received", any_of=codes)
                    if mode == "any"
                    else lc.ListMembership("agents_received", all_of=codes)
                )
        if self.lines is not None:
            _check_bounds("treatment.lines", self.lines.min, self.lines.max)
            out.append(lc.NumericRange("n_lines", self.lines.min, self.lines.max))
        if self.transplant is not None:
            out.append(lc.CategoryIn(f"had_{self.transplant.value}", ("true",)))
        if self.strategy is not None:
            out.append(lc.ListMembership("strategies", any_of=(self.strategy.value,)))
        return out


@strawberry.input(description="Best IMWG response over all lines, on the ordered scale.")
class ResponseRangeInput:
    at_least: ImwgResponse | None = strawberry.field(
        default=None, description="Best response at least this good."
    )
    at_most: ImwgResponse | None = strawberry.field(
        default=None, description="Best response at most this good."
    )

    def __post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise BadRequestError("bestResponse: give atLeast, atMost or both")


@strawberry.input(description="Patients in some categories of a registered risk score.")
class RiskGroupInput:
    score: str = strawberry.field(
        description="Score name (e.g. riss) or version id (e.g. riss_palumbo2015)."
    )
    categories: list[str] = strawberry.field(
        description="Accepted categories (the score's codes, NOT_CLASSIFIABLE, NOT_APPLICABLE)."
    )

    def to_filter(self) -> lc.RiskGroup:
        """The lake filter (the score normalised to its version id)."""
        return lc.RiskGroup(score=score_version(self.score), categories=tuple(self.categories))


@strawberry.input(
    description="Patients whose numeric attribute lies in [min, max] (either bound may be "
    "omitted: min: 65 is age >= 65). A patient with an unknown value never matches."
)
class NumericFilterInput:
    attribute: NumericAttribute = strawberry.field(description="The numeric attribute.")
    min: float | None = strawberry.field(default=None, description="Lower bound (inclusive).")
    max: float | None = strawberry.field(default=None, description="Upper bound (inclusive).")

    def to_filter(self) -> lc.NumericRange:
        """The lake filter; no bound, or min above max, is a bad request."""
        name = self.attribute.value
        _check_bounds(f"numeric {name}", self.min, self.max)
        return lc.NumericRange(name, self.min, self.max)


@strawberry.input(
    description="Patients whose single-valued categorical attribute takes one of the values "
    "(the attribute's codes as in the data dictionary; true / false for a flag)."
)
class CategoricalFilterInput:
    attribute: GroupingAttribute = strawberry.field(description="The categorical attribute.")
    values: list[str] = strawberry.field(description="Accepted values (at least one).")

    def to_filter(self) -> lc.CategoryIn:
        """The lake filter; values outside the attribute's codes are a bad request naming them."""
        return _public(lambda: lc.CategoryIn(self.attribute.value, tuple(sorted(self.values))))


@strawberry.input(
    description="Patients whose list attribute holds any of `any` and all of `all` (give one "
    "or both)."
)
class ListFilterInput:
    attribute: ListAttribute = strawberry.field(description="The list attribute.")
    any: list[str] | None = strawberry.field(
        default=None, description="At least one of these codes."
    )
    all: list[str] | None = strawberry.field(default=None, description="Every one of these codes.")

    def to_filter(self) -> lc.ListMembership:
        """The lake filter; unknown codes or neither any nor all are a bad request."""
        return _public(
            lambda: lc.ListMembership(
                self.attribute.value,
                any_of=tuple(sorted(self.any or ())),
                all_of=tuple(sorted(self.all or ())),
            )
        )


def _public(build: Callable[[], T]) -> T:
    """The lake filter ``build`` makes; its validation error as a bad request."""
    try:
        return build()
    except AnalysisError as error:
        raise BadRequestError(str(error)) from error


Column = Literal["disease", "sex", "data_origin", "site", "source_study", "study_arm"]


@strawberry.input(
    description=(
        "Which patients to include. Every field given must hold (AND); omitted fields do not "
        "filter. Use allOf / anyOf / not to combine sub-filters."
    )
)
class CohortFilterInput:
    diseases: list[Disease] | None = strawberry.field(default=None, description="Diseases.")
    sites: list[str] | None = strawberry.field(default=None, description="Site codes.")
    source_studies: list[str] | None = strawberry.field(
        default=None, description="Source trials or registries."
    )
    study_arms: list[str] | None = strawberry.field(
        default=None, description="Randomised arms within the source studies."
    )
    data_origins: list[DataOrigin] | None = strawberry.field(
        default=None, description="Trial and/or real-world data."
    )
    sexes: list[Sex] | None = strawberry.field(default=None, description="Sex at birth.")
    age: FloatRangeInput | None = strawberry.field(
        default=None,
        description="Age at diagnosis in years (patients with unknown age never match).",
    )
    diagnosis_date: DateRangeInput | None = strawberry.field(
        default=None, description="Date of diagnosis."
    )
    markers: list[MarkerFilterInput] | None = strawberry.field(
        default=None, description="Marker conditions; each must hold."
    )
    treatment: TreatmentFilterInput | None = strawberry.field(
        default=None, description="Treatment history conditions."
    )
    best_response: ResponseRangeInput | None = strawberry.field(
        default=None, description="Best response range (myeloma, IMWG 2016)."
    )
    risk_groups: list[RiskGroupInput] | None = strawberry.field(
        default=None, description="Risk-group conditions; each must hold."
    )
    had_events: list[EventType] | None = strawberry.field(
        default=None, description="Patients with at least one event of each of these types."
    )
    numeric: list[NumericFilterInput] | None = strawberry.field(
        default=None,
        description="Numeric attribute ranges (cut-points such as age >= 65); each must hold. "
        "A patient with an unknown value never matches.",
    )
    categorical: list[CategoricalFilterInput] | None = strawberry.field(
        default=None, description="Categorical attribute conditions; each must hold."
    )
    lists: list[ListFilterInput] | None = strawberry.field(
        default=None, description="List attribute memberships (any / all); each must hold."
    )
    temporal: list[TemporalInput] | None = strawberry.field(
        default=None,
        description="Temporal criteria between dated facts (e.g. relapse within 730 days after "
        "the first autologous transplant); each must hold.",
    )
    all_of: list[CohortFilterInput] | None = strawberry.field(
        default=None, description="Sub-filters that must all hold."
    )
    any_of: list[CohortFilterInput] | None = strawberry.field(
        default=None, description="Sub-filters of which at least one must hold."
    )
    not_: CohortFilterInput | None = strawberry.field(
        default=None, name="not", description="A sub-filter that must not hold."
    )

    def to_filter(self) -> lc.CohortFilter:
        """The lake filter: the AND of every condition given."""
        parts: list[lc.CohortFilter] = []
        coded: list[tuple[Column, list[str] | None]] = [
            ("disease", None if self.diseases is None else [d.value for d in self.diseases]),
            ("site", self.sites),
            ("source_study", self.source_studies),
            ("study_arm", self.study_arms),
            (
                "data_origin",
                None if self.data_origins is None else [d.value for d in self.data_origins],
            ),
            ("sex", None if self.sexes is None else [s.value for s in self.sexes]),
        ]
        for column, values in coded:
            if values is not None:
                if not values:
                    raise BadRequestError(f"{column}: give at least one value or omit the field")
                parts.append(lc.CategoryIn(column, tuple(sorted(values))))
        if self.age is not None:
            _check_bounds("age", self.age.min, self.age.max)
            parts.append(lc.NumericRange("age_at_diagnosis", self.age.min, self.age.max))
        if self.diagnosis_date is not None:
            parts.append(lc.DiagnosisDateRange(self.diagnosis_date.start, self.diagnosis_date.end))
        for m in self.markers or []:
            statuses = tuple(sorted(s.value for s in m.statuses))
            parts.append(lc.CategoryIn(m.marker.value, statuses))
        if self.treatment is not None:
            parts.extend(self.treatment.to_filters())
        if self.best_response is not None:
            low, high = self.best_response.at_least, self.best_response.at_most
            parts.append(
                lc.BestResponse(
                    at_least=None if low is None else low.value,
                    at_most=None if high is None else high.value,
                )
            )
        parts.extend(
            lc.ListMembership("event_types", any_of=(e.value,)) for e in self.had_events or []
        )
        parts.extend(n.to_filter() for n in self.numeric or [])
        parts.extend(c.to_filter() for c in self.categorical or [])
        parts.extend(m.to_filter() for m in self.lists or [])
        parts.extend(r.to_filter() for r in self.risk_groups or [])
        parts.extend(t.to_filter(i) for i, t in enumerate(self.temporal or []))
        if self.all_of is not None:
            parts.append(lc.And(tuple(f.to_filter() for f in self.all_of)))
        if self.any_of is not None:
            parts.append(lc.Or(tuple(f.to_filter() for f in self.any_of)))
        if self.not_ is not None:
            parts.append(lc.Not(self.not_.to_filter()))
        return parts[0] if len(parts) == 1 else lc.And(tuple(parts))  # And(()) is everyone
