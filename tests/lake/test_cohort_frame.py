"""Derived attributes of the model additions on the demo lake, and the effects planted on them.

Oracles: the derived attributes (``had_dli``, ``max_ae_grade``, ``registry_entry_days``) against
the same facts counted straight from the scanned tables; the planted effects against the
generator's constants (``loaders/synthetic/hazards.py``: severe post-transplant toxicity doubles
the NRM hazard at EU-ALLOMM; ``loaders/synthetic/sites_mm_rw.py``: DE-MMRW registers patients
after diagnosis and loses those whose follow-up ended first). The toxicity effect is recovered
as a cause-specific Cox hazard ratio within 3 Wald SE of the planted one (as
tests/lake/risk/test_demo_lake.py does for HCT-CI). For the registry, overall survival from
diagnosis is exponential with a known rate per latent R-ISS stage (MM_OS x 1.4 for real-world
patients), so the true 5-year survival is exp(-5 rate): with delayed entry each stage's
Kaplan-Meier estimate covers it, while ignoring entry overestimates every stage.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from lake.cohort.frame import attribute_frame
from lake.endpoints import Origin, derive_endpoint
from lake.endpoints.definitions import non_relapse_mortality, overall_survival
from lake.risk.registry import REGISTRY
from lake.storage import LakeSnapshot, open_lake
from lake.survival import CoxPHFitter, KaplanMeierFitter
from loaders.synthetic.hazards import ALLO_NRM_TOXICITY, MM_OS, MM_OS_REAL_WORLD_FACTOR
from tests.conftest import DemoLake

pytestmark = pytest.mark.slow


def _site(lake: LakeSnapshot, table: str, site: str) -> pl.DataFrame:
    return lake.scan(table).filter(pl.col("site") == site).collect()


def test_derived_attributes_equal_the_facts_counted_from_the_tables(demo_lake: DemoLake) -> None:
    lake = open_lake(demo_lake.root)
    attributes = attribute_frame(
        lake, ["site", "had_dli", "max_ae_grade", "registry_entry_days"]
    ).collect()
    allo = attributes.filter(pl.col("site") == "EU-ALLOMM")
    dli = _site(lake, "events", "EU-ALLOMM").filter(pl.col("event_type") == "dli")
    assert allo["had_dli"].null_count() == 0
    assert set(allo.filter("had_dli")["patient_id"]) == set(dli["patient_id"])
    worst = (
        _site(lake, "adverse_events", "EU-ALLOMM").group_by("patient_id").agg(pl.col("grade").max())
    )
    joined = allo.join(worst, on="patient_id", how="left")
    assert (joined["max_ae_grade"] == joined["grade"].fill_null(0)).all()
    assert 0 < (joined["max_ae_grade"] == 0).sum() < allo.height  # some have none: 0, not null
    # sites that collect neither adverse events nor DLI: unknown, never "none"
    others = attributes.filter(pl.col("site") != "EU-ALLOMM")
    assert others["had_dli"].null_count() == others["max_ae_grade"].null_count() == others.height
    registry = attributes.filter(pl.col("site") == "DE-MMRW")
    patients = _site(lake, "patients", "DE-MMRW").select(
        "patient_id",
        delay=(pl.col("registry_entry_date") - pl.col("diagnosis_date")).dt.total_days(),
    )
    joined = registry.join(patients, on="patient_id")
    assert (joined["registry_entry_days"] == joined["delay"]).all()
    assert (joined["registry_entry_days"] >= 0).all()
    assert (joined["registry_entry_days"] == 0).sum() < joined.height  # many register later
    assert attributes.filter(pl.col("site") == "IT-MMT")["registry_entry_days"].null_count() > 0


def test_severe_post_transplant_toxicity_raises_non_relapse_mortality(
    demo_lake: DemoLake,
) -> None:
    """EU-ALLOMM: cause-specific NRM hazard of worst AE grade >= 3 versus < 3, planted 2.0."""
    lake = open_lake(demo_lake.root)
    site = pl.col("site") == "EU-ALLOMM"
    nrm = derive_endpoint(
        non_relapse_mortality(),
        Origin("allo_transplant"),
        events=lake.scan("events").filter(site),
        patients=lake.scan("patients").filter(site),
        transplants=lake.scan("transplants").filter(site),
    ).frame
    worst = attribute_frame(lake, ["max_ae_grade"]).collect()
    design = nrm.join(worst, on="patient_id").select(
        time=pl.col("time_days").cast(pl.Float64),
        event=(pl.col("status") == 1).cast(pl.Int8),
        severe=(pl.col("max_ae_grade") >= 3).cast(pl.Float64),
    )
    fit = CoxPHFitter().fit(design, duration_col="time", event_col="event")
    log_hr, se = float(fit.params_[0]), float(fit.standard_errors_[0])
    assert log_hr - 1.96 * se > 0  # a real effect
    assert abs(log_hr - math.log(ALLO_NRM_TOXICITY.hazard_ratios[1])) <= 3 * se


def _registry_os(lake: LakeSnapshot) -> pl.DataFrame:
    """DE-MMRW: OS from diagnosis (years), entry (years) and R-ISS stage of staged patients."""
    site = pl.col("site") == "DE-MMRW"
    os_ = derive_endpoint(
        overall_survival(),
        Origin("diagnosis"),
        events=lake.scan("events").filter(site),
        patients=lake.scan("patients").filter(site),
    ).frame
    frame = lake.scan("patients").filter(site)
    for name in ("baseline", "genetics"):
        frame = frame.join(lake.scan(name).filter(site).drop("site"), on="patient_id", how="left")
    version = REGISTRY.get("riss").version
    stages = REGISTRY.compute(frame, [version]).select(
        "patient_id", stage=pl.col(version).struct.field("category").cast(pl.String)
    )
    entry = attribute_frame(lake, ["registry_entry_days"])
    return (
        os_.lazy()
        .join(stages, on="patient_id")
        .join(entry, on="patient_id")
        .filter(pl.col("stage").is_in(["I", "II", "III"]))
        .select(
            "stage",
            "status",
            time=pl.col("time_days") / 365.25,
            entry=pl.col("registry_entry_days") / 365.25,
        )
        .collect()
    )


def test_delayed_entry_recovers_the_registry_survival_that_ignoring_entry_overstates(
    demo_lake: DemoLake,
) -> None:
    frame = _registry_os(open_lake(demo_lake.root))
    rate = math.log(2) / MM_OS.reference_median_years * MM_OS_REAL_WORLD_FACTOR  # per year
    for stage, ratio in zip(("I", "II", "III"), MM_OS.hazard_ratios, strict=True):
        rows = frame.filter(pl.col("stage") == stage)
        t, e = rows["time"].to_numpy(), rows["status"].to_numpy()
        truth = math.exp(-rate * ratio * 5)
        delayed = KaplanMeierFitter().fit(t, e, entry=rows["entry"].to_numpy())
        (at5,) = delayed.survival_at([5.0])
        (naive,) = KaplanMeierFitter().fit(t, e).survival_at([5.0])
        assert at5.lower is not None
        assert at5.upper is not None
        assert at5.lower <= truth <= at5.upper, (stage, truth, at5)
        assert naive.survival is not None
        assert at5.survival is not None
        assert naive.survival > max(truth, at5.survival), (stage, truth, naive, at5)
    # the planted hazard ratios hold from entry on: Cox with delayed entry, within 3 SE
    design = frame.select(
        "time",
        "status",
        "entry",
        ii=(pl.col("stage") == "II").cast(pl.Float64),
        iii=(pl.col("stage") == "III").cast(pl.Float64),
    )
    fit = CoxPHFitter().fit(design, duration_col="time", event_col="status", entry_col="entry")
    for log_hr, se, planted in zip(
        fit.params_, fit.standard_errors_, MM_OS.hazard_ratios[1:], strict=True
    ):
        assert abs(float(log_hr) - math.log(planted)) <= 3 * float(se)
    assert np.all(design["entry"].to_numpy() < design["time"].to_numpy())
