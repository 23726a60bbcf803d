"""Result records of the survival engine: plain frozen dataclasses, ``None`` for "not available".

A value R reports as ``NA`` (median not reached, undefined confidence limit, a test that cannot be
computed) is ``None`` here, never a NaN presented as a number; ``reason`` says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lake.survival._typing import ConfType


def optional(value: float | np.float64) -> float | None:
    """``value`` as a float, or ``None`` when it is NaN (R's ``NA``)."""
    out = float(value)
    return None if math.isnan(out) else out


@dataclass(frozen=True, slots=True)
class QuantileEstimate:
    """A survival-time quantile (e.g. the median) with its confidence limits.

    ``None`` means not reached: the curve (or the band) never falls to the requested level.
    """

    probability: float
    estimate: float | None
    lower: float | None
    upper: float | None
    conf_type: ConfType
    alpha: float


@dataclass(frozen=True, slots=True)
class SurvivalAt:
    """Survival at one requested time, as ``summary(survfit(...), times=t)``.

    ``std_err`` is the standard error of S (``summary()`` semantics), not of −log S.
    """

    time: float
    survival: float | None
    std_err: float | None
    lower: float | None
    upper: float | None
    n_at_risk: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StatisticalResult:
    """A chi-square test: statistic, degrees of freedom and p-value, with per-group O and E.

    ``statistic`` and ``p_value`` are ``None`` when the test is undefined (no events, one group,
    zero variance); ``reason`` then says why.
    """

    test_name: str
    statistic: float | None
    df: int
    p_value: float | None
    groups: tuple[str, ...] = ()
    observed: tuple[float, ...] = ()
    expected: tuple[float, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RestrictedMean:
    """Restricted mean survival time up to ``tau`` with its standard error (R ``survmean``)."""

    tau: float
    estimate: float
    std_err: float


@dataclass(frozen=True, slots=True)
class HazardAt:
    """The Nelson-Aalen cumulative hazard at one requested time and its standard error.

    ``None`` beyond the largest observed time, as :class:`SurvivalAt`.
    """

    time: float
    cumulative_hazard: float | None
    std_err: float | None


@dataclass(frozen=True, slots=True)
class CountsBetween:
    """Number at risk at ``time`` and events / censorings since the previous requested time.

    As one row of R ``summary(survfit(...), times=, extend=TRUE)``: ``n_at_risk`` at ``time``
    (entered before it and not yet left), ``n_events`` and ``n_censored`` in
    (previous time, ``time``] (the first row counts everything up to its time, time 0 included).
    """

    time: float
    n_at_risk: int
    n_events: int
    n_censored: int
