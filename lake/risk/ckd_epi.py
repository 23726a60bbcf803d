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

from typing import Final

import polars as pl

from lake.risk.cockcroft_gault import AGE, CREATININE, SEX
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import (
    NOT_APPLICABLE,
    NOT_CLASSIFIABLE,
    Band,
    band_of,
    category_dtype,
    missing_inputs,
    score_struct,
)

INPUTS: Final = (CREATININE, AGE, SEX)
CATEGORIES: Final = ("G1", "G2", "G3a", "G3b", "G4", "G5")
DTYPE: Final = category_dtype(CATEGORIES)
BANDS: Final = (
    Band(15.0, "G5", inclusive=False),
    Band(30.0, "G4", inclusive=False),
    Band(45.0, "G3b", inclusive=False),
    Band(60.0, "G3a", inclusive=False),
    Band(90.0, "G2", inclusive=False),
    Band(float("inf"), "G1"),
)


def egfr_ml_min_173m2() -> pl.Expr:
    """CKD-EPI 2021 eGFR (null when any input is unknown)."""
    female = SEX.col == "F"
    male = SEX.col == "M"
    kappa = pl.when(female).then(0.7).when(male).then(0.9)
    alpha = pl.when(female).then(-0.241).when(male).then(-0.302)
    sex_factor = pl.when(female).then(1.012).when(male).then(1.0)
    ratio = CREATININE.col / kappa
    return (
        142.0
        * pl.min_horizontal(ratio, 1.0).pow(alpha)
        * pl.max_horizontal(ratio, 1.0).pow(-1.200)
        * pl.lit(0.9938).pow(AGE.col)
        * sex_factor
    )


def ckd_epi() -> pl.Expr:
    """eGFR as a struct ``{category, points (mL/min/1.73 m²), missing_inputs}``."""
    egfr = egfr_ml_min_173m2()
    category = (
        pl.when(AGE.col < 18)
        .then(pl.lit(NOT_APPLICABLE))
        .otherwise(band_of(egfr, BANDS).fill_null(pl.lit(NOT_CLASSIFIABLE)))
        .cast(DTYPE)
    )
    return score_struct(
        category=category,
        points=pl.when(AGE.col >= 18).then(egfr),
        missing=missing_inputs(INPUTS, category == NOT_CLASSIFIABLE),
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
    categories=CATEGORIES,
    disease="ANY",
    build=ckd_epi,
)
