"""Landmark data sets and counting-process (start, stop] splitting for time-dependent covariates.

Both answer "does something that happens after time zero (transplant, response, GVHD) change the
outcome?" without immortal-time (guarantee-time) bias. Comparing patients by whether the
intermediate event *ever* happened credits the exposed group with the event-free time they had
to survive to get exposed — the naive analysis is biased (05-survival-statistics.md §5.7).

Landmark (Anderson JR, Cain KC, Gelber RD. *J Clin Oncol* 1983;1:710–719): keep patients still
at risk at L (duration > L), classify them by exposure at L (intermediate time ≤ L), measure
time from L; later exposure does not move anyone between groups.

Time-dependent covariate (Mantel–Byar; Therneau & Grambsch 2000 §3.7): split each patient at
the exposure time c into (0, c] with z = 0, event 0 and (c, T] with z = 1 and the patient's
event, then fit Cox with delayed entry (``CoxPHFitter.fit(..., entry_col="tstart")``), which is
R ``coxph(Surv(tstart, tstop, event) ~ tdc)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake.errors import AnalysisError, EmptyCohortError


@dataclass(frozen=True, slots=True)
class LandmarkData:
    """Patients at risk at the landmark, time reset to L, exposure fixed at L."""

    landmark: float
    frame: pl.DataFrame
    n_excluded: int


def landmark_data(
    frame: pl.DataFrame,
    *,
    landmark: float,
    duration_col: str,
    exposure_time_col: str,
    exposed_col: str = "exposed_at_landmark",
) -> LandmarkData:
    """Rows with ``duration > landmark``; ``duration`` becomes time since L.

    ``exposure_time_col`` holds the time of the intermediate event (null = never); the new
    boolean ``exposed_col`` says whether it happened at or before L.
    """
    if landmark < 0:
        raise AnalysisError(f"landmark must be >= 0, got {landmark}")
    kept = frame.filter(pl.col(duration_col) > landmark).with_columns(
        (pl.col(duration_col) - landmark).alias(duration_col),
        pl.col(exposure_time_col).le(landmark).fill_null(False).alias(exposed_col),
    )
    if kept.height == 0:
        raise EmptyCohortError(f"no patient is still at risk at the landmark {landmark}")
    return LandmarkData(landmark, kept, frame.height - kept.height)


def counting_process(
    frame: pl.DataFrame,
    *,
    id_col: str,
    duration_col: str,
    event_col: str,
    exposure_time_col: str,
    covariate_col: str = "tdc",
) -> pl.DataFrame:
    """Split at the exposure time into ``(id, tstart, tstop, event, tdc)`` rows.

    Exposure at or before 0 makes the whole follow-up exposed; exposure at or after the end of
    follow-up (or null) leaves it unexposed.
    """
    duration, exposure = pl.col(duration_col), pl.col(exposure_time_col)
    base = frame.select(id_col, duration_col, event_col, exposure_time_col)
    split = exposure.is_not_null() & (exposure > 0) & (exposure < duration)
    exposed_from_start = exposure.is_not_null() & (exposure <= 0)
    whole = base.filter(~split).select(
        id_col,
        tstart=pl.lit(0.0),
        tstop=duration.cast(pl.Float64),
        event=pl.col(event_col),
        **{covariate_col: exposed_from_start.cast(pl.Int8)},
    )
    before = base.filter(split).select(
        id_col,
        tstart=pl.lit(0.0),
        tstop=exposure.cast(pl.Float64),
        event=pl.lit(0, dtype=base.schema[event_col]),
        **{covariate_col: pl.lit(0, dtype=pl.Int8)},
    )
    after = base.filter(split).select(
        id_col,
        tstart=exposure.cast(pl.Float64),
        tstop=duration.cast(pl.Float64),
        event=pl.col(event_col),
        **{covariate_col: pl.lit(1, dtype=pl.Int8)},
    )
    return pl.concat([whole, before, after]).sort(id_col, "tstart")
