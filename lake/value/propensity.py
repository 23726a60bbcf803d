"""Propensity-score weights that balance a control group on an experimental one, with balance
diagnostics.

Model: logit P(experimental | x) = α + xᵀγ, fitted by maximum likelihood (statsmodels ``Logit``,
Newton–Raphson: R ``glm(arm ~ x, family = binomial)``). Weights target the average effect in the
experimental group (ATT; Austin PC, Stuart EA. *Stat Med* 2015;34:3661–3679): an experimental
patient weighs 1, a control patient e/(1 − e) with e the fitted score, so the weighted controls
resemble the experimental patients on x.

Balance: the standardised mean difference of each covariate, d = (x̄_exp − x̄_ctl) /
sqrt((s²_exp + s²_ctl) / 2), before weighting and after (weighted means), with the pooled
standard deviation of the unweighted groups in both, so that only the means move (the default
of R ``cobalt::bal.tab``; Austin & Stuart 2015 call |d| < 0.1 negligible imbalance). The Kish
effective size of the weighted controls, (Σw)² / Σw², says how much information is left.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from lake.errors import AnalysisError
from lake.survival._typing import BoolArray, FloatArray


@dataclass(frozen=True, slots=True)
class CovariateBalance:
    """The standardised mean difference of one covariate before and after weighting."""

    covariate: str
    smd_before: float
    smd_after: float


@dataclass(frozen=True, slots=True)
class PropensityWeights:
    """ATT weights (one per patient), the fitted scores and the balance they achieve."""

    weights: FloatArray
    scores: FloatArray
    balance: tuple[CovariateBalance, ...]
    effective_control_size: float


def att_weights(
    experimental: BoolArray, x: FloatArray, names: tuple[str, ...]
) -> PropensityWeights:
    """Fit the propensity model of ``experimental`` on the columns of ``x`` and weigh.

    Raises
    ------
    AnalysisError
        A group without patients, a covariate without variation, or a model that separates the
        groups perfectly (no overlap: no weighting can balance them).
    """
    treated = experimental.astype(bool)
    if treated.all() or not treated.any():
        raise AnalysisError("propensity weighting needs patients in both groups")
    if x.shape[1] == 0:
        raise AnalysisError("give at least one covariate to balance the groups on (balanceOn)")
    constant = [n for n, column in zip(names, x.T, strict=True) if np.ptp(column) == 0]
    if constant:
        raise AnalysisError(f"covariate(s) {constant} do not vary: drop them from balanceOn")
    design = sm.add_constant(x, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = sm.Logit(treated.astype(float), design).fit(method="newton", disp=0, maxiter=100)
        except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError) as error:
            raise AnalysisError(
                "the propensity model does not converge: the covariates separate the groups "
                f"(no overlap) or are collinear ({type(error).__name__}); balance on fewer "
                "covariates or compare more similar cohorts"
            ) from None
    scores = np.asarray(fit.predict(design), dtype=np.float64)
    weights = np.where(treated, 1.0, scores / (1.0 - scores))
    control = weights[~treated]
    return PropensityWeights(
        weights=weights,
        scores=scores,
        balance=tuple(
            CovariateBalance(name, smd(column, treated, None), smd(column, treated, weights))
            for name, column in zip(names, x.T, strict=True)
        ),
        effective_control_size=float(control.sum() ** 2 / (control**2).sum()),
    )


def smd(values: FloatArray, treated: BoolArray, weights: FloatArray | None) -> float:
    """Standardised mean difference (experimental − control) of ``values``, weighted means when
    ``weights`` are given, over the unweighted pooled standard deviation (module docstring)."""
    exp, ctl = values[treated], values[~treated]
    pooled = float(np.sqrt((exp.var(ddof=1) + ctl.var(ddof=1)) / 2.0))
    if weights is None:
        difference = exp.mean() - ctl.mean()
    else:
        difference = np.average(exp, weights=weights[treated]) - np.average(
            ctl, weights=weights[~treated]
        )
    return float(difference / pooled) if pooled > 0 else 0.0
