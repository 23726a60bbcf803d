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
            "patient_id", origin_date=pl.col("diagnosis_date")
        )
    elif origin.kind == "treatment_line":
        frame = (
            _need(treatment_lines, "treatment_lines", origin)
            .filter(pl.col("line_number") == origin.line_number)
            .group_by("patient_id")
            .agg(origin_date=pl.col("start_date").min())
        )
    elif origin.kind == "allo_transplant":
        frame = (
            _need(transplants, "transplants", origin)
            .filter(pl.col("transplant_type") == "allogeneic")
            .group_by("patient_id")
            .agg(origin_date=pl.col("transplant_date").min())
        )
    else:  # tki_stop, complete_remission: the first event of that type
        frame = (
            events.filter(pl.col("event_type") == origin.kind)
            .group_by("patient_id")
            .agg(origin_date=pl.col("event_date").min())
        )
    return frame.filter(pl.col("origin_date").is_not_null())
