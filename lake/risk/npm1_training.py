"""The NPM1 study's training cohort read from a lake, and its content digest.

The HARMONY NPM1 study derives its co-mutation classification on a training cohort and applies it
unchanged to validation cohorts. :func:`npm1_training_cohort` assembles that training input from
the harmonised lake: the NPM1-mutated AML patients of the training site(s), their tri-state
FLT3-ITD, DNMT3A, IDH1, IDH2 and TET2 calls (``genetics``) and overall survival from diagnosis
(:func:`lake.endpoints.definitions.overall_survival`, time in days, ``event`` = death), ready for
:func:`lake.risk.npm1_derivation.derive_npm1_table`; :func:`derive_npm1_table_from_lake` does both
steps and records the provenance in the table (how ``harmony_npm1_derived_demo_v1`` was made).

:func:`training_digest` fingerprints that input *without* patient ids, so a table derived on a
lake records which data it came from, and a re-derivation on a lake rebuilt with another
pseudonym key (the ids change, the data does not) can prove it saw the same cohort.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Final

import polars as pl

from lake.endpoints import Origin, derive_endpoint
from lake.endpoints.definitions import overall_survival
from lake.errors import EmptyCohortError
from lake.risk.npm1_derivation import MARKERS, derive_npm1_table
from lake.risk.npm1_table import Npm1Table
from lake.storage import LakeSnapshot

#: The demo lake's NPM1 training site and validation sites (``loaders/sites``).
DEMO_TRAINING_SITES: Final = ("EU-AMLT",)
DEMO_VALIDATION_SITES: Final = ("FR-AMLRW", "UK-AMLX")


def npm1_training_cohort(lake: LakeSnapshot, *, sites: Sequence[str]) -> pl.DataFrame:
    """NPM1-mutated AML patients of ``sites`` with marker calls, OS ``time`` (days) and ``event``.

    Patients without an OS measurement (e.g. no diagnosis date) are left out by
    :func:`~lake.endpoints.derive_endpoint`; patients without a genetics row have every marker
    ``None`` (and are dropped by the derivation as incomplete genotypes).

    Raises
    ------
    EmptyCohortError
        No NPM1-mutated AML patient in ``sites``.
    """
    in_sites = pl.col("site").is_in(list(sites))
    patients = lake.scan("patients").filter(in_sites & (pl.col("disease") == "AML"))
    npm1 = (
        lake.scan("genetics")
        .filter(in_sites & (pl.col("npm1") == "present"))
        .select("patient_id", *MARKERS)
    )
    cohort = patients.select("patient_id").join(npm1, on="patient_id", how="inner").collect()
    if cohort.height == 0:
        raise EmptyCohortError(f"no NPM1-mutated AML patient in sites {list(sites)}")
    ids = cohort.select("patient_id").lazy()
    os_ = derive_endpoint(
        overall_survival(),
        Origin("diagnosis"),
        events=lake.scan("events").join(ids, on="patient_id", how="semi"),
        patients=patients.join(ids, on="patient_id", how="semi"),
    )
    survival = os_.frame.select(
        "patient_id", time=pl.col("time_days").cast(pl.Float64), event=pl.col("status")
    )
    return cohort.join(survival, on="patient_id", how="inner").sort("patient_id")


def training_digest(training: pl.DataFrame) -> str:
    """SHA-256 of the training rows (markers, time, event) in a canonical order, ids excluded."""
    columns = [*MARKERS, "time", "event"]
    rows = training.select(columns).sort(columns, nulls_last=True).rows()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def derive_npm1_table_from_lake(
    lake: LakeSnapshot,
    *,
    sites: Sequence[str],
    label: str,
    provenance: Mapping[str, object] | None = None,
) -> Npm1Table:
    """Derive a table on the training ``sites`` of ``lake`` and record where it came from.

    The table's ``derivation`` gains ``training_sites``, ``endpoint`` (OS from diagnosis, days),
    ``training_sha256`` (:func:`training_digest`) and ``lake_version``, plus any ``provenance``
    the caller knows (e.g. the synthetic generator's seed). Derivation options are the defaults of
    :func:`~lake.risk.npm1_derivation.derive_npm1_table`.
    """
    training = npm1_training_cohort(lake, sites=sites)
    table = derive_npm1_table(training, label=label)
    recorded = {
        **table.derivation,
        "training_sites": list(sites),
        "endpoint": "OS from diagnosis (lake.endpoints.overall_survival), time in days",
        "training_sha256": training_digest(training),
        "lake_version": lake.version,
        **(provenance or {}),
    }
    source = (
        f"derived on the NPM1-mutated AML patients of {', '.join(sites)} by "
        "lake.risk.npm1_training.derive_npm1_table_from_lake (Cox ranking of genotypes); "
        "synthetic demo data, NOT the HARMONY rules"
    )
    return replace(table, source=source, derivation=recorded)
