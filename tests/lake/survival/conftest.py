"""Fixtures for the survival tests: R golden values and their input CSVs (no R needed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="session")
def golden() -> Callable[[str, str], dict[str, Any]]:
    """``golden(family, case)``: the R output recorded by make_golden.R for one case."""
    cache: dict[str, dict[str, Any]] = {}

    def load(family: str, case: str) -> dict[str, Any]:
        if family not in cache:
            cache[family] = json.loads((GOLDEN / f"{family}.json").read_text())
        return cache[family][case]  # type: ignore[no-any-return]

    return load


@pytest.fixture(scope="session")
def golden_input() -> Callable[[str], pl.DataFrame]:
    """``golden_input(name)``: the CSV make_golden.R read for a case."""

    def load(name: str) -> pl.DataFrame:
        return pl.read_csv(GOLDEN / "inputs" / f"{name}.csv")

    return load


def as_array(value: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A golden JSON value (scalar, list, with nulls) as a float array, null -> NaN."""
    if not isinstance(value, list):
        value = [value]
    return np.array([np.nan if v is None else v for v in value], dtype=np.float64)


@pytest.fixture(scope="session")
def r_array() -> Callable[[Any], np.ndarray[Any, np.dtype[np.float64]]]:
    """Convert a golden JSON value to a float array (R NA -> NaN)."""
    return as_array
