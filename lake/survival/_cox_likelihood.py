"""Vectorised Cox partial log-likelihood, score and information (Efron or Breslow ties).

For a stratum with distinct event times t_g, d_g events at t_g, w_i = exp(x_iᵀβ), risk set
R_g = {i: entry_i < t_g <= stop_i} and D_g the events at t_g:

    S0_g = Σ_{R_g} w,  S1_g = Σ_{R_g} w x,  S2_g = Σ_{R_g} w x xᵀ   (D0, D1, D2 over D_g)

Efron (1977) replaces the denominator of the l-th tied event (l = 0..d_g−1) by
den_gl = S0_g − (l/d_g) D0_g; Breslow (1974) keeps S0_g:

    ℓ(β) = Σ_events x_iᵀβ − Σ_g Σ_l log den_gl
    U(β) = Σ_events x_i − Σ_g Σ_l a_gl,   a_gl = (S1_g − (l/d_g) D1_g) / den_gl
    I(β) = Σ_g Σ_l [(S2_g − (l/d_g) D2_g)/den_gl − a_gl a_glᵀ]

Case weights c_i (R ``coxph(weights=)``): every risk-set sum weighs row i by c_i w_i, each
event enters ℓ and U with its c_i, and the tied events of t_g share their mean weight c̄_g:
ℓ = Σ_events c_i x_iᵀβ − Σ_g Σ_l c̄_g log den_gl, U and I likewise (R ``coxfit6``'s ``meanwt``).

Nothing loops over rows: one row per tied event (g, l) is expanded, risk-set sums are reverse
cumulative sums over the event-time index (a row belongs to the contiguous index range
[first_i, last_i) of event times it is at risk for), and the S2 terms collapse into
Xᵀ diag(w·c_i) X with c_i = Σ_{g ∋ i} Σ_l 1/den_gl, so I(β) costs one O(n p²) product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lake.survival._tabulate import count_at_most
from lake.survival._typing import BoolArray, FloatArray, IntArray, Ties


@dataclass(frozen=True, slots=True)
class StratumDesign:
    """Precomputed, β-independent risk-set structure of one stratum.

    Everything that does not depend on β is gathered here once, so a Newton step only
    computes exp(xβ), p + 1 weighted counts and three small matrix products.
    """

    xt: FloatArray  # (p, n) centred covariates, one contiguous row per covariate
    first: IntArray | None  # index of the first event time the row is at risk for (None: 0)
    last: IntArray  # one past the last such index
    event_rows: IntArray  # row of each event, ordered by event-time index
    xt_events: FloatArray  # (p, m) covariates of the event rows, contiguous
    group_of_event: IntArray  # event-time index of each event row (non-decreasing)
    efron_fraction: FloatArray  # l / d_g for each expanded tied-event row (Breslow: 0)
    event_times: FloatArray  # the distinct event times, index = event-time index
    case_weight: FloatArray | None = None  # c_i of each row (None: all 1)
    event_weight: FloatArray | None = None  # c_i of each event row
    tied_weight: FloatArray | None = None  # c̄_g of each expanded tied-event row

    @property
    def n_times(self) -> int:
        """Number of distinct event times in the stratum."""
        return int(self.event_times.size)


def stratum_design(
    x: FloatArray,
    stop: FloatArray,
    event: BoolArray,
    entry: FloatArray | None,
    ties: Ties,
    *,
    case_weight: FloatArray | None = None,
) -> StratumDesign:
    """Index the risk sets of one stratum once, before the Newton iterations."""
    event_times = np.unique(stop[event])
    last = count_at_most(event_times, stop)
    first = None if entry is None else count_at_most(event_times, entry)
    rows = np.flatnonzero(event)
    group = last[rows] - 1  # an event's own time is the last event time <= its stop
    # stable counting order; 16-bit keys let NumPy use its radix sort (5-10x faster)
    order = np.argsort(
        group.astype(np.uint16) if event_times.size <= 1 << 16 else group, kind="stable"
    )
    sorted_group = group[order]
    counts = np.bincount(sorted_group, minlength=event_times.size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(sorted_group.size) - starts[sorted_group]
    fraction = rank / counts[sorted_group] if ties == "efron" else np.zeros(sorted_group.size)
    event_rows = rows[order].astype(np.int64)
    event_weight = tied = None
    if case_weight is not None:
        event_weight = case_weight[event_rows]
        mean = np.bincount(sorted_group, weights=event_weight, minlength=event_times.size)
        tied = (mean / np.maximum(counts, 1))[sorted_group]
    return StratumDesign(
        xt=np.ascontiguousarray(x.T),
        first=None if first is None else first.astype(np.int64),
        last=last.astype(np.int64),
        event_rows=event_rows,
        xt_events=np.ascontiguousarray(x[event_rows].T),
        group_of_event=sorted_group.astype(np.int64),
        efron_fraction=fraction.astype(np.float64),
        event_times=event_times.astype(np.float64),
        case_weight=case_weight,
        event_weight=event_weight,
        tied_weight=tied,
    )


def _risk_sum(design: StratumDesign, values: FloatArray) -> FloatArray:
    """Σ over each event time's risk set of ``values`` (one per row) -> (n_times,).

    A row adds to the event-time indices [first, last): a +value at ``last`` and a −value at
    ``first`` summed from the end. Without delayed entry every row starts at index 0, whose
    −value would only reach the dropped slot, so that count is skipped.
    """
    size = design.n_times + 1
    delta = np.bincount(design.last, weights=values, minlength=size)
    if design.first is not None:
        delta -= np.bincount(design.first, weights=values, minlength=size)
    return np.asarray(np.cumsum(delta[::-1])[::-1][1:], dtype=np.float64)


def stratum_terms(
    design: StratumDesign, beta: FloatArray, time_weight: FloatArray | None = None
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, score vector and information matrix of one stratum at ``beta``.

    ``time_weight`` (one h_g per event time) returns Σ_g h_g U_g and Σ_g h_g I_g instead, the
    blocks of the cox.zph score test (:mod:`lake.survival.zph`).

    Covariates are stored one contiguous row each and every row-length product goes through
    one reused buffer: at 1e7 rows each fresh n-length temporary costs page faults, which
    dominated the time (n × p temporaries made 1e7 rows 20x slower than 1e6).
    """
    xt, xe, g = design.xt, design.xt_events, design.group_of_event
    p, n_times = xt.shape[0], design.n_times
    if n_times == 0:
        return 0.0, np.zeros(p), np.zeros((p, p))
    eta = beta @ xt
    eta_max = float(eta.max())
    c_events = design.event_weight
    eta_events = float(
        eta[design.event_rows].sum() if c_events is None else eta[design.event_rows] @ c_events
    )
    w = np.exp(np.subtract(eta, eta_max, out=eta), out=eta)
    if design.case_weight is not None:
        w *= design.case_weight
    buffer = np.empty_like(w)
    s0 = _risk_sum(design, w)
    s1 = np.stack([_risk_sum(design, np.multiply(w, xt[j], out=buffer)) for j in range(p)])
    w_events = w[design.event_rows]
    d0 = np.bincount(g, weights=w_events, minlength=n_times)
    d1 = np.stack([np.bincount(g, weights=w_events * xe[j], minlength=n_times) for j in range(p)])
    f = design.efron_fraction
    den = s0[g] - f * d0[g]
    a = (s1[:, g] - f * d1[:, g]) / den  # (p, m): Efron-weighted risk-set means
    tied = design.tied_weight
    if tied is None or c_events is None:  # unweighted: the arithmetic of the unweighted fit
        loglik = eta_events - float(np.log(den).sum()) - eta_max * den.size
        hr = np.ones(g.size) if time_weight is None else time_weight[g]
        own = hr
    else:
        loglik = eta_events - float((np.log(den) + eta_max) @ tied)
        hr = tied if time_weight is None else time_weight[g] * tied
        own = (hr / tied) * c_events
    score = xe @ own - a @ hr
    inv_den = np.bincount(g, weights=hr / den, minlength=n_times)
    frac_den = np.bincount(g, weights=f / den, minlength=n_times)
    cum = np.concatenate(([0.0], np.cumsum(inv_den)))
    c = cum[design.last] if design.first is None else cum[design.last] - cum[design.first]
    wc = np.multiply(w, c, out=c)
    info = np.stack([xt @ np.multiply(wc, xt[j], out=buffer) for j in range(p)])
    info -= (xe * (w_events * frac_den[g] * hr)) @ xe.T
    info -= (a * hr) @ a.T
    return loglik, score, info


def stratum_score_residuals(design: StratumDesign, beta: FloatArray) -> FloatArray:
    """Score residuals r_i (n, p) of one stratum at ``beta``, R ``residuals(fit, "score")``.

    With h_gl = c̄_g / den_gl (the hazard increment of tied event l at t_g) and a_gl as above,

        r_i = δ_i (x_i − ā_g(i)) − e^{η_i} Σ_{g ∈ R_i} Σ_l (1 − δ_ig l/d_g) h_gl (x_i − a_gl),

    ā_g = (1/d_g) Σ_l a_gl (Efron: a death at t_g is in the l-th denominator with share
    1 − l/d_g; Breslow: shares 1, ā_g = a_g). Unweighted by c_i, as R's; the robust
    variance weighs them (:meth:`lake.survival.cox.CoxPHFitter.fit`).
    """
    xt, g = design.xt, design.group_of_event
    p, n_times, n = xt.shape[0], design.n_times, xt.shape[1]
    if n_times == 0:
        return np.zeros((n, p))
    eta = beta @ xt
    risk = np.exp(eta - eta.max())
    w = risk if design.case_weight is None else risk * design.case_weight
    s0 = _risk_sum(design, w)
    s1 = np.stack([_risk_sum(design, w * xt[j]) for j in range(p)])
    w_events = w[design.event_rows]
    d0 = np.bincount(g, weights=w_events, minlength=n_times)
    d1 = np.stack(
        [
            np.bincount(g, weights=w_events * design.xt_events[j], minlength=n_times)
            for j in range(p)
        ]
    )
    f = design.efron_fraction
    den = s0[g] - f * d0[g]
    a = (s1[:, g] - f * d1[:, g]) / den
    tied = np.ones(g.size) if design.tied_weight is None else design.tied_weight
    h = tied / den
    counts = np.bincount(g, minlength=n_times)

    def per_time(values: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(g, weights=values, minlength=n_times), dtype=np.float64)

    hazard = per_time(h)  # Σ_l h_gl
    hazard_mean = np.stack([per_time(h * a[j]) for j in range(p)])  # Σ_l h_gl a_gl
    share = per_time(f * h)  # Σ_l (l/d) h_gl: what a death at t_g is not exposed to
    share_mean = np.stack([per_time(f * h * a[j]) for j in range(p)])
    mean_a = np.stack([per_time(a[j]) for j in range(p)]) / np.maximum(counts, 1)

    def over_risk_set(per_g: FloatArray) -> FloatArray:
        cum = np.concatenate(([0.0], np.cumsum(per_g)))
        total = cum[design.last]
        return total if design.first is None else total - cum[design.first]

    cum_h = over_risk_set(hazard)
    residuals = np.empty((n, p))
    rows, own = design.event_rows, g
    for j in range(p):
        residuals[:, j] = -risk * (xt[j] * cum_h - over_risk_set(hazard_mean[j]))
        correction = risk[rows] * (xt[j, rows] * share[own] - share_mean[j, own])
        residuals[rows, j] += xt[j, rows] - mean_a[j, own] + correction
    return residuals
