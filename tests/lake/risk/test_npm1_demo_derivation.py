"""The shipped ``harmony_npm1_derived_demo_v1`` table is reproducible from the demo lake.

The study's flow on the demo lake: derive the NPM1 co-mutation table on the training site
(EU-AMLT) with OS from ``lake.endpoints``, ship it as a versioned table, apply it unchanged to the
validation sites (FR-AMLRW, UK-AMLX).

Oracles: the shipped JSON file (re-derivation must give the same mapping, the same training data
fingerprint and the same Cox log hazards), and the generator's planted co-mutation groups
(``loaders/synthetic/hazards.py`` ``AML_OS_COMUTATION``: adverse = FLT3-ITD and DNMT3A;
favourable = no FLT3-ITD and (no DNMT3A or IDH1/2 or TET2); intermediate = the rest, hazard
ratios 1 / 3 / 6), which every well-populated cell must recover, whose group shares the derived
table must reproduce on the training site, and whose hazard ratios it must recover on each
validation cohort separately (FR-AMLRW real-world, UK-AMLX trials: internal and external
validation are different populations, not to be pooled).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import polars as pl
import pytest

from lake.risk.npm1_table import shipped_table
from lake.risk.npm1_training import (
    DEMO_TRAINING_SITES,
    DEMO_VALIDATION_SITES,
    derive_npm1_table_from_lake,
)
from lake.risk.registry import REGISTRY
from lake.storage import open_lake
from lake.survival import KaplanMeierFitter
from tests.conftest import DemoLake
from tests.lake.risk.test_demo_lake import (
    _assert_recovers,
    _cox_log_ratios,
    _expected,
    _overall_survival,
    _planted_ratios,
)

pytestmark = pytest.mark.slow
VERSION: Final = "harmony_npm1_derived_demo_v1"
#: a cell this large carries the planted group despite sampling noise (hazard ratios 1 / 3 / 6)
WELL_POPULATED: Final = 30


def _planted(flt3_itd: bool, dnmt3a: bool, idh: bool, tet2: bool) -> str:
    if flt3_itd and dnmt3a:
        return "ADVERSE"
    if not flt3_itd and (not dnmt3a or idh or tet2):
        return "FAVORABLE"
    return "INTERMEDIATE"


def test_rederived_table_equals_the_shipped_one(demo_lake: DemoLake) -> None:
    shipped = shipped_table(VERSION)
    rederived = derive_npm1_table_from_lake(
        open_lake(demo_lake.root), sites=DEMO_TRAINING_SITES, label="demo_v1"
    )
    assert rederived.version == shipped.version
    assert rederived.digest == shipped.digest
    for key in ("training_sha256", "n_training", "n_complete", "training_sites"):
        assert rederived.derivation[key] == shipped.derivation[key], key
    assert [c.n for c in rederived.cells] == [c.n for c in shipped.cells]
    got = np.array([np.nan if c.log_hazard is None else c.log_hazard for c in rederived.cells])
    want = np.array([np.nan if c.log_hazard is None else c.log_hazard for c in shipped.cells])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_shipped_table_recovers_the_planted_groups() -> None:
    table = shipped_table(VERSION)
    assert table.status == "DERIVED"
    assert REGISTRY.get(VERSION).status == "UNCONFIRMED"
    populated = [c for c in table.cells if c.n is not None and c.n >= WELL_POPULATED]
    assert len(populated) >= 8
    for cell in populated:
        assert cell.group == _planted(*cell.genotype), cell


GROUPS: Final = ("FAVORABLE", "INTERMEDIATE", "ADVERSE")


def _derived_groups(demo_lake: DemoLake, code: str) -> pl.DataFrame:
    """NPM1-mutated AML patients of one site with their group under the shipped derived table."""
    lake = open_lake(demo_lake.root)
    site_rows = pl.col("site") == code
    frame = (
        lake.scan("patients")
        .filter(site_rows & (pl.col("disease") == "AML"))
        .join(lake.scan("genetics"), on=["patient_id", "site"])
        .filter(pl.col("npm1") == "present")
    )
    return (
        REGISTRY.compute(frame, [VERSION])
        .select(
            "patient_id",
            category=pl.col(VERSION).struct.field("category").cast(pl.String),
        )
        .collect()
    )


def test_derived_group_shares_match_the_planted_groups(demo_lake: DemoLake) -> None:
    """Training site: shares of the derived groups among classified patients vs planted shares.

    Oracle: ``expected.json`` counts of the planted co-mutation groups over all N generated
    patients. The m classified patients are the N less those lost to quarantine or left
    NOT_CLASSIFIABLE by untested genes, which the generator draws independently of the group, so
    a derived share that reproduces the planted groups differs from the planted share only by
    subsampling: standard error sqrt(p (1 - p) / m x (1 - m / N)) (finite population). Tolerance
    3 SE (about 1.8 points here); a misassigned cell of 2 % of the patients would exceed it.
    """
    planted_counts = _expected("EU-AMLT")["risk_groups"]["comutation_group"]
    total = sum(planted_counts.values())
    groups = _derived_groups(demo_lake, "EU-AMLT")
    classified = groups.filter(pl.col("category").is_in(GROUPS))
    m = classified.height
    assert 0.8 * total <= m < total
    for index, group in enumerate(GROUPS):
        planted = planted_counts[str(index)] / total
        derived = classified.filter(pl.col("category") == group).height / m
        se = math.sqrt(planted * (1 - planted) / m * (1 - m / total))
        assert abs(derived - planted) <= 3 * se, (group, derived, planted, se)


@pytest.mark.parametrize("code", DEMO_VALIDATION_SITES)
def test_each_validation_cohort_orders_and_recovers_overall_survival(
    demo_lake: DemoLake, code: str
) -> None:
    """Applied unchanged on one validation cohort: 3-year OS ordered as planted, and the Cox
    hazard ratios of the derived groups within 3 SE of the planted 1 / 3 / 6 (see
    test_demo_lake; the planted ELN-adverse factor x2 acts as an unmodelled covariate, which can
    only pull the estimates towards 1)."""
    assert set(DEMO_VALIDATION_SITES) == {"FR-AMLRW", "UK-AMLX"}
    lake = open_lake(demo_lake.root)
    groups = _derived_groups(demo_lake, code)
    os_ = _overall_survival(lake, code)
    rows = os_.join(groups, on="patient_id")
    survival: list[float] = []
    for group in GROUPS:
        in_group = rows.filter(pl.col("category") == group)
        fitter = KaplanMeierFitter().fit(
            in_group.get_column("time_days").to_numpy(),
            (in_group.get_column("status") == 1).to_numpy(),
        )
        at_three_years = fitter.survival_at([3 * 365.25])[0].survival
        assert at_three_years is not None
        survival.append(at_three_years)
    assert survival[0] > survival[1] > survival[2], survival
    _assert_recovers(
        _cox_log_ratios(os_, groups, GROUPS), _planted_ratios(code, "synthetic NPM1 co-mutation")
    )
