"""Time origins of survival endpoints, derived per patient from the harmonised tables.

An origin is one of (``04-transplant.md`` §4.1, ``03-cml.md`` §3.8, ``05-survival-statistics.md``
§5.7):

- ``diagnosis``: ``patients.diagnosis_date``;
- ``treatment_line``: ``treatment_lines.start_date`` of line ``line_number`` (1 = first line);
- ``allo_transplant``: the first allogeneic ``transplants.transplant_date`` (day 0);
- ``tki_stop``: the first ``tki_stop`` event (treatment-free remission attempt);
- ``complete_remission``: the first ``complete_remission`` event (AML RFS and CIR are measured
  from the date of remission, ELN 2022 Table 9, doi:10.1182/blood.2022016867);

optionally shifted by ``landmark_days`` (landmark analysis, Anderson 1983): the analysis then
starts at base origin + L and only patients still event-free and under follow-up at L count.
Patients without the origin event are excluded by the caller and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import polars as pl

from lake.errors import AnalysisError

OriginKind: TypeAlias = Literal[
    "diagnosis", "treatment_line", "allo_transplant", "tki_stop", "complete_remission"
]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where time zero is; ``landmark_days`` > 0 moves it L days later (conditional analysis)."""

    kind: OriginKind
    line_number: int | None = None
    landmark_days: int = 0

    def __post_init__(self) -> None:
        if (self.kind == "treatment_line") != (self.line_number is not None):
            raise AnalysisError(
                "line_number is required for a treatment_line origin and only for it "
                f"(got kind={self.kind!r}, line_number={self.line_number!r})"
            )
        if self.landmark_days < 0:
            raise AnalysisError(f"landmark_days must be >= 0, got {self.landmark_days}")

    @property
    def label(self) -> str:
        """Human-readable origin, e.g. ``treatment line 2 + 100 d``."""
        base = (
            f"treatment line {self.line_number}"
            if self.kind == "treatment_line"
            else self.kind.replace("_", " ")
        )
        return f"{base} + {self.landmark_days} d" if self.landmark_days else base


def _need(frame: pl.LazyFrame | None, table: str, origin: Origin) -> pl.LazyFrame:
    if frame is None:
        raise AnalysisError(f"origin {origin.label!r} needs the {table!r} table; pass it in")
    return frame


def origin_dates(
    origin: Origin,
    *,
    events: pl.LazyFrame,
    patients: pl.LazyFrame | None = None,
    treatment_lines: pl.LazyFrame | None = None,
    transplants: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per patient having the origin event: ``patient_id``, ``origin_date``."""
    if origin.kind == "diagnosis":
        frame = _need(patients, "patients", origin).select(
            "patient_id", date=pl.col("diagnosis_date")
        )
    elif origin.kind == "treatment_line":
        assert origin.line_number is not None  # checked by Origin
        frame = line_start(_need(treatment_lines, "treatment_lines", origin), origin.line_number)
    elif origin.kind == "allo_transplant":
        frame = first_transplant(_need(transplants, "transplants", origin), "allogeneic")
    else:  # tki_stop, complete_remission: the first event of that type
        frame = first_event(events, origin.kind)
    return frame.select("patient_id", origin_date="date").filter(
        pl.col("origin_date").is_not_null()
    )


def line_start(treatment_lines: pl.LazyFrame, line_number: int) -> pl.LazyFrame:
    """``patient_id, date``: the start of treatment line ``line_number`` (1 = first line)."""
    return (
        treatment_lines.filter(pl.col("line_number") == line_number)
        .group_by("patient_id")
        .agg(date=pl.col("start_date").min())
    )


def first_transplant(transplants: pl.LazyFrame, transplant_type: str) -> pl.LazyFrame:
    """``patient_id, date``: the first transplant of ``transplant_type`` (day 0)."""
    return (
        transplants.filter(pl.col("transplant_type") == transplant_type)
        .group_by("patient_id")
        .agg(date=pl.col("transplant_date").min())
    )


def first_event(events: pl.LazyFrame, event_type: str) -> pl.LazyFrame:
    """``patient_id, date``: the first event of ``event_type``."""
    return (
        events.filter(pl.col("event_type") == event_type)
        .group_by("patient_id")
        .agg(date=pl.col("event_date").min())
    )
