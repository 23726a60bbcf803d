"""The one noise mechanism of protected releases: OpenDP's discrete Laplace on count vectors.

Every protected release is a vector of whole counts with a known L1 sensitivity Δ: adding or
removing one patient changes the vector by at most Δ in L1 norm (Δ = 1 when the cells partition
the patients, as a breakdown's categories or a life table's intervals do). OpenDP's
``make_laplace`` over a vector of integers adds independent discrete Laplace noise
(the two-sided geometric distribution, Ghosh, Roughgarden & Sundararajan, *SIAM J Comput* 2012)
with scale b = Δ / ε to each cell, which is ε-differentially private (Dwork & Roth 2014,
Theorem 3.6); OpenDP's privacy map (``measurement.map(Δ)``) states the ε, and we take ε from
it rather than from our own arithmetic. Its sampler draws from the exact distribution with a
cryptographically secure source (no floating-point attacks, Mironov *CCS* 2012), so noise can
be neither seeded nor replayed: consistency comes from storing the released vector
(:mod:`lake.privacy.ledger`), never from re-drawing it.

Why OpenDP's core and not its Polars front end: the front end pins an older Polars than the
lake's; the counts come from our own Polars code and only the mechanism is OpenDP's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import opendp.prelude as dp

from lake.errors import ConfigError

dp.enable_features("contrib")

MECHANISM = "discrete Laplace (OpenDP make_laplace, integer vector)"
#: Coverage of the margin reported beside each released count.
MARGIN_COVERAGE = 0.95

IntVector = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Noise:
    """The noise added to every cell of one release.

    ``scale`` is b = Δ / ε; ``margin`` is the half-width m of the central 95 % interval of
    the added noise (P(|X| ≤ m) ≥ 0.95 for X discrete Laplace with scale b), so a released
    count c comes from a true count in [c − m, c + m] with probability at least 95 %.
    ``variance`` is that of one cell's noise: 2e^{-1/b} / (1 − e^{-1/b})².
    """

    epsilon: float
    sensitivity: int
    scale: float
    margin: int
    variance: float
    mechanism: str = MECHANISM

    @classmethod
    def of(cls, *, epsilon: float, sensitivity: int) -> Noise:
        """The noise that makes a release of L1 sensitivity ``sensitivity`` ``epsilon``-DP."""
        if not (math.isfinite(epsilon) and epsilon > 0):
            raise ConfigError(f"a privacy loss ε must be a positive number (got {epsilon})")
        if sensitivity < 1:
            raise ConfigError(f"a sensitivity must be at least 1 (got {sensitivity})")
        scale = sensitivity / epsilon
        stated = float(_measurement(scale).map(sensitivity))
        if stated > epsilon * (1 + 1e-9):
            raise ConfigError(f"OpenDP states ε = {stated} for scale {scale}, above {epsilon}")
        q = math.exp(-1.0 / scale)
        return cls(
            epsilon=epsilon,
            sensitivity=sensitivity,
            scale=scale,
            margin=_margin(q),
            variance=2.0 * q / (1.0 - q) ** 2,
        )


@cache
def noise_for(epsilon: float, sensitivity: int) -> Noise:
    """:meth:`Noise.of`, remembered (asking OpenDP's privacy map costs about 2 ms)."""
    return Noise.of(epsilon=epsilon, sensitivity=sensitivity)


def _margin(q: float) -> int:
    """Smallest m with P(|X| ≤ m) ≥ 95 % for the discrete Laplace with P(X = k) ∝ q^|k|.

    P(|X| > m) = 2 q^{m+1} / (1 + q), so m = ⌈log((1 − c)(1 + q) / 2) / log q⌉ − 1.
    """
    if q <= 0.0:
        return 0
    m = math.ceil(math.log((1 - MARGIN_COVERAGE) * (1 + q) / 2) / math.log(q)) - 1
    return max(0, m)


@cache
def _measurement(scale: float) -> Any:
    """OpenDP's discrete Laplace measurement on integer vectors at ``scale`` (built once)."""
    return dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale=scale
    )


def add_noise(counts: npt.ArrayLike, noise: Noise) -> IntVector:
    """``counts`` plus independent discrete Laplace noise of ``noise.scale`` on each cell."""
    exact = np.asarray(counts, dtype=np.int64).ravel()
    if exact.size == 0:
        return exact
    noisy = _measurement(noise.scale)([int(c) for c in exact])
    return np.asarray(noisy, dtype=np.int64)
