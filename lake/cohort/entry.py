"""Delayed entry (left truncation): each patient's entry time on an endpoint's time axis.

A registry that registers patients after the origin (a real-world registry enrolling patients
months after diagnosis) sees only those still followed at registration: counting them at risk
from the origin adds immortal time and overestimates survival. With delayed entry a patient is
in the risk set only on (entry, stop] (Klein & Moeschberger 2003, §4.6; R
``Surv(entry, time, status)``); Kaplan-Meier and Cox estimates then agree with R ``survfit`` and
``coxph`` on the counting-process data.

Entry, in days from the origin (the landmark, in a landmark analysis)::

    entry_days = max(0, registry_entry_date - origin_date - landmark_days)

A patient registered at or before the origin, or without a registry-entry date (trial patients
are enrolled at diagnosis), enters at 0. :func:`entered_rows` leaves out the patients whose
follow-up ends at or before their entry (an event at time 0 included): they are never at risk,
as R refuses ``Surv(entry, time, status)`` with ``entry >= time``.
"""

from __future__ import annotations

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty
from lake.cohort.endpoints import EndpointKey, origin_frame


def entry_frame(source: TableSource, key: EndpointKey) -> pl.LazyFrame:
    """``patient_id, entry_days`` of every patient with ``key``'s origin (see module docs)."""
    delay = (pl.col("registry_entry_date") - pl.col("origin_date")).dt.total_days()
    entry = (delay - key.landmark_days).clip(lower_bound=0).fill_null(0)
    patients = scan_or_empty(source, "patients").select("patient_id", "registry_entry_date")
    return (
        origin_frame(source, key)
        .join(patients, on="patient_id", how="left")
        .select("patient_id", entry_days=entry.cast(pl.Int64))
    )


def entered_rows(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``rows`` (with ``time_days`` and ``entry_days``) at risk after entry; and how many not."""
    at_risk = rows.filter(pl.col("entry_days") < pl.col("time_days"))
    return at_risk, rows.height - at_risk.height
