"""A seeded synthetic NPM1-mutated training cohort, for demonstrating and testing the derivation.

NOT clinical data and NOT the HARMONY rules: hazards are invented (FLT3-ITD and DNMT3A harmful,
worse together; IDH and TET2 mildly protective) so that the derivation has structure to find.
The shipped table ``harmony_npm1_derived_synthetic_v1`` is
``derive_npm1_table(synthetic_npm1_cohort(), label="synthetic_v1")``; a test re-derives it. The
file's ``log_hazard`` values were fitted with lifelines' ridge-penalised Cox (penalizer 0.01) before
the derivation moved to :class:`lake.survival.CoxPHFitter` (unpenalised); the genotype -> group
mapping, which is the rule and its digest, is unchanged.
"""

from __future__ import annotations

import numpy as np
import polars as pl

PREVALENCE = {"flt3_itd": 0.35, "dnmt3a": 0.5, "idh1": 0.15, "idh2": 0.15, "tet2": 0.15}


def synthetic_npm1_cohort(n: int = 1001, *, seed: int = 2026) -> pl.DataFrame:
    """Genotype calls (present/absent), ``time`` in years and ``event`` (death) per patient."""
    rng = np.random.default_rng(seed)
    has = {gene: rng.random(n) < p for gene, p in PREVALENCE.items()}
    idh = has["idh1"] | has["idh2"]
    log_hr = (
        0.8 * has["flt3_itd"]
        + 0.3 * has["dnmt3a"]
        + 0.6 * (has["flt3_itd"] & has["dnmt3a"])
        - 0.4 * idh
        - 0.2 * has["tet2"]
    )
    event_time = rng.exponential(1.0 / (0.08 * np.exp(log_hr)))
    censor_time = rng.uniform(1.0, 15.0, n)
    calls = {g: np.where(v, "present", "absent") for g, v in has.items()}
    return pl.DataFrame(
        {
            **calls,
            "time": np.minimum(event_time, censor_time),
            "event": (event_time <= censor_time).astype(np.int8),
        }
    )
