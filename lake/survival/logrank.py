"""K-sample log-rank and Fleming–Harrington G(ρ, γ) tests, stratified, and the test for trend.

Hypotheses: H0: S_1(t) = … = S_K(t) for all t (within each stratum) against any difference
(omnibus) or an ordered shift (trend).

Per distinct event time t within a stratum, with n_g at risk and d_g events in group g,
n = Σ n_g, d = Σ d_g and weight w(t) = Ŝ(t−)^ρ (1 − Ŝ(t−))^γ (Ŝ the stratum's pooled
Kaplan–Meier just before t; ρ = γ = 0 is the log-rank, ρ = 1, γ = 0 Peto–Peto's modified
Wilcoxon, R ``survdiff(rho = 1)``; γ > 0 weighs late differences; Fleming TR, Harrington DP.
*Counting Processes and Survival Analysis*, Wiley 1991, §7.3):

    O_g = Σ_t w d_g,   E_g = Σ_t w d n_g / n
    V_gh = Σ_t w² d (n − d)/(n − 1) · (n_g/n) (δ_gh − n_h/n)        (hypergeometric)

O, E and V are summed over strata (``strata(s)`` in ``survdiff``). R's ``survdiff`` has ρ only;
G(ρ, γ) is checked against ``survMisc::comp`` (p = ρ, q = γ), whose (1, 0) equals
``survdiff(rho = 1)`` (golden ``km_options.json``); with strata and γ > 0 the per-stratum
weights follow ``survdiff``'s rule for ρ (no R package computes that case for comparison). The
omnibus statistic is χ² = (O − E)ᵀ V⁻ (O − E) on the groups with E > 0, first group dropped
(R ``survdiff``), with (#groups with E > 0) − 1 df. The log-rank equals the Cox score test
with Breslow ties.

Test for trend (Collett 2015 §2.6; Peto R, Pike MC et al. *Br J Cancer* 1977;35:1–39): with
scores s_g for the ordered groups (default 1, 2, …, K), U = Σ_g s_g (O_g − E_g),
Var U = sᵀ V s and χ² = U² / Var U on 1 df; this is the weighted score test that R
``survMisc::comp`` reports as the trend test.

lifelines has no stratified log-rank and no trend test (05-survival-statistics.md §5.8). Its
``multivariate_logrank_test`` agrees with R where it applies: measured on the golden ``mm_os``
cohort (3,000 rows, ISS I/II/III; best of 5) χ² 219.98009378352 against R's 219.980093783521
(2e-14 relative; this module 4e-15), in 20 ms against 0.4 ms here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival._input import survival_arrays
from lake.survival._risksets import GroupedCounts
from lake.survival._tabulate import crosstab, whole_span
from lake.survival._typing import FloatArray, IntArray
from lake.survival.results import StatisticalResult


@dataclass(frozen=True, slots=True)
class _Scores:
    groups: tuple[str, ...]
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray


def _column(values: npt.ArrayLike, *, name: str, n: int) -> npt.NDArray[np.generic]:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise AnalysisError(f"{name} has shape {arr.shape} but there are {n} durations")
    return arr


def _labels(levels: npt.NDArray[np.generic]) -> tuple[str, ...]:
    """Group labels as before counting: whole numbers without a decimal point ("1", not "1.0")."""
    if levels.dtype.kind == "f" and np.array_equal(levels, np.floor(levels)):
        return tuple(str(int(v)) for v in levels.tolist())
    return tuple(str(v) for v in levels.tolist())


def _stratum_scores(
    leaving: IntArray, deaths: IntArray, rho: float, gamma: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """O, E and V of one stratum from its (group × time) counts of exits and events.

    Groups are rows so every reduction runs along contiguous time rows (a sum over a short
    last axis is several times slower in NumPy).
    """
    return _risk_set_scores(np.cumsum(leaving[:, ::-1], axis=1)[:, ::-1], deaths, rho, gamma)


def _risk_set_scores(
    at_risk: npt.NDArray[np.integer] | FloatArray,
    deaths: npt.NDArray[np.integer],
    rho: float,
    gamma: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """O, E and V of one stratum from its (group × time) numbers at risk and events."""
    d_all = deaths.sum(axis=0)
    kept = np.flatnonzero(d_all)  # times without events (or empty slots) add nothing
    n = at_risk.sum(axis=0)[kept].astype(np.float64)
    d = d_all[kept].astype(np.float64)
    if rho == 0.0 and gamma == 0.0:
        weight = np.ones(kept.size)
    else:  # pooled Kaplan–Meier just before each event time: S^rho (1 - S)^gamma
        # S just before each event time (empty without events, where a leading 1 would not be)
        before = np.cumprod(np.concatenate(([1.0], 1.0 - d / n)))[:-1]
        weight = before**rho * (1.0 - before) ** gamma
    share = at_risk[:, kept] / n
    observed = deaths[:, kept].astype(np.float64) @ weight
    expected = share @ (weight * d)
    with np.errstate(divide="ignore", invalid="ignore"):
        hyper = np.where(n > 1, weight**2 * d * (n - d) / (n - 1), 0.0)
    weighted = share * hyper
    variance = np.diag(weighted.sum(axis=1)) - weighted @ share.T
    return observed, expected, variance


def _scores(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    groups: npt.ArrayLike,
    strata: npt.ArrayLike | None,
    *,
    rho: float,
    gamma: float,
) -> _Scores:
    """O, E, V summed over strata from one count over the (stratum, time, group, event) cells."""
    data = survival_arrays(durations, events)
    # cells (stratum, group, event, time): time last, so each group's counts are contiguous
    columns = [_column(groups, name="groups", n=data.n), data.event, data.stop]
    spans = [None, (0, 2), whole_span(*data.stop_range)]
    if strata is not None:
        columns.insert(0, _column(strata, name="strata", n=data.n))
        spans.insert(0, None)
    table = crosstab(columns, spans=spans)
    counts = table.counts if strata is not None else table.counts[None]
    return _table_scores(counts, table.levels[-3], rho, gamma)


def _table_scores(
    counts: IntArray, levels: npt.NDArray[np.generic], rho: float, gamma: float
) -> _Scores:
    """O, E, V summed over strata of the (stratum, group, event, time) ``counts``; ``levels``
    are the group values of the group axis."""
    present = np.flatnonzero(counts.sum(axis=(0, 2, 3)))
    labels = _labels(levels[present])
    if len(labels) < 2:
        raise EmptyCohortError(
            f"a group comparison needs at least two non-empty groups; only {labels} present"
        )
    k = len(labels)
    observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for stratum in counts[:, present]:  # (group, censored/event, time)
        o, e, v = _stratum_scores(stratum[:, 0] + stratum[:, 1], stratum[:, 1], rho, gamma)
        observed += o
        expected += e
        variance += v
    return _Scores(labels, observed, expected, variance)


def test_name(rho: float, gamma: float) -> str:
    """The name of the G(ρ, γ) test: log-rank, Peto-Peto, G-rho or Fleming-Harrington."""
    if gamma == 0.0:
        return {0.0: "log-rank", 1.0: "Peto-Peto (rho=1)"}.get(rho, f"G-rho (rho={rho:g})")
    return f"Fleming-Harrington (rho={rho:g}, gamma={gamma:g})"


def _check_weights(rho: float, gamma: float) -> None:
    if not (0.0 <= rho <= 10.0 and 0.0 <= gamma <= 10.0):
        raise AnalysisError(
            f"Fleming-Harrington weights need 0 <= rho, gamma <= 10 (got rho={rho}, gamma={gamma})"
        )


def _entry_scores(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    entry: npt.ArrayLike,
    strata: npt.ArrayLike | None,
    rho: float,
    gamma: float,
) -> _Scores:
    """O, E, V with delayed entry: group g's risk set at t is #{entry < t <= stop}.

    At each event time n_g(t) = #(stop_g >= t) - #(entry_g >= t) (every entry precedes its
    stop), from sorted arrays; the stratum sums are those of :func:`_scores`.
    """
    data = survival_arrays(durations, events, entry=entry)
    start = data.entry if data.entry is not None else np.zeros(data.n)
    levels, group = np.unique(_column(groups, name="groups", n=data.n), return_inverse=True)
    labels = _labels(levels)
    if len(labels) < 2:
        raise EmptyCohortError(
            f"a group comparison needs at least two non-empty groups; only {labels} present"
        )
    stratum = (
        np.zeros(data.n, dtype=np.int64)
        if strata is None
        else np.unique(_column(strata, name="strata", n=data.n), return_inverse=True)[1]
    )
    k = len(labels)
    observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for s in np.unique(stratum):
        rows = stratum == s
        times = np.unique(data.stop[rows & data.event])
        if times.size == 0:
            continue
        at_risk = np.zeros((k, times.size), dtype=np.int64)
        deaths = np.zeros((k, times.size), dtype=np.int64)
        for g in range(k):
            mine = rows & (group == g)
            stops, starts = np.sort(data.stop[mine]), np.sort(start[mine])
            at_risk[g] = np.searchsorted(starts, times) - np.searchsorted(stops, times)
            died = np.searchsorted(times, data.stop[mine & data.event])
            deaths[g] = np.bincount(died, minlength=times.size)
        o, e, v = _risk_set_scores(at_risk, deaths, rho, gamma)
        observed += o
        expected += e
        variance += v
    return _Scores(labels, observed, expected, variance)


def _weighted_scores(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    strata: npt.ArrayLike | None,
    rho: float,
    gamma: float,
    entry: npt.ArrayLike | None,
) -> _Scores:
    """O, E, V of the G(ρ, γ) test, from counts, or from (entry, stop] risk sets with entry."""
    _check_weights(rho, gamma)
    if entry is None:
        return _scores(durations, events, groups, strata, rho=rho, gamma=gamma)
    return _entry_scores(
        durations, events, groups, entry=entry, strata=strata, rho=rho, gamma=gamma
    )


def _result(
    name: str, scores: _Scores, statistic: float | None, df: int, reason: str | None
) -> StatisticalResult:
    p_value = None if statistic is None else float(chdtrc(df, statistic))
    return StatisticalResult(
        test_name=name,
        statistic=statistic,
        df=df,
        p_value=p_value,
        groups=scores.groups,
        observed=tuple(scores.observed.tolist()),
        expected=tuple(scores.expected.tolist()),
        reason=reason,
    )


def logrank_test(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    strata: npt.ArrayLike | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    entry: npt.ArrayLike | None = None,
) -> StatisticalResult:
    """Omnibus K-sample G(ρ, γ) test, R ``survdiff(Surv(t, e) ~ g + strata(s), rho=rho)``
    (γ = 0) or ``survMisc::comp(p = rho, q = gamma)``.

    ``observed`` and ``expected`` are the (weighted, unless ρ = γ = 0) O and E summed over
    strata, as ``survdiff``'s ``obs`` and ``exp``. With ``entry`` (delayed entry) the risk sets
    are (entry, stop]; ``survdiff`` refuses such data, and the log-rank (ρ = 0) equals R's score
    test ``coxph(Surv(entry, t, e) ~ factor(g) + strata(s), ties = "exact")$score`` (which
    equals ``survdiff`` without entry). Returns ``statistic=None`` with a reason when there is
    no event or no variance.
    """
    scores = _weighted_scores(
        durations, events, groups, strata=strata, rho=rho, gamma=gamma, entry=entry
    )
    return _omnibus(test_name(rho, gamma), scores)


def logrank_counts(
    counted: GroupedCounts, *, rho: float = 0.0, gamma: float = 0.0
) -> StatisticalResult:
    """:func:`logrank_test` of ``counted`` (:func:`~lake.survival._risksets.grouped_counts`,
    groups labelled by their codes), read from the counts the Kaplan-Meier curves of
    :meth:`~lake.survival.KaplanMeierFitter.fit_groups` come from: one count for both. No
    strata, no delayed entry."""
    _check_weights(rho, gamma)
    levels = np.arange(counted.counts.shape[0])
    return _omnibus(test_name(rho, gamma), _table_scores(counted.counts[None], levels, rho, gamma))


def _omnibus(name: str, scores: _Scores) -> StatisticalResult:
    """χ² = (O − E)ᵀ V⁻ (O − E) on the groups with E > 0, the first dropped (R survdiff)."""
    used = np.flatnonzero(scores.expected > 0)
    df = used.size - 1
    if df < 1:
        return _result(name, scores, None, max(df, 0), "no events in at least two groups")
    diff = (scores.observed - scores.expected)[used][1:]
    var = scores.variance[np.ix_(used, used)][1:, 1:]
    try:
        statistic = float(diff @ np.linalg.solve(var, diff))
    except np.linalg.LinAlgError:
        return _result(name, scores, None, df, "singular variance: groups not separable")
    return _result(name, scores, statistic, df, None)


def trend_test(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    scores: npt.ArrayLike | None = None,
    strata: npt.ArrayLike | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    entry: npt.ArrayLike | None = None,
) -> StatisticalResult:
    """Test for trend across ordered groups: χ² = (Σ s_g (O_g − E_g))² / sᵀ V s on 1 df.

    Groups are ordered by their sorted labels; ``scores`` (default 1..K) follow that order.
    With ``entry`` the risk sets are (entry, stop], as in :func:`logrank_test`.
    """
    result = _weighted_scores(
        durations, events, groups, strata=strata, rho=rho, gamma=gamma, entry=entry
    )
    k = len(result.groups)
    s = np.arange(1.0, k + 1.0) if scores is None else np.asarray(scores, dtype=np.float64)
    if s.shape != (k,):
        raise AnalysisError(f"scores needs one value per group ({k}: {result.groups})")
    u = float(s @ (result.observed - result.expected))
    var = float(s @ result.variance @ s)
    if var <= 0:
        return _result("log-rank trend", result, None, 1, "zero variance: no informative events")
    return _result("log-rank trend", result, u * u / var, 1, None)
