"""Answers to the Kaplan-Meier options (:mod:`schema.inputs.survival_options`) as GraphQL types."""

from __future__ import annotations

import strawberry
from lake.cohort import survival_options as so
from lake.survival import StatisticalResult


@strawberry.type(
    description="Restricted mean survival time up to tau (R print(fit, rmean = tau): rmean and "
    "se(rmean)); null with a reason when withheld."
)
class RestrictedMean:
    tau: float = strawberry.field(description="The restriction time, in the requested unit.")
    estimate: float | None = strawberry.field(description="Area under S from 0 to tau.")
    std_err: float | None = strawberry.field(description="Its standard error.")
    reason: str | None = strawberry.field(description="Why values are null, if they are.")

    @classmethod
    def of(cls, value: so.RestrictedMean) -> RestrictedMean:
        """The GraphQL view of a restricted mean."""
        return cls(
            tau=value.tau, estimate=value.estimate, std_err=value.std_err, reason=value.reason
        )


@strawberry.type(
    description="Counts of one interval (R summary(fit, times=)): at risk at its end, events "
    "and censored in (start, end] (the first is [0, end]; protected access counts its grid "
    "intervals [start, end)); null with a reason when withheld."
)
class IntervalCounts:
    start: float = strawberry.field(description="Start of the interval (0 or the previous end).")
    end: float = strawberry.field(description="End of the interval.")
    n_at_risk: int | None = strawberry.field(description="At risk at the end.")
    events: int | None = strawberry.field(description="Events in the interval.")
    censored: int | None = strawberry.field(description="Censored in the interval.")
    reason: str | None = strawberry.field(description="Why values are null, if they are.")

    @classmethod
    def of(cls, value: so.IntervalCounts) -> IntervalCounts:
        """The GraphQL view of one interval's counts."""
        return cls(
            start=value.start,
            end=value.end,
            n_at_risk=value.n_at_risk,
            events=value.events,
            censored=value.censored,
            reason=value.reason,
        )


@strawberry.type(
    description="Observed and expected events of one group in a log-rank test (R survdiff obs "
    "and exp, summed over strata; weighted for a weighted test)."
)
class ObservedExpected:
    group: str = strawberry.field(description="The group.")
    observed: float = strawberry.field(description="Observed (weighted) events.")
    expected: float = strawberry.field(description="Expected (weighted) events under H0.")

    @classmethod
    def of(cls, test: StatisticalResult) -> list[ObservedExpected]:
        """One row per group of a test (none when the counts are withheld or not defined)."""
        return [
            cls(group=g, observed=o, expected=e)
            for g, o, e in zip(test.groups, test.observed, test.expected, strict=False)
        ]
