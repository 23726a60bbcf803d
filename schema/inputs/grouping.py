"""What an analysis compares: the one grouping input of survival, incidence and Cox fields.

``groupBy: GroupingInput`` names exactly one way to form the groups, so every field that compares
groups offers the same ways, declared once in the SDL and converted to the lake's
:class:`lake.cohort.survival.Grouping` in one place.
"""

from __future__ import annotations

import strawberry
from lake.cohort.cuts import Cuts
from lake.cohort.groups import MAX_GROUPS, MAX_NAME_LENGTH, UserGroup
from lake.cohort.survival import Grouping
from lake.errors import AnalysisError, HemalakeError

from schema.errors import BadRequestError, public_error
from schema.inputs.cohort_filter import CohortFilterInput
from schema.inputs.exposure import ExposureInput
from schema.scores import score_version
from schema.types.enums import GroupingAttribute, NumericAttribute

SCORE = "A registered risk score: name (e.g. riss) or version id (e.g. riss_palumbo2015)."


@strawberry.input(
    description="A numeric attribute cut into ordered groups at ascending points: at: [65, 75] "
    "gives <65, 65–<75, >=75 (intervals closed on the left, as R cut(right = FALSE))."
)
class CutsInput:
    attribute: NumericAttribute = strawberry.field(description="The numeric attribute.")
    at: list[float] = strawberry.field(description="Cut points, strictly ascending.")

    def to_cuts(self) -> Cuts:
        """The lake cuts; no point or points out of order are a bad request."""
        try:
            return Cuts(self.attribute.value, tuple(self.at))
        except AnalysisError as error:
            raise BadRequestError(f"groupBy.{error}") from error


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
    cuts: CutsInput | None = strawberry.field(
        default=None,
        description="Group by a numeric attribute cut at the given points (ordered groups; "
        "patients with an unknown value are excluded).",
    )

    groups: list[GroupInput] | None = strawberry.field(
        default=None,
        description=f"User-defined groups (2 to {MAX_GROUPS}, distinct names): each patient "
        "is in the FIRST group whose filter matches, in the order given; patients matching none "
        "are excluded and counted in `excluded`. The first group is the Cox reference and "
        "scores 1 in a trend test. The names are released as given.",
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
        try:
            return Grouping(
                attribute=None if self.attribute is None else self.attribute.value,
                score=None if self.score is None else score_version(self.score),
                cuts=None if self.cuts is None else self.cuts.to_cuts(),
                groups=tuple(g.to_group() for g in self.groups or []),
                exposure=None
                if self.exposure is None
                else self.exposure.to_exposure(argument="groupBy.exposure"),
            )
        except HemalakeError as error:
            raise public_error(error) from error

    def _ways(self) -> list[tuple[str, object]]:
        return [
            ("attribute", self.attribute),
            ("score", self.score),
            ("cuts", self.cuts),
            ("groups", self.groups),
            ("exposure", self.exposure),
        ]


@strawberry.input(description="A named group: the patients its filter matches.")
class GroupInput:
    name: str = strawberry.field(
        description=f"The group's label in the answer (1 to {MAX_NAME_LENGTH} characters)."
    )
    filter: CohortFilterInput = strawberry.field(description="Which patients are in it.")

    def to_group(self) -> UserGroup:
        """The lake group (invalid names or filters raise the lake's AnalysisError)."""
        return UserGroup(name=self.name, filter=self.filter.to_filter())


def grouping(group_by: GroupingInput | None) -> Grouping:
    """The lake grouping of an optional ``groupBy`` argument (omitted: no groups)."""
    return Grouping() if group_by is None else group_by.to_grouping()


def user_groups(group_by: GroupingInput | None, *, field: str) -> tuple[UserGroup, ...]:
    """The user-defined groups of a ``groupBy`` that takes only those (omitted: none)."""
    if group_by is None:
        return ()
    if group_by.groups is None or group_by.attribute is not None or group_by.score is not None:
        raise BadRequestError(
            f"{field}: give groups only (attributes and scores have their own arguments)"
        )
    return group_by.to_grouping().groups
