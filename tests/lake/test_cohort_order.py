"""Declared order, not text order: the levels of scores and attributes, and the trend test.

Issue 10 ("Ordinal order"). The demo-lake consequences (ELN 2022 and HARMONY NPM1 trends, Cox
reference levels, stages, cross-tabs) are in ``test_cohort_order_demo.py``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from lake.cohort.endpoints import EndpointKey
from lake.cohort.order import attribute_levels, score_levels
from lake.cohort.survival import Grouping, SurvivalRequest, survival_summary
from lake.errors import AnalysisError
from lake.survival import trend_test

OS = EndpointKey(endpoint="OS", origin="diagnosis")


def _survival(grouping: Grouping, *, trend: bool = True) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=OS, grouping=grouping, times=(), time_unit="months", conf_type="log", trend=trend
    )


# -- declarations -------------------------------------------------------------------------------


def test_score_levels_follow_the_spec_not_the_text() -> None:
    elts = score_levels("elts")
    assert elts.codes == ("LOW", "INTERMEDIATE", "HIGH", "NOT_CLASSIFIABLE", "NOT_APPLICABLE")
    assert elts.ranked == ("LOW", "INTERMEDIATE", "HIGH")
    assert elts.reference(["HIGH", "LOW", "INTERMEDIATE"]) == "LOW"
    assert score_levels("ldh").reference(["HIGH", "NORMAL"]) == "NORMAL"
    # scales listed worst first: the lowest risk is the last ranked category
    assert score_levels("crcl").reference(["BELOW_40", "AT_LEAST_40"]) == "AT_LEAST_40"
    assert score_levels("imwg_assessment").reference(["PD", "NE", "CR", "sCR"]) == "sCR"
    assert score_levels("imwg_assessment").ranked == ("PD", "SD", "MR", "PR", "VGPR", "CR", "sCR")


def test_attribute_levels_follow_the_model() -> None:
    phase = attribute_levels("cml_phase")
    assert phase.ranked == ("chronic", "accelerated", "blast")
    assert phase.present(["blast", "chronic"]) == ("chronic", "blast")
    assert attribute_levels("best_response").ranked == ("PD", "SD", "MR", "PR", "VGPR", "CR", "sCR")
    assert attribute_levels("sex").codes == ("M", "F")
    assert attribute_levels("sex").ranked is None  # nominal: no trend
    assert attribute_levels("site").codes is None  # free text: text order
    assert attribute_levels("site").present(["UK", "AMS"]) == ("AMS", "UK")


# -- survival glue on a hand-made frame ---------------------------------------------------------


def _frame(groups: list[str], dtype: pl.DataType) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    return pl.DataFrame(
        {
            "time_days": rng.exponential(300.0, len(groups)).round() + 1,
            "status": rng.integers(0, 2, len(groups)),
            "group": pl.Series(groups, dtype=dtype),
        }
    )


def test_trend_leaves_out_codes_outside_the_scale() -> None:
    """Best response PD < ... < sCR: NE (not evaluable) is a group but no level of the trend."""
    codes = ["PD", "PR", "CR", "NE"] * 30
    frame = _frame(codes, attribute_levels("best_response").dtype())
    summary = survival_summary(frame, _survival(Grouping(attribute="best_response")))
    assert [g.group for g in summary.groups] == ["PD", "PR", "CR", "NE"]
    assert summary.trend is not None
    assert summary.trend.groups == ("PD", "PR", "CR")
    on_scale = frame.filter(pl.col("group") != "NE")
    score = on_scale.get_column("group").cast(pl.String).replace_strict({"PD": 0, "PR": 1, "CR": 2})
    oracle = trend_test(
        (on_scale.get_column("time_days") / 30.4375).to_numpy(),
        on_scale.get_column("status").to_numpy(),
        score.to_numpy(),
    )
    assert summary.trend.statistic == pytest.approx(oracle.statistic, rel=1e-12)


def test_a_nominal_attribute_has_no_trend() -> None:
    frame = _frame(["M", "F"] * 20, attribute_levels("sex").dtype())
    with pytest.raises(AnalysisError, match="sex is not an ordinal scale"):
        survival_summary(frame, _survival(Grouping(attribute="sex")))
    plain = survival_summary(frame, _survival(Grouping(attribute="sex"), trend=False))
    assert [g.group for g in plain.groups] == ["M", "F"]  # the model's code order
