"""Harrell's C against R concordance(coxph(...)) and a brute-force pair count oracle."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.survival import CoxPHFitter, concordance
from lake.survival.concordance import concordance_index
from lake.survival.prognostic import compare_staging_systems


def _mm(golden_input: Callable[..., Any]) -> pl.DataFrame:
    frame: pl.DataFrame = golden_input("mm_os")
    return frame.select(
        "time",
        "status",
        iss2=(pl.col("iss") == 2).cast(pl.Float64),
        iss3=(pl.col("iss") == 3).cast(pl.Float64),
        age10="age10",
        sex="sex",
    )


@pytest.mark.parametrize(
    ("case", "strata"), [("d2/efron", None), ("mm_os/efron", None), ("mm_os/strata_sex", "sex")]
)
def test_concordance_golden(
    case: str, strata: str | None, golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: cc <- concordance(coxph(...)); cc$concordance, sqrt(cc$var) (infinitesimal jackknife)."""
    r = golden("cox", case)
    frame = golden_input("d2") if case.startswith("d2") else _mm(golden_input)
    fit = CoxPHFitter().fit(frame, duration_col="time", event_col="status", strata_col=strata)
    assert fit.concordance_ is not None
    assert fit.concordance_.c_index == pytest.approx(r["concordance"], rel=1e-9)
    assert fit.concordance_.std_err == pytest.approx(r["concordance_se"], rel=1e-9)
    if strata is None:
        counts = r["concordance_counts"]
        got = fit.concordance_
        assert [got.concordant, got.discordant, got.tied_risk, got.tied_time] == counts[:4]


def _brute(time: list[float], event: list[int], risk: list[float]) -> tuple[int, int, int]:
    conc = disc = tied = 0
    for i, j in combinations(range(len(time)), 2):
        for a, b in ((i, j), (j, i)):
            comparable = event[a] == 1 and (
                time[b] > time[a] or (time[b] == time[a] and event[b] == 0)
            )
            if comparable:
                if risk[a] > risk[b]:
                    conc += 1
                elif risk[a] < risk[b]:
                    disc += 1
                else:
                    tied += 1
    return conc, disc, tied


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.integers(0, 1), st.integers(0, 3)), min_size=2, max_size=25
    )
)
def test_pair_counts_match_brute_force(rows: list[tuple[int, int, int]]) -> None:
    """Oracle: both counting paths — the (risk x time) cell table and the O(n log² n)
    dominance counts (forced by a zero cell budget) — equal an explicit loop over all pairs
    (ties included), and give the same standard error."""
    time = [float(r[0]) for r in rows]
    event = [r[1] for r in rows]
    risk = [float(r[2]) for r in rows]
    cells = concordance_index(time, event, risk)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(concordance, "MAX_CELLS", 0)
        pairs = concordance_index(time, event, risk)
    expected = _brute(time, event, risk)
    for result in (cells, pairs):
        assert (result.concordant, result.discordant, result.tied_risk) == expected
    if cells.std_err is None:
        assert pairs.std_err is None
    else:
        assert cells.std_err == pytest.approx(pairs.std_err, rel=1e-12, abs=1e-15)


def test_no_comparable_pairs_gives_none() -> None:
    result = concordance_index([1.0, 2.0, 3.0], [0, 0, 0], [1.0, 2.0, 3.0])
    assert result.c_index is None
    assert result.std_err is None


def test_prognostic_comparison_golden(
    golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: fit <- coxph(Surv(time, status) ~ factor(sys)); concordance(fit); 2*diff(fit$loglik);
    AIC(fit) for sys in iss, riss on the same patients."""
    d = golden_input("mm_os")
    d = d.with_columns(riss=pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise("riss"))
    full = golden_input("mm_os")
    rows, dropped = compare_staging_systems(
        full, duration_col="time", event_col="status", systems=("iss", "riss")
    )
    assert dropped == 0
    for row in rows:
        r = golden("prognostic", row.system)
        assert row.concordance.c_index == pytest.approx(r["concordance"], rel=1e-9)
        assert row.concordance.std_err == pytest.approx(r["concordance_se"], rel=1e-9)
        assert row.lr_statistic == pytest.approx(r["lr"], rel=1e-8)
        assert row.aic == pytest.approx(r["aic"], rel=1e-10)
        assert row.lr_df == 2
    _, dropped_one = compare_staging_systems(
        d, duration_col="time", event_col="status", systems=("iss", "riss")
    )
    assert dropped_one == 1
