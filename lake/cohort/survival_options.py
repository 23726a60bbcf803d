"""Kaplan-Meier and log-rank options R users expect, computed only when a request asks.

Each option is off by default, so a summary without options costs what it did before them:

- ``quartiles``: the times where S falls to 0.75, 0.5 and 0.25, with confidence limits
  (R ``quantile(fit, probs = c(.25, .5, .75))``);
- ``cumulative_hazard``: Nelson-Aalen H(t) and its standard error at the requested times
  (R ``summary(fit, times=)$cumhaz`` and ``$std.chaz``);
- ``restricted_mean_tau``: the restricted mean survival time up to τ and its standard error
  (R ``print(fit, rmean = tau)``, ``survival:::survmean``);
- ``interval_ends``: at risk at each end, events and censorings since the previous end
  (R ``summary(fit, times=, extend = TRUE)``: ``n.risk``, ``n.event``, ``n.censor``);
- ``weights``: the Fleming-Harrington G(ρ, γ) test beside the log-rank, with weighted O and E
  (R ``survdiff(rho=)`` for γ = 0, ``survMisc::comp(p=, q=)``).

The estimators live in :mod:`lake.survival` (formulas and R agreement there); this module holds
the options, the answer records and the exact per-group computation. Disclosure control
(:func:`lake.disclosure.disclose_survival`) and the protected answers
(:mod:`lake.privacy.survival_options`) decide what of them is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from lake.errors import AnalysisError
from lake.survival import KaplanMeierFitter, QuantileEstimate

QUARTILES: Final = (0.25, 0.5, 0.75)
MAX_INTERVALS: Final = 50


@dataclass(frozen=True, slots=True)
class Weights:
    """Fleming-Harrington weights S(t−)^ρ (1 − S(t−))^γ: (1, 0) is Peto-Peto, (0, 0) log-rank."""

    rho: float = 0.0
    gamma: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.rho <= 10.0 and 0.0 <= self.gamma <= 10.0):
            raise AnalysisError(
                f"weights: rho and gamma must lie in [0, 10] (got {self.rho}, {self.gamma})"
            )


@dataclass(frozen=True, slots=True)
class SurvivalOptions:
    """What a survival request asks beyond the default summary; times in the request's unit."""

    quartiles: bool = False
    cumulative_hazard: bool = False
    restricted_mean_tau: float | None = None
    interval_ends: tuple[float, ...] = ()
    weights: Weights | None = None

    def __post_init__(self) -> None:
        tau = self.restricted_mean_tau
        if tau is not None and not 0.0 < tau < float("inf"):
            raise AnalysisError(f"restrictedMeanTau must be a positive time (got {tau})")
        ends = self.interval_ends
        if len(ends) > MAX_INTERVALS or any(t <= 0 for t in ends):
            raise AnalysisError(
                f"intervalEnds: give at most {MAX_INTERVALS} positive times (the first interval "
                "starts at 0)"
            )
        if any(b <= a for a, b in pairwise(ends)):
            raise AnalysisError("intervalEnds must increase (each ends the next interval)")


NO_OPTIONS: Final = SurvivalOptions()


@dataclass(frozen=True, slots=True)
class RestrictedMean:
    """Restricted mean survival time up to ``tau``; ``None`` with a reason when withheld."""

    tau: float
    estimate: float | None
    std_err: float | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class IntervalCounts:
    """Patients at risk at ``end``, and events and censorings in (``start``, ``end``]
    (the first interval is [0, end]); ``None`` with a reason when withheld."""

    start: float
    end: float
    n_at_risk: int | None
    events: int | None
    censored: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class GroupOptions:
    """One group's answers to the options (``None``: not asked)."""

    quartiles: tuple[QuantileEstimate, ...] | None = None
    restricted_mean: RestrictedMean | None = None
    intervals: tuple[IntervalCounts, ...] | None = None


def interval_starts(ends: tuple[float, ...]) -> tuple[float, ...]:
    """Where each interval starts: 0, then the previous end."""
    return (0.0, *ends[:-1])


def group_options(fitter: KaplanMeierFitter, options: SurvivalOptions) -> GroupOptions:
    """The exact answers of one fitted group to ``options`` (R conventions, see the table)."""
    quartiles = tuple(fitter.quantile(p) for p in QUARTILES) if options.quartiles else None
    rmst = None
    if options.restricted_mean_tau is not None:
        fitted = fitter.restricted_mean(options.restricted_mean_tau)
        rmst = RestrictedMean(fitted.tau, fitted.estimate, fitted.std_err)
    intervals = None
    if options.interval_ends:
        ends = options.interval_ends
        intervals = tuple(
            IntervalCounts(start, c.time, c.n_at_risk, c.n_events, c.n_censored)
            for start, c in zip(interval_starts(ends), fitter.counts_between(ends), strict=True)
        )
    return GroupOptions(quartiles=quartiles, restricted_mean=rmst, intervals=intervals)
