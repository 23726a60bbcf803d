"""Kaplan-Meier and log-rank options asked through HTTP of a real uvicorn over the demo lake,
against R (tests/lake/survival/golden/km_options.json, case ``demo_mm_os/riss``: myeloma OS by
R-ISS in months, from make_golden.R with R survival 3.5.3 and survMisc 0.5.6).

As a statistician (governed, exact): quartiles (``quantile(fit, c(.25, .5, .75))``), the
restricted mean up to 60 months (``print(fit, rmean = 60)``), Nelson-Aalen and the se of S at
24 and 60 months (``summary(fit, times=)``), counts per year (``summary(fit, times =
c(12, 24, 36, 48, 60))``), Peto-Peto (``survdiff(rho = 1)``, with its weighted O and E) and
Fleming-Harrington (1, 1) (``survMisc::comp``), each to 1e-6 relative. R's values are taken as
the service releases them: nothing beyond the released curve's last step. As an analyst
(protected), the same question answers from the noisy life table, on the grid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY, ask

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
GOLDEN = Path(__file__).parents[1] / "lake" / "survival" / "golden" / "km_options.json"
RTOL = 1e-6
ENDS = [12, 24, 36, 48, 60]
QUERY = """{ cohort(filter: {diseases: [MM]}) {
  peto: survival(endpoint: OS, groupBy: {score: "riss"}, times: [24, 60], options: {
      quartiles: true, cumulativeHazard: true, restrictedMeanTau: 60,
      intervalEnds: [12, 24, 36, 48, 60], weights: {rho: 1}}) {
    groups { group n events steps { time }
      quartiles { probability estimate lower upper }
      restrictedMean { tau estimate stdErr reason }
      intervals { start end nAtRisk events censored reason }
      atTimes { time survival stdErr cumulativeHazard cumulativeHazardStdErr } }
    weightedLogrank { testName statistic df pValue groups
      observedExpected { group observed expected } }
    provenance { access } }
  fh: survival(endpoint: OS, groupBy: {score: "riss"}, options: {weights: {rho: 1, gamma: 1}}) {
    weightedLogrank { testName statistic df pValue } } } }"""


def _ask(url: str, key: str) -> dict[str, Any]:
    payload = ask(url, QUERY, key)
    assert "errors" not in payload, payload["errors"]
    cohort: dict[str, Any] = payload["data"]["cohort"]
    return cohort


def _golden() -> dict[str, Any]:
    case: dict[str, Any] = json.loads(GOLDEN.read_text())["demo_mm_os/riss"]
    return case


def _close(got: float | None, expected: float | None) -> None:
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=RTOL)


def _on_curve(value: float | None, end: float) -> float | None:
    return value if value is not None and value <= end else None


def test_options_as_a_statistician_equal_r(lake_server: str) -> None:
    data = _ask(lake_server, STATISTICIAN_KEY)
    r = _golden()
    peto = data["peto"]
    assert peto["provenance"]["access"] == "GOVERNED"
    assert sorted(g["group"] for g in peto["groups"]) == sorted(r["groups"])
    rmst_released = 0
    for group in peto["groups"]:
        expected = r["groups"][group["group"]]
        assert (group["n"], group["events"]) == (expected["n"], expected["events"])
        end = group["steps"][-1]["time"]
        for i, q in enumerate(group["quartiles"]):
            assert q["probability"] == (0.25, 0.5, 0.75)[i]
            for field, key in (("estimate", ""), ("lower", "_lower"), ("upper", "_upper")):
                _close(q[field], _on_curve(expected[f"quantile{key}"][i], end))
        rmst = group["restrictedMean"]
        assert rmst["tau"] == 60
        if end >= 60:
            rmst_released += 1
            _close(rmst["estimate"], expected["rmean"])
            _close(rmst["stdErr"], expected["rmean_se"])
        else:
            assert rmst["estimate"] is None
            assert rmst["reason"] == "withheld: beyond the end of the released curve"
        at = expected["at"]
        for point in group["atTimes"]:
            i = at["time"].index(point["time"])
            _close(point["survival"], at["surv"][i])
            _close(point["stdErr"], at["std_err"][i])
            _close(point["cumulativeHazard"], at["cumhaz"][i])
            _close(point["cumulativeHazardStdErr"], at["std_chaz"][i])
        starts = [0, *ENDS[:-1]]
        for i, interval in enumerate(group["intervals"]):
            assert (interval["start"], interval["end"]) == (starts[i], ENDS[i])
            assert (interval["nAtRisk"], interval["events"], interval["censored"]) == (
                at["n_risk"][i],
                at["n_event"][i],
                at["n_censor"][i],
            )
    assert rmst_released >= 3  # every staged group's curve reaches 60 months
    test = peto["weightedLogrank"]
    assert test["testName"] == "Peto-Peto (rho=1)"
    assert test["groups"] == r["peto"]["groups"]
    _close(test["statistic"], r["peto"]["chisq"])
    _close(test["pValue"], r["peto"]["p"])
    assert test["df"] == r["peto"]["df"]
    for row, observed, expected in zip(
        test["observedExpected"], r["peto"]["observed"], r["peto"]["expected"], strict=True
    ):
        _close(row["observed"], observed)
        _close(row["expected"], expected)
    fh = data["fh"]["weightedLogrank"]
    assert fh["testName"] == "Fleming-Harrington (rho=1, gamma=1)"
    _close(fh["statistic"], r["fh_1_1"]["chisq"])
    _close(fh["pValue"], r["fh_1_1"]["p"])
    assert fh["df"] == r["fh_1_1"]["df"]


def test_options_as_an_analyst_come_from_the_noisy_life_table(lake_server: str) -> None:
    data = _ask(lake_server, ANALYST_KEY)
    peto = data["peto"]
    assert peto["provenance"]["access"] == "PROTECTED"
    assert peto["weightedLogrank"]["testName"] == "Peto-Peto (rho=1) (noisy life table)"
    r = _golden()
    for group in peto["groups"]:
        if group["group"] not in r["groups"] or not group["steps"]:
            continue
        expected = r["groups"][group["group"]]
        # a year is four intervals of the public grid: the noisy counts are near R's
        for interval, events in zip(group["intervals"], expected["at"]["n_event"], strict=True):
            if interval["events"] is not None:
                assert abs(interval["events"] - events) <= max(10, 0.3 * events)
        rmst = group["restrictedMean"]
        if rmst["estimate"] is not None:
            assert rmst["estimate"] == pytest.approx(expected["rmean"], rel=0.1)
