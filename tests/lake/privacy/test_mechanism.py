"""The noise mechanism: OpenDP's stated ε, the scale, and the reported 95 % margin."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.errors import ConfigError
from lake.privacy.mechanism import Noise, add_noise


@given(
    epsilon=st.floats(min_value=0.01, max_value=10.0),
    sensitivity=st.integers(min_value=1, max_value=50),
)
@settings(max_examples=40, deadline=None)
def test_scale_is_sensitivity_over_epsilon(epsilon: float, sensitivity: int) -> None:
    noise = Noise.of(epsilon=epsilon, sensitivity=sensitivity)
    assert noise.scale == pytest.approx(sensitivity / epsilon)
    q = math.exp(-1.0 / noise.scale)
    # the margin is the smallest m with P(|X| <= m) >= 95 % for the discrete Laplace
    tail = lambda m: 2 * q ** (m + 1) / (1 + q)  # noqa: E731 - the closed form, named once
    assert tail(noise.margin) <= 0.05 + 1e-12
    assert noise.margin == 0 or tail(noise.margin - 1) > 0.05


def test_empirical_noise_matches_the_stated_margin_and_variance() -> None:
    noise = Noise.of(epsilon=0.5, sensitivity=1)
    draws = add_noise(np.zeros(4000, dtype=np.int64), noise)
    assert draws.dtype == np.int64
    inside = np.mean(np.abs(draws) <= noise.margin)
    assert 0.93 <= inside <= 0.97 + 0.02
    assert draws.var() == pytest.approx(noise.variance, rel=0.15)
    assert abs(draws.mean()) < 0.3


def test_noise_is_added_to_every_cell_independently() -> None:
    noise = Noise.of(epsilon=1.0, sensitivity=1)
    counts = np.arange(2000, dtype=np.int64)
    noisy = add_noise(counts, noise)
    assert noisy.shape == counts.shape
    assert (noisy != counts).mean() > 0.4  # P(X = 0) = tanh(1/2) ≈ 0.46 at b = 1
    assert np.corrcoef(noisy[:-1] - counts[:-1], noisy[1:] - counts[1:])[0, 1] < 0.1


@pytest.mark.parametrize(("epsilon", "sensitivity"), [(0.0, 1), (-1.0, 1), (math.inf, 1), (1.0, 0)])
def test_invalid_parameters_are_refused(epsilon: float, sensitivity: int) -> None:
    with pytest.raises(ConfigError):
        Noise.of(epsilon=epsilon, sensitivity=sensitivity)
