"""The propensity-weighted comparison (lake/value/real_world.py) against R: golden/weighted.json
``att`` from make_golden.R (R survival 3.5.3) on inputs/weighted.csv: glm(arm ~ age, binomial)
fitted scores, ATT weights, coxph(Surv(time, status) ~ arm, weights = att, robust = TRUE),
survfit(Surv(time / 30.4375, status) ~ 1, weights = att) per arm, and the standardised mean
difference of age before and after weighting (pooled unweighted SD), to 1e-6."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import EVERYONE
from lake.disclosure import DisclosurePolicy
from lake.errors import AnalysisError
from lake.value import EsmoRules
from lake.value.propensity import att_weights
from lake.value.real_world import RealWorldRequest, compare_groups, disclose_real_world

GOLDEN = Path(__file__).parents[1] / "survival" / "golden"
R: dict[str, Any] = json.loads((GOLDEN / "weighted.json").read_text())["att"]
DATA = pl.read_csv(GOLDEN / "inputs" / "weighted.csv")
FRAME = DATA.select(
    pl.when(pl.col("arm") == 1)
    .then(pl.lit("experimental"))
    .otherwise(pl.lit("control"))
    .alias("group"),
    pl.col("time").alias("time_days"),
    "status",
    "age",
)
REQUEST = RealWorldRequest(
    endpoint=EndpointKey("OS", "diagnosis"),
    experimental=EVERYONE,
    control=EVERYONE,
    design="external_control",
    numeric=("age",),
    categorical=(),
)


def test_propensity_scores_match_glm() -> None:
    treated = DATA.get_column("arm").to_numpy() == 1
    weights = att_weights(treated, DATA.select("age").to_numpy().astype(float), ("age",))
    np.testing.assert_allclose(weights.scores, R["scores"], rtol=1e-6)
    (age,) = weights.balance
    assert age.smd_before == pytest.approx(R["smd_before"], rel=1e-6)
    assert age.smd_after == pytest.approx(R["smd_after"], rel=1e-6, abs=1e-9)
    assert abs(age.smd_after) < abs(age.smd_before)


def test_weighted_comparison_matches_r() -> None:
    result = compare_groups(FRAME, REQUEST, EsmoRules())
    hr = result.hazard_ratio
    assert (hr.estimate, hr.lower, hr.upper) == pytest.approx(
        (R["hazard_ratio"], R["lower"], R["upper"]), rel=1e-6
    )
    for arm, summary in (("arm1", result.experimental), ("arm0", result.control)):
        assert summary.median == pytest.approx(R[arm]["median"], rel=1e-9)
        assert summary.median_lower == pytest.approx(R[arm]["median_lower"], rel=1e-9)
    landmarks = {m.years: m for m in result.landmarks}
    for years, exp, ctl in zip(
        (2.0, 3.0, 5.0), R["arm1"]["landmark_surv"], R["arm0"]["landmark_surv"], strict=False
    ):
        assert landmarks[years].experimental_percent == pytest.approx(100 * exp, rel=1e-9)
        assert landmarks[years].control_percent == pytest.approx(100 * ctl, rel=1e-9)
    grade = result.grade
    assert grade.evidence == "single_arm"
    assert grade.label.endswith("(single-arm evidence)")
    assert grade.form == "2a"
    assert result.experimental.n + result.control.n == DATA.height
    assert result.excluded == 0


def test_missing_covariates_are_excluded_and_small_groups_refused() -> None:
    holes = FRAME.with_columns(
        pl.when(pl.int_range(pl.len()) < 10).then(None).otherwise(pl.col("age")).alias("age")
    )
    result = compare_groups(holes, REQUEST, EsmoRules())
    assert result.excluded == 10
    released = disclose_real_world(result, DisclosurePolicy(min_cell_size=11))
    assert released.excluded is None
    with pytest.raises(AnalysisError, match="minimum cell size"):
        disclose_real_world(result, DisclosurePolicy(min_cell_size=10_000))


def test_only_os_and_pfs_are_graded() -> None:
    with pytest.raises(AnalysisError, match="OS \\(Form 2a\\) or PFS"):
        RealWorldRequest(
            endpoint=EndpointKey("EFS", "diagnosis"),
            experimental=EVERYONE,
            control=EVERYONE,
            design="arms",
            numeric=("age",),
            categorical=(),
        )
