"""Dated occurrences and the temporal criteria of the cohort filter built on them.

``OccurrenceInput`` names one dated fact per patient (diagnosis, an event type, a transplant,
the start of treatment line N; its first or last date) and converts to
:class:`lake.endpoints.origins.Occurrence`, the one derivation origins also use.
``TemporalInput`` ("event A occurred after B, optionally within N days") converts to
:class:`lake.cohort.filters.OccursAfter`.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from lake.cohort import filters as lc
from lake.endpoints.origins import Occurrence
from lake.endpoints.origins import Which as FirstOrLast

from schema.errors import BadRequestError
from schema.types.enums import EventType, TransplantType


@strawberry.enum(description="Which date of a repeated fact: its first or its last.")
class Which(Enum):
    FIRST = "first"
    LAST = "last"


@strawberry.input(
    description="A dated fact per patient; give exactly one of diagnosis, event, transplant, "
    "anyTransplant, line. Patients without it (or without its date) have no date."
)
class OccurrenceInput:
    diagnosis: bool | None = strawberry.field(
        default=None, description="true: the date of diagnosis."
    )
    event: EventType | None = strawberry.field(
        default=None, description="A dated event of this type (e.g. RELAPSE)."
    )
    transplant: TransplantType | None = strawberry.field(
        default=None, description="A transplant of this type."
    )
    any_transplant: bool | None = strawberry.field(
        default=None, description="true: a transplant of any type."
    )
    line: int | None = strawberry.field(
        default=None, description="The start of this treatment line (1 = first line)."
    )
    which: Which = strawberry.field(
        default=Which.FIRST, description="The first (default) or the last such date."
    )

    def to_occurrence(self, field: str) -> Occurrence:
        """The lake occurrence; none or several facts at once is a bad request."""
        given = {
            "diagnosis": self.diagnosis,
            "event": self.event,
            "transplant": self.transplant,
            "anyTransplant": self.any_transplant,
            "line": self.line,
        }
        named = [name for name, value in given.items() if value not in (None, False)]
        if len(named) != 1:
            got = ", ".join(named) or "none"
            raise BadRequestError(f"{field}: give exactly one of {', '.join(given)} (got {got})")
        which: FirstOrLast = "first" if self.which is Which.FIRST else "last"
        if self.event is not None:
            return Occurrence("event", which, event_type=self.event.value)
        if self.transplant is not None:
            return Occurrence("transplant", which, transplant_type=self.transplant.value)
        if self.any_transplant:
            return Occurrence("transplant", which)
        if self.line is not None:
            return Occurrence("treatment_line", which, line_number=self.line)
        return Occurrence("diagnosis", which)


@strawberry.input(
    description="Patients whose `event` date lies after the `after` date: at least minDays "
    "(default 1: strictly later; 0 admits the same day) and at most withinDays days later. "
    "A patient missing either date never matches."
)
class TemporalInput:
    event: OccurrenceInput = strawberry.field(description="The later fact (A).")
    after: OccurrenceInput = strawberry.field(description="The earlier fact (B).")
    within_days: int | None = strawberry.field(
        default=None, description="At most this many days after B (omitted: no upper bound)."
    )
    min_days: int = strawberry.field(
        default=1, description="At least this many days after B (default 1; 0 or more)."
    )

    def to_filter(self, index: int) -> lc.OccursAfter:
        """The lake filter (a negative or inverted window raises the lake's AnalysisError,
        made a bad request where the filter is read)."""
        field = f"temporal[{index}]"
        event = self.event.to_occurrence(f"{field}.event")
        after = self.after.to_occurrence(f"{field}.after")
        return lc.OccursAfter(event, after, min_days=self.min_days, max_days=self.within_days)
