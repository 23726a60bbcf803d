"""Fine–Gray proportional subdistribution hazards regression, a port of ``cmprsk::crr``.

Model (Fine JP, Gray RJ. *JASA* 1999;94:496–509): the subdistribution hazard of cause 1,
λ₁(t | x) = λ₁₀(t) exp(xᵀβ), estimated from the partial likelihood whose risk set at a cause-1
time t keeps, besides everyone still event-free (weight 1), the subjects who failed from another
cause at s < t with inverse-probability-of-censoring weight Ĝ(t−)/Ĝ(s−), Ĝ the Kaplan–Meier of
the censoring distribution (Breslow tie handling, as crr):

    ℓ(β) = Σ_{cause-1 rows} xᵢᵀβ − Σ_k d_k log S0_k,   S0_k = Σ_i w_i(t_k) e^{xᵢᵀβ}

Fitting replicates crr's path exactly (Newton from β = 0, Armijo step halving, stop when
max|U|·max(|β|, 1) < max(|ℓ|, 1)·gtol with gtol = 1e-6, at most 10 iterations) so the
returned β equals crr's, not only the exact maximiser. Variance: crr's sandwich
I⁻¹ (Σᵢ (ηᵢ + ψᵢ)(ηᵢ + ψᵢ)ᵀ) I⁻¹ with ηᵢ the score residual and ψᵢ the correction for the
estimated censoring distribution (``crrvv``), vectorised: the double sums over failure and
competing rows factorise into cumulative sums because Ĝ(t_k−)/Ĝ(s−) separates.

Reported as ``summary(crr)``: per covariate the subdistribution hazard ratio exp(β), se, z,
p = 2Φ(−|z|) and the Wald interval exp(β ± z₁₋α/₂·se) (``coefficients_``); the pseudo
likelihood-ratio test −2(ℓ(0) − ℓ(β̂)) on p df (summary's ``logtest``); and the Wald test
β̂ᵀ V⁻¹ β̂ with the sandwich V (not printed by summary.crr; R:
``t(fit$coef) %*% solve(fit$var) %*% fit$coef``).

Input is checked before fitting (an :class:`~lake.errors.AnalysisError` says what to fix):
missing values anywhere, negative times, a covariate with one value for every patient (its
coefficient is not identifiable; a single patient is the extreme case), collinear covariates
(singular information) and, after fitting, a robust variance of 0 (no information on an effect,
where crr reports z = NaN). crr instead drops rows with missing values and stops in
the Fortran solver on a singular matrix.

lifelines 0.30 has no Fine–Gray (subdistribution hazards) model; its nearest tools are
cause-specific Cox models (``CoxPHFitter`` with the competing event censored), which estimate a
different quantity, the cause-specific hazard ratio.

Not ported: ``cov2``/``tf`` time-varying effects and ``cengroup`` (one censoring distribution).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival._input import SurvivalWarning, as_float_array
from lake.survival._typing import FloatArray
from lake.survival.cox import CoxCoefficient, chi2_result, solve_information, wald_coefficients
from lake.survival.results import StatisticalResult

GTOL = 1e-6
MAX_ITERATIONS = 10


@dataclass(frozen=True, slots=True)
class _Data:
    time: FloatArray
    code: npt.NDArray[np.int64]  # 1 cause of interest, 2 other cause, 0 censored
    x: FloatArray
    g_minus: FloatArray  # Ĝ(t_i−) per row
    fail_times: FloatArray  # distinct cause-1 times
    fail_counts: FloatArray


def _censoring_km_left(time: FloatArray, censored: npt.NDArray[np.bool_]) -> FloatArray:
    times, inverse, counts = np.unique(time, return_inverse=True, return_counts=True)
    d = np.bincount(inverse, weights=censored.astype(np.float64), minlength=times.size)
    at_risk = time.size - np.concatenate(([0], np.cumsum(counts)[:-1]))
    surv = np.cumprod(1.0 - d / at_risk)
    before = np.searchsorted(times, time, side="left")
    return np.asarray(np.concatenate(([1.0], surv))[before], dtype=np.float64)


def _design(covariates: npt.ArrayLike, n: int, names: Sequence[str] | None) -> FloatArray:
    """The (n, p) covariate matrix, checked: finite, not constant, named once per column."""
    x = np.asarray(covariates, dtype=np.float64)
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] != n:
        raise AnalysisError(f"covariates must be one row per patient ({n}), got shape {x.shape}")
    if x.shape[1] == 0:
        raise AnalysisError("no covariate columns: a Fine-Gray model needs at least one")
    if names is not None and len(names) != x.shape[1]:
        raise AnalysisError(f"{len(names)} covariate names for {x.shape[1]} columns")
    labels = list(names) if names is not None else [f"x{j + 1}" for j in range(x.shape[1])]
    for j, label in enumerate(labels):
        column = as_float_array(x[:, j], name=f"covariate {label}")
        if n > 0 and column.min() == column.max():
            raise AnalysisError(
                f"covariate {label} has the same value for every patient, so its effect is "
                "not estimable; drop it (or add patients)"
            )
    return x


class FineGrayFitter:
    """``crr(ftime, fstatus, cov1, failcode=1, cencode=0)`` and ``summary(crr)``; ``fit``
    returns self, fitted attributes end in ``_``.

    Parameters
    ----------
    alpha
        1 − level of the Wald confidence intervals of the subdistribution hazard ratios.
    """

    names_: tuple[str, ...]
    params_: FloatArray
    variance_matrix_: FloatArray
    standard_errors_: FloatArray
    log_likelihood_: float
    log_likelihood_null_: float
    coefficients_: tuple[CoxCoefficient, ...]
    wald_test_: StatisticalResult
    likelihood_ratio_test_: StatisticalResult
    n_: int
    n_events_: int
    converged_: bool

    def __init__(self, *, alpha: float = 0.05) -> None:
        if not 0.0 < alpha < 1.0:
            raise AnalysisError(f"alpha must lie in (0, 1), got {alpha}")
        self.alpha = alpha

    def fit(
        self,
        durations: npt.ArrayLike,
        causes: npt.ArrayLike,
        covariates: npt.ArrayLike,
        *,
        fail_code: int = 1,
        censor_code: int = 0,
        names: Sequence[str] | None = None,
    ) -> Self:
        """Fit the subdistribution hazard of ``fail_code``; ``covariates`` is (n, p).

        ``coefficients_`` hold the subdistribution hazard ratios (named by ``names``, default
        ``x1 … xp``).

        Raises
        ------
        EmptyCohortError
            No rows.
        AnalysisError
            Missing or infinite values, negative times, lengths that differ, no event of
            ``fail_code``, a constant covariate or collinear covariates.
        """
        time = as_float_array(durations, name="durations")
        if time.size == 0:
            raise EmptyCohortError("no patients to analyse: the Fine-Gray input has zero rows")
        if time.min() < 0:
            raise AnalysisError("durations must be >= 0; a negative time means the origin is wrong")
        status = as_float_array(causes, name="causes")
        if status.shape != time.shape:
            raise AnalysisError(f"causes has {status.size} rows but durations {time.size}")
        x = _design(covariates, time.size, names)
        order = np.argsort(time, kind="stable")
        time, status, x = time[order], status[order], x[order]
        censored = status == censor_code
        code = np.where(status == fail_code, 1, np.where(censored, 0, 2)).astype(np.int64)
        if not (code == 1).any():
            raise AnalysisError(f"no event of cause {fail_code}: Fine-Gray model not estimable")
        fail_times, fail_counts = np.unique(time[code == 1], return_counts=True)
        data = _Data(
            time,
            code,
            x,
            _censoring_km_left(time, censored),
            fail_times,
            fail_counts.astype(np.float64),
        )
        beta = self._newton(data)
        self.names_ = (
            tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(x.shape[1]))
        )
        self.n_ = int(time.size)
        self.n_events_ = int((code == 1).sum())
        self.params_ = beta
        self.log_likelihood_ = -_objective(data, beta)[0]
        self.log_likelihood_null_ = -_objective(data, np.zeros_like(beta))[0]
        self.variance_matrix_ = _sandwich(data, beta)
        with np.errstate(invalid="ignore"):
            self.standard_errors_ = np.sqrt(np.diag(self.variance_matrix_))
        flat = [n for n, v in zip(self.names_, self.standard_errors_, strict=True) if not v > 0]
        if flat:
            raise AnalysisError(
                f"the robust variance of {', '.join(flat)} is 0 or undefined: the data carry "
                "no information on its effect (e.g. all cause-1 events at one time, taking "
                "the whole risk set); crr reports se 0 and z NaN. Add patients or drop it"
            )
        self.coefficients_ = wald_coefficients(self.names_, beta, self.standard_errors_, self.alpha)
        p = beta.size
        wald = float(beta @ solve_information(self.variance_matrix_, beta))
        self.wald_test_ = chi2_result("Wald", wald, p)
        self.likelihood_ratio_test_ = chi2_result(
            "pseudo likelihood ratio", 2.0 * (self.log_likelihood_ - self.log_likelihood_null_), p
        )
        return self

    def _newton(self, data: _Data) -> FloatArray:
        beta = np.zeros(data.x.shape[1])
        self.converged_ = False
        for iteration in range(MAX_ITERATIONS + 1):
            lik, score, info = _objective(data, beta, derivatives=True)
            if np.max(np.abs(score) * np.maximum(np.abs(beta), 1.0)) < max(abs(lik), 1.0) * GTOL:
                self.converged_ = True
                break
            if iteration == MAX_ITERATIONS:
                break
            step = -solve_information(info, score)
            candidate = beta + step
            halvings = 0
            while _objective(data, candidate)[0] > lik + 1e-4 * float(step @ score):
                halvings += 1
                step = step * 0.5
                candidate = beta + step
                if halvings > 20:
                    break
            if halvings > 20:
                break
            beta = candidate
        if not self.converged_:
            warnings.warn(
                "Fine-Gray fit did not converge (crr would report converged=FALSE)",
                SurvivalWarning,
                stacklevel=3,
            )
        return beta


def _risk_sums(data: _Data, w: FloatArray, values: FloatArray) -> FloatArray:
    """Σ over each cause-1 time's weighted risk set of w·values -> (K, k)."""
    start = np.searchsorted(data.time, data.fail_times, side="left")
    tail = np.cumsum((w[:, None] * values)[::-1], axis=0)[::-1]
    tail = np.vstack((tail, np.zeros((1, values.shape[1]))))
    other = (data.code == 2)[:, None] * (w / data.g_minus)[:, None] * values
    head = np.vstack((np.zeros((1, values.shape[1])), np.cumsum(other, axis=0)))
    g_fail = data.g_minus[start]
    return np.asarray(tail[start] + g_fail[:, None] * head[start], dtype=np.float64)


def _objective(
    data: _Data, beta: FloatArray, *, derivatives: bool = False
) -> tuple[float, FloatArray, FloatArray]:
    """crr's minimised objective −ℓ(β), its gradient and Hessian (crrf / crrfsv)."""
    eta = data.x @ beta
    w = np.exp(eta)
    p = beta.size
    sums = _risk_sums(data, w, np.column_stack((np.ones(data.time.size), data.x)))
    s0, s1 = sums[:, 0], sums[:, 1:]
    events = data.code == 1
    lik = float(-eta[events].sum() + (data.fail_counts * np.log(s0)).sum())
    if not derivatives:
        return lik, np.zeros(p), np.zeros((p, p))
    score = -data.x[events].sum(axis=0) + (data.fail_counts[:, None] * s1 / s0[:, None]).sum(0)
    xbar = s1 / s0[:, None]
    coef = _row_coefficients(data, data.fail_counts / s0, w)
    info = (data.x * coef[:, None]).T @ data.x - (data.fail_counts[:, None] * xbar).T @ xbar
    return lik, score, info


def _row_coefficients(data: _Data, per_time: FloatArray, w: FloatArray) -> FloatArray:
    """c_i = w_i [Σ_{t_k ≤ t_i} a_k + 1{other}_i/Ĝ_i Σ_{t_k > t_i} Ĝ_k a_k]."""
    start = np.searchsorted(data.time, data.fail_times, side="left")
    g_fail = data.g_minus[start]
    upto = np.searchsorted(data.fail_times, data.time, side="right")
    cum = np.concatenate(([0.0], np.cumsum(per_time)))
    cum_g = np.concatenate(([0.0], np.cumsum(per_time * g_fail)))
    later = (cum_g[-1] - cum_g[upto]) * (data.code == 2) / data.g_minus
    return np.asarray(w * (cum[upto] + later), dtype=np.float64)


def _sandwich(data: _Data, beta: FloatArray) -> FloatArray:
    """crr's robust variance I⁻¹ (Σ (η + ψ)(η + ψ)ᵀ) I⁻¹ (``crrvv``)."""
    x = data.x
    w = np.exp(x @ beta)
    n, p = x.shape
    _, _, info = _objective(data, beta, derivatives=True)
    sums = _risk_sums(data, w, np.column_stack((np.ones(n), x)))
    s0, xbar = sums[:, 0], sums[:, 1:] / sums[:, :1]
    d = data.fail_counts
    start = np.searchsorted(data.time, data.fail_times, side="left")
    g_fail = data.g_minus[start]
    # eta_i: dN part minus the d-Lambda part over the times i is (weighted) at risk
    upto = np.searchsorted(data.fail_times, data.time, side="right")
    c0 = np.concatenate(([0.0], np.cumsum(d / s0)))
    c1 = np.vstack((np.zeros((1, p)), np.cumsum((d / s0)[:, None] * xbar, axis=0)))
    e0 = np.concatenate(([0.0], np.cumsum(d * g_fail / s0)))
    e1 = np.vstack((np.zeros((1, p)), np.cumsum((d * g_fail / s0)[:, None] * xbar, axis=0)))
    other = (data.code == 2).astype(np.float64) / data.g_minus
    at_risk0 = c0[upto] + other * (e0[-1] - e0[upto])
    at_risk1 = c1[upto] + other[:, None] * (e1[-1] - e1[upto])
    eta = -w[:, None] * (x * at_risk0[:, None] - at_risk1)
    events = data.code == 1
    fail_idx = np.searchsorted(data.fail_times, data.time[events])
    eta[events] += x[events] - xbar[fail_idx]
    # psi_i: correction for the estimated censoring distribution at censoring times <= t_i
    times, inverse, counts = np.unique(data.time, return_inverse=True, return_counts=True)
    n_risk = n - np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.float64)
    n_cens = np.bincount(inverse, weights=(data.code == 0), minlength=times.size)
    comp = (
        (data.code == 2)[:, None] * (w / data.g_minus)[:, None] * np.column_stack((np.ones(n), x))
    )
    comp_cum = np.vstack((np.zeros((1, p + 1)), np.cumsum(comp, axis=0)))
    before = np.searchsorted(data.time, times, side="left")
    a0, a1 = comp_cum[before, 0], comp_cum[before, 1:]
    b_terms = np.column_stack((d * g_fail / s0, (d * g_fail / s0)[:, None] * xbar))
    b_tail = np.vstack((np.cumsum(b_terms[::-1], axis=0)[::-1], np.zeros((1, p + 1))))
    from_fail = np.searchsorted(data.fail_times, times, side="left")
    b0, b1 = b_tail[from_fail, 0], b_tail[from_fail, 1:]
    q = a1 * b0[:, None] - a0[:, None] * b1
    drift = np.cumsum(-(n_cens / n_risk**2)[:, None] * q, axis=0)
    psi = drift[inverse] + ((data.code == 0) / n_risk[inverse])[:, None] * q[inverse]
    total = eta + psi
    inv = solve_information(info, np.eye(p))
    return np.asarray(inv @ (total.T @ total) @ inv.T, dtype=np.float64)
