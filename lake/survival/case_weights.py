"""Case weights (e.g. inverse-probability-of-treatment weights) for Kaplan–Meier, as R
``survfit(Surv(time, status) ~ 1, weights = w)`` with its default robust variance.

Weighted risk table at the distinct times t_j: n_j = Σ_{i: t_i ≥ t_j} w_i, d_j = Σ_{i: t_i = t_j,
δ_i = 1} w_i, S(t) = Π_{t_j ≤ t} (1 − d_j / n_j).

Variance: with non-integer weights R's default is the infinitesimal jackknife (IJ; ``robust =
TRUE``), which treats the weights as sampling weights rather than frequencies. The influence of
subject i on log S(t) is, with c_j = d_j / (n_j (n_j − d_j)) (the Greenwood increment) and
C(t) = Σ_{t_j ≤ t} c_j,

    U_i(t) = C(min(t, t_i)) − δ_i 1(t_i ≤ t) / (n_{k(i)} − d_{k(i)})      (t_{k(i)} = t_i)

(the derivative of Σ_j log(1 − d_j/n_j) in w_i), and se(−log S(t)) = sqrt(Σ_i w_i² U_i(t)²).
Subjects still at risk after t share U_i(t) = C(t) and each earlier subject's U_i is constant
from t_i on, so the sum is C(t)² Σ_{t_i > t} w_i² + Σ_{t_i ≤ t} w_i² U_i(t_i)²: O(n + T).
(Therneau TM, Grambsch PM. *Modeling Survival Data*, Springer 2000, §7.2; R survival
``survfitKM``, ``robust`` argument of ``survfit.formula``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lake.errors import AnalysisError
from lake.survival._input import SurvivalArrays, as_float_array
from lake.survival._typing import FloatArray


@dataclass(frozen=True, slots=True)
class WeightedRiskTable:
    """Distinct times with weighted numbers at risk, events and censorings, and the IJ se of
    −log S at each."""

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    std_err: FloatArray


def case_weights(weights: npt.ArrayLike, n: int) -> FloatArray:
    """Validated case weights: one finite, non-negative weight per row, not all zero."""
    w = as_float_array(weights, name="weights")
    if w.shape[0] != n:
        raise AnalysisError(f"weights has {w.shape[0]} rows but durations {n}")
    if np.any(w < 0) or not np.any(w > 0):
        raise AnalysisError("weights must be >= 0 and not all 0")
    return w


def weighted_risk_table(data: SurvivalArrays, weights: FloatArray) -> WeightedRiskTable:
    """The weighted risk table of right-censored ``data`` and the IJ standard errors."""
    if data.entry is not None:
        raise AnalysisError(
            "case weights with delayed entry are not supported; fit without entry times"
        )
    times, index = np.unique(data.stop, return_inverse=True)
    size = times.size
    leaving = np.bincount(index, weights=weights, minlength=size)
    n_event = np.bincount(index, weights=weights * data.event_weight, minlength=size)
    n_risk = np.cumsum(leaving[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        increment = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        cumulative = np.cumsum(increment)
        own = cumulative[index] - np.where(
            data.event, 1.0 / (n_risk - n_event)[index], 0.0
        )  # U_i from t_i on
        squared = weights**2
        settled = np.cumsum(np.bincount(index, weights=squared * own**2, minlength=size))
        after = np.cumsum(np.bincount(index, weights=squared, minlength=size)[::-1])[::-1]
        still = np.append(after[1:], 0.0)  # Σ w² over t_i > t_j
        variance = cumulative**2 * still + settled
    return WeightedRiskTable(
        time=times.astype(np.float64),
        n_risk=n_risk.astype(np.float64),
        n_event=n_event.astype(np.float64),
        n_censor=(leaving - n_event).astype(np.float64),
        std_err=np.sqrt(variance),
    )
