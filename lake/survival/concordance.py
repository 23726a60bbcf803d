"""Harrell's C-index with R ``concordance()`` (survival >= 3) conventions and its standard error.

Comparable pairs (i, j): i has an event at t_i and j is still in follow-up after it:
t_j > t_i, or t_j = t_i with j censored (a censored time tied with an event counts as longer).
Two events at the same time are not comparable: ``tied_time`` pairs (R ``tied.y``) when their
risk scores differ, ``tied_both`` (R ``tied.xy``) when they are equal.
With counting-process rows (entry, stop] (delayed entry, time-varying covariates) j must also be
in the risk set at t_i, entry_j < t_i, as R's ``concordance()`` of a ``Surv(tstart, tstop,
event)`` fit: every row is a unit, so a patient split into several rows contributes each row
at the times it is at risk (no cluster grouping). A comparable pair is
concordant when the subject with the earlier event has the higher risk score (``reverse=TRUE``,
as R uses for a Cox linear predictor), discordant when lower, ``tied_risk`` when equal:

    C = (concordant + tied_risk / 2) / (concordant + discordant + tied_risk)

Standard error: the infinitesimal-jackknife variance R reports (``concordancefit``): with
per-subject counts I_i of the concordant, discordant and risk-tied pairs subject i belongs to
(either member), Somers' d = (C − D)/N and
dfbeta_i = (I_i,conc − I_i,disc)/N − d/N (I_i,conc + I_i,disc + I_i,tied); var(C) = Σ dfbeta²/4.
Strata: pairs only within a stratum, counts summed. ``timewt = "n"`` (R default) only.

Confidence interval: the Wald interval C ± z·se, clipped to [0, 1] (C is a proportion; R's
``concordance()`` reports the variance only, so the interval is a service convention).

Counting: a risk score with few distinct values (a staging system's linear predictor) is
counted over (risk level x censored x time) cells with cumulative sums, O(n + cells), no pair
loop and no per-subject arrays (``_grouped_counts``: 7 s -> 0.02 s at 1e6 rows, 3 stages); any
other score uses per-subject 2-D dominance counts (:mod:`lake.survival._dominance`; 4.5 s ->
2.0 s at 1e6 with a continuous score),
O(n log² n). Both give identical counts (tested against a brute-force pair loop).
Counting-process rows take the dominance path: the partners not yet at risk (entry_j ≥ t_i) are
counted by the same 2-D dominance structure over (entry, risk) and subtracted.

lifelines 0.30 ``utils.concordance_index`` gives the same C on right-censored data without
delayed entry (it counts a risk tie as 1/2 like R) but no standard error, no strata and no
counting-process rows; it also takes a *survival-like* score (higher = longer), so a Cox
linear predictor must be negated. Measured on the golden ``mm_os`` cohort (3,000 rows, linear
predictor of ISS + age + sex, best of 5): the same C to the last bit (0.6162891591286893, R
0.616289159128689), 25 ms for lifelines against 4.7 ms here with the standard error included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lake.errors import AnalysisError
from lake.survival._dominance import count_below, count_less
from lake.survival._input import as_float_array, survival_arrays
from lake.survival._tabulate import MAX_CELLS, crosstab, factorize, whole_span
from lake.survival._typing import FloatArray, IntArray
from lake.survival.confidence import z_value


@dataclass(frozen=True, slots=True)
class ConcordanceResult:
    """C-index with its IJ standard error, Wald CI and the pair counts."""

    c_index: float | None
    std_err: float | None
    lower: float | None
    upper: float | None
    concordant: int
    discordant: int
    tied_risk: int
    tied_time: int
    tied_both: int


def _grouped_counts(
    time: FloatArray, event: npt.NDArray[np.bool_], risk: FloatArray
) -> tuple[FloatArray, FloatArray, tuple[int, int]] | None:
    """(concordant, discordant, tied_risk) counts per (risk, censored, time) cell, the cell
    sizes and the tied-time pair counts (:func:`_tied_pairs`); None when that table would be
    too large.

    Every subject of a cell has the same counts, so the pair totals and the jackknife sum are
    sums over cells weighted by their size: O(n + cells) for risk scores with few distinct
    values (a staging system's Cox linear predictor takes one value per stage). With E[r, t]
    events and K[r, t] censorings of risk level r at time slot t:

    - an event at (r, t) is compared with A[·, t] = (rows at later times) + K[·, t]; its
      concordant partners are those of lower risk Σ_{r' < r} A[r', t], discordant of higher risk,
      tied of risk r;
    - a subject at (r, t) is the later member of pairs with the events B[·, t] = E[·, < t]
      (+ E[·, t] if it is censored); concordant with those of higher risk, and so on.
    """
    levels, risk_code = factorize(risk)
    span = whole_span(float(time.min()), float(time.max()))
    n_slots = time.size if span is None else min(span[1], time.size)
    if 2 * levels.size * n_slots > MAX_CELLS:
        return None
    table = crosstab([risk_code, ~event, time], spans=[(0, levels.size), (0, 2), span])
    cells = table.counts.astype(np.float64)  # (risk, event/censored, time)
    died, censored = cells[:, 0], cells[:, 1]
    total = died + censored
    later = total.sum(axis=1, keepdims=True) - np.cumsum(total, axis=1)
    partners = later + censored
    lower_risk = np.cumsum(partners, axis=0) - partners
    higher_risk = partners.sum(axis=0) - lower_risk - partners
    influence = np.zeros((*cells.shape, 3))
    influence[:, 0, :, 0] = lower_risk
    influence[:, 0, :, 1] = higher_risk
    influence[:, 0, :, 2] = partners
    before = np.cumsum(died, axis=1) - died
    for flag, earlier in enumerate(
        (before, before + died)
    ):  # the later member is an event, censored
        below = np.cumsum(earlier, axis=0) - earlier
        influence[:, flag, :, 0] += earlier.sum(axis=0) - below - earlier
        influence[:, flag, :, 1] += below
        influence[:, flag, :, 2] += earlier
    occupied = cells.ravel() > 0
    both = int((died * (died - 1) / 2).sum())
    per_time = died.sum(axis=0)
    tied_time = int((per_time * (per_time - 1) / 2).sum()) - both
    return influence.reshape(-1, 3)[occupied], cells.ravel()[occupied], (tied_time, both)


def _tied_pairs(time_rank: IntArray, risk_rank: IntArray) -> tuple[int, int]:
    """Pairs of events at the same time with different risk (R ``tied.y``) and equal risk
    (``tied.xy``), from the events' time and risk ranks."""

    def pairs(key: IntArray) -> int:
        counts = np.unique(key, return_counts=True)[1]
        return int((counts * (counts - 1) // 2).sum())

    both = pairs(time_rank * (int(risk_rank.max(initial=0)) + 1) + risk_rank)
    return pairs(time_rank) - both, both


def _subject_counts(
    time: FloatArray,
    event: npt.NDArray[np.bool_],
    risk: FloatArray,
    entry: FloatArray | None = None,
) -> tuple[FloatArray, tuple[int, int]]:
    """Per-subject (concordant, discordant, tied_risk) counts and the tied-time pair counts,
    for any risk score, by 2-D dominance counts (O(n log n · log T)).

    Rows are keyed by k = 2·(time rank) + censored, so "j is a comparable partner of event i"
    is k_j ≥ 2·rank_i + 1. The dominance structure is built over these keys (log2 2T levels,
    far fewer than log2 n for day-valued times), and each side needs one call: counts below
    risk r and below r + 1 (i.e. ≤ r) come from the same structure, the rest by subtraction.
    With ``entry``, the partners j not yet at risk at t_i (entry_j ≥ t_i, which implies
    t_j > t_i) are counted the same way over (entry, risk) and subtracted (:func:`_not_at_risk`).
    """
    levels, time_rank = factorize(time)
    rx = factorize(risk)[1]
    key = 2 * time_rank + (~event).astype(np.int64)
    ev = np.flatnonzero(event)
    rx_ev, start = rx[ev], 2 * time_rank[ev] + 1  # partners of event i have key >= start_i
    # event side: partners j of event i, split by risk lower / equal / higher than r_i
    before = count_less(key, rx, np.tile(start, 2), np.concatenate((rx_ev, rx_ev + 1)))
    lt_before, le_before = before[: ev.size], before[ev.size :]
    less = count_below(rx, rx_ev) - lt_before
    less_equal = count_below(rx, rx_ev + 1) - le_before
    n_partners = time.size - count_below(key, start)
    greater, tied = n_partners - less_equal, less_equal - less
    # partner side: events i that subject j is a partner of (start_i <= k_j), by their risk
    after = count_less(start, rx_ev, np.tile(key + 1, 2), np.concatenate((rx, rx + 1)))
    lower, lower_equal = after[: time.size], after[time.size :]
    n_events_before = count_below(start, key + 1)
    higher, equal = n_events_before - lower_equal, lower_equal - lower
    counts = np.column_stack((higher, lower, equal)).astype(np.float64)
    counts[ev] += np.column_stack((less, greater, tied))
    if entry is not None:
        counts -= _not_at_risk(levels, time_rank, ev, rx, entry)
    return counts, _tied_pairs(time_rank[ev], rx_ev)


def _not_at_risk(
    levels: npt.NDArray[np.generic],
    time_rank: IntArray,
    ev: IntArray,
    rx: IntArray,
    entry: FloatArray,
) -> FloatArray:
    """Per-subject counts of the right-censored pairs (event i, partner j) with entry_j ≥ t_i.

    With q_j = #{distinct times ≤ entry_j}, "entry_j ≥ t_i" is r_i < q_j for the time rank r_i
    of event i, so both sides are dominance counts over (q, risk) and (r, risk).
    """
    q = np.searchsorted(levels, entry, side="right").astype(np.int64)
    r_ev, rx_ev = time_rank[ev], rx[ev]
    # event side: j with q_j > r_i, split by risk below / at most r_i
    upto = count_less(q, rx, np.tile(r_ev + 1, 2), np.concatenate((rx_ev, rx_ev + 1)))
    less = count_below(rx, rx_ev) - upto[: ev.size]
    less_equal = count_below(rx, rx_ev + 1) - upto[ev.size :]
    n_late = q.size - count_below(q, r_ev + 1)
    greater, tied = n_late - less_equal, less_equal - less
    # partner side: events i with r_i < q_j, by their risk against r_j
    after = count_less(r_ev, rx_ev, np.tile(q, 2), np.concatenate((rx, rx + 1)))
    lower, lower_equal = after[: q.size], after[q.size :]
    higher, equal = count_below(r_ev, q) - lower_equal, lower_equal - lower
    out = np.column_stack((higher, lower, equal)).astype(np.float64)
    out[ev] += np.column_stack((less, greater, tied))
    return out


def concordance_index(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    risk: npt.ArrayLike,
    *,
    entry: npt.ArrayLike | None = None,
    strata: npt.ArrayLike | None = None,
    alpha: float = 0.05,
) -> ConcordanceResult:
    """C-index of ``risk`` (higher = earlier event expected) against right-censored outcomes,
    or counting-process rows (``entry``, ``durations``] when ``entry`` is given.

    Returns ``c_index`` ``None`` (with zero counts) when no pair is comparable, e.g. no events.
    """
    data = survival_arrays(durations, events, entry=entry)
    score = as_float_array(risk, name="risk")
    if score.shape != data.stop.shape:
        raise AnalysisError("risk must have one value per duration")
    rows = [np.arange(data.n)]
    if strata is not None:
        codes = factorize(np.asarray(strata))[1]
        if codes.shape != score.shape:
            raise AnalysisError("strata must have one value per duration")
        order = np.argsort(codes, kind="stable")
        rows = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    blocks, sizes = [], []
    tied_time = tied_both = 0
    for r in rows:
        time, event, score_s = data.stop[r], data.event[r], score[r]
        grouped = None if data.entry is not None else _grouped_counts(time, event, score_s)
        if grouped is None:
            start = None if data.entry is None else data.entry[r]
            counts, tt = _subject_counts(time, event, score_s, start)
            grouped = counts, np.ones(time.size), tt
        blocks.append(grouped[0])
        sizes.append(grouped[1])
        tied_time += grouped[2][0]
        tied_both += grouped[2][1]
    influence, weight = np.concatenate(blocks), np.concatenate(sizes)
    # every pair is counted once for each member: halve the column sums
    conc, disc, ties = (weight @ influence / 2.0).tolist()
    n_pairs = conc + disc + ties
    if n_pairs == 0:
        return ConcordanceResult(None, None, None, None, 0, 0, 0, tied_time, tied_both)
    somers = (conc - disc) / n_pairs
    dfbeta = (influence[:, 0] - influence[:, 1]) / n_pairs - somers / n_pairs * influence.sum(
        axis=1
    )
    c_index = (somers + 1.0) / 2.0
    std_err = float(np.sqrt(weight @ dfbeta**2 / 4.0))
    z = z_value(alpha)
    return ConcordanceResult(
        c_index=c_index,
        std_err=std_err,
        lower=max(0.0, c_index - z * std_err),
        upper=min(1.0, c_index + z * std_err),
        concordant=round(conc),
        discordant=round(disc),
        tied_risk=round(ties),
        tied_time=tied_time,
        tied_both=tied_both,
    )
