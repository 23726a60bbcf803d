"""Declared order on the demo lake: trend tests, Cox reference levels, stages and cross-tabs.

Issue 10 ("Ordinal order"): labels sorted as text put ADVERSE before FAVORABLE and HIGH first.
These tests ask the lake boundary (:class:`lake.query.gateway.LakeGateway`, as the API does) and
compare
with oracles computed without it: the trend test of the same patients scored 1..K by the score's
declared categories (:func:`lake.survival.trend_test` on rows scanned directly). They use only
what existed before the fix, so they ran (and failed) on the code that sorted labels as text.
"""

from __future__ import annotations

from functools import partial

import polars as pl
import pytest

from lake.access import AuditRecord, Caller
from lake.cohort.covariates import Levelled, ModelTerms
from lake.cohort.endpoints import EndpointKey, endpoint_frame
from lake.cohort.filters import And, CategoryIn, CohortFilter, compile_filter
from lake.cohort.filters import required_columns as filter_columns
from lake.cohort.models import CoxRequest, StagingRequest
from lake.cohort.risk import NON_RESULTS, category, scored_frame
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.disclosure import DisclosurePolicy
from lake.query.gateway import Cohort, LakeGateway
from lake.risk.registry import REGISTRY
from lake.storage import open_lake
from lake.survival import logrank_test, trend_test
from tests.conftest import DemoLake

pytestmark = pytest.mark.slow
STATISTICIAN = Caller(user="stat", role="statistician")  # governed: exact results
AML: CohortFilter = CategoryIn(attribute="disease", values=("AML",))
#: the NPM1 study's validation sites (tests/lake/survival/demo_cohorts.py)
AML_NPM1: CohortFilter = And(
    (
        AML,
        CategoryIn(attribute="site", values=("FR-AMLRW", "UK-AMLX")),
        CategoryIn(attribute="npm1", values=("present",)),
    )
)
OS = EndpointKey(endpoint="OS", origin="diagnosis")


class NoAudit:
    def record(self, entry: AuditRecord) -> None:
        pass


def _survival(grouping: Grouping) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=OS, grouping=grouping, times=(), time_unit="months", conf_type="log", trend=True
    )


@pytest.fixture(scope="module")
def gateway(demo_lake: DemoLake) -> LakeGateway:
    return LakeGateway(
        open_snapshot=partial(open_lake, demo_lake.root),
        policy=DisclosurePolicy(min_cell_size=5),
        audit=NoAudit(),
        software_version="test",
    )


def _cohort(gateway: LakeGateway, f: CohortFilter) -> Cohort:
    (result,) = gateway.cohorts([(None, f)])
    assert isinstance(result, Cohort)
    return result


def _oracle_trend(demo_lake: DemoLake, cohort: CohortFilter, name: str) -> tuple[float, float]:
    """Trend and log-rank over the classified patients, scored by the declared categories."""
    source = open_lake(demo_lake.root)
    version = REGISTRY.get(name).version
    ranked = REGISTRY.get(name).categories  # every category of these scores is ranked
    patients = (
        scored_frame(source, sorted(filter_columns(cohort)), [version])
        .filter(compile_filter(cohort))
        .select("patient_id", category(version).alias("group"))
        .collect()
    )
    rows = (
        endpoint_frame(source, OS)
        .join(patients, on="patient_id")
        .filter(pl.col("time_days").is_not_null() & pl.col("group").is_in(ranked))
    )
    time = (rows.get_column("time_days") / 30.4375).to_numpy()
    status = rows.get_column("status").to_numpy()
    score = rows.get_column("group").replace_strict({c: i for i, c in enumerate(ranked)})
    trend = trend_test(time, status, score.to_numpy())
    logrank = logrank_test(time, status, score.to_numpy())
    assert trend.statistic is not None
    assert logrank.p_value is not None
    return trend.statistic, logrank.p_value


def test_eln2022_trend_follows_favourable_intermediate_adverse(
    gateway: LakeGateway, demo_lake: DemoLake
) -> None:
    """AML OS by ELN 2022: as text the trend was 33.5; on the clinical scale it is 274.2."""
    summary = gateway.survival(
        STATISTICIAN, _cohort(gateway, AML), request=_survival(Grouping(score="eln2022_intensive"))
    ).value
    order = ["FAVORABLE", "INTERMEDIATE", "ADVERSE"]
    assert [g.group for g in summary.groups] == [*order, "NOT_CLASSIFIABLE"]
    assert summary.trend is not None
    assert summary.trend.statistic is not None
    assert summary.trend.groups == tuple(order)
    expected, _ = _oracle_trend(demo_lake, AML, "eln2022")
    assert summary.trend.statistic == pytest.approx(expected, rel=1e-9)
    assert summary.trend.statistic > 200


def test_harmony_npm1_trend_agrees_with_the_logrank_test(
    gateway: LakeGateway, demo_lake: DemoLake
) -> None:
    """Three groups whose survival differs by risk: the trend is as significant as the log-rank.

    Scored as text (ADVERSE, FAVORABLE, INTERMEDIATE) the trend p was 0.06 against a log-rank
    p of 1e-79 on these patients.
    """
    name = "harmony_npm1_derived_demo_v1"
    summary = gateway.survival(
        STATISTICIAN, _cohort(gateway, AML_NPM1), request=_survival(Grouping(score=name))
    ).value
    assert summary.trend is not None
    assert summary.trend.p_value is not None
    expected, logrank_p = _oracle_trend(demo_lake, AML_NPM1, name)
    assert summary.trend.statistic == pytest.approx(expected, rel=1e-9)
    assert summary.trend.p_value < 1e-50
    assert logrank_p < 1e-50


@pytest.mark.parametrize(
    ("name", "cohort", "origin"),
    [
        ("elts", CategoryIn(attribute="disease", values=("CML",)), "diagnosis"),
        ("hctci", CategoryIn(attribute="had_allogeneic", values=("true",)), "allo_transplant"),
        ("ldh", CategoryIn(attribute="disease", values=("MM",)), "diagnosis"),
    ],
)
def test_cox_reference_is_the_lowest_risk_category(
    gateway: LakeGateway, name: str, cohort: CohortFilter, origin: str
) -> None:
    """ELTS, HCT-CI and LDH: hazard ratios against LOW / NORMAL, never against HIGH."""
    declared = REGISTRY.get(name)
    request = CoxRequest(
        endpoint=EndpointKey(endpoint="OS", origin=origin),  # type: ignore[arg-type]
        terms=ModelTerms((Levelled("score", declared.version),)),
    )
    fit = gateway.cox(STATISTICIAN, _cohort(gateway, cohort), request=request).value
    assert [c.name for c in fit.coefficients] == [
        f"{declared.version}={c}" for c in declared.categories[1:]
    ]


def test_staging_stages_and_cross_tabs_follow_the_declared_order(gateway: LakeGateway) -> None:
    mm = _cohort(gateway, CategoryIn(attribute="disease", values=("MM",)))
    versions = ("riss_palumbo2015", "mm_cytogenetic_palumbo2015", "ldh_uln")
    staging = gateway.staging(
        STATISTICIAN, mm, request=StagingRequest(endpoint=OS, scores=versions)
    ).value
    assert [s.stages for s in staging.systems] == [
        ("I", "II", "III"),
        ("STANDARD", "HIGH"),
        ("NORMAL", "HIGH"),
    ]
    eln, npm1 = REGISTRY.get("eln2022"), REGISTRY.get("harmony_npm1_derived_demo_v1")
    tab = gateway.reclassification(
        STATISTICIAN,
        _cohort(gateway, AML_NPM1),
        before=eln.version,
        after=npm1.version,
        not_classified="exclude",
    ).value
    levels = (*eln.categories, *NON_RESULTS)
    pairs = [(levels.index(c.before), levels.index(c.after)) for c in tab.cells]
    assert pairs == sorted(pairs)
    assert len({b for b, _ in pairs}) == 4  # three categories and NOT_CLASSIFIABLE
