"""Sokal score for chronic-phase CML (rule id ``sokal1984``).

Citation: Sokal JE, Cox EB, Baccarani M, et al. Prognostic discrimination in "good-risk" chronic
granulocytic leukemia. *Blood* 1984;63(4):789-799. (No DOI given by the domain reference.)

Formula (age in years, spleen in cm below the costal margin, platelets in 10^9/L, PB blasts %)::

    Sokal = exp(0.0116 (age - 43.4) + 0.0345 (spleen - 7.51)
                + 0.188 ((platelets / 700)^2 - 0.563) + 0.0887 (blasts - 2.10))

============  ===================
Risk          Score
============  ===================
LOW           < 0.8
INTERMEDIATE  0.8 - 1.2 inclusive
HIGH          > 1.2
============  ===================

Missing inputs and applicability: :mod:`lake.risk.cml_common` (monotone bounds over the model's
valid ranges; chronic phase only). ``points`` is the unrounded score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from lake.risk.cml_common import AGE, BLASTS, PLATELETS, SPLEEN, monotone_score
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Band, Categories, Input, ScoreParts

CATS: Final = Categories(("LOW", "INTERMEDIATE", "HIGH"))
BANDS: Final = (
    Band(0.8, "LOW", inclusive=False),
    Band(1.2, "INTERMEDIATE"),
    Band(float("inf"), "HIGH"),
)
INPUTS: Final = (AGE, SPLEEN, PLATELETS, BLASTS)


def sokal_formula(x: Mapping[Input, pl.Expr]) -> pl.Expr:
    """The Sokal score of input expressions."""
    return (
        0.0116 * (x[AGE] - 43.4)
        + 0.0345 * (x[SPLEEN] - 7.51)
        + 0.188 * ((x[PLATELETS] / 700.0).pow(2) - 0.563)
        + 0.0887 * (x[BLASTS] - 2.10)
    ).exp()


def sokal() -> ScoreParts:
    """Sokal score as parts: category, points (score), bounds, missing inputs."""
    return monotone_score(
        sokal_formula,
        dict.fromkeys(INPUTS, "increasing"),
        categories=CATS,
        bands=BANDS,
    )


SPEC: Final = ScoreSpec(
    name="sokal",
    version="sokal1984",
    citation=(
        'Sokal JE, et al. Prognostic discrimination in "good-risk" chronic granulocytic '
        "leukemia. Blood 1984;63(4):789-799."
    ),
    doi=None,
    inputs=(*(i.qualified for i in INPUTS), "patients.cml_phase"),
    categories=CATS.codes,
    disease="CML",
    build=sokal,
)
