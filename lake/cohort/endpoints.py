"""The endpoint catalogue the API offers, and whole-lake endpoint derivation.

Each name maps to a definition of :mod:`lake.endpoints.definitions` (the rules and citations
live there). :func:`endpoint_frame` derives an endpoint for *every* patient of a lake version at
once: a patient's time and status depend only on that patient's own dated records, so the
result is computed once per (lake version, endpoint, origin) and any cohort is a subset of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final, Literal

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty
from lake.endpoints import (
    EndpointDefinition,
    Origin,
    acute_gvhd,
    chronic_gvhd,
    cumulative_incidence_of_relapse,
    derive_endpoint,
    event_free_survival,
    gvhd_relapse_free_survival,
    molecular_recurrence_tki_free_survival,
    molecular_relapse_free_survival,
    non_relapse_mortality,
    overall_survival,
    progression_free_survival,
    relapse_free_survival,
    relapse_incidence,
)
from lake.endpoints.defined import DefinedEndpoint, transplant_rows
from lake.endpoints.origins import OriginKind, origin_dates
from lake.errors import AnalysisError

EndpointName = Literal[
    "OS",
    "PFS",
    "EFS",
    "RFS",
    "GRFS",
    "MRFS",
    "MRECTFS",
    "NRM",
    "RELAPSE",
    "CIR",
    "AGVHD",
    "CGVHD",
    "MRFS_DEATH_COMPETING",
]
#: Each endpoint offered by the API, with its definition (see lake/endpoints/definitions.py).
CATALOGUE: Final[dict[EndpointName, Callable[[], EndpointDefinition]]] = {
    "OS": overall_survival,
    "PFS": progression_free_survival,
    "EFS": event_free_survival,
    "RFS": relapse_free_survival,
    "GRFS": gvhd_relapse_free_survival,
    "MRFS": partial(molecular_relapse_free_survival, death="event"),
    "MRECTFS": partial(molecular_recurrence_tki_free_survival, death="event"),
    "NRM": non_relapse_mortality,
    "RELAPSE": relapse_incidence,
    "CIR": cumulative_incidence_of_relapse,
    "AGVHD": acute_gvhd,
    "CGVHD": chronic_gvhd,
    "MRFS_DEATH_COMPETING": partial(molecular_relapse_free_survival, death="competing"),
}


@dataclass(frozen=True, slots=True)
class EndpointKey:
    """An endpoint measured from an origin (``landmark_days`` > 0: a landmark analysis).

    ``endpoint`` is a catalogue name or a user's
    :class:`~lake.endpoints.defined.DefinedEndpoint` (defined from every origin).
    ``line_number`` names the treatment line of a ``treatment_line`` origin (and only of it).

    Raises
    ------
    AnalysisError
        The endpoint is unknown, or not defined from ``origin`` (each definition lists its
        origins: transplant endpoints from the allogeneic transplant, TFR endpoints from the
        TKI stop, RFS and CIR from the first complete remission); the message names the valid
        origins.
    """

    endpoint: EndpointName | DefinedEndpoint
    origin: OriginKind
    landmark_days: int = 0
    line_number: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.endpoint, DefinedEndpoint) and self.endpoint not in CATALOGUE:
            raise AnalysisError(
                f"endpoint {self.endpoint!r} unknown; valid: {', '.join(CATALOGUE)}"
            )
        allowed = self.definition().origins
        if self.origin not in allowed:
            raise AnalysisError(
                f"endpoint {self.endpoint} is not defined from origin {self.origin.upper()}; "
                f"valid origins for {self.endpoint}: {', '.join(o.upper() for o in allowed)}"
            )
        self.as_origin()  # validates landmark_days and line_number

    def definition(self) -> EndpointDefinition:
        """The endpoint's definition."""
        if isinstance(self.endpoint, DefinedEndpoint):
            return self.endpoint.definition()
        return CATALOGUE[self.endpoint]()

    def as_origin(self) -> Origin:
        """The time origin of :mod:`lake.endpoints`."""
        return Origin(
            kind=self.origin, line_number=self.line_number, landmark_days=self.landmark_days
        )

    @property
    def competing(self) -> bool:
        """Whether the endpoint has a competing event (cumulative incidence, status 0/1/2)."""
        return self.definition().competing is not None


def describe(name: EndpointName) -> EndpointDefinition:
    """The definition behind an endpoint name (for the API's endpoint listing)."""
    return CATALOGUE[name]()


def endpoint_frame(
    source: TableSource, key: EndpointKey, *, by_patient: bool = True
) -> pl.DataFrame:
    """``patient_id, time_days, status`` of every patient of the lake version with the origin,
    sorted by ``patient_id`` unless ``by_patient`` is false (see
    :func:`lake.endpoints.derive.derive_endpoint`).

    Raises
    ------
    EmptyCohortError
        No patient of the lake version has the origin event (or all are excluded).
    """
    definition = key.definition()
    molecular = definition.follow_up == "last_sample"
    events = scan_or_empty(source, "events")
    if isinstance(key.endpoint, DefinedEndpoint) and key.endpoint.censor_at_transplant:
        rows = transplant_rows(key.endpoint, scan_or_empty(source, "transplants"))
        events = pl.concat([events, rows], how="diagonal_relaxed")
    result = derive_endpoint(
        definition,
        key.as_origin(),
        events=events,
        patients=scan_or_empty(source, "patients"),
        treatment_lines=scan_or_empty(source, "treatment_lines"),
        transplants=scan_or_empty(source, "transplants"),
        bcr_abl1=scan_or_empty(source, "bcr_abl1") if molecular else None,
        by_patient=by_patient,
    )
    return result.frame


def origin_frame(source: TableSource, key: EndpointKey) -> pl.LazyFrame:
    """``patient_id, origin_date`` of every patient with ``key``'s origin (before the landmark)."""
    return origin_dates(
        key.as_origin(),
        events=scan_or_empty(source, "events"),
        patients=scan_or_empty(source, "patients"),
        treatment_lines=scan_or_empty(source, "treatment_lines"),
        transplants=scan_or_empty(source, "transplants"),
    )
