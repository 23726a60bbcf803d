"""When the clock starts: the one input every time-to-event field shares.

``survival``, ``cumulativeIncidence``, ``coxModel`` and ``stagingComparison`` all take
``timeZero: TimeZeroInput`` (omitted: from diagnosis, no landmark), so the origin, the landmark
and the treatment line are declared once in the SDL and checked in one place.
"""

from __future__ import annotations

import strawberry
from lake.cohort.endpoints import EndpointKey
from lake.endpoints.defined import DefinedEndpoint
from lake.errors import HemalakeError

from schema.errors import BadRequestError, public_error
from schema.types.survival import TimeOrigin

ORIGIN = (
    "Time zero; each endpoint is defined from some origins only (see lake.endpoints: "
    "transplant endpoints from ALLO_TRANSPLANT, TFR endpoints from TKI_STOP, RFS and CIR from "
    "COMPLETE_REMISSION)."
)


@strawberry.input(
    description="When the clock starts: the origin, an optional landmark after it, and the "
    "treatment line for origin TREATMENT_LINE. Omitted: from diagnosis, no landmark."
)
class TimeZeroInput:
    origin: TimeOrigin = strawberry.field(default=TimeOrigin.DIAGNOSIS, description=ORIGIN)
    landmark_days: int = strawberry.field(
        default=0,
        description="Landmark: start the clock this many days after the origin (only patients "
        "still at risk then are analysed).",
    )
    line: int | None = strawberry.field(
        default=None,
        description="Treatment line number (1 = first line): required with origin "
        "TREATMENT_LINE, else unset.",
    )


def endpoint_key(endpoint: str | DefinedEndpoint, time_zero: TimeZeroInput | None) -> EndpointKey:
    """The lake's endpoint key; a negative landmark, an origin the endpoint is not defined
    from, or a line number without (or missing for) origin TREATMENT_LINE is a bad request."""
    zero = time_zero or TimeZeroInput()
    if zero.landmark_days < 0:
        raise BadRequestError(f"timeZero.landmarkDays must be 0 or more (got {zero.landmark_days})")
    if (zero.origin is TimeOrigin.TREATMENT_LINE) != (zero.line is not None):
        raise BadRequestError(
            "timeZero.line is required with origin TREATMENT_LINE and only with it"
        )
    if zero.line is not None and zero.line < 1:
        raise BadRequestError(f"timeZero.line must be 1 or more (got {zero.line})")
    try:
        return EndpointKey(
            endpoint=endpoint,  # type: ignore[arg-type]
            origin=zero.origin.value,
            landmark_days=zero.landmark_days,
            line_number=zero.line,
        )
    except HemalakeError as error:
        raise public_error(error) from error
