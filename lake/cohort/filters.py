"""Typed cohort filters, compiled to one Polars expression in one place.

A cohort is the set of patients whose *attribute row* (one row per patient, built by
:func:`lake.cohort.frame.attribute_frame`) satisfies a filter. Filters are frozen dataclasses, so
they are hashable (cache keys) and printable (provenance); :func:`compile_filter` is the only
place that turns them into a :class:`polars.Expr`, and :func:`required_columns` tells the frame
builder which attributes to join.

Filters are generic over the attributes (:mod:`lake.cohort.attributes`): a numeric range, a set of
codes of a categorical attribute, membership (any / all) in a list attribute; plus the diagnosis
date, the ordered best response and risk groups. An unknown value never matches a condition: a
patient with an unknown age is not in ``NumericRange("age_at_diagnosis", minimum=60)``. Each leaf
condition treats null as false *before* ``Not`` negates it, so
``f`` and ``Not(f)`` always partition the patients (SQL's ``coalesce(cond, false)``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeAlias

import polars as pl

from lake.cohort.attributes import LIST_ATTRIBUTES
from lake.cohort.frame import (
    GROUPING_ATTRIBUTES,
    NUMERIC_ATTRIBUTES,
    RESPONSE_RANK,
    attribute_codes,
)
from lake.cohort.risk import NON_RESULTS, category, score
from lake.endpoints.origins import Occurrence
from lake.errors import AnalysisError
from lake.model import COMORBIDITIES, GENETICS, IMWG_RESPONSES, MARKER_CODES

MARKER_COLUMNS: tuple[str, ...] = tuple(
    c.name for t in (GENETICS, COMORBIDITIES) for c in t.columns if c.codes == MARKER_CODES
)


def _check_codes(field_name: str, values: tuple[str, ...], valid: tuple[str, ...]) -> None:
    if not values:
        raise AnalysisError(f"cohort filter {field_name}: give at least one value")
    unknown = sorted(set(values) - set(valid))
    if unknown:
        raise AnalysisError(
            f"cohort filter {field_name}: unknown code(s) {unknown}; valid: {', '.join(valid)}"
        )


Bound: TypeAlias = float | dt.date | None


def _check_range(field_name: str, low: Bound, high: Bound) -> None:
    if low is None and high is None:
        raise AnalysisError(f"cohort filter {field_name}: give a lower or an upper bound")
    if low is not None and high is not None and low > high:  # type: ignore[operator]  # same type
        raise AnalysisError(f"cohort filter {field_name}: lower bound {low} exceeds {high}")


def _check_attribute(kind: str, attribute: str, valid: tuple[str, ...]) -> None:
    if attribute not in valid:
        raise AnalysisError(
            f"cohort filter {kind}: {attribute!r} is not a {kind} attribute; valid: "
            f"{', '.join(valid)}"
        )


@dataclass(frozen=True, slots=True)
class NumericRange:
    """Patients whose numeric ``attribute`` lies in ``[minimum, maximum]`` (either optional).

    A cut-point such as age >= 65 is ``NumericRange("age_at_diagnosis", minimum=65)``; an
    unknown value is in no range.
    """

    attribute: str
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        _check_attribute("numeric", self.attribute, NUMERIC_ATTRIBUTES)
        _check_range(self.attribute, self.minimum, self.maximum)


@dataclass(frozen=True, slots=True)
class CategoryIn:
    """Patients whose single-valued categorical ``attribute`` is one of ``values``.

    Values are checked against the attribute's codes (``false``/``true`` for a flag; any text
    for free-text attributes such as ``site``). A tri-state marker without a row counts as
    ``not_tested`` (domain convention C1: unknown, never absent).
    """

    attribute: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_attribute("categorical", self.attribute, GROUPING_ATTRIBUTES)
        codes = attribute_codes(self.attribute)
        if codes is None:
            if not self.values:
                raise AnalysisError(f"cohort filter {self.attribute}: give at least one value")
        else:
            _check_codes(self.attribute, self.values, codes)


@dataclass(frozen=True, slots=True)
class ListMembership:
    """Patients whose list ``attribute`` holds any of ``any_of`` and all of ``all_of``."""

    attribute: str
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_attribute("list", self.attribute, LIST_ATTRIBUTES)
        if not self.any_of and not self.all_of:
            raise AnalysisError(f"cohort filter {self.attribute}: give any, all or both")
        codes = attribute_codes(self.attribute) or ()
        for given in (self.any_of, self.all_of):
            if given:
                _check_codes(self.attribute, given, codes)


@dataclass(frozen=True, slots=True)
class DiagnosisDateRange:
    """Patients diagnosed on or after ``start`` and on or before ``end``."""

    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        _check_range("diagnosis date", self.start, self.end)


@dataclass(frozen=True, slots=True)
class BestResponse:
    """Patients whose best IMWG response over all lines lies in ``[at_least, at_most]``.

    The scale is ordered worst to best (:data:`lake.model.IMWG_RESPONSES`); ``NE`` is outside it,
    so a patient with only ``NE`` responses matches no range.
    """

    at_least: str | None = None
    at_most: str | None = None

    def __post_init__(self) -> None:
        bounds = tuple(b for b in (self.at_least, self.at_most) if b is not None)
        _check_codes("best response", bounds or ("",), IMWG_RESPONSES)
        low = None if self.at_least is None else RESPONSE_RANK[self.at_least]
        high = None if self.at_most is None else RESPONSE_RANK[self.at_most]
        _check_range("best response", low, high)


@dataclass(frozen=True, slots=True)
class RiskGroup:
    """Patients whose category under a registered risk score is one of ``categories``.

    ``score`` may be a name or a version id; it is normalised to the version id, so the filter
    (and the cache key) always names the exact rule set. NOT_CLASSIFIABLE and NOT_APPLICABLE are
    valid categories too.
    """

    score: str
    categories: tuple[str, ...]

    def __post_init__(self) -> None:
        registered = score(self.score)
        _check_codes(
            f"risk group of {registered.name}",
            self.categories,
            (*registered.categories, *NON_RESULTS),
        )
        object.__setattr__(self, "score", registered.version)


@dataclass(frozen=True, slots=True)
class OccursAfter:
    """Patients whose ``event`` date lies ``min_days`` to ``max_days`` days after ``after``.

    With dates a (of ``event``) and b (of ``after``) the patient matches when both are known and
    ``min_days <= (a - b) in days <= max_days`` (no upper bound when ``max_days`` is None). The
    default ``min_days=1`` means strictly later; 0 admits the same day. E.g. relapse within 730
    days after the first autologous transplant: ``OccursAfter(first relapse, first autologous
    transplant, max_days=730)``. A missing date never matches (and ``Not`` of it does).
    """

    event: Occurrence
    after: Occurrence
    min_days: int = 1
    max_days: int | None = None

    def __post_init__(self) -> None:
        if self.min_days < 0:
            raise AnalysisError(
                f"temporal criterion: minimum days must be >= 0 (got {self.min_days}); to ask "
                "for an event before another, swap event and after"
            )
        if self.max_days is not None and self.max_days < self.min_days:
            raise AnalysisError(
                f"temporal criterion: maximum days {self.max_days} is below the minimum "
                f"{self.min_days}"
            )
        if self.event == self.after:
            raise AnalysisError(f"temporal criterion: {self.event.label} cannot come after itself")


@dataclass(frozen=True, slots=True)
class And:
    """All of ``filters`` (an empty ``And`` is every patient)."""

    filters: tuple[CohortFilter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Any of ``filters`` (an empty ``Or`` is nobody)."""

    filters: tuple[CohortFilter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """Every patient not matched by ``filter``."""

    filter: CohortFilter


CohortFilter: TypeAlias = (
    NumericRange
    | CategoryIn
    | ListMembership
    | DiagnosisDateRange
    | BestResponse
    | RiskGroup
    | OccursAfter
    | And
    | Or
    | Not
)

EVERYONE: CohortFilter = And(())


def _between(value: pl.Expr, low: Bound, high: Bound) -> pl.Expr:
    expr = value.is_not_null()
    if low is not None:
        expr = expr & (value >= low)
    if high is not None:
        expr = expr & (value <= high)
    return expr


def _compile(f: CohortFilter) -> pl.Expr:
    match f:
        case NumericRange(attribute=attribute, minimum=low, maximum=high):
            return _between(pl.col(attribute), low, high)
        case CategoryIn(attribute=attribute, values=values):
            value = pl.col(attribute).cast(pl.String)
            if attribute in MARKER_COLUMNS:
                value = value.fill_null("not_tested")
            return value.is_in(values)
        case ListMembership(attribute=attribute, any_of=any_of, all_of=all_of):
            held = pl.col(attribute)
            conditions = [held.list.contains(code) for code in all_of]
            if any_of:
                conditions.append(pl.any_horizontal(held.list.contains(c) for c in any_of))
            return pl.all_horizontal(conditions)
        case DiagnosisDateRange(start=low, end=high):
            return _between(pl.col("diagnosis_date"), low, high)
        case BestResponse(at_least=low, at_most=high):
            rank = pl.col("best_response").replace_strict(
                RESPONSE_RANK, default=None, return_dtype=pl.Int8
            )
            low_rank = None if low is None else RESPONSE_RANK[low]
            high_rank = None if high is None else RESPONSE_RANK[high]
            return _between(rank, low_rank, high_rank)
        case RiskGroup(score=version, categories=categories):
            return category(version).is_in(categories)
        case OccursAfter(event=event, after=after, min_days=low, max_days=high):
            gap = (pl.col(event.column) - pl.col(after.column)).dt.total_days()
            return _between(gap, low, high)
        case And(filters=filters):
            return pl.all_horizontal([_compile(g) for g in filters] or [pl.lit(value=True)])
        case Or(filters=filters):
            return pl.any_horizontal([_compile(g) for g in filters] or [pl.lit(value=False)])
        case Not(filter=inner):
            return _compile(inner).fill_null(value=False).not_()
    raise TypeError(f"not a cohort filter: {f!r}")  # pragma: no cover - exhaustive match


def compile_filter(f: CohortFilter) -> pl.Expr:
    """The boolean expression selecting the patients matched by ``f``; null counts as false.

    Examples
    --------
    >>> frame = pl.DataFrame({"disease": ["MM", "AML", None], "age_at_diagnosis": [70.0, 50, 65]})
    >>> f = And((CategoryIn("disease", ("MM",)), Not(NumericRange("age_at_diagnosis", maximum=60))))
    >>> frame.filter(compile_filter(f)).height
    1
    """
    return _compile(f).fill_null(value=False)


def required_columns(f: CohortFilter) -> frozenset[str]:
    """The attribute columns :func:`compile_filter` reads for ``f``."""
    match f:
        case NumericRange(attribute=attribute) | CategoryIn(attribute=attribute):
            return frozenset({attribute})
        case ListMembership(attribute=attribute):
            return frozenset({attribute})
        case DiagnosisDateRange():
            return frozenset({"diagnosis_date"})
        case BestResponse():
            return frozenset({"best_response"})
        case RiskGroup() | OccursAfter():
            return frozenset()
        case And(filters=filters) | Or(filters=filters):
            return frozenset().union(*(required_columns(g) for g in filters))
        case Not(filter=inner):
            return required_columns(inner)
    raise TypeError(f"not a cohort filter: {f!r}")  # pragma: no cover - exhaustive match


def required_scores(f: CohortFilter) -> frozenset[str]:
    """The risk score versions :func:`compile_filter` reads for ``f`` (computed columns)."""
    match f:
        case RiskGroup(score=version):
            return frozenset({version})
        case And(filters=filters) | Or(filters=filters):
            return frozenset().union(*(required_scores(g) for g in filters))
        case Not(filter=inner):
            return required_scores(inner)
    return frozenset()


def required_occurrences(f: CohortFilter) -> frozenset[Occurrence]:
    """The dated occurrences :func:`compile_filter` reads for ``f`` (one date column each,
    named :attr:`Occurrence.column`, from :func:`lake.endpoints.origins.occurrence_dates`)."""
    match f:
        case OccursAfter(event=event, after=after):
            return frozenset({event, after})
        case And(filters=filters) | Or(filters=filters):
            return frozenset().union(*(required_occurrences(g) for g in filters))
        case Not(filter=inner):
            return required_occurrences(inner)
    return frozenset()


__all__ = [
    "EVERYONE",
    "MARKER_COLUMNS",
    "And",
    "BestResponse",
    "CategoryIn",
    "CohortFilter",
    "DiagnosisDateRange",
    "ListMembership",
    "Not",
    "NumericRange",
    "OccursAfter",
    "Or",
    "RiskGroup",
    "compile_filter",
    "required_columns",
    "required_occurrences",
    "required_scores",
]
