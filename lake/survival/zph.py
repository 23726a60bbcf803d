"""Test of proportional hazards from Schoenfeld residuals, as R ``cox.zph`` (survival >= 3).

For each covariate j the model is extended with x_j·g(t) and the score test of "coefficient of
x_j·g(t) = 0" is computed at the fitted β̂ (Grambsch & Therneau, *Biometrika* 1994;81:515–526;
the survival 3.x implementation). With g centred on the event times, h_g = g(t_g) and the
per-event-time score U_g and information I_g of the fitted model (Efron or Breslow as fitted):

    u = (0, Σ_g h_g U_g),   I = [[Σ I_g, Σ h_g I_g], [Σ h_g I_g, Σ h_g² I_g]]

so U_g summed with weights h_g is the h-weighted sum of Schoenfeld residuals. Per term T (a
set of columns, R's ``assign``: a factor's indicators together): χ² = uₖᵀ I_kk⁻¹ uₖ on the
rows/columns k = (all β, x_j·g for j in T), |T| df (R ``cox.zph(terms = TRUE)``); one term per
column is R's ``terms = FALSE``; global: all 2p, p df.

``transform``: ``"km"`` (default) g(t) = 1 − Ŝ(t−) of the pooled Kaplan–Meier (with delayed
entry if fitted so), ``"identity"`` t, ``"rank"`` the average rank of t among all rows,
``"log"`` log t; then centred on the mean over event rows.

lifelines 0.30 ``statistics.proportional_hazard_test`` implements the older approximation of
survival 2.x (regression of scaled Schoenfeld residuals with the variance of β̂ standing in
for the per-time information), so it does not reproduce survival 3.x, and gives no GLOBAL test.
Measured on the golden ``mm_os`` Efron fit (3,000 rows, ISS2, ISS3, age/10, sex;
``time_transform="km"``): lifelines χ² 0.678, 0.232, 0.0111, 2.146 against R's 0.470,
1.2e-5, 0.00968, 2.140 (this module: within 3e-11 relative of R), i.e. +44 %, ~10⁴×, +14 % and
+0.3 %; 121 ms against 3.3 ms here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, rankdata

from lake.errors import AnalysisError
from lake.survival._cox_likelihood import stratum_terms
from lake.survival._risksets import risk_table
from lake.survival._typing import FloatArray, ZphTransform
from lake.survival.cox import CoxPHFitter
from lake.survival.results import StatisticalResult


@dataclass(frozen=True, slots=True)
class ProportionalHazardsTest:
    """Per-covariate and global score tests of proportional hazards."""

    transform: ZphTransform
    #: one test per term (per column unless terms were given), in model order
    covariates: dict[str, StatisticalResult]
    global_test: StatisticalResult


def _time_transform(fit: CoxPHFitter, transform: ZphTransform) -> tuple[FloatArray, FloatArray]:
    """g at every row's stop time, and the centring constant (mean over event rows)."""
    data = fit.data_
    times = data.stop
    if transform == "identity":
        values = times
    elif transform == "log":
        values = np.log(times)
    elif transform == "rank":
        values = rankdata(times).astype(np.float64)
    else:
        table = risk_table(data)
        surv = np.cumprod(1.0 - table.n_event / table.n_risk)
        before = np.searchsorted(table.time, times, side="left")
        values = 1.0 - np.concatenate(([1.0], surv))[before]
    return times, values - values[data.event].mean()


def proportional_hazards_test(
    fit: CoxPHFitter,
    *,
    transform: ZphTransform = "km",
    terms: Sequence[tuple[str, Sequence[int]]] | None = None,
) -> ProportionalHazardsTest:
    """R ``cox.zph(fit, transform=transform)``: per term and GLOBAL χ², df and p.

    ``terms`` names groups of column positions (each column once); ``None``: one per column.
    """
    times, g_all = _time_transform(fit, transform)
    lookup_times, idx = np.unique(times, return_index=True)
    g_at = g_all[idx]
    p = fit.params_.size
    score2 = np.zeros(p)
    i11, i12, i22 = np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p))
    for design in fit.designs_:
        h = g_at[np.searchsorted(lookup_times, design.event_times)]
        i11 += stratum_terms(design, fit.params_)[2]
        _, u, i = stratum_terms(design, fit.params_, h)
        score2 += u
        i12 += i
        i22 += stratum_terms(design, fit.params_, h * h)[2]
    info = np.block([[i11, i12], [i12.T, i22]])
    u = np.concatenate((np.zeros(p), score2))
    groups = terms if terms is not None else [(n, (j,)) for j, n in enumerate(fit.names_)]
    if sorted(j for _, cols in groups for j in cols) != list(range(p)):
        raise ValueError(f"terms must cover the {p} columns once each, got {groups}")
    covariates = {}
    for name, columns in groups:
        kk = [*range(p), *(p + j for j in columns)]
        covariates[name] = _score_test(name, u[kk], info[np.ix_(kk, kk)], len(columns))
    return ProportionalHazardsTest(transform, covariates, _score_test("GLOBAL", u, info, p))


def _score_test(name: str, u: FloatArray, info: FloatArray, df: int) -> StatisticalResult:
    try:
        statistic = float(u @ np.linalg.solve(info, u))
    except np.linalg.LinAlgError:
        raise AnalysisError(f"cox.zph for {name}: singular information matrix") from None
    return StatisticalResult(f"PH test {name}", statistic, df, float(chi2.sf(statistic, df)))
