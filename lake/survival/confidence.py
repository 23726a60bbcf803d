"""Pointwise confidence bands of a survival curve, as R ``survival:::survfit_confint``.

With z = Φ⁻¹(1 − α/2) and se = standard error of −log S (Greenwood, R's ``std.err``):

- ``log`` (R default): S·exp(∓z·se), upper limit truncated at 1; undefined (NaN) where S = 0.
- ``log-log``: exp(−exp(log(−log S) ∓ z·se/log S)); undefined where S ∈ {0, 1}.
- ``plain``: S ∓ z·S·se truncated to [0, 1].

Undefined limits are NaN in arrays and ``None`` once a single value is reported.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.stats import norm

from lake.survival._typing import ConfType, FloatArray


@cache
def z_value(alpha: float) -> float:
    """Two-sided normal quantile Φ⁻¹(1 − α/2) (cached: scipy's ppf costs ~0.1 ms a call)."""
    return float(norm.ppf(1.0 - alpha / 2.0))


def survival_bands(
    surv: FloatArray, se: FloatArray, *, conf_type: ConfType, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Lower and upper pointwise limits of ``surv`` given ``se`` of −log S."""
    z = z_value(alpha)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = se * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
        half = z * se / np.log(xx)
        loglog = np.log(-np.log(xx))
        return np.exp(-np.exp(loglog - half)), np.exp(-np.exp(loglog + half))
