"""The shipped ``harmony_npm1_derived_demo_v1`` table is reproducible from the demo lake.

The study's flow on the demo lake: derive the NPM1 co-mutation table on the training site
(EU-AMLT) with OS from ``lake.endpoints``, ship it as a versioned table, apply it unchanged to the
validation sites (FR-AMLRW, UK-AMLX).

Oracles: the shipped JSON file (re-derivation must give the same mapping, the same training data
fingerprint and the same Cox log hazards), and the generator's planted co-mutation groups
(``loaders/synthetic/hazards.py`` ``AML_OS_COMUTATION``: adverse = FLT3-ITD and DNMT3A;
favourable = no FLT3-ITD and (no DNMT3A or IDH1/2 or TET2); intermediate = the rest, hazard
ratios 1 / 3 / 6), which every well-populated cell must recover.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
import pytest

from lake.endpoints import Origin, derive_endpoint
from lake.endpoints.definitions import overall_survival
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


def test_validation_sites_order_overall_survival(demo_lake: DemoLake) -> None:
    """Applied unchanged on FR-AMLRW + UK-AMLX, the groups order 3-year OS as planted."""
    lake = open_lake(demo_lake.root)
    validation = pl.col("site").is_in(list(DEMO_VALIDATION_SITES))
    frame = (
        lake.scan("patients")
        .filter(validation & (pl.col("disease") == "AML"))
        .join(lake.scan("genetics"), on=["patient_id", "site"])
        .filter(pl.col("npm1") == "present")
    )
    groups = (
        REGISTRY.compute(frame, [VERSION])
        .select("patient_id", category=pl.col(VERSION).struct.field("category"))
        .collect()
    )
    os_ = derive_endpoint(
        overall_survival(),
        Origin("diagnosis"),
        events=lake.scan("events").filter(validation),
        patients=lake.scan("patients").filter(validation),
    ).frame.join(groups, on="patient_id")
    survival: list[float] = []
    for group in ("FAVORABLE", "INTERMEDIATE", "ADVERSE"):
        rows = os_.filter(pl.col("category") == group)
        fitter = KaplanMeierFitter().fit(
            rows.get_column("time_days").to_numpy(), (rows.get_column("status") == 1).to_numpy()
        )
        at_three_years = fitter.survival_at([3 * 365.25])[0].survival
        assert at_three_years is not None
        survival.append(at_three_years)
    assert survival[0] > survival[1] > survival[2], survival
