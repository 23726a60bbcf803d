"""Cockcroft-Gault creatinine clearance (rule id ``crcl_cockcroft_gault1976``).

Citation: Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine.
*Nephron* 1976;16(1):31-41. doi:10.1159/000180580

Formula (mL/min, not BSA-normalised; actual body weight as in the original)::

    CrCl = (140 - age) * weight_kg / (72 * creatinine_mg_dl)   [* 0.85 if female]

Inputs: ``patients.age_at_diagnosis`` (years), ``patients.sex`` (M/F), ``baseline.weight_kg``
(kg), ``baseline.creatinine_mg_dl`` (mg/dL; µmol/L / 88.4).

Category cut-off: the IMWG 2014 myeloma-defining renal insufficiency threshold,
CrCl < 40 mL/min (Rajkumar SV et al., *Lancet Oncol* 2014;15(12):e538-e548,
doi:10.1016/S1470-2045(14)70442-5; marked UNCONFIRMED in ``01-myeloma.md`` §1.5):

============  ==================
Category      Condition
============  ==================
BELOW_40      CrCl < 40 mL/min
AT_LEAST_40   CrCl >= 40 mL/min
============  ==================

Missing inputs: any input unknown -> not computable (``points`` null, ``NOT_CLASSIFIABLE``).
``points`` is the unrounded CrCl. The weight is the actual body weight (not ideal or adjusted
weight, which some protocols use): recorded as the registry entry's policy ``body_weight``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.risk.spec import ScoreSpec
from lake.risk.tristate import (
    Band,
    Categories,
    Input,
    ScoreParts,
    banded_parts,
)

AGE: Final = Input("patients.age_at_diagnosis")
SEX: Final = Input("patients.sex")
WEIGHT: Final = Input("baseline.weight_kg")
CREATININE: Final = Input("baseline.creatinine_mg_dl")
INPUTS: Final = (AGE, SEX, WEIGHT, CREATININE)
CATS: Final = Categories(("BELOW_40", "AT_LEAST_40"))
BANDS: Final = (Band(40.0, "BELOW_40", inclusive=False), Band(float("inf"), "AT_LEAST_40"))


def crcl_ml_min() -> pl.Expr:
    """Cockcroft-Gault CrCl in mL/min (null when any input is unknown)."""
    sex_factor = 1.0 - 0.15 * (SEX.col == "F").cast(pl.Float64)
    return (140.0 - AGE.col) * WEIGHT.col / (72.0 * CREATININE.col) * sex_factor


def cockcroft_gault() -> ScoreParts:
    """CrCl as a struct ``{category, points (mL/min), missing_inputs}``."""
    return banded_parts(
        points=crcl_ml_min(),
        code_of_points=lambda crcl: CATS.band(crcl, BANDS),
        categories=CATS,
        inputs=INPUTS,
    )


SPEC: Final = ScoreSpec(
    name="crcl",
    version="crcl_cockcroft_gault1976",
    citation=(
        "Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum "
        "creatinine. Nephron 1976;16(1):31-41. Cut-off CrCl < 40 mL/min: Rajkumar SV, et "
        "al. Lancet Oncol 2014;15(12):e538-e548."
    ),
    doi="10.1159/000180580",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    lowest_risk="last",
    disease="ANY",
    build=cockcroft_gault,
    status="UNCONFIRMED",
    unconfirmed_rules=(
        "category cut-off CrCl < 40 mL/min (IMWG 2014 renal insufficiency; 01-myeloma.md §1.5)",
    ),
    policy={"body_weight": "actual"},
)
