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

Each origin is the first date of an :class:`Occurrence` (a dated fact per patient: diagnosis,
an event type, a transplant type, the start of treatment line N; first or last), derived in one
place, :func:`occurrence_dates`; temporal cohort criteria read the same dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import polars as pl

from lake.errors import AnalysisError
from lake.model import EVENT_TYPES, TRANSPLANT_TYPES

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

    def occurrence(self) -> Occurrence:
        """The dated fact whose first date is this origin (before the landmark)."""
        if self.kind in ("diagnosis", "treatment_line"):
            return Occurrence(self.kind, line_number=self.line_number)
        if self.kind == "allo_transplant":
            return Occurrence("transplant", transplant_type="allogeneic")
        return Occurrence("event", event_type=self.kind)


def _need(frame: pl.LazyFrame | None, table: str, what: str) -> pl.LazyFrame:
    if frame is None:
        raise AnalysisError(f"{what!r} needs the {table!r} table; pass it in")
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
    return occurrence_dates(
        origin.occurrence(),
        events=events,
        patients=patients,
        treatment_lines=treatment_lines,
        transplants=transplants,
    ).rename({"date": "origin_date"})


# -- dated occurrences: the one derivation of "the date of X" per patient ------------------------

OccurrenceKind: TypeAlias = Literal["diagnosis", "event", "transplant", "treatment_line"]
Which: TypeAlias = Literal["first", "last"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A dated fact per patient: its ``first`` or ``last`` date (``which``).

    - ``diagnosis``: ``patients.diagnosis_date`` (one per patient; ``which`` is moot);
    - ``event``: an ``events`` row of ``event_type``;
    - ``transplant``: a ``transplants`` row of ``transplant_type`` (``None``: any type);
    - ``treatment_line``: the ``start_date`` of line ``line_number``.

    Every :class:`Origin` is the first date of one occurrence (:meth:`Origin.occurrence`), so
    origins and temporal cohort criteria (:class:`lake.cohort.filters.OccursAfter`) read dates
    from one derivation, :func:`occurrence_dates`. A patient without the fact has no row.
    """

    kind: OccurrenceKind
    which: Which = "first"
    event_type: str | None = None
    transplant_type: str | None = None
    line_number: int | None = None

    def __post_init__(self) -> None:
        needs = {
            "event_type": self.kind == "event",
            "line_number": self.kind == "treatment_line",
        }
        for name, required in needs.items():
            if required != (getattr(self, name) is not None):
                raise AnalysisError(
                    f"occurrence {self.kind}: {name} is "
                    f"{'required' if required else 'not allowed'} "
                    f"(got {name}={getattr(self, name)!r})"
                )
        if self.transplant_type is not None and self.kind != "transplant":
            raise AnalysisError(f"occurrence {self.kind}: transplant_type is not allowed")
        if self.line_number is not None and self.line_number < 1:
            raise AnalysisError(f"occurrence line_number must be >= 1, got {self.line_number}")
        for name, value, valid in (
            ("event_type", self.event_type, EVENT_TYPES),
            ("transplant_type", self.transplant_type, TRANSPLANT_TYPES),
        ):
            if value is not None and value not in valid:
                raise AnalysisError(
                    f"occurrence {name} {value!r} unknown; valid: {', '.join(valid)}"
                )
        if self.kind == "diagnosis":  # one date per patient: first and last are the same fact
            object.__setattr__(self, "which", "first")

    @property
    def label(self) -> str:
        """Human-readable and unique, e.g. ``first allogeneic transplant``, ``last relapse``."""
        what = {
            "diagnosis": "diagnosis",
            "event": f"{self.event_type} event",
            "transplant": f"{self.transplant_type or 'any'} transplant",
            "treatment_line": f"start of treatment line {self.line_number}",
        }[self.kind]
        return what if self.kind == "diagnosis" else f"{self.which} {what}"

    @property
    def column(self) -> str:
        """The name of this occurrence's date column in a patient-aligned frame."""
        return f"date of {self.label}"


def occurrence_dates(
    occurrence: Occurrence,
    *,
    events: pl.LazyFrame,
    patients: pl.LazyFrame | None = None,
    treatment_lines: pl.LazyFrame | None = None,
    transplants: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per patient having ``occurrence`` with a known date: ``patient_id``, ``date``."""
    pick = pl.col("date").min() if occurrence.which == "first" else pl.col("date").max()
    if occurrence.kind == "diagnosis":
        rows = _need(patients, "patients", occurrence.label).select(
            "patient_id", date=pl.col("diagnosis_date")
        )
    elif occurrence.kind == "treatment_line":
        rows = (
            _need(treatment_lines, "treatment_lines", occurrence.label)
            .filter(pl.col("line_number") == occurrence.line_number)
            .select("patient_id", date=pl.col("start_date"))
        )
    elif occurrence.kind == "transplant":
        rows = _need(transplants, "transplants", occurrence.label)
        if occurrence.transplant_type is not None:
            rows = rows.filter(pl.col("transplant_type") == occurrence.transplant_type)
        rows = rows.select("patient_id", date=pl.col("transplant_date"))
    else:
        rows = events.filter(pl.col("event_type") == occurrence.event_type).select(
            "patient_id", date=pl.col("event_date")
        )
    return rows.group_by("patient_id").agg(pick).filter(pl.col("date").is_not_null())
