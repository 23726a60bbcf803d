"""Harrell's C against R concordance(coxph(...)) and a brute-force pair count oracle."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
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


def _golden_fit(case: str, golden_input: Callable[..., Any]) -> CoxPHFitter:
    """The coxph fit make_golden.R made for ``case`` (data/ties, strata or entry)."""
    data, ties = case.split("/")
    if data == "d2":
        return CoxPHFitter(ties=ties).fit(  # type: ignore[arg-type]
            golden_input("d2"), duration_col="time", event_col="status"
        )
    if data == "delayed":
        return CoxPHFitter().fit(
            golden_input("delayed"), duration_col="tstop", event_col="status", entry_col="tstart"
        )
    if ties == "strata_sex":
        return CoxPHFitter().fit(
            _mm(golden_input), duration_col="time", event_col="status", strata_col="sex"
        )
    return CoxPHFitter(ties=ties).fit(  # type: ignore[arg-type]
        _mm(golden_input), duration_col="time", event_col="status"
    )


@pytest.mark.parametrize(
    "case", ["d2/efron", "d2/breslow", "mm_os/efron", "mm_os/breslow", "delayed/efron"]
)
def test_concordance_golden(
    case: str, golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: cc <- concordance(coxph(...)); cc$concordance, sqrt(cc$var) (infinitesimal jackknife),
    cc$count = (concordant, discordant, tied.x, tied.y, tied.xy). delayed/efron is a
    counting-process fit Surv(tstart, tstop, status): pairs only within risk sets."""
    r = golden("cox", case)
    got = _golden_fit(case, golden_input).concordance_
    assert got.c_index == pytest.approx(r["concordance"], rel=1e-9)
    assert got.std_err == pytest.approx(r["concordance_se"], rel=1e-9)
    counts = [got.concordant, got.discordant, got.tied_risk, got.tied_time, got.tied_both]
    assert counts == r["concordance_counts"]


def test_concordance_strata_golden(
    golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: concordance(coxph(... + strata(sex))); cc$count is a strata x 5 matrix, so the golden
    count[1:5] is (concordant s1, s2, discordant s1, s2, tied.x s1) in column-major order."""
    r = golden("cox", "mm_os/strata_sex")
    fit = _golden_fit("mm_os/strata_sex", golden_input)
    got = fit.concordance_
    assert got.c_index == pytest.approx(r["concordance"], rel=1e-9)
    assert got.std_err == pytest.approx(r["concordance_se"], rel=1e-9)
    conc1, conc2, disc1, disc2, tied1 = r["concordance_counts"]
    assert (got.concordant, got.discordant) == (conc1 + conc2, disc1 + disc2)
    d = _mm(golden_input)
    first = (d["sex"] == d["sex"].min()).to_numpy()
    lp = fit.linear_predictor(d.select("iss2", "iss3", "age10"))
    one = concordance_index(d["time"].to_numpy()[first], d["status"].to_numpy()[first], lp[first])
    assert (one.concordant, one.discordant, one.tied_risk) == (conc1, disc1, tied1)


def test_counting_process_and_tied_both_match_r() -> None:
    """R: concordance(Surv(entry, time, status) ~ risk, reverse = TRUE) and the same without
    entry, on the 8 rows below (two pairs of events tied on time and risk: tied.xy = 2).

    Entry: C 0.192307692307692, se 0.111094576068157, counts 1 9 3 0 2 (the Wald interval
    would start below 0 and is clipped). Without entry: 0.369565217391304, 0.148654845000662,
    counts 5 11 7 0 2.
    """
    time = [1, 1, 2, 2, 3, 4, 5, 6]
    status = [1, 1, 1, 1, 0, 1, 1, 0]
    risk = [0, 0, 1, 1, 1, 0, 2, 0]
    entry = [0, 0, 0, 1, 0, 2, 0, 3]
    for kwargs, c, se, counts in (
        ({"entry": entry}, 0.192307692307692, 0.111094576068157, (1, 9, 3, 0, 2)),
        ({}, 0.369565217391304, 0.148654845000662, (5, 11, 7, 0, 2)),
    ):
        got = concordance_index(time, status, risk, **kwargs)
        assert got.c_index == pytest.approx(c, rel=1e-12)
        assert got.std_err == pytest.approx(se, rel=1e-12)
        assert (got.concordant, got.discordant, got.tied_risk, got.tied_time) == counts[:4]
        assert got.tied_both == counts[4]
        assert got.lower is not None
        assert got.upper is not None
        assert 0.0 <= got.lower < c < got.upper <= 1.0
    assert concordance_index(time, status, risk, entry=entry).lower == 0.0


def _brute(
    time: list[float], event: list[int], risk: list[float], entry: list[float] | None = None
) -> tuple[int, int, int]:
    start = entry if entry is not None else [-1.0] * len(time)
    conc = disc = tied = 0
    for i, j in combinations(range(len(time)), 2):
        for a, b in ((i, j), (j, i)):
            comparable = (
                event[a] == 1
                and start[b] < time[a]
                and (time[b] > time[a] or (time[b] == time[a] and event[b] == 0))
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


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 6), st.integers(0, 1), st.integers(0, 3)),
        min_size=2,
        max_size=25,
    )
)
def test_counting_process_pair_counts_match_brute_force(
    rows: list[tuple[int, int, int, int]],
) -> None:
    """Oracle: with entry times, pairs whose later member entered at or after the event time
    are left out, exactly as an explicit loop over all pairs of rows."""
    entry = [float(r[0]) for r in rows]
    time = [float(r[0] + r[1]) for r in rows]
    event = [r[2] for r in rows]
    risk = [float(r[3]) for r in rows]
    got = concordance_index(time, event, risk, entry=entry)
    assert (got.concordant, got.discordant, got.tied_risk) == _brute(time, event, risk, entry)


def test_no_comparable_pairs_gives_none() -> None:
    result = concordance_index([1.0, 2.0, 3.0], [0, 0, 0], [1.0, 2.0, 3.0])
    assert result.c_index is None
    assert result.std_err is None


def test_prognostic_comparison_golden(
    golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: fit <- coxph(Surv(time, status) ~ factor(sys)); concordance(fit); 2*diff(fit$loglik);
    AIC(fit); coef(fit) for sys in iss, riss on the same patients."""
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
        np.testing.assert_allclose([c.coef for c in row.coefficients], r["coef"], rtol=1e-6)
    _, dropped_one = compare_staging_systems(
        d, duration_col="time", event_col="status", systems=("iss", "riss")
    )
    assert dropped_one == 1
