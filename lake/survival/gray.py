"""Gray's K-sample test for equality of cumulative incidence functions (port of cmprsk crstm).

Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk.
*Ann Stat* 1988;16(3):1141–1154. Faithful, vectorised port of ``crst``/``crstm`` in cmprsk
2.2-11 (Fortran, R. Gray): per group the score

    s_g = Σ_t (1 − F(t−))^ρ [d_{1g} − d_1 R_g / Σ_r R_r],   R_g = n_g (1 − F_g(t−)) / Ŝ_g(t−)

and its variance from the martingale representation (Gray 1988 §3), summed over strata. The
statistic sᵀ V⁻¹ s on the first K − 1 groups is χ² with K − 1 df; R reports −1 when V is
singular, here ``None`` with a reason. Loops over event times are replaced by cumulative sums
over (time × group × group) arrays.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from lake.survival._typing import FloatArray, IntArray
from lake.survival.results import StatisticalResult


def _stratum(
    time: FloatArray, status: IntArray, group: IntArray, ng: int, rho: float
) -> tuple[FloatArray, FloatArray]:
    times, inverse = np.unique(time, return_inverse=True)
    cell = inverse * ng + group
    size = times.size * ng
    shape = (times.size, ng)
    leaving = np.bincount(cell, minlength=size).reshape(shape).astype(np.float64)
    d1 = np.bincount(cell, weights=(status == 1), minlength=size).reshape(shape)
    d2 = np.bincount(cell, weights=(status == 2), minlength=size).reshape(shape)
    rs = np.cumsum(leaving[::-1], axis=0)[::-1]
    keep = (d1 + d2).sum(axis=1) > 0
    rs, d1, d2 = rs[keep], d1[keep], d2[keep]
    nd1 = d1.sum(axis=1)
    live = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        skm = np.cumprod(np.where(live, (rs - d1 - d2) / rs, 1.0), axis=0)
        skmm = np.vstack((np.ones(ng), skm[:-1]))
        f1 = np.cumsum(np.where(live, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack((np.zeros(ng), f1[:-1]))
        t1 = np.where(live, rs / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(live, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.concatenate(([0.0], f[:-1]))
        fb = (1.0 - fm) ** rho
        a = fb[:, None, None] * (
            np.einsum("ti,ij->tij", t1, np.eye(ng))
            - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
        )
        step = np.where(nd1 > 0, nd1 / (tr * (1.0 - fm)), 0.0)
        c = np.cumsum(a * step[:, None, None], axis=0)
        score = np.where(
            live, fb[:, None] * (d1 - nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None])), 0.0
        ).sum(axis=0)
        # cause-1 events
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(live & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        b = a - t4[:, None, :] * c
        v3 = (t4**2 * t3).sum(axis=0)
        v2 = np.einsum("tik,tk->ik", b, t4 * t3)
        v = np.einsum("tik,tjk,tk->ij", b, b, t3)
        # competing-cause events
        other = (skm > 0) & (d2 > 0)
        u4 = np.where(other, (1.0 - f[:, None]) / skm, 0.0)
        u5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        u3 = np.where(other, u5 * skmm**2 * d2 / rs**2, 0.0)
        bc = u4[:, None, :] * c
        v3 += (u4**2 * u3).sum(axis=0)
        v2 -= np.einsum("tik,tk->ik", bc, u4 * u3)
        v += np.einsum("tik,tjk,tk->ij", bc, bc, u3)
    c_end = c[-1]
    v += np.einsum("ik,jk,k->ij", c_end, c_end, v3) + c_end @ v2.T + (c_end @ v2.T).T
    return score[: ng - 1], v[: ng - 1, : ng - 1]


def gray_test(
    time: FloatArray,
    status: IntArray,
    group: IntArray,
    stratum: IntArray,
    *,
    rho: float,
    groups: tuple[str, ...],
) -> StatisticalResult:
    """Gray's test; ``status`` 0 censored, 1 cause of interest, 2 other cause; codes 0..K−1."""
    ng = len(groups)
    score = np.zeros(ng - 1)
    var = np.zeros((ng - 1, ng - 1))
    for s in np.unique(stratum):
        rows = stratum == s
        order = np.argsort(time[rows], kind="stable")
        sc, v = _stratum(time[rows][order], status[rows][order], group[rows][order], ng, rho)
        score += sc
        var += v
    name = "Gray" if rho == 0 else f"Gray (rho={rho:g})"
    if np.linalg.matrix_rank(var) < ng - 1:
        return StatisticalResult(
            name,
            None,
            ng - 1,
            None,
            groups,
            reason="singular variance: Gray's test is not computable for these groups",
        )
    statistic = float(score @ np.linalg.solve(var, score))
    return StatisticalResult(name, statistic, ng - 1, float(chi2.sf(statistic, ng - 1)), groups)
