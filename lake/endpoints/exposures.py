"""Exposures: a dated treatment or event that changes a patient's status during follow-up.

An exposure is one of

- the first transplant of a type (allogeneic or autologous), ``transplants.transplant_date``;
- the start of treatment line ``line_number``, ``treatment_lines.start_date``;
- the first event of a type (``dli``: donor lymphocyte infusion, ``complete_remission``, ...),
  ``events.event_date``;

that is, the first date of an :class:`~lake.endpoints.origins.Occurrence`, derived per patient
where origins and temporal criteria are (:func:`lake.endpoints.origins.occurrence_dates`). A
patient is *unexposed* until that date and *exposed* from it on. Comparing patients by whether
they were *ever* exposed credits the exposed group with the time they had to survive to be
exposed (immortal-time bias; Simon R, Makuch RW. *Stat Med* 1984;3:35–44; Mantel N, Byar DP.
*JASA* 1974;69:81–86): analyses use the status at time zero (a landmark,
:mod:`lake.cohort.exposure`) or as it changes over time (counting-process data,
:mod:`lake.survival.time_varying`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lake.endpoints.origins import Occurrence
from lake.errors import AnalysisError

TransplantType = Literal["allogeneic", "autologous"]


@dataclass(frozen=True, slots=True)
class Exposure:
    """What exposes a patient: exactly one of a transplant type, a line, an event type.

    Raises
    ------
    AnalysisError
        None or several of the three are given, or the occurrence they name is invalid (a line
        below 1, an event type that is not one of the model's).
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
        try:
            self.occurrence()
        except AnalysisError as error:
            raise AnalysisError(f"exposure: {error}") from None

    def occurrence(self) -> Occurrence:
        """The dated fact whose first date exposes the patient."""
        if self.transplant_type is not None:
            return Occurrence("transplant", transplant_type=self.transplant_type)
        if self.line_number is not None:
            return Occurrence("treatment_line", line_number=self.line_number)
        return Occurrence("event", event_type=self.event_type)

    @property
    def label(self) -> str:
        """Human-readable exposure, e.g. ``first allogeneic transplant``."""
        return self.occurrence().label
