"""What an analysis compares: the one grouping input of survival, incidence and Cox fields.

``groupBy: GroupingInput`` names exactly one way to form the groups, so every field that compares
groups offers the same ways, declared once in the SDL and converted to the lake's
:class:`lake.cohort.survival.Grouping` in one place.
"""

from __future__ import annotations

import strawberry
from lake.cohort.survival import Grouping

from schema.errors import BadRequestError
from schema.inputs.exposure import ExposureInput
from schema.scores import score_version
from schema.types.enums import GroupingAttribute

SCORE = "A registered risk score: name (e.g. riss) or version id (e.g. riss_palumbo2015)."


@strawberry.input(
    description="How to form the groups compared; give exactly one field. Omitted: one group, "
    "all patients."
)
class GroupingInput:
    attribute: GroupingAttribute | None = strawberry.field(
        default=None,
        description="Group by this single-valued attribute (list attributes such as agents "
        "cannot group: filter by them instead).",
    )
    score: str | None = strawberry.field(
        default=None, description="Group by the categories of this risk score. " + SCORE
    )
    exposure: ExposureInput | None = strawberry.field(
        default=None,
        description="Group by the exposure's status at time zero (the origin plus "
        "timeZero.landmarkDays): 'exposed' if it occurred on or before then, else 'unexposed' "
        "(however soon after). Not 'ever exposed', which credits the exposed with the time "
        "they survived until exposure (immortal-time bias); for the effect of an exposure "
        "during follow-up ask exposureEffect.",
    )

    def to_grouping(self) -> Grouping:
        """The lake grouping; none or several ways at once is a bad request."""
        given = [name for name, value in self._ways() if value is not None]
        if len(given) != 1:
            raise BadRequestError(
                f"groupBy: give exactly one of {', '.join(n for n, _ in self._ways())} "
                f"(got {', '.join(given) or 'none'})"
            )
        return Grouping(
            attribute=None if self.attribute is None else self.attribute.value,
            score=None if self.score is None else score_version(self.score),
            exposure=None
            if self.exposure is None
            else self.exposure.to_exposure(argument="groupBy.exposure"),
        )

    def _ways(self) -> list[tuple[str, object]]:
        return [("attribute", self.attribute), ("score", self.score), ("exposure", self.exposure)]


def grouping(group_by: GroupingInput | None) -> Grouping:
    """The lake grouping of an optional ``groupBy`` argument (omitted: no groups)."""
    return Grouping() if group_by is None else group_by.to_grouping()
