"""eGFR by the race-free CKD-EPI 2021 creatinine equation (rule id ``egfr_ckdepi2021``).

Citation: Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to
estimate GFR without race. *N Engl J Med* 2021;385(19):1737-1749. doi:10.1056/NEJMoa2102953

Formula (mL/min/1.73 m², creatinine in mg/dL, adults only)::

    eGFR = 142 * min(SCr/k, 1)^a * max(SCr/k, 1)^-1.200 * 0.9938^age  [* 1.012 if female]
    k = 0.7 (F) / 0.9 (M);  a = -0.241 (F) / -0.302 (M)

Inputs: ``baseline.creatinine_mg_dl``, ``patients.age_at_diagnosis`` (years), ``patients.sex``.

Categories: KDIGO 2012 GFR categories (KDIGO 2012 Clinical Practice Guideline for the Evaluation
and Management of Chronic Kidney Disease, *Kidney Int Suppl* 2013;3(1):1-150,
doi:10.1038/kisup.2012.73):

========  ====================
Category  eGFR (mL/min/1.73 m²)
========  ====================
G1        >= 90
G2        60 to < 90
G3a       45 to < 60
G3b       30 to < 45
G4        15 to < 30
G5        < 15
========  ====================

Missing inputs: any input unknown -> ``NOT_CLASSIFIABLE``; age < 18 -> ``NOT_APPLICABLE``.
``points`` is the unrounded eGFR.
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

from lake.risk.cockcroft_gault import AGE, CREATININE, SEX
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import (
    Band,
    Categories,
    ScoreParts,
    banded_parts,
)

INPUTS: Final = (CREATININE, AGE, SEX)
CATS: Final = Categories(("G1", "G2", "G3a", "G3b", "G4", "G5"))
BANDS: Final = (
    Band(15.0, "G5", inclusive=False),
    Band(30.0, "G4", inclusive=False),
    Band(45.0, "G3b", inclusive=False),
    Band(60.0, "G3a", inclusive=False),
    Band(90.0, "G2", inclusive=False),
    Band(float("inf"), "G1"),
)


def egfr_ml_min_173m2() -> pl.Expr:
    """CKD-EPI 2021 eGFR (null when any input is unknown).

    Evaluated in log space, ``x**a = exp(a ln x)``, so each row costs one log and one exp:
    ``ln min(r, 1) = min(ln r, 0)`` and ``ln max(r, 1) = max(ln r, 0)`` with ``r = SCr/k``;
    ``0.9938**age = exp(age ln 0.9938)``. Sex enters as a 0/1 indicator (codes are M/F).
    """
    female = (SEX.col == "F").cast(pl.Float64)
    log_ratio = CREATININE.col.log() - (math.log(0.9) + female * (math.log(0.7) - math.log(0.9)))
    alpha = -0.302 + female * (-0.241 + 0.302)
    log_egfr = (
        math.log(142.0)
        + female * math.log(1.012)
        + alpha * log_ratio.clip(upper_bound=0.0)
        - 1.200 * log_ratio.clip(lower_bound=0.0)
        + AGE.col * math.log(0.9938)
    )
    return log_egfr.exp()


def ckd_epi() -> ScoreParts:
    """eGFR as a struct ``{category, points (mL/min/1.73 m²), missing_inputs}``."""

    def category(egfr: pl.Expr) -> pl.Expr:
        child = AGE.col < 18
        return pl.when(child).then(pl.lit(CATS.na)).otherwise(CATS.band(egfr, BANDS))

    return banded_parts(
        points=pl.when(AGE.col >= 18).then(egfr_ml_min_173m2()),
        code_of_points=category,
        categories=CATS,
        inputs=INPUTS,
    )


SPEC: Final = ScoreSpec(
    name="egfr",
    version="egfr_ckdepi2021",
    citation=(
        "Inker LA, et al. New creatinine- and cystatin C-based equations to estimate GFR "
        "without race. N Engl J Med 2021;385(19):1737-1749. Categories: KDIGO 2012 CKD "
        "guideline, Kidney Int Suppl 2013;3(1):1-150."
    ),
    doi="10.1056/NEJMoa2102953",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="ANY",
    build=ckd_epi,
)
