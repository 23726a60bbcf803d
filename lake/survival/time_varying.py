"""Counting-process data for one time-dependent exposure: R ``tmerge(..., tdc(exposure))``.

Each patient i has follow-up (0, T_i] ending in status δ_i (1 event, 0 censored) and may be
exposed at time x_i (missing: never). The patient is unexposed on (0, x_i] and exposed on
(x_i, T_i], so the follow-up splits into at most two rows (start, stop, status, exposed):

- never exposed, or exposed at or after T_i: one row (0, T_i, δ_i, 0);
- exposed at or before 0 (at time zero): one row (0, T_i, δ_i, 1);
- exposed at 0 < x_i < T_i: rows (0, x_i, 0, 0) and (x_i, T_i, δ_i, 1).

These are R ``survival::tmerge``'s rules for ``tdc(x)`` (a covariate switching from 0 to 1 at x;
no split at or outside the interval's ends). Person-time and events are conserved:
Σ (stop − start) = Σ T_i and Σ status = Σ δ_i. The rows are what the engine's (entry, stop]
risk sets take (``entry = start``): Kaplan-Meier per exposure level is the Simon-Makuch
estimator (Simon R, Makuch RW. *Stat Med* 1984;3:35–44; R ``survfit(Surv(tstart, tstop,
status) ~ exposed)``), the log-rank on the rows the Mantel-Byar test (Mantel N, Byar DP.
*JASA* 1974;69:81–86), and ``coxph(Surv(tstart, tstop, status) ~ exposed)`` the Cox model with
the exposure as a time-varying covariate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lake.errors import AnalysisError
from lake.survival._typing import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class CountingProcess:
    """Rows (start, stop], ``status`` at stop and ``exposed`` on the row; ``patient`` indexes
    the input patient each row belongs to (rows of one patient are adjacent, in time order)."""

    patient: IntArray
    start: FloatArray
    stop: FloatArray
    status: IntArray
    exposed: IntArray


def split_at_exposure(
    time: npt.ArrayLike, status: npt.ArrayLike, exposure: npt.ArrayLike
) -> CountingProcess:
    """The counting-process rows of patients with follow-up ``time``, ``status`` and exposure
    time ``exposure`` (NaN: never exposed); see the module docs.

    Raises
    ------
    AnalysisError
        Lengths differ, a time is not positive (no interval (0, T]), or a status is not 0/1.
    """
    t = np.asarray(time, dtype=np.float64)
    d = np.asarray(status, dtype=np.int64)
    x = np.asarray(exposure, dtype=np.float64)
    if not (t.shape == d.shape == x.shape) or t.ndim != 1:
        raise AnalysisError("time, status and exposure must be 1-D arrays of one length")
    if t.size and not (np.all(np.isfinite(t)) and t.min() > 0):
        raise AnalysisError("every follow-up time must be positive: (0, T] must not be empty")
    if not np.all((d == 0) | (d == 1)):
        raise AnalysisError("status must be 0 (censored) or 1 (event)")
    split = (x > 0) & (x < t)  # NaN compares False: never exposed
    exposed_from_zero = x <= 0
    # every patient has a row ending at T; split patients a first one ending at x
    index = np.arange(t.size)
    patient = np.concatenate([index[split], index])
    start = np.concatenate([np.zeros(int(split.sum())), np.where(split, x, 0.0)])
    stop = np.concatenate([x[split], t])
    row_status = np.concatenate([np.zeros(int(split.sum()), dtype=np.int64), d])
    exposed = np.concatenate(
        [np.zeros(int(split.sum()), dtype=np.int64), (split | exposed_from_zero).astype(np.int64)]
    )
    order = np.lexsort((start, patient))
    return CountingProcess(
        patient=patient[order],
        start=start[order],
        stop=stop[order],
        status=row_status[order],
        exposed=exposed[order],
    )
