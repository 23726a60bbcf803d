"""Exposures: a dated treatment or event that changes a patient's status during follow-up.

An exposure is one of

- the first transplant of a type (allogeneic or autologous), ``transplants.transplant_date``;
- the start of treatment line ``line_number``, ``treatment_lines.start_date``;
- the first event of a type (``dli``: donor lymphocyte infusion, ``complete_remission``, ...),
  ``events.event_date``;

derived per patient as the time origins are (:mod:`lake.endpoints.origins`, the same
functions). A patient is *unexposed* until that date and *exposed* from it on. Comparing
patients by whether they were *ever* exposed credits the exposed group with the time they had
to survive to be exposed (immortal-time bias; Simon R, Makuch RW. *Stat Med* 1984;3:35–44;
Mantel N, Byar DP. *JASA* 1974;69:81–86): analyses use the status at time zero (a landmark,
:mod:`lake.cohort.exposure`) or as it changes over time (counting-process data,
:mod:`lake.survival.time_varying`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from lake.endpoints.origins import first_event, first_transplant, line_start
from lake.errors import AnalysisError
from lake.model import EVENT_TYPES

TransplantType = Literal["allogeneic", "autologous"]


@dataclass(frozen=True, slots=True)
class Exposure:
    """What exposes a patient: exactly one of a transplant type, a line, an event type.

    Raises
    ------
    AnalysisError
        None or several of the three are given, the line is below 1, or the event type is not
        one of the model's.
    """

    transplant_type: TransplantType | None = None
    line_number: int | None = None
    event_type: str | None = None

    def __post_init__(self) -> None:
        given = [
            v for v in (self.transplant_type, self.line_number, self.event_type) if v is not None
        ]
        if len(given) != 1:
            raise AnalysisError(
                "an exposure is exactly one of a transplant type, a treatment line (1 or "
                f"more) or an event type (got {self!r})"
            )
        if self.line_number is not None and self.line_number < 1:
            raise AnalysisError(f"exposure line must be 1 or more (got {self.line_number})")
        if self.event_type is not None and self.event_type not in EVENT_TYPES:
            raise AnalysisError(
                f"exposure event {self.event_type!r} unknown; valid: {', '.join(EVENT_TYPES)}"
            )

    @property
    def label(self) -> str:
        """Human-readable exposure, e.g. ``first allogeneic transplant``."""
        if self.transplant_type is not None:
            return f"first {self.transplant_type} transplant"
        if self.line_number is not None:
            return f"start of treatment line {self.line_number}"
        return f"first {str(self.event_type).replace('_', ' ')} event"


def exposure_dates(
    exposure: Exposure,
    *,
    events: pl.LazyFrame,
    treatment_lines: pl.LazyFrame,
    transplants: pl.LazyFrame,
) -> pl.LazyFrame:
    """One row per exposed patient: ``patient_id``, ``exposure_date``."""
    if exposure.transplant_type is not None:
        frame = first_transplant(transplants, exposure.transplant_type)
    elif exposure.line_number is not None:
        frame = line_start(treatment_lines, exposure.line_number)
    else:
        frame = first_event(events, str(exposure.event_type))
    return frame.select("patient_id", exposure_date="date").filter(
        pl.col("exposure_date").is_not_null()
    )
