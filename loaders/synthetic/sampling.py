"""Vectorised random building blocks shared by the truth generators.

Every function takes an explicit :class:`numpy.random.Generator` so a run is a pure function of
its seed. Times are in days; dates are integer days since 1970-01-01 until they become Polars
``Date`` series at the edge (:func:`date_series`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from lake.model import MARKER_CODES

DAYS_PER_YEAR: Final = 365.25
_EPOCH: Final = dt.date(1970, 1, 1)

Days = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int64]


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 of ``day``."""
    return (day - _EPOCH).days


def uniform_days(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> Days:
    """``n`` dates drawn uniformly from ``[start, end]``, as day numbers."""
    return rng.integers(day_number(start), day_number(end) + 1, size=n, dtype=np.int64)


def weibull_ph_days(
    rng: np.random.Generator, hazard_ratio: Floats, *, median_years: float, shape: float = 1.0
) -> Floats:
    """Event times (days) from a Weibull proportional-hazards model.

    S(t | x) = exp(-lambda * HR(x) * t^k) with lambda = ln 2 / m^k, so ``median_years`` (m) is
    the median for HR = 1 and every group's hazard is exactly HR times the reference hazard
    (shape k = 1 gives the exponential model). Inverse-transform sampling:
    T = (-ln U / (lambda * HR))^(1/k), U ~ Uniform(0, 1).
    """
    lam = np.log(2.0) / median_years**shape
    u = rng.random(hazard_ratio.size)
    years = (-np.log1p(-u) / (lam * hazard_ratio)) ** (1.0 / shape)
    return np.asarray(years * DAYS_PER_YEAR, dtype=np.float64)


def censoring_days(
    rng: np.random.Generator, entry: Days, *, cutoff: dt.date, loss_per_year: float
) -> Floats:
    """Censoring time: the earlier of administrative cutoff and exponential loss to follow-up."""
    administrative = (day_number(cutoff) - entry).astype(np.float64)
    lost = rng.exponential(DAYS_PER_YEAR / loss_per_year, size=entry.size)
    return np.minimum(administrative, lost)


def categorical(rng: np.random.Generator, probs: Sequence[float], n: int) -> Codes:
    """``n`` draws of category indices with probabilities ``probs`` (normalised)."""
    cumulative = np.cumsum(np.asarray(probs, dtype=np.float64))
    cumulative /= cumulative[-1]
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int64)


def labels(codes: Codes, names: Sequence[str], *, missing: Bools | None = None) -> pl.Series:
    """String series of ``names[code]``; rows flagged in ``missing`` become null."""
    categories = pl.Series(list(names), dtype=pl.String)
    values = categories.gather(pl.Series(codes.astype(np.int64)))
    if missing is not None:
        values = values.scatter(np.flatnonzero(missing), None)
    return values


def tri_state(rng: np.random.Generator, latent: Bools, *, not_tested: float | Floats) -> pl.Series:
    """Marker column ``present|absent|not_tested`` from the latent truth.

    A patient's latent status exists whether or not it was tested; ``not_tested`` (a rate or a
    per-patient probability) hides it, so hazards planted on the latent status survive.
    """
    hidden = rng.random(latent.size) < not_tested
    codes = np.where(hidden, 2, np.where(latent, 0, 1))
    return labels(codes, MARKER_CODES)


def date_series(days: Days, *, missing: Bools | None = None) -> pl.Series:
    """Polars ``Date`` series from day numbers; rows flagged in ``missing`` become null."""
    series = pl.Series(days.astype(np.int32)).cast(pl.Date)
    if missing is not None:
        series = series.scatter(np.flatnonzero(missing), None)
    return series


def birth_years(diagnosis: Days, age: Floats) -> Codes:
    """Year of birth from diagnosis day numbers and ages at diagnosis (years of 365.25 days).

    Day numbers count from 1970-01-01, so ``1970 + floor(diagnosis / 365.25 - age)``.
    """
    return _EPOCH.year + np.floor(diagnosis / DAYS_PER_YEAR - age).astype(np.int64)


def lognormal(rng: np.random.Generator, *, median: float, sigma: float, n: int) -> Floats:
    """Log-normal draws with the given median and log-scale standard deviation."""
    return np.asarray(median * np.exp(rng.normal(0.0, sigma, n)), dtype=np.float64)


def avoid_thresholds(values: Floats, thresholds: Sequence[float], *, step: float) -> Floats:
    """Move values lying exactly on a rule threshold up by ``step``.

    Values on a boundary (beta2m = 3.5 mg/L) would make the planted group depend on floating
    point rounding after a unit round-trip; the rules' boundary cases live in unit tests.
    """
    result = values.copy()
    for threshold in thresholds:
        result[np.isclose(result, threshold, rtol=0.0, atol=1e-9)] += step
    return result


def rounded(values: npt.ArrayLike, decimals: int = 0) -> Floats:
    """``values`` rounded half-to-even to ``decimals``, as float64."""
    return np.asarray(np.round(np.asarray(values, dtype=np.float64), decimals), dtype=np.float64)
