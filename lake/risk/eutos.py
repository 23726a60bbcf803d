"""EUTOS score for chronic-phase CML (rule id ``eutos2011``).

Citation: Hasford J, Baccarani M, Hoffmann V, et al. Predicting complete cytogenetic response and
subsequent progression-free survival in 2060 patients with CML on imatinib treatment: the EUTOS
score. *Blood* 2011;118(3):686-692. doi:10.1182/blood-2010-12-319038

Formula: ``EUTOS = 7 x basophils (% of PB differential) + 4 x spleen (cm below costal margin)``.

=====  ========
Risk   Score
=====  ========
LOW    <= 87
HIGH   > 87
=====  ========

No intermediate group. Missing inputs and applicability: :mod:`lake.risk.cml_common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from lake.risk.cml_common import BASOPHILS, SPLEEN, monotone_score
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Band, Categories, Input, ScoreParts

CATS: Final = Categories(("LOW", "HIGH"))
BANDS: Final = (Band(87.0, "LOW"), Band(float("inf"), "HIGH"))
INPUTS: Final = (BASOPHILS, SPLEEN)


def eutos_formula(x: Mapping[Input, pl.Expr]) -> pl.Expr:
    """The EUTOS score of input expressions."""
    return 7.0 * x[BASOPHILS] + 4.0 * x[SPLEEN]


def eutos() -> ScoreParts:
    """EUTOS score as parts: category, points (score), bounds, missing inputs."""
    return monotone_score(
        eutos_formula, dict.fromkeys(INPUTS, "increasing"), categories=CATS, bands=BANDS
    )


SPEC: Final = ScoreSpec(
    name="eutos",
    version="eutos2011",
    citation=(
        "Hasford J, et al. Predicting complete cytogenetic response and subsequent "
        "progression-free survival in 2060 patients with CML on imatinib treatment: the EUTOS "
        "score. Blood 2011;118(3):686-692."
    ),
    doi="10.1182/blood-2010-12-319038",
    inputs=(*(i.qualified for i in INPUTS), "patients.cml_phase"),
    categories=CATS.codes,
    disease="CML",
    build=eutos,
)
