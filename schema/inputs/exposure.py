"""A dated exposure: the one input naming a treatment or event a patient may receive in follow-up.

``ExposureInput`` names exactly one way to date the exposure, converted to the lake's
:class:`lake.endpoints.exposures.Exposure` in one place. ``groupBy: {exposure: ...}`` groups a
(landmark) analysis by the status at time zero; ``exposureEffect(exposure: ...)`` treats it as a
time-varying covariate.
"""

from __future__ import annotations

import strawberry
from lake.endpoints.exposures import Exposure
from lake.errors import HemalakeError

from schema.errors import BadRequestError, public_error
from schema.types.enums import EventType, TransplantType


@strawberry.input(
    description="A dated treatment or event: the patient is unexposed before its date and "
    "exposed from it on. Give exactly one field."
)
class ExposureInput:
    transplant: TransplantType | None = strawberry.field(
        default=None, description="The patient's first transplant of this type (day 0)."
    )
    treatment_line: int | None = strawberry.field(
        default=None, description="The start of this treatment line (1 = first line)."
    )
    event: EventType | None = strawberry.field(
        default=None,
        description="The first event of this type (DLI: donor lymphocyte infusion; "
        "COMPLETE_REMISSION: first complete remission).",
    )

    def to_exposure(self, *, argument: str) -> Exposure:
        """The lake exposure; none or several fields, or a line below 1, is a bad request."""
        ways: dict[str, object] = {
            "transplant": self.transplant,
            "treatmentLine": self.treatment_line,
            "event": self.event,
        }
        given = ", ".join(name for name, value in ways.items() if value is not None)
        if "," in given or not given:
            raise BadRequestError(
                f"{argument}: give exactly one of {', '.join(ways)} (got {given or 'none'})"
            )
        try:
            return Exposure(
                transplant_type=None if self.transplant is None else self.transplant.value,
                line_number=self.treatment_line,
                event_type=None if self.event is None else self.event.value,
            )
        except HemalakeError as error:
            raise public_error(error) from error
