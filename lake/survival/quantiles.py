"""Quantiles of a step survival curve and their confidence limits, as R ``quantile.survfit``.

R's rule (``survival:::findq``, tolerance ``sqrt(.Machine$double.eps)``): the p-quantile is the
time where the horizontal line at 1 − S = p meets the step curve. If the curve sits exactly on p
(within the tolerance) over an interval [t_i, t_{i+1}), the midpoint of that interval is returned
(the last interval ends at the largest observed time); if the curve never reaches p the quantile
is not reached (``None``). Confidence limits apply the same rule to the lower and upper bands
(Brookmeyer–Crowley-type interval), so they depend on ``conf_type``. A band need not be monotone
(a log band widens as the risk set shrinks, so 1 − upper can fall back below p): like R's
``approx``, the search runs over the points in order of 1 − S, so the limit is the time of the
smallest 1 − S at or above p, not the first crossing in time order.

Reference: Therneau T, ``survival`` package, ``quantile.survfit``; Brookmeyer R, Crowley J.
A confidence interval for the median survival time. *Biometrics* 1982;38:29–41.
"""

from __future__ import annotations

import numpy as np

from lake.survival._typing import FloatArray

TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))


def step_quantile(
    times: FloatArray, surv: FloatArray, prob: float, *, first_time: float = 0.0
) -> float | None:
    """The ``prob`` quantile of ``surv`` over ``times`` (R ``findq``); None if not reached.

    ``surv`` may hold NaN (an undefined band limit); those points are skipped as R's ``approx``
    skips NA.
    """
    x = np.concatenate(([first_time], times))
    y = np.concatenate(([0.0], 1.0 - surv))
    finite = ~np.isnan(y)
    if not finite.any() or np.max(y[finite]) < prob:
        return None
    x_max = float(x[-1])
    # R: duplicated(y) drops repeats (NA counts as a value), keeping first occurrences. A
    # monotone curve (the usual case) holds its repeats in runs: keep each run's first point.
    marked = np.where(finite, y, np.inf)
    if np.all(marked[1:] >= marked[:-1]):
        keep = np.flatnonzero(np.concatenate(([True], marked[1:] != marked[:-1])))
    else:
        keep = np.sort(np.unique(marked, return_index=True)[1])
    x, y = x[keep], y[keep]
    y_last = float(y[-1])
    ok = ~np.isnan(y)
    # R's approx() orders the points by y (a band need not be monotone)
    order = np.argsort(y[ok], kind="stable")
    xs, ys = x[ok][order], y[ok][order]

    def knot(shift: float) -> float | None:
        yy = ys + shift
        if prob < yy[0] or prob > yy[-1]:
            return None
        return float(xs[np.searchsorted(yy, prob, side="left")])

    upper_knot, lower_knot = knot(TOLERANCE), knot(-TOLERANCE)
    if upper_knot is None:
        return None
    if prob == 0:
        return float(x[0])
    if not np.isnan(y_last) and abs(prob - y_last) < TOLERANCE:
        return (upper_knot + x_max) / 2.0
    if lower_knot is None:
        return None
    return (upper_knot + lower_knot) / 2.0
