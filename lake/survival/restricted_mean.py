"""Restricted mean survival time (RMST) of a Kaplan–Meier curve, as R ``survival:::survmean``.

With the step function S over the distinct times t_1 < … < t_m ≤ τ (and S = 1 before t_1):

    RMST(τ) = ∫_0^τ S(u) du = Σ_{i=0}^{m} (t_{i+1} − t_i) S(t_i)       (t_0 = 0, t_{m+1} = τ)
    Var RMST(τ) = Σ_{i=1}^{m} A_i² d_i / (n_i (n_i − d_i)),   A_i = ∫_{t_i}^τ S(u) du

(Greenwood-type variance of the area, Klein JP, Moeschberger ML, *Survival Analysis*, 2nd ed.,
§4.5; terms with n_i = d_i count 0, as R does). This is what ``print(fit, rmean = tau)`` prints
as ``rmean`` and ``se(rmean)``. If τ lies beyond the largest observed time, R extends the last
value of S to τ and so does this function; the caller decides whether such a tail is shown.
Reference for the estimand: Royston P, Parmar MKB. *BMC Med Res Methodol* 2013;13:152.
"""

from __future__ import annotations

import numpy as np

from lake.errors import AnalysisError
from lake.survival._typing import FloatArray
from lake.survival.results import RestrictedMean


def restricted_mean(
    times: FloatArray,
    survival: FloatArray,
    n_risk: FloatArray,
    n_event: FloatArray,
    tau: float,
) -> RestrictedMean:
    """RMST up to ``tau`` and its standard error from a Kaplan–Meier risk table.

    Examples
    --------
    >>> t = np.array([1.0, 2.0]); s = np.array([0.5, 0.0])
    >>> restricted_mean(t, s, np.array([2.0, 1.0]), np.array([1.0, 1.0]), 3.0).estimate
    1.5
    """
    if not np.isfinite(tau) or tau <= 0:
        raise AnalysisError(f"the restricted mean needs a positive finite tau (got {tau})")
    keep = times <= tau
    t = np.append(times[keep], tau)
    surv_before = np.concatenate(([1.0], survival[keep]))
    rectangles = np.diff(t, prepend=0.0) * surv_before
    with np.errstate(divide="ignore", invalid="ignore"):
        left = n_risk[keep] - n_event[keep]
        hazard = np.where(left > 0, n_event[keep] / (n_risk[keep] * left), 0.0)
    # area after each time t_i up to tau: the rectangles that follow it
    after = np.cumsum(rectangles[::-1])[::-1][1:]
    with np.errstate(over="ignore", invalid="ignore"):
        estimate, variance = float(rectangles.sum()), float(np.sum(after**2 * hazard))
    if not (np.isfinite(estimate) and np.isfinite(variance)):
        raise AnalysisError(
            f"the restricted mean up to tau = {tau:g} overflows floating point (its variance "
            "squares areas of that size); choose a tau within the follow-up"
        )
    return RestrictedMean(tau=float(tau), estimate=estimate, std_err=float(np.sqrt(variance)))
