"""User-defined endpoints: a study's own definition from dated event types, no code change.

A :class:`DefinedEndpoint` is plain data (event type codes), so it hashes into cache keys and
audit hashes; :meth:`DefinedEndpoint.definition` turns it into the same
:class:`~lake.endpoints.definitions.EndpointDefinition` the catalogue is made of, and
:func:`~lake.endpoints.derive.derive_endpoint` derives it exactly as a catalogue endpoint
(first event on or after the origin; censored at the end of follow-up, i.e. the patient's last
dated row, or at the first ``censor_at`` event or ``censor_at_transplant`` transplant strictly
before the event). OS is
``DefinedEndpoint("OS", events=("death",))``, PFS ``events=("relapse", "progression",
"death")``, NRM ``events=("death",), competing=("relapse", "progression"),
ties_go_to="competing"``: each gives the catalogue's frame row for row.

Not expressible here (catalogue only): grade or systemic-IST conditions on an event (aGVHD
II–IV, GRFS), molecular endpoints read from BCR::ABL1 samples (MRFS, MRecTFS) and induction
failure (EFS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

import polars as pl

from lake.endpoints.definitions import EndpointDefinition
from lake.endpoints.origins import OriginKind
from lake.errors import AnalysisError
from lake.model import EVENT_TYPES, TRANSPLANT_TYPES

MAX_NAME_LENGTH: Final = 60
#: Rows that only mark follow-up: never an event of an endpoint.
FOLLOW_UP_ONLY: Final = ("last_follow_up",)


def _check_types(role: str, codes: tuple[str, ...]) -> None:
    valid = tuple(t for t in EVENT_TYPES if t not in FOLLOW_UP_ONLY)
    unknown = sorted(set(codes) - set(valid))
    if unknown:
        raise AnalysisError(
            f"defined endpoint {role}: not an event type: {unknown}; valid: {', '.join(valid)}"
        )


@dataclass(frozen=True, slots=True)
class DefinedEndpoint:
    """An endpoint over the ``events`` table: the first of ``events`` after the origin.

    ``competing``: event types competing with it (a cumulative-incidence endpoint, status
    0/1/2); ``censor_at``: event types censoring the patient when strictly earlier than the
    event (e.g. ``tki_restart``); ``censor_at_transplant``: transplant types doing the same
    (e.g. ``("allogeneic",)``: censor at allogeneic transplant; :func:`transplant_rows` adds
    them as outcome rows, so a transplant date also counts as a date the patient was seen).
    ``ties_go_to``: which of the event and a competing event on the same day wins. The three
    event sets are disjoint.
    """

    name: str
    events: tuple[str, ...]
    competing: tuple[str, ...] = ()
    censor_at: tuple[str, ...] = ()
    ties_go_to: Literal["interest", "competing"] = "interest"
    censor_at_transplant: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise AnalysisError(
                f"defined endpoint name: give 1 to {MAX_NAME_LENGTH} characters, not only spaces"
            )
        if not self.events:
            raise AnalysisError("defined endpoint events: give at least one event type")
        for role, codes in (
            ("events", self.events),
            ("competing", self.competing),
            ("censor_at", self.censor_at),
        ):
            _check_types(role, codes)
        sets = {"events": self.events, "competing": self.competing, "censorAt": self.censor_at}
        seen: dict[str, str] = {}
        for role, codes in sets.items():
            for code in codes:
                if code in seen:
                    where = "twice in" if seen[code] == role else f"in both {seen[code]} and"
                    raise AnalysisError(
                        f"defined endpoint: {code} is {where} {role}; an event type has one role"
                    )
                seen[code] = role
        unknown = sorted(set(self.censor_at_transplant) - set(TRANSPLANT_TYPES))
        if unknown:
            raise AnalysisError(
                f"defined endpoint censorAtTransplant: unknown transplant type(s) {unknown}; "
                f"valid: {', '.join(TRANSPLANT_TYPES)}"
            )
        if self.ties_go_to == "competing" and not self.competing:
            raise AnalysisError("defined endpoint: ties go to competing events, but none given")

    @property
    def is_competing(self) -> bool:
        """Whether the endpoint has competing events (cumulative incidence)."""
        return bool(self.competing)

    def definition(self) -> EndpointDefinition:
        """The catalogue-shaped definition :func:`lake.endpoints.derive_endpoint` derives."""
        kind = pl.col("kind")
        censoring = (*self.censor_at, *(_transplant_kind(t) for t in self.censor_at_transplant))
        return EndpointDefinition(
            self.name,
            interest=kind.is_in(self.events),
            event="first of " + ", ".join(self.events),
            origins=get_args(OriginKind),
            competing_event=", ".join(self.competing) if self.competing else None,
            competing=kind.is_in(self.competing) if self.competing else None,
            censor_at=kind.is_in(censoring) if censoring else None,
            ties_go_to=self.ties_go_to,
        )


def _transplant_kind(transplant_type: str) -> str:
    return f"{transplant_type}_transplant"


def transplant_rows(endpoint: DefinedEndpoint, transplants: pl.LazyFrame) -> pl.LazyFrame:
    """The transplants ``endpoint`` censors at, as ``events`` rows (kind
    ``<type>_transplant``, not an event type, so no other rule reads them)."""
    return transplants.filter(
        pl.col("transplant_type").is_in(endpoint.censor_at_transplant)
    ).select(
        "patient_id",
        event_type=pl.col("transplant_type").replace_strict(
            {t: _transplant_kind(t) for t in TRANSPLANT_TYPES}, return_dtype=pl.String
        ),
        event_date=pl.col("transplant_date"),
        grade=pl.lit(None, pl.String),
        systemic_ist=pl.lit(None, pl.Boolean),
    )
