"""The Kaplan-Meier options input: what R users ask of ``survfit`` and ``survdiff`` beyond the
default summary, each computed only when asked (:mod:`lake.cohort.survival_options`)."""

from __future__ import annotations

import strawberry
from lake.cohort import survival_options as so
from lake.errors import HemalakeError

from schema.errors import public_error


@strawberry.input(
    description="Fleming-Harrington G(rho, gamma) weights S(t-)^rho (1 - S(t-))^gamma on the "
    "pooled Kaplan-Meier just before each event time (within each stratum): rho 1, gamma 0 is "
    "Peto-Peto's Wilcoxon (R survdiff(rho = 1)); gamma > 0 weighs late differences "
    "(R survMisc::comp(p = rho, q = gamma)). Each in [0, 10]."
)
class WeightsInput:
    rho: float = strawberry.field(default=0.0, description="Power of S(t-).")
    gamma: float = strawberry.field(default=0.0, description="Power of 1 - S(t-).")


@strawberry.input(
    description="Kaplan-Meier and log-rank options (R survfit / survdiff conventions); each is "
    "computed only when asked, in the request's time unit."
)
class SurvivalOptionsInput:
    quartiles: bool = strawberry.field(
        default=False,
        description="Per group, the 25 %, 50 % and 75 % quantiles (times where S falls to 0.75, "
        "0.5, 0.25) with confidence limits, R quantile(fit, c(.25, .5, .75)).",
    )
    cumulative_hazard: bool = strawberry.field(
        default=False,
        description="At each requested time, the Nelson-Aalen cumulative hazard and its "
        "standard error, R summary(fit, times=)$cumhaz and $std.chaz.",
    )
    restricted_mean_tau: float | None = strawberry.field(
        default=None,
        description="Per group, the restricted mean survival time up to this time and its "
        "standard error, R print(fit, rmean = tau).",
    )
    interval_ends: list[float] | None = strawberry.field(
        default=None,
        description="Increasing ends of intervals from 0 (at most 50): per group, at risk at "
        "each end and events and censored since the previous end, R summary(fit, times=, "
        "extend = TRUE). Protected access counts on its public grid only (multiples of its "
        "interval width, 3 months by default).",
    )
    weights: WeightsInput | None = strawberry.field(
        default=None,
        description="Also test the groups with these Fleming-Harrington weights (weightedLogrank).",
    )

    def to_options(self) -> so.SurvivalOptions:
        """The lake's options; invalid values are BAD_REQUEST naming the field."""
        try:
            return so.SurvivalOptions(
                quartiles=self.quartiles,
                cumulative_hazard=self.cumulative_hazard,
                restricted_mean_tau=self.restricted_mean_tau,
                interval_ends=tuple(self.interval_ends or ()),
                weights=None
                if self.weights is None
                else so.Weights(rho=self.weights.rho, gamma=self.weights.gamma),
            )
        except HemalakeError as error:
            raise public_error(error) from error
