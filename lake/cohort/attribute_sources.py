"""The row sets derived attributes are aggregated from, one per patient-level fact family.

Each source is a pure function of a lake snapshot returning a :class:`polars.LazyFrame` with
``patient_id`` and ``site`` plus the columns its attributes aggregate, rows in the order their
aggregations read them (a patient's lines by number, transplants and events by date): within a
``group_by`` group Polars keeps the input order, so ``first()`` is the earliest row.
:mod:`lake.cohort.attributes` names a source per attribute; :func:`source_rows` builds it.

- ``patients``: one row per patient.
- ``treatment_lines``: every line, by ``line_number``.
- ``transplants``: every transplant by date, with ``days_from_diagnosis`` of day 0.
- ``events``: every dated event.
- ``event:<type>``: the events of one type (:data:`lake.model.EVENT_TYPES`) by date, with
  ``days_from_diagnosis``.
- ``allo_gvhd``: per allogeneically transplanted patient, their ``agvhd`` / ``cgvhd`` events
  (one row with a null ``event_type`` when they have none): GVHD is known to be absent only
  after an allogeneic transplant.
- ``adverse_events``: every adverse event.
- ``tki_stop``: one row per patient with a ``tki_stop`` event, the CML molecular history at the
  first stop, from :mod:`lake.risk.tki_stop_inputs` (``tki_years``, ``mr4_years``,
  ``mr45_years``: the same derivations as the TKI-stop eligibility score, evaluated at the stop)
  and ``mr_level``, the molecular response of the last sample on or before the stop
  (:func:`lake.risk.molecular_response.molecular_response`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

import polars as pl

from lake.errors import LakeError
from lake.model import EVENT_TYPES
from lake.model import table as model_table
from lake.risk.molecular_response import molecular_response
from lake.risk.tki_stop_inputs import dmr_years, tki_history


class TableSource(Protocol):
    """What the frame builder needs from a lake snapshot (:func:`lake.storage.open_lake`)."""

    @property
    def version(self) -> int:
        """The lake version the snapshot reads."""
        ...

    def scan(self, table_name: str) -> pl.LazyFrame:
        """The harmonised table ``table_name`` as of this version."""
        ...


def scan_or_empty(source: TableSource, table_name: str) -> pl.LazyFrame:
    """The table, or no rows (with the model's schema) when no load has created it yet.

    A lake version only lists the tables some load wrote; an absent table has no rows.
    """
    try:
        return source.scan(table_name)
    except LakeError:
        return pl.LazyFrame(schema=model_table(table_name).schema)


def _days_from_diagnosis(source: TableSource, rows: pl.LazyFrame, date: str) -> pl.LazyFrame:
    diagnosis = source.scan("patients").select("patient_id", "diagnosis_date")
    days = (pl.col(date) - pl.col("diagnosis_date")).dt.total_days().cast(pl.Int32)
    return (
        rows.join(diagnosis, on="patient_id", how="left")
        .with_columns(days_from_diagnosis=days)
        .sort("patient_id", date)
    )


def _patients(source: TableSource) -> pl.LazyFrame:
    return source.scan("patients")


def _treatment_lines(source: TableSource) -> pl.LazyFrame:
    return scan_or_empty(source, "treatment_lines").sort("patient_id", "line_number")


def _transplants(source: TableSource) -> pl.LazyFrame:
    return _days_from_diagnosis(source, scan_or_empty(source, "transplants"), "transplant_date")


def _events(source: TableSource) -> pl.LazyFrame:
    return scan_or_empty(source, "events")


def _events_of(event_type: str) -> Callable[[TableSource], pl.LazyFrame]:
    def rows(source: TableSource) -> pl.LazyFrame:
        events = scan_or_empty(source, "events").filter(pl.col("event_type") == event_type)
        return _days_from_diagnosis(source, events, "event_date")

    return rows


def _allo_gvhd(source: TableSource) -> pl.LazyFrame:
    allo = (
        scan_or_empty(source, "transplants")
        .filter(pl.col("transplant_type") == "allogeneic")
        .select("patient_id", "site")
        .unique()
    )
    gvhd = (
        scan_or_empty(source, "events")
        .filter(pl.col("event_type").is_in(("agvhd", "cgvhd")))
        .drop("site")
    )
    return allo.join(gvhd, on="patient_id", how="left")


def _adverse_events(source: TableSource) -> pl.LazyFrame:
    return scan_or_empty(source, "adverse_events")


def _tki_stop(source: TableSource) -> pl.LazyFrame:
    stops = (
        scan_or_empty(source, "events")
        .filter(pl.col("event_type") == "tki_stop")
        .group_by("patient_id", "site")
        .agg(evaluation_date=pl.col("event_date").min())
    )
    dates = stops.select("patient_id", "evaluation_date")
    samples = scan_or_empty(source, "bcr_abl1")
    level = molecular_response().to_struct().struct.field("category").cast(pl.String)
    depth = (
        samples.join(dates, on="patient_id")
        .filter(pl.col("sample_date") <= pl.col("evaluation_date"))
        .sort("patient_id", "sample_date")
        .group_by("patient_id")
        .agg(mr_level=level.last())
    )
    return (
        stops.join(
            tki_history(scan_or_empty(source, "treatment_lines"), dates),
            on="patient_id",
            how="left",
        )
        .join(dmr_years(samples, dates), on="patient_id", how="left")
        .join(depth, on="patient_id", how="left")
    )


SourceBuilder = Callable[[TableSource], pl.LazyFrame]

SOURCES: Final[dict[str, SourceBuilder]] = {
    "patients": _patients,
    "treatment_lines": _treatment_lines,
    "transplants": _transplants,
    "events": _events,
    **{f"event:{event_type}": _events_of(event_type) for event_type in EVENT_TYPES},
    "allo_gvhd": _allo_gvhd,
    "adverse_events": _adverse_events,
    "tki_stop": _tki_stop,
}


def source_rows(source: TableSource, name: str) -> pl.LazyFrame:
    """The rows of the named source (:data:`SOURCES`) on ``source``."""
    return SOURCES[name](source)
