"""An exposure's time on an endpoint's time axis, and each patient's status at time zero.

For a patient with the endpoint's origin (:func:`lake.cohort.endpoints.origin_frame`), in days
from time zero (the origin plus the landmark, if any)::

    exposure_days = exposure_date - origin_date - landmark_days

null when the patient was never exposed (the exposure's occurrence,
:func:`lake.endpoints.origins.occurrence_dates`).

Grouping a landmark analysis by exposure (:class:`lake.cohort.survival.Grouping`) uses the
status *at time zero*: ``exposed`` when ``exposure_days <= 0`` (exposed on or before the
landmark), else ``unexposed``, however soon after it the exposure comes. Grouping by "ever
exposed" instead would count, as exposed from the landmark, patients exposed later, and credit
the exposed group with the time they survived until then (immortal time; Anderson JR, Cain KC,
Gelber RD. *J Clin Oncol* 1983;1:710–719). Time-varying analyses read ``exposure_days`` itself
(:mod:`lake.cohort.exposure_effect`).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty
from lake.cohort.endpoints import EndpointKey, origin_frame
from lake.cohort.order import Levels
from lake.endpoints.exposures import Exposure
from lake.endpoints.origins import occurrence_dates

#: The two groups of a grouping by exposure status, reference (unexposed) first.
EXPOSURE_GROUPS: Final = ("unexposed", "exposed")
EXPOSURE_LEVELS: Final = Levels(codes=EXPOSURE_GROUPS, ranked=None, by_risk=EXPOSURE_GROUPS)


def exposure_frame(source: TableSource, key: EndpointKey, exposure: Exposure) -> pl.LazyFrame:
    """``patient_id, exposure_days`` of every patient with ``key``'s origin (see module docs)."""
    dates = occurrence_dates(
        exposure.occurrence(),
        events=scan_or_empty(source, "events"),
        patients=scan_or_empty(source, "patients"),
        treatment_lines=scan_or_empty(source, "treatment_lines"),
        transplants=scan_or_empty(source, "transplants"),
    ).rename({"date": "exposure_date"})
    days = (pl.col("exposure_date") - pl.col("origin_date")).dt.total_days() - key.landmark_days
    return (
        origin_frame(source, key)
        .join(dates, on="patient_id", how="left")
        .select("patient_id", exposure_days=days.cast(pl.Int64))
    )


def status_at_zero(exposure_days: pl.Expr) -> pl.Expr:
    """``exposed`` if exposed on or before time zero, else ``unexposed`` (an Enum, see docs)."""
    exposed = exposure_days.is_not_null() & (exposure_days <= 0)
    return (
        pl.when(exposed)
        .then(pl.lit(EXPOSURE_GROUPS[1]))
        .otherwise(pl.lit(EXPOSURE_GROUPS[0]))
        .cast(EXPOSURE_LEVELS.dtype())
    )
