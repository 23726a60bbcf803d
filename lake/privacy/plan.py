"""What a protected release is: a vector of counts, its sensitivity and its post-processing.

A :class:`ProtectedPlan` separates the one step that reads patient data (``counts``: exact
counts laid out over public cells) from everything after the noise (``release``: a function
of the noisy vector and public facts only). The boundary (:mod:`lake.query.gateway`) runs
``counts``,
adds noise (:mod:`lake.privacy.mechanism`), stores the vector (:mod:`lake.privacy.ledger`) and
hands ``release`` the noisy vector; ``release`` never sees an exact count, so whatever it
derives (totals, curves, medians, tests) is post-processing and costs no privacy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from lake.privacy.budget import QueryKind
from lake.privacy.mechanism import IntVector, Noise

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProtectedPlan(Generic[T]):
    """A protected release before noise.

    ``sensitivity`` is the L1 sensitivity of ``counts()`` under adding or removing one
    patient; it must follow from the request alone (never from the data). ``identity``, when
    given, names the noisy vector independently of how it is post-processed (a life table
    serves any requested times, confidence type or test): requests with the same identity share
    one release, so asking another time point of the same curve is free and consistent.
    """

    kind: QueryKind
    sensitivity: int
    counts: Callable[[], IntVector]
    release: Callable[[IntVector, Noise], T]
    identity: object | None = None


def shown(value: float, floor: int) -> int | None:
    """A noisy count as released: rounded, at least 0, null below a publication ``floor``."""
    n = max(0, round(float(value)))
    return None if 0 < n < floor else n


def clipped(noisy: IntVector) -> IntVector:
    """Noisy counts clipped at 0 (post-processing: a count cannot be negative)."""
    return np.maximum(noisy, 0)
