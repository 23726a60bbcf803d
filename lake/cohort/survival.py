"""Kaplan-Meier summaries of a cohort by group, log-rank tests and median follow-up.

Glue only: every estimate comes from :mod:`lake.survival` (R ``survfit`` / ``survdiff``
conventions, 05-survival-statistics.md): :class:`~lake.survival.KaplanMeierFitter` per group,
:func:`~lake.survival.logrank_test` (plain, or stratified: R ``survdiff(... + strata(s))``),
:func:`~lake.survival.trend_test` across ordered groups and
:func:`~lake.survival.median_follow_up` (reverse Kaplan-Meier). This module picks rows and
groups and converts times: days are the lake's unit; weeks are days / 7, months days / 30.4375
and years days / 365.25 (R ``survival`` users' usual convention).

Input frames hold one row per patient of the cohort with the endpoint (``time_days``,
``status``), a ``group`` column (ordered: an Enum sorts by its category order, the declared order
of :mod:`lake.cohort.order`) and optionally a ``stratum`` column; patients without the endpoint
(null time) are dropped and counted. The trend test scores the grouping's ranked codes 1..K.
With delayed entry (:mod:`lake.cohort.entry`) they hold ``entry_days`` too, and the log-rank and
trend tests use the same (entry, stop] risk sets as the curves.

Options (quartiles, Nelson-Aalen, restricted mean, counts per interval, Fleming-Harrington
weights: :mod:`lake.cohort.survival_options`) are computed only when the request asks.

Results are exact; :func:`lake.disclosure.disclose_survival` decides what of them is released.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from lake.cohort.cuts import Cuts
from lake.cohort.endpoints import EndpointKey
from lake.cohort.entry import entered_rows
from lake.cohort.exposure import EXPOSURE_LEVELS
from lake.cohort.filters import required_scores
from lake.cohort.groups import UserGroup, check_groups
from lake.cohort.order import Levels, attribute_levels, score_levels
from lake.cohort.steps import StepFunction
from lake.cohort.survival_options import (
    NO_OPTIONS,
    GroupOptions,
    IntervalCounts,
    RestrictedMean,
    SurvivalOptions,
    group_options,
)
from lake.endpoints.exposures import Exposure
from lake.errors import AnalysisError, EmptyCohortError
from lake.query.release import OMITTED_AT_DEFAULT
from lake.survival import (
    GroupedCounts,
    HazardAt,
    KaplanMeierFitter,
    QuantileEstimate,
    StatisticalResult,
    SurvivalAt,
    SurvivalWarning,
    grouped_counts,
    logrank_counts,
    logrank_test,
    median_follow_up,
    median_follow_ups,
    trend_test,
)
from lake.survival._typing import ConfType

TimeUnit = Literal["days", "weeks", "months", "years"]
#: Days per unit: a Julian year of 365.25 days and its twelfth (R ``survival`` users' usual
#: convention; the lake stores whole days).
DAYS_PER: Final[dict[TimeUnit, float]] = {
    "days": 1.0,
    "weeks": 7.0,
    "months": 30.4375,
    "years": 365.25,
}


@dataclass(frozen=True, slots=True)
class Grouping:
    """What to group patients by: a categorical attribute, a risk score version, a numeric
    attribute cut at given points (:class:`~lake.cohort.cuts.Cuts`), named filters
    (:mod:`lake.cohort.groups`: first match, in the order given), the status of an exposure at
    time zero (:mod:`lake.cohort.exposure`), or nothing."""

    attribute: str | None = None
    score: str | None = None
    cuts: Cuts | None = field(default=None, metadata=OMITTED_AT_DEFAULT)
    groups: tuple[UserGroup, ...] = field(default=(), metadata=OMITTED_AT_DEFAULT)
    exposure: Exposure | None = field(default=None, metadata=OMITTED_AT_DEFAULT)

    def __post_init__(self) -> None:
        if self.groups:
            check_groups(self.groups)

    @property
    def names(self) -> tuple[str, ...]:
        """The user-defined groups' names in the order given (empty for other groupings)."""
        return tuple(g.name for g in self.groups)

    def score_versions(self) -> list[str]:
        """The risk score versions the grouping reads (for provenance)."""
        read = {v for g in self.groups for v in required_scores(g.filter)}
        return sorted(read | ({self.score} if self.score is not None else set()))

    def levels(self) -> Levels:
        """The declared order of the groups (:mod:`lake.cohort.order`); cut groups ascend,
        user-defined groups are in the order given, the first the reference."""
        if self.cuts is not None:
            labels = self.cuts.labels()
            return Levels(codes=labels, ranked=labels, by_risk=labels)
        if self.groups:
            return Levels(codes=self.names, ranked=self.names, by_risk=self.names)
        if self.exposure is not None:
            return EXPOSURE_LEVELS
        if self.score is not None:
            return score_levels(self.score)
        if self.attribute is not None:
            return attribute_levels(self.attribute)
        return Levels(codes=None, ranked=None, by_risk=None)


@dataclass(frozen=True, slots=True)
class SurvivalRequest:
    """Normalised request: KM by group for one endpoint and origin, with the chosen tests."""

    endpoint: EndpointKey
    grouping: Grouping
    times: tuple[float, ...]
    time_unit: TimeUnit
    conf_type: ConfType
    strata: str | None = None
    trend: bool = False
    options: SurvivalOptions = field(default=NO_OPTIONS, metadata=OMITTED_AT_DEFAULT)
    #: count each patient at risk from their registry entry (:mod:`lake.cohort.entry`)
    delayed_entry: bool = field(default=False, metadata=OMITTED_AT_DEFAULT)
    #: estimate each group's median follow-up (a second, reverse Kaplan-Meier fit per group);
    #: the API asks only when the query selects it
    follow_up: bool = field(default=True, metadata=OMITTED_AT_DEFAULT)


@dataclass(frozen=True, slots=True)
class TimePoint:
    """Survival at one requested time; ``n_at_risk`` is ``None`` when withheld.

    ``std_err`` is the standard error of S (R ``summary()``'s ``std.err``; ``survfit()``'s is
    of −log S); the cumulative hazard and its se are filled when the request asks for them.
    """

    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    n_at_risk: int | None
    reason: str | None
    std_err: float | None = None
    cumulative_hazard: float | None = None
    cumulative_hazard_se: float | None = None

    @classmethod
    def of(cls, point: SurvivalAt, hazard: HazardAt | None = None) -> TimePoint:
        """The time point of a survival engine estimate (and its cumulative hazard)."""
        return cls(
            time=point.time,
            survival=point.survival,
            lower=point.lower,
            upper=point.upper,
            n_at_risk=point.n_at_risk,
            reason=point.reason,
            std_err=point.std_err,
            cumulative_hazard=None if hazard is None else hazard.cumulative_hazard,
            cumulative_hazard_se=None if hazard is None else hazard.std_err,
        )


@dataclass(frozen=True, slots=True)
class GroupSurvival:
    """One group's Kaplan-Meier summary; times in the request's unit."""

    group: str | None
    n: int | None
    events: int | None
    median: QuantileEstimate | None
    median_follow_up: QuantileEstimate | None
    at_times: tuple[TimePoint, ...]
    steps: StepFunction
    quartiles: tuple[QuantileEstimate, ...] | None = None
    restricted_mean: RestrictedMean | None = None
    intervals: tuple[IntervalCounts, ...] | None = None

    def with_options(self, answers: GroupOptions) -> GroupSurvival:
        """This summary with the answers to the request's options."""
        return replace(
            self,
            quartiles=answers.quartiles,
            restricted_mean=answers.restricted_mean,
            intervals=answers.intervals,
        )


@dataclass(frozen=True, slots=True)
class SurvivalSummary:
    """Kaplan-Meier by group plus the log-rank tests across groups (``None`` for one group)."""

    endpoint: str
    origin: str
    time_unit: TimeUnit
    n_excluded: int | None
    groups: tuple[GroupSurvival, ...]
    logrank: StatisticalResult | None
    trend: StatisticalResult | None
    weighted: StatisticalResult | None = None


@dataclass(frozen=True, slots=True)
class EndpointRows:
    """The cohort's rows with the endpoint, each with its ``group_code``; the group labels in
    code order (``None``: a missing group) and how many rows lacked the endpoint."""

    rows: pl.DataFrame
    labels: list[str | None]
    excluded: int


def endpoint_rows(frame: pl.DataFrame) -> EndpointRows:
    """Rows with the endpoint (``time_days``: statistics count whole days), each numbered by
    its group.

    ``group_code`` numbers the groups 0..G-1 in the group column's order (an Enum's declared
    order, else ascending values), a missing group last (:func:`group_codes`). The rows keep
    the cohort's order: every statistic counts by code (np.bincount over (group, time) cells),
    so nothing sorts the cohort, least of all by a text column (75 ms at a million patients).
    """
    kept = frame.filter(pl.col("time_days").is_not_null())
    if kept.height == 0:
        raise EmptyCohortError(
            "no patient of the cohort has this endpoint from this origin; check the origin "
            "(e.g. allo_transplant needs transplanted patients) or widen the filter"
        )
    if "group" not in kept.columns:
        kept = kept.with_columns(group=pl.lit(None, dtype=pl.String))
    codes, labels = group_codes(kept.get_column("group"))
    kept = kept.with_columns(group_code=pl.Series(codes, dtype=pl.UInt32))
    return EndpointRows(kept, labels, frame.height - kept.height)


def group_codes(
    group: pl.Series,
) -> tuple[npt.NDArray[np.unsignedinteger[Any]], list[str | None]]:
    """Dense codes 0..G-1 of ``group``'s values present, in their sort order, null last; and
    the value of each code as text (``None``: null).

    An Enum's physical codes already follow its declared order: they are renumbered by
    counting which occur (np.bincount). A text column is first cast to the Enum of its few
    distinct values (hashing, not sorting the rows); other types (booleans, numbers) rank.
    """
    if group.dtype == pl.String:
        group = group.cast(pl.Enum(group.unique().drop_nulls().sort()))
    if isinstance(group.dtype, pl.Enum):
        values = pl.concat([group.dtype.categories, pl.Series([None], dtype=pl.String)])
        physical = group.to_physical().fill_null(values.len() - 1).to_numpy()
    else:
        distinct = group.unique().sort(nulls_last=True)
        values = distinct.cast(pl.String)
        ranked = group.rank("dense") - 1
        physical = ranked.fill_null(distinct.drop_nulls().len()).to_numpy()
    present = np.bincount(physical, minlength=values.len()) > 0
    narrow = np.uint16 if values.len() < np.iinfo(np.uint16).max else np.uint32
    dense = (np.cumsum(present) - 1).astype(narrow)
    result: npt.NDArray[np.unsignedinteger[Any]] = dense[physical]
    return result, values.filter(pl.Series(present)).to_list()


def needs_rows(request: SurvivalRequest) -> bool:
    """Whether the request needs the cohort's rows, not only its (group, event, day) counts:
    delayed entry (risk sets from each entry), strata, the trend test and weighted log-rank
    tests are computed over rows (:func:`survival_summary`); everything else over counts
    (:func:`counted_survival`)."""
    return (
        request.delayed_entry
        or request.strata is not None
        or request.trend
        or request.options.weights is not None
    )


def survival_summary(frame: pl.DataFrame, request: SurvivalRequest) -> SurvivalSummary:
    """Kaplan-Meier per group over ``frame`` (the cohort's rows), with the requested tests.

    With ``delayed_entry`` ``frame`` holds ``entry_days``: every estimate and test uses the
    risk sets (entry, stop], and patients not at risk after entry are excluded too.
    """
    ranked = trend_levels(request)
    endpoint = endpoint_rows(frame)
    rows, labels, excluded = endpoint.rows, endpoint.labels, endpoint.excluded
    entry = None
    if request.delayed_entry:
        rows, not_entered = entered_rows(rows)
        excluded += not_entered
        if rows.height == 0:
            raise EmptyCohortError(
                "no patient of the cohort is followed beyond their registry entry; ask "
                "without delayedEntry or widen the filter"
            )
        entry = rows.get_column("entry_days").to_numpy()
    # counted on whole days (tabulated without a sort), reported in the request's unit
    time = rows.get_column("time_days").to_numpy()
    status = rows.get_column("status").to_numpy()
    code = rows.get_column("group_code").to_numpy()
    if entry is None:
        # every group's curve, follow-up and the log-rank from one count over the rows
        counted = grouped_counts(time, status, code, n_groups=len(labels))
        groups = _counted_groups(counted, labels, request)
    else:
        counted = None
        groups = _entered_groups(time, status, code, entry, labels=labels, request=request)
    logrank = trend = weighted = None
    if len(groups) > 1:
        strata = None
        if request.strata is not None:
            strata = rows.get_column("stratum").cast(pl.String).fill_null("missing").to_numpy()
        test = (
            logrank_counts(counted)
            if counted is not None and strata is None
            else logrank_test(time, status, code, strata=strata, entry=entry)
        )
        logrank = _labelled(test, labels)
        if request.trend:
            trend = _ordered_trend(time, status, code, strata, labels, ranked=ranked, entry=entry)
        if request.options.weights is not None:
            rho, gamma = request.options.weights.rho, request.options.weights.gamma
            test = logrank_test(
                time, status, code, strata=strata, rho=rho, gamma=gamma, entry=entry
            )
            weighted = _labelled(test, labels)
    return _summary(request, excluded, groups, logrank=logrank, trend=trend, weighted=weighted)


def counted_survival(
    counted: GroupedCounts, labels: list[str | None], excluded: int, request: SurvivalRequest
) -> SurvivalSummary:
    """:func:`survival_summary` of a cohort given as its counts (:mod:`lake.cohort.counting`:
    ``counted`` per group, the groups' ``labels`` in code order, ``excluded`` patients without
    the endpoint), equal to the row path's answer. Only for requests that do not
    :func:`needs_rows`."""
    if needs_rows(request):
        raise AnalysisError("this survival request needs the cohort's rows, not its counts")
    trend_levels(request)  # refuses a trend across a nominal grouping, as the row path does
    groups = _counted_groups(counted, labels, request)
    logrank = _labelled(logrank_counts(counted), labels) if len(groups) > 1 else None
    return _summary(request, excluded, groups, logrank=logrank)


def _counted_groups(
    counted: GroupedCounts, labels: list[str | None], request: SurvivalRequest
) -> list[GroupSurvival]:
    """Every group's curve and follow-up from the one count (:meth:`fit_groups`)."""
    scale = DAYS_PER[request.time_unit]
    with warnings.catch_warnings():
        # a group without events (or, for the reverse Kaplan-Meier follow-up, without
        # censorings) is an answer, S = 1 and the median not reached, not dubious input
        warnings.simplefilter("ignore", SurvivalWarning)
        conf_type = request.conf_type
        fitters = KaplanMeierFitter(conf_type=conf_type).fit_groups(counted, time_scale=scale)
        follow_ups: list[QuantileEstimate | None] = [None] * len(labels)
        if request.follow_up:
            follow_ups = list(median_follow_ups(counted, conf_type=conf_type, time_scale=scale))
    sizes = counted.counts.sum(axis=(1, 2)).tolist()
    return _groups(labels, sizes, fitters, follow_ups, request)


def _entered_groups(
    time: np.ndarray,
    status: np.ndarray,
    code: np.ndarray,
    entry: np.ndarray,
    *,
    labels: list[str | None],
    request: SurvivalRequest,
) -> list[GroupSurvival]:
    """Every group's curve and follow-up over its rows' (entry, stop] risk sets."""
    scale = DAYS_PER[request.time_unit]
    conf_type = request.conf_type
    chosen = [code == g for g in range(len(labels))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvivalWarning)  # as in _counted_groups
        fitters = [
            KaplanMeierFitter(conf_type=conf_type).fit(
                time[c], status[c], entry=entry[c], time_scale=scale
            )
            for c in chosen
        ]
        follow_ups = [
            median_follow_up(
                time[c], status[c], conf_type=conf_type, entry=entry[c], time_scale=scale
            )
            if request.follow_up
            else None
            for c in chosen
        ]
    sizes = np.bincount(code, minlength=len(labels)).tolist()
    return _groups(labels, sizes, fitters, follow_ups, request)


def _groups(
    labels: list[str | None],
    sizes: list[int],
    fitters: list[KaplanMeierFitter],
    follow_ups: list[QuantileEstimate | None],
    request: SurvivalRequest,
) -> list[GroupSurvival]:
    """The groups' summaries: sizes, events, medians, the requested times and options."""
    options = request.options
    times = list(request.times)
    groups = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvivalWarning)  # as in _counted_groups
        for label, size, fitter, follow_up in zip(labels, sizes, fitters, follow_ups, strict=True):
            hazards = (
                fitter.cumulative_hazard_at(times)
                if options.cumulative_hazard
                else [None] * len(times)
            )
            points = zip(fitter.survival_at(times), hazards, strict=True)
            groups.append(
                GroupSurvival(
                    group=label,
                    n=size,
                    events=int(fitter.n_events_.sum()),
                    median=fitter.median_,
                    median_follow_up=follow_up,
                    at_times=tuple(TimePoint.of(p, h) for p, h in points),
                    steps=km_steps(fitter),
                ).with_options(group_options(fitter, options))
            )
    return groups


def _summary(
    request: SurvivalRequest,
    excluded: int,
    groups: list[GroupSurvival],
    *,
    logrank: StatisticalResult | None,
    trend: StatisticalResult | None = None,
    weighted: StatisticalResult | None = None,
) -> SurvivalSummary:
    key = request.endpoint
    return SurvivalSummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        time_unit=request.time_unit,
        n_excluded=excluded,
        groups=tuple(groups),
        logrank=logrank,
        trend=trend,
        weighted=weighted,
    )


def trend_levels(request: SurvivalRequest) -> tuple[str, ...]:
    """The groups a trend test scores 1..K: the grouping's ranked codes, in declared order.

    ``NOT_CLASSIFIABLE`` / ``NOT_APPLICABLE`` (C6), codes outside the scale (IMWG ``NE``) and a
    missing group are not levels of it: scoring them K+1 would test a trend the data do not
    have, so their patients are left out of the trend test (they stay in the Kaplan-Meier groups
    and the omnibus log-rank). Without a grouping there is nothing to score (empty).

    Raises
    ------
    AnalysisError
        A trend is asked across the groups of a nominal attribute or of an exposure status (no
        declared scale).
    """
    grouping = request.grouping
    ranked = grouping.levels().ranked
    nominal = grouping.attribute if grouping.exposure is None else "an exposure status"
    if request.trend and nominal is not None and ranked is None:
        raise AnalysisError(
            f"trend: {nominal} is not an ordinal scale, so its groups have no "
            "order to test; ask without trend, or group by an ordinal attribute or a risk score"
        )
    return ranked or ()


def km_steps(fitter: KaplanMeierFitter) -> StepFunction:
    """The fitted curve's step function (:meth:`KaplanMeierFitter.step_function`) as columns."""
    return StepFunction.columns(
        time=fitter.timeline_,
        survival=fitter.survival_,
        lower=fitter.lower_,
        upper=fitter.upper_,
        n_at_risk=fitter.n_at_risk_,
        events=fitter.n_events_,
        censored=fitter.n_censored_,
    )


def _ordered_trend(
    time: np.ndarray,
    status: np.ndarray,
    code: np.ndarray,
    strata: np.ndarray | None,
    labels: list[str | None],
    *,
    ranked: tuple[str, ...],
    entry: np.ndarray | None,
) -> StatisticalResult:
    """Trend test over the groups of ``ranked`` (:func:`trend_levels`), scored 1..K.

    The groups come in declared order (ranked codes first), so their codes are in scale order.
    """
    ordered = np.array([label in ranked for label in labels])
    keep = ordered[code]
    kept_labels = [label for label, use in zip(labels, ordered, strict=True) if use]
    remap = np.cumsum(ordered) - 1
    result = trend_test(
        time[keep],
        status[keep],
        remap[code[keep]],
        strata=None if strata is None else strata[keep],
        entry=None if entry is None else entry[keep],
    )
    return _labelled(result, kept_labels)


def _labelled(result: StatisticalResult, labels: list[str | None]) -> StatisticalResult:
    """The result with group codes replaced by their labels (``missing`` for null)."""
    names = tuple(
        "missing" if labels[int(g)] is None else str(labels[int(g)]) for g in result.groups
    )
    return StatisticalResult(
        test_name=result.test_name,
        statistic=result.statistic,
        df=result.df,
        p_value=result.p_value,
        groups=names,
        observed=result.observed,
        expected=result.expected,
        reason=result.reason,
    )
