"""The truth: model-shaped frames, planted hazards recoverable, vectorised at scale."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest

from lake.model import TABLES_BY_NAME
from loaders.synthetic import generate
from loaders.synthetic.generate import Disease, generate_truth
from loaders.synthetic.hazards import (
    ALLO_NRM,
    ALLO_NRM_TOXICITY,
    CML_MOLECULAR_RELAPSE,
    MM_OS,
    MM_OS_REAL_WORLD_FACTOR,
)
from loaders.synthetic.sites import site

SEED = 7


def crude_rates(
    groups: pl.DataFrame, group: str, event: str, time_column: str, *, shape: float = 1.0
) -> list[float]:
    """Events per unit of sum(t**shape) by group: for a Weibull proportional-hazards model of
    known ``shape`` (H(t) = HR * (t / scale)**shape), the MLE of each group's HR * scale**-shape,
    so ratios between groups estimate the HRs; at shape 1, events per person-day (exponential)."""
    exposure = pl.col(time_column).cast(pl.Float64) ** shape
    summary = (
        groups.group_by(group)
        .agg(pl.col(event).sum().alias("events"), exposure.sum().alias("exposure"))
        .sort(group)
    )
    return (summary["events"] / summary["exposure"]).to_list()


@pytest.mark.parametrize("disease", ["MM", "ALLO", "AML", "CML"])
def test_truth_frames_follow_the_model(disease: Disease) -> None:
    truth = generate_truth(300, SEED, disease=disease)
    for name, frame in truth.tables.items():
        schema = TABLES_BY_NAME[name].schema
        assert set(frame.columns) <= set(schema), name
        assert [c for c in schema if c in frame.columns] == frame.columns
        for column, dtype in frame.schema.items():
            assert dtype == schema[column], (name, column)
    events = truth.tables["events"]
    last = events.filter(pl.col("event_type") == "last_follow_up")
    assert (
        last["patient_id"].sort().to_list()
        == truth.tables["patients"]["patient_id"].sort().to_list()
    )


def test_mm_os_hazard_ratios_are_recovered() -> None:
    # Exponential OS with planted HRs 1 : 1.8 : 3.5 by R-ISS (hazards.MM_OS); the crude rate
    # ratio estimates the HR, with sampling error of a few percent at this size.
    truth = generate_truth(60_000, SEED, disease="MM")
    rates = crude_rates(truth.groups, "riss", "os_event", "os_days")
    assert rates[1] / rates[0] == pytest.approx(MM_OS.hazard_ratios[1], rel=0.12)
    assert rates[2] / rates[0] == pytest.approx(MM_OS.hazard_ratios[2], rel=0.12)


def test_mm_iss_and_r2iss_order_survival_too() -> None:
    truth = generate_truth(30_000, SEED, disease="MM")
    for group in ("iss", "r2iss"):
        rates = crude_rates(truth.groups, group, "os_event", "os_days")
        assert rates == sorted(rates), group


def test_allo_nrm_by_hctci_and_two_year_survival() -> None:
    truth = generate_truth(20_000, SEED, disease="ALLO")
    groups = truth.groups
    rates = crude_rates(groups, "hctci_group", "nrm_event", "follow_days")
    assert rates[1] / rates[0] == pytest.approx(ALLO_NRM.hazard_ratios[1], rel=0.15)
    assert rates[2] / rates[0] == pytest.approx(ALLO_NRM.hazard_ratios[2], rel=0.15)
    # Everyone has >= 24 months of potential follow-up; loss to follow-up is 3%/year, so the
    # share dead by day 730 is close to 1 - OS(2 y), which the brief sets at 55-60%.
    dead = (groups["os_event"] & (groups["follow_days"] <= 730)).to_numpy()
    assert 0.38 <= float(dead.mean()) <= 0.48


def test_severe_post_transplant_toxicity_doubles_nrm() -> None:
    # hazards.ALLO_NRM_TOXICITY: NRM hazard x 2 with a grade >= 3 adverse event attributed to the
    # transplant, independent of HCT-CI, so the crude rate ratio estimates it directly.
    truth = generate_truth(20_000, SEED, disease="ALLO")
    groups = truth.groups
    rates = crude_rates(groups, "severe_toxicity", "nrm_event", "follow_days")
    assert rates[1] / rates[0] == pytest.approx(ALLO_NRM_TOXICITY.hazard_ratios[1], rel=0.12)
    allo = truth.tables["transplants"].filter(pl.col("transplant_type") == "allogeneic")
    last = truth.tables["events"].filter(pl.col("event_type") == "last_follow_up")
    ae = (
        truth.tables["adverse_events"]
        .join(allo.select("patient_id", day0="transplant_date"), on="patient_id")
        .join(last.select("patient_id", last="event_date"), on="patient_id")
    )
    # every event is attributed to the allogeneic transplant and lies within the follow-up
    assert (ae["transplant_date"] == ae["day0"]).all()
    assert (ae["onset_date"] > ae["day0"]).all()
    assert (ae["onset_date"] < ae["last"]).all()
    assert (ae["resolution_date"] > ae["onset_date"]).all()
    assert (ae["resolution_date"] < ae["last"]).all()
    worst = ae.group_by("patient_id").agg(pl.col("grade").max())
    flagged = groups.join(worst, on="patient_id", how="left").with_columns(
        pl.col("grade").fill_null(0)
    )
    assert ((flagged["grade"] >= 3) == flagged["severe_toxicity"]).all()
    dli = (
        truth.tables["events"]
        .filter(pl.col("event_type") == "dli")
        .join(last.select("patient_id", last="event_date"), on="patient_id")
    )
    assert 0 < dli.height == dli["patient_id"].n_unique()
    assert (dli["event_date"] < dli["last"]).all()


def test_registry_entry_left_truncates_and_delayed_entry_recovers_the_hazard() -> None:
    # DE-MMRW registers 60 % of patients 1 day - 4 years after diagnosis and loses those whose
    # follow-up ended first. OS is exponential (MM_OS, x 1.4 in real-world practice): with delayed
    # entry the rate MLE is events / sum(exit - entry) (time at risk after entry), which recovers
    # the planted rate; counting from diagnosis adds immortal time and underestimates it.
    profile = site("DE-MMRW")
    truth = generate_truth(40_000, SEED, site=profile)
    patients = truth.tables["patients"].select(
        "patient_id",
        entry=(pl.col("registry_entry_date") - pl.col("diagnosis_date")).dt.total_days(),
    )
    frame = truth.groups.join(patients, on="patient_id")
    assert truth.n_patients < 40_000
    assert (frame["entry"] >= 0).all()
    assert (frame["entry"] < frame["os_days"]).all()
    planted = np.log(2) / (MM_OS.reference_median_years * 365.25) * MM_OS_REAL_WORLD_FACTOR
    for stage, ratio in enumerate(MM_OS.hazard_ratios):
        rows = frame.filter(pl.col("riss") == stage)
        events = float(rows["os_event"].sum())
        delayed = events / float((rows["os_days"] - rows["entry"]).sum())
        naive = events / float(rows["os_days"].sum())
        assert delayed == pytest.approx(planted * ratio, rel=0.1), stage
        assert naive < 0.9 * planted * ratio, stage


def test_aml_groups_order_survival() -> None:
    truth = generate_truth(20_000, SEED, disease="AML")
    for group in ("comutation_group", "eln2022"):
        rates = crude_rates(truth.groups, group, "os_event", "os_days")
        assert rates == sorted(rates), group


def test_cml_molecular_relapse_hazard_ratios_by_sokal_are_recovered() -> None:
    # Weibull relapse times (shape 0.6) with planted HRs 1 : 1.5 : 2.2 by Sokal group
    # (hazards.CML_MOLECULAR_RELAPSE); relapse is observed at the next scheduled sample, which
    # stretches times a little, hence the tolerance.
    planted = CML_MOLECULAR_RELAPSE
    truth = generate_truth(20_000, SEED, disease="CML")
    rates = crude_rates(
        truth.groups, "sokal_group", "relapse_event", "mrfs_days", shape=planted.shape
    )
    assert rates[1] / rates[0] == pytest.approx(planted.hazard_ratios[1], rel=0.1)
    assert rates[2] / rates[0] == pytest.approx(planted.hazard_ratios[2], rel=0.1)


def test_generation_scales_and_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "CHUNK", 30_000)
    started = time.perf_counter()
    truth = generate_truth(100_000, SEED, disease="MM")
    elapsed = time.perf_counter() - started
    ids = truth.tables["patients"]["patient_id"]
    assert ids.n_unique() == 100_000
    assert ids.to_list() == sorted(ids.to_list())
    assert truth.tables["baseline"]["patient_id"].equals(ids)
    assert elapsed < 30
    assert np.isfinite(truth.tables["patients"]["age_at_diagnosis"].to_numpy()).all()
