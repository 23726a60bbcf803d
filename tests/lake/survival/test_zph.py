"""Proportional-hazards test against R cox.zph (survival 3.x score test, transform "km")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest

from lake.survival import CoxPHFitter
from lake.survival.zph import proportional_hazards_test


def _mm(golden_input: Callable[..., Any]) -> pl.DataFrame:
    return golden_input("mm_os").select(
        "time",
        "status",
        iss2=(pl.col("iss") == 2).cast(pl.Float64),
        iss3=(pl.col("iss") == 3).cast(pl.Float64),
        age10="age10",
        sex="sex",
    )


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("d2/efron", {"input": "d2"}),
        ("d2/breslow", {"input": "d2", "ties": "breslow"}),
        ("mm_os/efron", {}),
        ("mm_os/breslow", {"ties": "breslow"}),
        ("mm_os/strata_sex", {"strata": "sex"}),
        ("delayed/efron", {"input": "delayed"}),
    ],
)
def test_cox_zph_golden(
    case: str,
    options: dict[str, Any],
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: z <- cox.zph(coxph(...)); z$table[, c("chisq", "df", "p")] (rows: terms, GLOBAL)."""
    r = golden("cox", case)
    name = options.get("input")
    frame = _mm(golden_input) if name is None else golden_input(name)
    if name == "delayed":
        fit = CoxPHFitter().fit(frame, duration_col="tstop", event_col="status", entry_col="tstart")
    else:
        fit = CoxPHFitter(ties=options.get("ties", "efron")).fit(
            frame, duration_col="time", event_col="status", strata_col=options.get("strata")
        )
    result = proportional_hazards_test(fit)
    tests = [*result.covariates.values(), result.global_test]
    np.testing.assert_allclose([t.statistic for t in tests], r_array(r["zph_chisq"]), rtol=1e-6)
    np.testing.assert_allclose([t.p_value for t in tests], r_array(r["zph_p"]), rtol=1e-6)
    assert [t.df for t in tests] == r_array(r["zph_df"]).astype(int).tolist()


@pytest.mark.parametrize("transform", ["identity", "rank", "log"])
def test_other_transforms_golden(
    transform: Any,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: cox.zph(coxph(Surv(time, status) ~ iss2 + iss3 + age10 + sex), transform=...)."""
    fit = CoxPHFitter().fit(_mm(golden_input), duration_col="time", event_col="status")
    result = proportional_hazards_test(fit, transform=transform)
    tests = [*result.covariates.values(), result.global_test]
    expected = r_array(golden("cox", f"mm_os/zph_{transform}")["chisq"])
    np.testing.assert_allclose([t.statistic for t in tests], expected, rtol=1e-6)
