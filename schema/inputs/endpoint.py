"""A user-defined endpoint, the alternative to a catalogue ``endpoint`` on every
time-to-event field (``survival``, ``cumulativeIncidence``, ``coxModel``).

``definedEndpoint: EndpointDefinitionInput`` converts to
:class:`lake.endpoints.defined.DefinedEndpoint`, derived by the same machinery as the catalogue.
:func:`chosen_endpoint` takes the field's two arguments and returns the lake's endpoint key,
checking that exactly one was given and that it suits the field (Kaplan-Meier or competing).
"""

from __future__ import annotations

from enum import Enum

import strawberry
from lake.cohort.endpoints import EndpointKey
from lake.endpoints.defined import MAX_NAME_LENGTH, DefinedEndpoint
from lake.errors import HemalakeError

from schema.errors import BadRequestError, public_error
from schema.inputs.time_zero import TimeZeroInput, endpoint_key
from schema.types.enums import EventType, TransplantType


@strawberry.enum(description="Which wins when the event and a competing event share a day.")
class TieRule(Enum):
    EVENT = "interest"
    COMPETING = "competing"


@strawberry.input(
    description="An endpoint defined by the caller from dated event types, derived like the "
    "catalogue's: the first of `events` on or after time zero is the event; patients without "
    "one are censored at their last dated record, or earlier at the first of `censorAt` / "
    "`censorAtTransplant` strictly before the event. With `competingEvents` it is a "
    "competing-risks endpoint (cumulativeIncidence only). Defined from every origin."
)
class EndpointDefinitionInput:
    name: str = strawberry.field(
        description=f"Its label in the answer (1 to {MAX_NAME_LENGTH} characters)."
    )
    events: list[EventType] = strawberry.field(description="The event types that are the event.")
    competing_events: list[EventType] | None = strawberry.field(
        default=None, description="Event types competing with it (cumulativeIncidence only)."
    )
    censor_at: list[EventType] | None = strawberry.field(
        default=None, description="Event types that censor the patient (e.g. TKI_RESTART)."
    )
    censor_at_transplant: list[TransplantType] | None = strawberry.field(
        default=None,
        description="Transplants that censor the patient (e.g. ALLOGENEIC: censor at allo "
        "transplant).",
    )
    ties: TieRule = strawberry.field(
        default=TieRule.EVENT,
        description="Same-day event and competing event: EVENT wins (default) or COMPETING "
        "(as NRM: a relapse on the day of death makes it relapse-related).",
    )

    def to_endpoint(self) -> DefinedEndpoint:
        """The lake definition (invalid sets raise the lake's AnalysisError)."""

        def codes(values: list[EventType] | list[TransplantType] | None) -> tuple[str, ...]:
            return tuple(v.value for v in values or [])

        return DefinedEndpoint(
            name=self.name,
            events=codes(self.events),
            competing=codes(self.competing_events),
            censor_at=codes(self.censor_at),
            ties_go_to=self.ties.value,
            censor_at_transplant=codes(self.censor_at_transplant),
        )


_EXACTLY_ONE = "give exactly one of endpoint (the catalogue) and definedEndpoint"


def chosen_endpoint(
    endpoint: Enum | None,
    defined: EndpointDefinitionInput | None,
    time_zero: TimeZeroInput | None,
    *,
    competing: bool,
) -> EndpointKey:
    """The endpoint key of a field's ``endpoint`` or ``definedEndpoint`` (exactly one).

    ``competing``: the field needs a competing event (cumulativeIncidence), or must not have
    one (survival, coxModel).
    """
    if defined is None:
        if endpoint is None:
            raise BadRequestError(_EXACTLY_ONE + " (got neither)")
        return endpoint_key(endpoint.name, time_zero)
    if endpoint is not None:
        raise BadRequestError(_EXACTLY_ONE + " (got both)")
    try:
        chosen = defined.to_endpoint()
    except HemalakeError as error:
        raise public_error(error) from error
    if chosen.is_competing != competing:
        raise BadRequestError(
            "definedEndpoint.competingEvents: "
            + (
                "give at least one for cumulativeIncidence"
                if competing
                else "only cumulativeIncidence takes competing events; drop them here"
            )
        )
    return endpoint_key(chosen, time_zero)
