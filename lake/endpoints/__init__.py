"""Survival endpoints derived from the lake's dated events (never stored).

:func:`derive_endpoint` turns an :class:`EndpointDefinition` (OS, PFS, EFS, relapse incidence,
RFS, CIR, NRM, aGVHD II–IV, cGVHD, GRFS, MRFS, MRecTFS) and an :class:`Origin` into a frame
``(patient_id, time_days, status)`` ready for :mod:`lake.survival`.
"""

from lake.endpoints.definitions import (
    EndpointDefinition,
    acute_gvhd,
    chronic_gvhd,
    cumulative_incidence_of_relapse,
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
from lake.endpoints.derive import EndpointResult, derive_endpoint, outcome_rows
from lake.endpoints.origins import Origin, origin_dates

__all__ = [
    "EndpointDefinition",
    "EndpointResult",
    "Origin",
    "acute_gvhd",
    "chronic_gvhd",
    "cumulative_incidence_of_relapse",
    "derive_endpoint",
    "event_free_survival",
    "gvhd_relapse_free_survival",
    "molecular_recurrence_tki_free_survival",
    "molecular_relapse_free_survival",
    "non_relapse_mortality",
    "origin_dates",
    "outcome_rows",
    "overall_survival",
    "progression_free_survival",
    "relapse_free_survival",
    "relapse_incidence",
]
