"""Delayed entry (left truncation) through HTTP: the German registry's OS from diagnosis by R-ISS.

DE-MMRW registers patients after diagnosis (loaders/synthetic/registry_entry.py). Asked as a
statistician (governed, exact) with ``delayedEntry: true``, every number equals R's on the same
cohort (tests/lake/survival/golden/demo.json, cases ``mm_rw_os_entry/*``, written by
make_golden.R from R survival 3.5.3 on inputs re-derived from the demo lake): per group
survfit(Surv(entry, time, status)) medians with CI, the reverse Kaplan-Meier follow-up,
summary(times = c(24, 60)) survival and CI, the log-rank and trend tests with (entry, stop] risk
sets, and coxph(Surv(entry, time, status) ~ factor(riss)); compared to 1e-6 relative. The number
at risk at a requested time is the risk set at that time, #(entry < t <= stop) (R's summary
reports the risk set of the next observed time, which also counts patients who entered in
between). A protected role is refused with FORBIDDEN naming the governed roles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.service.conftest import ANALYST_KEY, ask

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MONTH = 30.4375
GOLDEN = Path(__file__).parents[1] / "lake" / "survival" / "golden"
REGISTRY = '{diseases: [MM], sites: ["DE-MMRW"]}'


def _golden(case: str) -> dict[str, Any]:
    cases: dict[str, dict[str, Any]] = json.loads((GOLDEN / "demo.json").read_text())
    return cases[case]


def _close(got: float | None, expected: float | None) -> None:
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-6)


def _cohort_rows() -> pl.DataFrame:
    """The committed cohort input (time, status, entry in days; R-ISS), as R read it."""
    return pl.read_csv(
        GOLDEN / "inputs" / "demo_mm_rw_os_entry.csv", schema_overrides={"riss": pl.String}
    )


SURVIVAL = """groups { group n events median { estimate lower upper }
  medianFollowUp { estimate lower upper } atTimes { time survival lower upper nAtRisk }
  steps { time nAtRisk } }
logrank { statistic df pValue } trend { statistic df pValue }"""


def test_survival_with_delayed_entry_equals_r(lake_server: str) -> None:
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {REGISTRY}) {{ survival(endpoint: OS, groupBy: {{score: "riss"}},
        trend: true, times: [24, 60], delayedEntry: true) {{ {SURVIVAL} }} }} }}""",
    )
    assert "errors" not in data, data
    survival = data["data"]["cohort"]["survival"]
    r = _golden("mm_rw_os_entry/riss")
    rows = _cohort_rows().with_columns(time=pl.col("time") / MONTH, entry=pl.col("entry") / MONTH)
    assert sorted(g["group"] for g in survival["groups"]) == sorted(r["groups"])
    for group in survival["groups"]:
        expected = r["groups"][group["group"]]
        assert (group["n"], group["events"]) == (expected["n"], expected["events"])
        end = group["steps"][-1]["time"] * (1 + 1e-9)  # R's float of the same day / 30.4375
        for field, suffix in (("estimate", ""), ("lower", "_lower"), ("upper", "_upper")):
            for name, prefix in (("median", "median"), ("medianFollowUp", "follow_up")):
                value = expected[f"{prefix}{suffix}"]  # nothing beyond the released curve
                _close(group[name][field], value if value is not None and value <= end else None)
        mine = rows.filter(pl.col("riss") == group["group"])
        entry, stop = mine["entry"].to_numpy(), mine["time"].to_numpy()
        for i, point in enumerate(group["atTimes"]):
            assert point["time"] == expected["at"]["time"][i]
            at = point["time"]
            assert point["nAtRisk"] == int(np.sum((entry < at) & (stop >= at)))
            if point["time"] > end:
                continue
            for field, column in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
                _close(point[field], expected["at"][column][i])
    lr = r["logrank"]
    assert survival["logrank"]["df"] == lr["df"]
    _close(survival["logrank"]["statistic"], lr["chisq"])
    _close(survival["logrank"]["pValue"], lr["p"])
    staged = _golden("mm_rw_os_entry/riss/staged")["logrank"]
    _close(survival["trend"]["statistic"], staged["trend_chisq"])
    _close(survival["trend"]["pValue"], staged["trend_p"])


def test_ignoring_entry_overstates_survival(lake_server: str) -> None:
    """The same question without delayed entry counts the immortal time before registration."""
    query = """{{ cohort(filter: {f}) {{ survival(endpoint: OS, groupBy: {{score: "riss"}},
      times: [60]{d}) {{ groups {{ group atTimes {{ survival }} }} }} }} }}"""
    answers = [
        {
            g["group"]: g["atTimes"][0]["survival"]
            for g in ask(lake_server, query.format(f=REGISTRY, d=d))["data"]["cohort"]["survival"][
                "groups"
            ]
        }
        for d in ("", ", delayedEntry: true")
    ]
    naive, delayed = answers
    for stage in ("I", "II", "III"):
        assert naive[stage] > delayed[stage]


def test_cox_model_with_delayed_entry_equals_r(lake_server: str) -> None:
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {REGISTRY}) {{ coxModel(endpoint: OS, covariates: [{{score: "riss"}}],
        delayedEntry: true) {{ n events coefficients {{ name coef se }}
        likelihoodRatio {{ statistic }} wald {{ statistic }} score {{ statistic }}
        concordance {{ cIndex }} }} }} }}""",
    )
    assert "errors" not in data, data
    cox = data["data"]["cohort"]["coxModel"]
    r = _golden("mm_rw_os_entry/cox")
    assert (cox["n"], cox["events"]) == (r["n"], r["events"])
    assert [c["name"].rsplit("=", 1)[1] for c in cox["coefficients"]] == ["II", "III"]
    for got, coef, se in zip(cox["coefficients"], r["coef"], r["se"], strict=True):
        _close(got["coef"], coef)
        _close(got["se"], se)
    _close(cox["likelihoodRatio"]["statistic"], r["lr"])
    _close(cox["wald"]["statistic"], r["wald"])
    _close(cox["score"]["statistic"], r["score"])
    _close(cox["concordance"]["cIndex"], r["concordance"])


def test_protected_roles_are_refused_naming_the_governed_roles(lake_server: str) -> None:
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {REGISTRY}) {{ survival(endpoint: OS, delayedEntry: true) {{
        groups {{ n }} }} }} }}""",
        key=ANALYST_KEY,
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "delayedEntry" in error["message"]
    assert "statistician" in error["message"]
