"""Kaplan–Meier estimator with Greenwood variance, R ``survfit`` conventions, vectorised.

Model and estimator
-------------------
At the distinct times t_i with n_i at risk and d_i events (censored-at-t_i subjects still at
risk at t_i; with delayed entry n_i = #{entry < t_i <= stop}):

    S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)
    se(t) = sqrt(Σ_{t_i ≤ t} d_i / (n_i (n_i − d_i)))        (Greenwood, se of −log S)

``std_err_`` follows R's ``survfit()$std.err`` (se of −log S, ``inf`` once S = 0);
:meth:`KaplanMeierFitter.survival_at` reports the se of S like ``summary()``. Pointwise bands
follow :mod:`lake.survival.confidence`, quantiles :mod:`lake.survival.quantiles`.

Differences from lifelines 0.30 (05-survival-statistics.md §5.8): lifelines always uses the
log-log band and returns the first time with S ≤ 0.5 (no midpoint rule, ``inf`` if not reached;
05 E3: 5.0 against R's 5.5). Measured on the golden ``mm_os`` cohort (3,000 rows, 1,672
distinct times; best of 5): its S and log-log band equal this module's ``conf_type="log-log"``
to 4e-15, but its band differs from R's default ``log`` band by up to 2.0e-3 in the lower
limit; its median is the same there (916). lifelines took 12.7 ms to fit, this module 0.5 ms.

References: Kaplan EL, Meier P. *JASA* 1958;53:457–481. Greenwood M. *Reports on Public Health
and Medical Subjects* 1926;33. Reverse KM for follow-up: Schemper M, Smith TL. *Control Clin
Trials* 1996;17:343–346.
"""

from __future__ import annotations

import warnings
from typing import Self

import numpy as np
import numpy.typing as npt
import polars as pl

from lake.errors import AnalysisError
from lake.survival._input import SurvivalWarning, survival_arrays
from lake.survival._risksets import at_risk, risk_table
from lake.survival._typing import ConfType, FloatArray
from lake.survival.confidence import survival_bands
from lake.survival.quantiles import step_quantile
from lake.survival.results import QuantileEstimate, SurvivalAt, optional


class KaplanMeierFitter:
    """Kaplan–Meier survival curve, configured once and fitted to one group.

    Parameters
    ----------
    conf_type
        Band transform: ``"log"`` (R default), ``"log-log"`` (lifelines' only choice) or
        ``"plain"``.
    alpha
        1 − confidence level of the bands and quantile limits.

    Examples
    --------
    >>> kmf = KaplanMeierFitter().fit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    >>> kmf.median_.estimate  # R: midpoint of [5, 6) where S = 0.5 exactly
    5.5
    """

    timeline_: FloatArray
    n_at_risk_: FloatArray
    n_events_: FloatArray
    n_censored_: FloatArray
    survival_: FloatArray
    std_err_: FloatArray
    lower_: FloatArray
    upper_: FloatArray
    median_: QuantileEstimate

    def __init__(self, *, conf_type: ConfType = "log", alpha: float = 0.05) -> None:
        if not 0.0 < alpha < 1.0:
            raise AnalysisError(f"alpha must lie in (0, 1), got {alpha}")
        self.conf_type: ConfType = conf_type
        self.alpha = alpha

    def fit(
        self,
        durations: npt.ArrayLike,
        events: npt.ArrayLike | None = None,
        *,
        entry: npt.ArrayLike | None = None,
    ) -> Self:
        """Estimate S(t) from ``durations`` and ``events`` (1 = event, 0 = censored)."""
        data = survival_arrays(durations, events, entry=entry)
        if not data.event.any():
            warnings.warn(
                "no events: the survival curve stays at 1 and the median is not reached",
                SurvivalWarning,
                stacklevel=2,
            )
        self._data = data
        table = risk_table(data)
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard_step = 1.0 - table.n_event / table.n_risk
            greenwood = table.n_event / (table.n_risk * (table.n_risk - table.n_event))
        self.timeline_ = table.time
        self.n_at_risk_ = table.n_risk
        self.n_events_ = table.n_event
        self.n_censored_ = table.n_censor
        self.survival_ = np.cumprod(hazard_step, dtype=np.float64)
        self.std_err_ = np.sqrt(np.cumsum(greenwood))
        self.lower_, self.upper_ = survival_bands(
            self.survival_, self.std_err_, conf_type=self.conf_type, alpha=self.alpha
        )
        self.median_ = self.quantile(0.5)
        return self

    def quantile(self, probability: float) -> QuantileEstimate:
        """Time by which a fraction ``probability`` has had the event (0.5 = median)."""
        if not 0.0 <= probability <= 1.0:
            raise AnalysisError(f"probability must lie in [0, 1], got {probability}")
        return QuantileEstimate(
            probability=probability,
            estimate=step_quantile(self.timeline_, self.survival_, probability),
            lower=step_quantile(self.timeline_, self.lower_, probability),
            upper=step_quantile(self.timeline_, self.upper_, probability),
            conf_type=self.conf_type,
            alpha=self.alpha,
        )

    def step_function(self) -> pl.DataFrame:
        """The full step function, one row per distinct time, R ``survfit`` columns.

        ``std_err`` is the se of −log S (R ``fit$std.err``); undefined limits are null.
        """
        return pl.DataFrame(
            {
                "time": self.timeline_,
                "n_risk": self.n_at_risk_,
                "n_event": self.n_events_,
                "n_censor": self.n_censored_,
                "survival": self.survival_,
                "std_err": np.where(np.isinf(self.std_err_), np.nan, self.std_err_),
                "lower": self.lower_,
                "upper": self.upper_,
            }
        ).fill_nan(None)

    def survival_at(self, times: npt.ArrayLike) -> list[SurvivalAt]:
        """S, its se, band limits and number at risk at each of ``times``.

        Beyond the largest observed time the curve is not estimable: survival is ``None`` with a
        reason (R ``summary(..., extend=FALSE)`` drops such times).
        """
        query = np.atleast_1d(np.asarray(times, dtype=np.float64))
        idx = np.searchsorted(self.timeline_, query, side="right") - 1
        n_risk = at_risk(self._data, query)
        last = float(self.timeline_[-1])
        out: list[SurvivalAt] = []
        for t, i, n in zip(query.tolist(), idx.tolist(), n_risk.tolist(), strict=True):
            if t > last:
                out.append(SurvivalAt(t, None, None, None, None, 0, "beyond last follow-up"))
            elif i < 0:
                out.append(SurvivalAt(t, 1.0, 0.0, 1.0, 1.0, int(n)))
            else:
                s = float(self.survival_[i])
                out.append(
                    SurvivalAt(
                        time=t,
                        survival=s,
                        std_err=None if s == 0 else optional(s * self.std_err_[i]),
                        lower=optional(self.lower_[i]),
                        upper=optional(self.upper_[i]),
                        n_at_risk=int(n),
                    )
                )
        return out


def median_follow_up(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    *,
    conf_type: ConfType = "log",
    alpha: float = 0.05,
    entry: npt.ArrayLike | None = None,
) -> QuantileEstimate:
    """Median follow-up by the reverse Kaplan–Meier method (Schemper & Smith 1996).

    Censoring is treated as the event and events as censored, i.e. R
    ``survfit(Surv(time, 1 - status) ~ 1)``; its median is the median potential follow-up.
    With ``entry`` (delayed entry), R ``survfit(Surv(entry, time, 1 - status) ~ 1)``.
    """
    flipped = 1.0 - np.asarray(events, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvivalWarning)
        fitter = KaplanMeierFitter(conf_type=conf_type, alpha=alpha).fit(
            durations, flipped, entry=entry
        )
    return fitter.median_
