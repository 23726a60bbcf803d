"""Kaplan-Meier summaries of a cohort grouped by an attribute, with the log-rank test.

Glue only: the endpoint comes from :func:`lake.endpoints.derive_endpoint`, every estimate from
:class:`lake.survival.KaplanMeierFitter` and :func:`lake.survival.logrank_test` (R ``survfit`` /
``survdiff`` conventions, 05-survival-statistics.md). This module picks the rows and groups and
converts times: days are the lake's unit; months are days / 30.4375 and years days / 365.25
(R ``survival`` users' usual convention).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from lake.cohort_frame import TableSource, attribute_frame, scan_or_empty
from lake.endpoints import (
    EndpointDefinition,
    Origin,
    derive_endpoint,
    event_free_survival,
    gvhd_relapse_free_survival,
    overall_survival,
    progression_free_survival,
)
from lake.endpoints.origins import OriginKind
from lake.errors import AnalysisError
from lake.survival import KaplanMeierFitter, QuantileEstimate, StatisticalResult, SurvivalAt
from lake.survival import logrank_test as survival_logrank
from lake.survival._typing import ConfType

KaplanMeierEndpoint = Literal["OS", "PFS", "EFS", "GRFS"]
TimeUnit = Literal["days", "months", "years"]
DAYS_PER: Final[dict[TimeUnit, float]] = {"days": 1.0, "months": 30.4375, "years": 365.25}
ENDPOINTS: Final[dict[KaplanMeierEndpoint, Callable[[], EndpointDefinition]]] = {
    "OS": overall_survival,
    "PFS": progression_free_survival,
    "EFS": event_free_survival,
    "GRFS": gvhd_relapse_free_survival,
}


@dataclass(frozen=True, slots=True)
class SurvivalRequest:
    """Normalised request: KM by group for one endpoint, origin and set of times."""

    endpoint: KaplanMeierEndpoint
    origin: OriginKind
    group_by: str | None
    times: tuple[float, ...]
    time_unit: TimeUnit
    conf_type: ConfType


@dataclass(frozen=True, slots=True)
class TimePoint:
    """Survival at one requested time (:class:`lake.survival.SurvivalAt`, count optional).

    ``n_at_risk`` is ``None`` when withheld by disclosure control.
    """

    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    n_at_risk: int | None
    reason: str | None

    @classmethod
    def of(cls, point: SurvivalAt) -> TimePoint:
        """The time point of a survival engine estimate."""
        return cls(
            time=point.time,
            survival=point.survival,
            lower=point.lower,
            upper=point.upper,
            n_at_risk=point.n_at_risk,
            reason=point.reason,
        )


@dataclass(frozen=True, slots=True)
class GroupSurvival:
    """One group's Kaplan-Meier summary; times in the request's unit."""

    group: str | None
    n: int | None
    events: int | None
    median: QuantileEstimate | None
    at_times: tuple[TimePoint, ...]


@dataclass(frozen=True, slots=True)
class SurvivalSummary:
    """Kaplan-Meier by group plus the log-rank test across groups (``None`` for one group)."""

    endpoint: str
    origin: str
    time_unit: TimeUnit
    groups: tuple[GroupSurvival, ...]
    logrank: StatisticalResult | None


def survival_summary(
    source: TableSource, patient_ids: pl.DataFrame, request: SurvivalRequest
) -> SurvivalSummary:
    """Kaplan-Meier per group of ``request.group_by`` over the cohort ``patient_ids``."""
    if request.endpoint not in ENDPOINTS:
        raise AnalysisError(f"endpoint {request.endpoint!r} unknown; valid: {', '.join(ENDPOINTS)}")
    ids = patient_ids.lazy()

    def cohort(table_name: str) -> pl.LazyFrame:
        return scan_or_empty(source, table_name).join(ids, on="patient_id", how="semi")

    derived = derive_endpoint(
        ENDPOINTS[request.endpoint](),
        Origin(kind=request.origin),
        events=cohort("events"),
        patients=cohort("patients"),
        treatment_lines=cohort("treatment_lines"),
        transplants=cohort("transplants"),
    )
    frame = derived.frame
    if request.group_by is not None:
        groups = attribute_frame(source, [request.group_by]).collect()
        frame = frame.join(groups, on="patient_id", how="left").rename({request.group_by: "group"})
        frame = frame.with_columns(pl.col("group").cast(pl.String))
    else:
        frame = frame.with_columns(group=pl.lit(None, dtype=pl.String))
    scale = DAYS_PER[request.time_unit]
    frame = frame.with_columns(time=pl.col("time_days") / scale).sort("group", nulls_last=True)
    summaries = []
    for (group,), rows in frame.group_by("group", maintain_order=True):
        fitter = KaplanMeierFitter(conf_type=request.conf_type).fit(
            rows.get_column("time").to_numpy(), rows.get_column("status").to_numpy()
        )
        summaries.append(
            GroupSurvival(
                group=None if group is None else str(group),
                n=rows.height,
                events=int(rows.get_column("status").sum()),
                median=fitter.median_,
                at_times=tuple(TimePoint.of(p) for p in fitter.survival_at(list(request.times))),
            )
        )
    logrank = None
    if len(summaries) > 1:
        logrank = survival_logrank(
            frame.get_column("time").to_numpy(),
            frame.get_column("status").to_numpy(),
            frame.get_column("group").fill_null("missing").to_numpy(),
        )
    return SurvivalSummary(
        endpoint=derived.endpoint,
        origin=derived.origin,
        time_unit=request.time_unit,
        groups=tuple(summaries),
        logrank=logrank,
    )
