"""HARMONY NPM1: table application with unknowns, derivation, versioning and reclassification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lifelines
import numpy as np
import polars as pl
import pytest

from lake.errors import AnalysisError, ConfigError, EmptyCohortError
from lake.risk.harmony_npm1 import harmony_npm1
from lake.risk.npm1_derivation import derive_npm1_table, fit_cell_log_hazards
from lake.risk.npm1_table import ALL_GENOTYPES, Cell, Npm1Table, load_npm1_table, shipped_table
from lake.risk.reclassification import reclassification
from lake.risk.registry import REGISTRY
from loaders.synthetic.npm1_cohort import synthetic_npm1_cohort
from tests.lake.risk.helpers import cohort, evaluate

NC = "NOT_CLASSIFIABLE"
GENES = ("flt3_itd", "dnmt3a", "idh1", "idh2", "tet2")


def itd_table() -> Npm1Table:
    """Hand-made table: FLT3-ITD -> ADVERSE, else IDH -> FAVORABLE, else INTERMEDIATE."""

    def group(g: tuple[bool, bool, bool, bool]) -> Any:
        itd, _, idh, _ = g
        return "ADVERSE" if itd else "FAVORABLE" if idh else "INTERMEDIATE"

    return Npm1Table("test_itd", "DERIVED", "test", tuple(Cell(g, group(g)) for g in ALL_GENOTYPES))


def patient(npm1: str = "present", **calls: str) -> dict[str, Any]:
    return {"npm1": npm1, **dict.fromkeys(GENES, "absent"), **calls}


@pytest.mark.parametrize(
    ("row", "expected", "missing"),
    [
        (patient(flt3_itd="present"), "ADVERSE", []),
        (patient(flt3_itd="present", dnmt3a="not_tested", tet2="not_tested"), "ADVERSE", []),
        (patient(idh2="present"), "FAVORABLE", []),
        (patient(idh1="present", idh2="not_tested"), "FAVORABLE", []),  # IDH already known
        (patient(), "INTERMEDIATE", []),
        (patient(flt3_itd="not_tested"), NC, ["genetics.flt3_itd"]),
        (patient(idh2="not_tested"), NC, ["genetics.idh2"]),
        (patient(npm1="absent"), "NOT_APPLICABLE", []),
        (patient(npm1="not_tested"), NC, ["genetics.npm1"]),
    ],
)
def test_table_application_with_unknowns(
    row: dict[str, Any], expected: str, missing: list[str]
) -> None:
    result = evaluate(harmony_npm1(itd_table()), row)
    assert (result["category"], result["missing_inputs"]) == (expected, missing)


def test_default_table_is_unconfirmed_and_unassigned() -> None:
    table = shipped_table("harmony_npm1_2026")
    assert table.status == "UNCONFIRMED"
    assert all(c.group is None for c in table.cells)
    assert evaluate(harmony_npm1(table), patient())["category"] == NC
    assert REGISTRY.get("harmony_npm1_2026").status == "UNCONFIRMED"


def test_shipped_derived_table_is_reproducible() -> None:
    rederived = derive_npm1_table(synthetic_npm1_cohort(), label="synthetic_v1")
    shipped = shipped_table("harmony_npm1_derived_synthetic_v1")
    assert [c.group for c in rederived.cells] == [c.group for c in shipped.cells]
    assert rederived.digest == shipped.digest


def test_cell_log_hazards_match_lifelines_unpenalised() -> None:
    """Library oracle: lifelines ``CoxPHFitter`` (Efron ties, no penalty) on the same design."""
    train = synthetic_npm1_cohort(400, seed=7)
    flt3 = (train.get_column("flt3_itd") == "present").to_numpy().astype(np.float64)
    dnmt3a = (train.get_column("dnmt3a") == "present").to_numpy().astype(np.float64)
    indicators = np.column_stack([flt3, dnmt3a])
    time, event = train.get_column("time").to_numpy(), train.get_column("event").to_numpy()
    data = pl.DataFrame({"x0": flt3, "x1": dnmt3a, "time": time, "event": event}).to_pandas()
    oracle = lifelines.CoxPHFitter().fit(data, duration_col="time", event_col="event")
    got = fit_cell_log_hazards(indicators, time, event)
    np.testing.assert_allclose(got, oracle.params_[["x0", "x1"]].to_numpy(), atol=1e-5)


def test_derivation_ranks_by_hazard_and_respects_min_group_size() -> None:
    """Synthetic truth: FLT3-ITD+DNMT3A is the worst genotype, IDH/TET2 without ITD the best."""
    table = derive_npm1_table(synthetic_npm1_cohort(), min_group_size=100, label="t")
    assert table.group_of((True, True, False, False)) == "ADVERSE"
    assert table.group_of((False, False, True, False)) == "FAVORABLE"
    sizes: dict[str, int] = {}
    for cell in table.cells:
        if cell.group is not None and cell.n is not None:
            sizes[cell.group] = sizes.get(cell.group, 0) + cell.n
    assert min(sizes.values()) >= 100
    hazards = {
        g: [c.log_hazard for c in table.cells if c.group == g and c.log_hazard is not None]
        for g in sizes
    }
    assert max(hazards["FAVORABLE"]) <= min(hazards["INTERMEDIATE"])
    assert max(hazards["INTERMEDIATE"]) <= min(hazards["ADVERSE"])


def test_derivation_refuses_impossible_group_size() -> None:
    with pytest.raises(AnalysisError, match="min_group_size"):
        derive_npm1_table(synthetic_npm1_cohort(200), min_group_size=150, min_cell_size=1)


def test_malformed_table_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": "x"}')
    with pytest.raises(ConfigError, match=r"bad\.json"):
        load_npm1_table(path)


def test_versions_stay_registered_and_reclassify() -> None:
    """Default (all unassigned) and derived versions both compute; compare them on a cohort."""
    versions = [s.version for s in REGISTRY.versions_of("harmony_npm1")]
    assert versions == [
        "harmony_npm1_2026",
        "harmony_npm1_derived_synthetic_v1",
        "harmony_npm1_derived_demo_v1",
    ]
    versions = versions[:2]
    frame = cohort([patient(flt3_itd="present", dnmt3a="present"), patient(idh1="present")])
    out = REGISTRY.compute(frame, versions)
    result = reclassification(out, *versions, not_classified="as_category")
    assert (result.n_compared, result.n_moved, result.share_moved) == (2, 2, 1.0)
    with pytest.raises(EmptyCohortError, match="no patient is classified under both"):
        reclassification(out, *versions)


def test_reclassification_counts_and_excludes() -> None:
    frame = pl.DataFrame(
        {
            "a": ["FAVORABLE", "FAVORABLE", "ADVERSE", NC, "INTERMEDIATE"],
            "b": ["FAVORABLE", "ADVERSE", "ADVERSE", "ADVERSE", "NOT_APPLICABLE"],
        }
    )
    result = reclassification(frame, "a", "b")
    assert (result.n_compared, result.n_moved, result.n_excluded) == (3, 1, 2)
    assert result.share_moved == pytest.approx(1 / 3)
    assert result.table.get_column("n").sum() == 5
    as_category = reclassification(frame, "a", "b", not_classified="as_category")
    assert (as_category.n_compared, as_category.n_moved) == (5, 3)
