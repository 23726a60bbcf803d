"""ELTS (EUTOS long-term survival) score for chronic-phase CML (rule id ``elts2016``).

Citation: Pfirrmann M, Baccarani M, Saussele S, et al. Prognosis of long-term survival considering
disease-specific death in patients with chronic myeloid leukemia. *Leukemia* 2016;30(1):48-56.
doi:10.1038/leu.2015.261

Formula (age years, spleen cm, PB blasts % as the raw value, platelets 10^9/L entering as an
inverse square root; some calculators swap these two terms)::

    ELTS = 0.0025 (age / 10)^3 + 0.0615 spleen + 0.1052 blasts + 0.4104 (platelets / 1000)^-0.5

============  ==========================
Risk          Score
============  ==========================
LOW           <= 1.5680
INTERMEDIATE  > 1.5680 and <= 2.2185
HIGH          > 2.2185
============  ==========================

Platelets must be > 0 (the model's valid range starts at 1). Missing inputs and applicability:
:mod:`lake.risk.cml_common` (the score decreases with platelets).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from lake.risk.cml_common import AGE, BLASTS, PLATELETS, SPLEEN, Direction, monotone_score
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Band, Categories, Input, ScoreParts

CATS: Final = Categories(("LOW", "INTERMEDIATE", "HIGH"))
BANDS: Final = (Band(1.5680, "LOW"), Band(2.2185, "INTERMEDIATE"), Band(float("inf"), "HIGH"))
INPUTS: Final = (AGE, SPLEEN, BLASTS, PLATELETS)


def elts_formula(x: Mapping[Input, pl.Expr]) -> pl.Expr:
    """The ELTS score of input expressions."""
    return (
        0.0025 * (x[AGE] / 10.0).pow(3)
        + 0.0615 * x[SPLEEN]
        + 0.1052 * x[BLASTS]
        + 0.4104 * (x[PLATELETS] / 1000.0).pow(-0.5)
    )


def elts() -> ScoreParts:
    """ELTS score as parts: category, points (score), bounds, missing inputs."""
    directions: dict[Input, Direction] = {
        AGE: "increasing",
        SPLEEN: "increasing",
        BLASTS: "increasing",
        PLATELETS: "decreasing",
    }
    return monotone_score(
        elts_formula,
        directions,
        categories=CATS,
        bands=BANDS,
    )


SPEC: Final = ScoreSpec(
    name="elts",
    version="elts2016",
    citation=(
        "Pfirrmann M, et al. Prognosis of long-term survival considering disease-specific death "
        "in patients with chronic myeloid leukemia. Leukemia 2016;30(1):48-56."
    ),
    doi="10.1038/leu.2015.261",
    inputs=(*(i.qualified for i in INPUTS), "patients.cml_phase"),
    categories=CATS.codes,
    disease="CML",
    build=elts,
)
