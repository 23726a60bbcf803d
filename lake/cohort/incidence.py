"""Cumulative incidence with competing risks over a cohort, by group, with Gray's test.

Glue only: :class:`lake.survival.CumulativeIncidenceFitter` (R ``cmprsk::cuminc``: Aalen-Johansen
estimate, its variance and log(-log) limits; Gray 1988 K-sample test per cause). Status codes
follow :mod:`lake.endpoints`: 1 = the event of interest, 2 = the competing event, 0 = censored.
Each point carries its group's number at risk (R ``survfit`` convention: time >= t), and each
group its risk table, so that :func:`lake.disclosure.disclose_incidence` can withhold estimates
resting on small risk sets or on a tail of few patients; the table itself is never released.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lake.cohort.endpoints import EndpointKey
from lake.cohort.survival import DAYS_PER, Grouping, TimeUnit, endpoint_rows
from lake.errors import AnalysisError
from lake.survival import CumulativeIncidenceFitter, StatisticalResult

CAUSES = {"1": "event", "2": "competing"}


@dataclass(frozen=True, slots=True)
class IncidencePoint:
    """F(t) of one cause at one requested time, its 95 % confidence limits and the risk set.

    ``n_at_risk`` is ``None`` and ``reason`` says why when disclosure control withholds them.
    """

    time: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_at_risk: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class IncidenceStep:
    """One step of a cause's cumulative incidence: F holds from ``time`` to the next step.

    One step per distinct observed time of the group (events of any cause or censorings), as
    :class:`lake.cohort.survival.SurvivalStep` for Kaplan-Meier; ``n_at_risk`` at that time
    (time >= t), ``events`` of this cause there.
    """

    time: float
    estimate: float
    lower: float | None
    upper: float | None
    n_at_risk: int
    events: int


@dataclass(frozen=True, slots=True)
class CauseIncidence:
    """One cause's cumulative incidence in one group: at the requested times, and its step
    function for plotting (empty when disclosure control withholds it)."""

    cause: str
    events: int | None
    at_times: tuple[IncidencePoint, ...]
    steps: tuple[IncidenceStep, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskRow:
    """At one distinct time of a group: patients at risk and events of each cause (CAUSES order)."""

    time: float
    n_at_risk: int
    events: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GroupIncidence:
    """One group's patients, the incidence of each cause and the group's risk table."""

    group: str | None
    n: int | None
    causes: tuple[CauseIncidence, ...]
    risk_table: tuple[RiskRow, ...]


def risk_tables(rows: pl.DataFrame, *, time_unit: TimeUnit) -> pl.DataFrame:
    """Per group and distinct time: at risk (time >= t) and events of each cause, time-sorted.

    Grouped on whole days, ``time`` reported in ``time_unit``.
    """
    return (
        rows.group_by("group_code", "time_days")
        .agg(
            pl.len().alias("leaving"),
            *((pl.col("status") == int(c)).sum().alias(c) for c in CAUSES),
        )
        .sort("group_code", "time_days")
        .with_columns(
            time=pl.col("time_days") / DAYS_PER[time_unit],
            n_at_risk=pl.col("leaving").cum_sum(reverse=True).over("group_code"),
        )
        .drop("time_days")
    )


@dataclass(frozen=True, slots=True)
class IncidenceRequest:
    """Normalised request: cumulative incidence of a competing-risk endpoint by group."""

    endpoint: EndpointKey
    grouping: Grouping
    times: tuple[float, ...]
    time_unit: TimeUnit


@dataclass(frozen=True, slots=True)
class IncidenceSummary:
    """Cumulative incidence by group and cause, and Gray's test per cause (2+ groups)."""

    endpoint: str
    origin: str
    time_unit: TimeUnit
    n_excluded: int | None
    groups: tuple[GroupIncidence, ...]
    gray_tests: tuple[tuple[str, StatisticalResult], ...]


def incidence_summary(frame: pl.DataFrame, request: IncidenceRequest) -> IncidenceSummary:
    """Aalen-Johansen cumulative incidence per group and cause over the cohort ``frame``."""
    key = request.endpoint
    if not key.competing:
        raise AnalysisError(
            f"{key.definition().name} has no competing event; ask for survival (Kaplan-Meier) "
            "instead"
        )
    endpoint = endpoint_rows(frame)
    rows, labels, excluded = endpoint.rows, endpoint.labels, endpoint.excluded
    # counted on whole days, reported in the request's unit
    fitter = CumulativeIncidenceFitter().fit(
        rows.get_column("time_days").to_numpy(),
        rows.get_column("status").to_numpy(),
        groups=rows.get_column("group_code").to_numpy(),
        report_causes=[int(cause) for cause in CAUSES],
        time_scale=DAYS_PER[request.time_unit],
    )
    tables = risk_tables(rows, time_unit=request.time_unit)
    query = np.asarray(request.times, dtype=np.float64)
    groups = []
    for code, label in enumerate(labels):
        table = tables.filter(pl.col("group_code") == code)
        times, at_risk = table.get_column("time").to_numpy(), table.get_column("n_at_risk")
        first = np.searchsorted(times, query, side="left")  # first time >= t: at risk at t
        n_risk = [int(at_risk[i]) if i < times.size else 0 for i in first.tolist()]
        causes = []
        for cause, name in CAUSES.items():
            curve = fitter.curves_[(str(code), cause)]
            points = curve.at(query)
            causes.append(
                CauseIncidence(
                    cause=name,
                    events=int(table.get_column(cause).sum()),
                    at_times=tuple(
                        IncidencePoint(p.time, p.estimate, p.lower, p.upper, n)
                        for p, n in zip(points, n_risk, strict=False)
                    ),
                    steps=tuple(
                        IncidenceStep(p.time, p.estimate or 0.0, p.lower, p.upper, int(n), int(d))
                        for p, n, d in zip(
                            curve.at(times), at_risk, table.get_column(cause), strict=True
                        )
                    ),
                )
            )
        groups.append(
            GroupIncidence(
                group=label,
                n=int(table.get_column("leaving").sum()),
                causes=tuple(causes),
                risk_table=tuple(
                    RiskRow(r["time"], r["n_at_risk"], tuple(r[c] for c in CAUSES))
                    for r in table.iter_rows(named=True)
                ),
            )
        )
    return IncidenceSummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        time_unit=request.time_unit,
        n_excluded=excluded,
        groups=tuple(groups),
        gray_tests=tuple(
            (CAUSES[cause], test)
            for cause, test in sorted(fitter.tests_.items())
            if cause in CAUSES
        ),
    )


__all__ = [
    "DAYS_PER",
    "IncidenceRequest",
    "IncidenceStep",
    "IncidenceSummary",
    "incidence_summary",
]
