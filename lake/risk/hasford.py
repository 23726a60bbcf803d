"""Hasford (EURO) score for chronic-phase CML (rule id ``hasford1998``).

Citation: Hasford J, Pfirrmann M, Hehlmann R, et al. A new prognostic score for survival of
patients with chronic myeloid leukemia treated with interferon alfa. *J Natl Cancer Inst*
1998;90(11):850-858. doi:10.1093/jnci/90.11.850

Formula (``[...]`` is a 0/1 indicator; age, basophils and platelets enter ONLY as indicators,
multiplying their raw values is a known calculator bug)::

    EURO = 1000 (0.6666 [age >= 50] + 0.0420 spleen + 0.0584 blasts + 0.0413 eosinophils
                 + 0.2039 [basophils >= 3%] + 1.0956 [platelets >= 1500 x10^9/L])

============  ======================
Risk          Score
============  ======================
LOW           <= 780
INTERMEDIATE  > 780 and <= 1480
HIGH          > 1480
============  ======================

Units: spleen cm, blasts/eosinophils/basophils % of the PB differential, platelets 10^9/L.
Missing inputs and applicability: :mod:`lake.risk.cml_common` (age, basophils and platelets are
its step inputs). ``points`` is the unrounded score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from lake.risk.cml_common import (
    AGE,
    BASOPHILS,
    BLASTS,
    EOSINOPHILS,
    PLATELETS,
    SPLEEN,
    indicator,
    monotone_score,
)
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Band, Categories, Input, ScoreParts

CATS: Final = Categories(("LOW", "INTERMEDIATE", "HIGH"))
BANDS: Final = (Band(780.0, "LOW"), Band(1480.0, "INTERMEDIATE"), Band(float("inf"), "HIGH"))
INPUTS: Final = (AGE, SPLEEN, BLASTS, EOSINOPHILS, BASOPHILS, PLATELETS)


def hasford_formula(x: Mapping[Input, pl.Expr]) -> pl.Expr:
    """The EURO score of input expressions."""
    return 1000.0 * (
        0.6666 * indicator(x[AGE] >= 50)
        + 0.0420 * x[SPLEEN]
        + 0.0584 * x[BLASTS]
        + 0.0413 * x[EOSINOPHILS]
        + 0.2039 * indicator(x[BASOPHILS] >= 3)
        + 1.0956 * indicator(x[PLATELETS] >= 1500)
    )


def hasford() -> ScoreParts:
    """Hasford score as parts: category, points (score), bounds, missing inputs."""
    return monotone_score(
        hasford_formula,
        dict.fromkeys(INPUTS, "increasing"),
        categories=CATS,
        bands=BANDS,
        steps=(AGE, BASOPHILS, PLATELETS),
    )


SPEC: Final = ScoreSpec(
    name="hasford",
    version="hasford1998",
    citation=(
        "Hasford J, et al. A new prognostic score for survival of patients with chronic "
        "myeloid leukemia treated with interferon alfa. J Natl Cancer Inst 1998;90(11):850-858."
    ),
    doi="10.1093/jnci/90.11.850",
    inputs=(*(i.qualified for i in INPUTS), "patients.cml_phase"),
    categories=CATS.codes,
    disease="CML",
    build=hasford,
)
