"""Privacy budget settings: ε per kind of release, budgets per user and deployment, the period.

Protected releases compose by basic sequential composition of pure ε-DP (Dwork & Roth 2014,
Theorem 3.16): a set of releases with losses ε₁ … ε_m is (Σ εᵢ)-DP, whatever the questions and
however they were chosen. A caller's spend in a period is therefore the sum of the ε of the
releases they received in it, and the deployment's the sum over every distinct release drawn
in it. A budget caps that sum; the release that would pass it is refused.

Re-receiving a release already drawn costs nothing (it is the same numbers: post-processing),
so the same question on the same lake version may be asked any number of times. Every lake
version shares the one budget: the same patients in several versions get no fresh budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from lake.errors import ConfigError

QueryKind = Literal[
    "size",
    "breakdown",
    "histogram",
    "completeness",
    "risk",
    "reclassification",
    "survival",
    "incidence",
    "data_quality",
]
QUERY_KINDS: Final[tuple[QueryKind, ...]] = get_args(QueryKind)

#: Default ε per release kind: counts are cheap, a whole life table (every group, interval and
#: stratum in one release of sensitivity 1) is worth more of the budget.
DEFAULT_EPSILON: Final[Mapping[QueryKind, float]] = {
    "size": 0.1,
    "breakdown": 0.2,
    "histogram": 0.2,
    "completeness": 0.2,
    "risk": 0.2,
    "reclassification": 0.3,
    "survival": 1.0,
    "incidence": 1.0,
    "data_quality": 0.1,
}
DAYS_PER_MONTH: Final = 30.4375


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """How protected releases are made and accounted.

    Parameters
    ----------
    epsilon
        Privacy loss ε of one release of each kind.
    user_budget
        Total ε one user may receive per period.
    deployment_budget
        Total ε the deployment may draw per period (over every user: the bound that holds
        however users collude).
    period_days
        Length of a budget period; periods are fixed windows counted from 1970-01-01.
    interval_days, horizon_days
        The public life-table grid of protected survival: intervals of ``interval_days`` from
        the origin up to ``horizon_days`` (default a quarter year up to ten years).
    floor
        Publication floor on protected counts: a released count below it is shown as null
        (0 disables). Post-processing, so it costs no budget and weakens nothing.
    """

    epsilon: Mapping[QueryKind, float] = field(default_factory=lambda: dict(DEFAULT_EPSILON))
    user_budget: float = 10.0
    deployment_budget: float = 200.0
    period_days: int = 30
    interval_days: float = 3 * DAYS_PER_MONTH
    horizon_days: float = 120 * DAYS_PER_MONTH
    floor: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.epsilon) - set(QUERY_KINDS))
        if unknown:
            raise ConfigError(
                f"privacy.epsilon: unknown release kind(s) {unknown}; "
                f"valid: {', '.join(QUERY_KINDS)}"
            )
        merged = {**DEFAULT_EPSILON, **self.epsilon}
        object.__setattr__(self, "epsilon", merged)
        for name, value in [
            *(("epsilon." + k, v) for k, v in merged.items()),
            ("user_budget", self.user_budget),
            ("deployment_budget", self.deployment_budget),
            ("interval_days", self.interval_days),
            ("horizon_days", self.horizon_days),
        ]:
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"privacy.{name} must be a positive number (got {value!r})")
        if self.period_days < 1:
            raise ConfigError(f"privacy.period_days must be at least 1 (got {self.period_days})")
        if self.floor < 0:
            raise ConfigError(f"privacy.floor must be 0 or more (got {self.floor})")
        if self.horizon_days < self.interval_days or self.horizon_days / self.interval_days > 2000:
            raise ConfigError(
                "privacy.horizon_days must hold between 1 and 2000 intervals of interval_days"
            )
