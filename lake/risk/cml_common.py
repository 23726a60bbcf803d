"""Shared inputs and evaluation of the four CML baseline scores (``03-cml.md`` §3.0-3.4).

Inputs at diagnosis, before cytoreduction: age (years), spleen (cm below the costal margin, 0 if
not palpable), platelets (10^9/L) and peripheral-blood blasts, basophils, eosinophils (% of the
differential). Scores are defined for chronic phase only: ``patients.cml_phase`` known and not
chronic -> ``NOT_APPLICABLE``; unknown phase -> ``NOT_CLASSIFIABLE`` (it could be either).

Missing inputs: the numeric score is computed only when every input is known (``points`` null
otherwise, as the domain doc says "not computable"). The *category* follows C1: every score is
monotone in each input, so an unknown input ranging over its loader-enforced ``valid_range``
(:mod:`lake.model`) bounds the score by its values at the corners; when ``[points_min,
points_max]`` stays in one risk group the group is returned (e.g. EUTOS with basophils 13% is HIGH
whatever the spleen).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, Literal

import polars as pl

from lake.risk.tristate import Band, Categories, Input, ScoreParts, score_parts

AGE: Final = Input("patients.age_at_diagnosis")
SPLEEN: Final = Input("baseline.spleen_cm")
PLATELETS: Final = Input("baseline.platelets_10e9_l")
BLASTS: Final = Input("baseline.pb_blasts_pct")
BASOPHILS: Final = Input("baseline.basophils_pct")
EOSINOPHILS: Final = Input("baseline.eosinophils_pct")
PHASE: Final = Input("patients.cml_phase")

Direction = Literal["increasing", "decreasing"]
Formula = Callable[[Mapping[Input, pl.Expr]], pl.Expr]


def monotone_score(
    formula: Formula,
    directions: Mapping[Input, Direction],
    *,
    categories: Categories,
    bands: tuple[Band, ...],
) -> ScoreParts:
    """Score, bounds and chronic-phase category of a formula monotone in each input."""
    inputs = tuple(directions)

    def corner(upper: bool) -> pl.Expr:
        values = {}
        for inp, direction in directions.items():
            low, high = inp.valid_range
            take_high = upper == (direction == "increasing")
            values[inp] = inp.col.fill_null(high if take_high else low)
        return formula(values)

    low, high = corner(upper=False), corner(upper=True)
    code = categories.interval(low, high, bands)
    phase = PHASE.col
    code = (
        pl.when(phase == "chronic")
        .then(code)
        .when(phase.is_not_null())
        .then(pl.lit(categories.na, dtype=pl.UInt32))
        .otherwise(pl.lit(categories.nc, dtype=pl.UInt32))
    )
    return score_parts(
        code=code,
        categories=categories,
        inputs=(*inputs, PHASE),
        points=formula({inp: inp.col for inp in inputs}),
        points_min=low,
        points_max=high,
    )


def indicator(condition: pl.Expr) -> pl.Expr:
    """1.0 where the condition holds, 0.0 where not (null stays null)."""
    return condition.cast(pl.Float64)
