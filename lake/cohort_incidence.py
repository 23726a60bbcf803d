"""Cumulative incidence with competing risks over a cohort, by group, with Gray's test.

Glue only: :class:`lake.survival.CumulativeIncidenceFitter` (R ``cmprsk::cuminc``: Aalen-Johansen
estimate, its variance and log(-log) limits; Gray 1988 K-sample test per cause). Status codes
follow :mod:`lake.endpoints`: 1 = the event of interest, 2 = the competing event, 0 = censored.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake.cohort_endpoints import EndpointKey
from lake.cohort_survival import DAYS_PER, Grouping, TimeUnit, endpoint_rows, group_labels
from lake.errors import AnalysisError
from lake.survival import CumulativeIncidenceFitter, StatisticalResult

CAUSES = {"1": "event", "2": "competing"}


@dataclass(frozen=True, slots=True)
class IncidencePoint:
    """F(t) of one cause at one requested time, with its 95 % confidence limits."""

    time: float
    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class CauseIncidence:
    """One cause's cumulative incidence in one group."""

    cause: str
    events: int | None
    at_times: tuple[IncidencePoint, ...]


@dataclass(frozen=True, slots=True)
class GroupIncidence:
    """One group's patients and the incidence of each cause."""

    group: str | None
    n: int | None
    causes: tuple[CauseIncidence, ...]


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
    n_excluded: int
    groups: tuple[GroupIncidence, ...]
    gray_tests: tuple[tuple[str, StatisticalResult], ...]


def incidence_summary(frame: pl.DataFrame, request: IncidenceRequest) -> IncidenceSummary:
    """Aalen-Johansen cumulative incidence per group and cause over the cohort ``frame``."""
    key = request.endpoint
    if not key.competing:
        raise AnalysisError(
            f"{key.endpoint} has no competing event; ask for survival (Kaplan-Meier) instead"
        )
    rows, excluded = endpoint_rows(frame, time_unit=request.time_unit)
    labels = group_labels(rows)
    fitter = CumulativeIncidenceFitter().fit(
        rows.get_column("time").to_numpy(),
        rows.get_column("status").to_numpy(),
        groups=rows.get_column("group_code").to_numpy(),
        report_causes=[int(cause) for cause in CAUSES],
    )
    counts = rows.group_by("group_code", "status").len()
    groups = []
    for code, label in enumerate(labels):
        mine = counts.filter(pl.col("group_code") == code)
        causes = []
        for cause, name in CAUSES.items():
            points = fitter.curves_[(str(code), cause)].at(list(request.times))
            events = mine.filter(pl.col("status") == int(cause)).get_column("len").sum()
            causes.append(
                CauseIncidence(
                    cause=name,
                    events=int(events),
                    at_times=tuple(
                        IncidencePoint(p.time, p.estimate, p.lower, p.upper) for p in points
                    ),
                )
            )
        n = int(mine.get_column("len").sum())
        groups.append(GroupIncidence(group=label, n=n, causes=tuple(causes)))
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


__all__ = ["DAYS_PER", "IncidenceRequest", "IncidenceSummary", "incidence_summary"]
