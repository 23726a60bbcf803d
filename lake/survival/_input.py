"""Validation of survival input arrays, and the warning class for dubious input.

Invalid input (NaN, negative or reversed times, mismatched lengths) raises
:class:`~lake.errors.AnalysisError`; an empty cohort raises
:class:`~lake.errors.EmptyCohortError`. Input that is valid but makes an estimate fragile
(no events, a single patient) emits :class:`SurvivalWarning` and still returns a defined result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival._typing import BoolArray, FloatArray


class SurvivalWarning(UserWarning):
    """Dubious but valid survival input: no events, one patient, all times tied, a tiny group."""


@dataclass(frozen=True, slots=True)
class SurvivalArrays:
    """Validated right-censored or left-truncated data: ``entry < stop``, events 0/1."""

    stop: FloatArray
    event: BoolArray
    entry: FloatArray | None
    event_weight: FloatArray  # the events as 0.0/1.0, ready for np.bincount weights
    stop_range: tuple[float, float]  # (min, max) of stop, known from validation

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.stop.shape[0])


def _finite_range(arr: FloatArray, *, name: str) -> tuple[float, float]:
    """(min, max) of ``arr``; raises if it holds NaN or infinities.

    One min and one max pass prove every value finite: NaN propagates through both and an
    infinity becomes an extreme, so only failing input pays for the diagnostic count.
    """
    low, high = float(arr.min()), float(arr.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise AnalysisError(
            f"{name} holds {bad} missing or infinite value(s); drop or impute those rows first"
        )
    return low, high


def as_float_array(values: npt.ArrayLike, *, name: str) -> FloatArray:
    """``values`` as a 1-D float64 array; raises if it holds NaN or infinities."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise AnalysisError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size:
        _finite_range(arr, name=name)
    return arr


def survival_arrays(
    durations: npt.ArrayLike,
    events: npt.ArrayLike | None = None,
    *,
    entry: npt.ArrayLike | None = None,
) -> SurvivalArrays:
    """Validate ``durations`` (stop times), ``events`` (1 = event) and optional ``entry`` times.

    Raises
    ------
    EmptyCohortError
        No rows.
    AnalysisError
        NaN or negative times, events other than 0/1, lengths that differ, entry >= stop.
    """
    stop = np.asarray(durations, dtype=np.float64)
    if stop.ndim != 1:
        raise AnalysisError(f"durations must be one-dimensional, got shape {stop.shape}")
    if stop.shape[0] == 0:
        raise EmptyCohortError("no patients to analyse: the survival input has zero rows")
    low, high = _finite_range(stop, name="durations")
    if low < 0:
        raise AnalysisError("durations must be >= 0; a negative time means the origin is wrong")
    if events is None:
        event = np.ones(stop.shape[0], dtype=np.bool_)
        raw = np.ones(stop.shape[0])
    else:
        raw = np.asarray(events, dtype=np.float64)
        if raw.shape != stop.shape:
            raise AnalysisError(f"events has {raw.size} rows but durations {stop.shape[0]}")
        event = raw == 1
        # every value is 0 or 1 iff the ones and the zeros add up to all rows
        if np.count_nonzero(event) + np.count_nonzero(raw == 0) != raw.size:
            as_float_array(raw, name="events")  # names missing values first
            raise AnalysisError("events must be coded 0 (censored) or 1 (event)")
    start: FloatArray | None = None
    if entry is not None:
        start = as_float_array(entry, name="entry")
        if start.shape != stop.shape:
            raise AnalysisError(f"entry has {start.shape[0]} rows but durations {stop.shape[0]}")
        if np.any(start >= stop):
            raise AnalysisError("every entry time must be < its stop time (interval (entry, stop])")
    return SurvivalArrays(
        stop=stop, event=event, entry=start, event_weight=raw, stop_range=(low, high)
    )
