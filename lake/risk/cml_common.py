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

Naming (C1: an unknown input is named only if it could change the group given the known ones):
the phase whenever it is unknown (chronic or not changes the result); any other unknown input only
when the chronic-phase group is open. For a formula continuous and strictly monotone in its
inputs (Sokal, EUTOS, ELTS) every unknown input then blocks: along a monotone path through the
box of unknown values the score crosses the band limit, and there the input's own range straddles
it. A *step* input (Hasford's age, basophils and platelets enter only as additive indicators)
takes two values, and the reasoning holds per assignment of the unknown steps: an input blocks
when, for some assignment of the other unknown steps, the group is open with it left free.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from itertools import combinations
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
POINTS_END: Final = {"low": "points_min", "high": "points_max"}
Formula = Callable[[Mapping[Input, pl.Expr]], pl.Expr]


def monotone_score(
    formula: Formula,
    directions: Mapping[Input, Direction],
    *,
    categories: Categories,
    bands: tuple[Band, ...],
    steps: Sequence[Input] = (),
) -> ScoreParts:
    """Score, bounds and chronic-phase category of a formula monotone in each input.

    ``steps`` are inputs entering the formula only through an additive indicator term.
    """
    inputs = tuple(directions)

    def corner(upper: bool, flipped: frozenset[Input]) -> pl.Expr:
        """The formula with unknowns at the ends lowering (``upper``: raising) it.

        The steps in ``flipped`` take the other end.
        """
        values = {}
        for inp, direction in directions.items():
            low, high = inp.valid_range
            raise_it = upper != (inp in flipped)
            take_high = raise_it == (direction == "increasing")
            values[inp] = inp.col.fill_null(high if take_high else low)
        return formula(values)

    # One corner pair per assignment of the steps (raised or lowered), computed once next to
    # the points: the low end has the steps of r raised, the high end has them lowered.
    subsets = [frozenset(c) for k in range(len(steps) + 1) for c in combinations(steps, k)]
    key = {r: "__".join(sorted(i.column for i in r)) for r in subsets if r}
    extra = {f"low__{key[r]}": corner(False, r) for r in key}
    extra |= {f"high__{key[r]}": corner(True, r) for r in key}

    def blocking(value: Callable[[str], pl.Expr]) -> list[pl.Expr]:
        """Per input: unknown, and some assignment of the other steps leaves the group open.

        A step left free is lowered at the low end and raised at the high end.
        """

        def end(side: str, r: frozenset[Input]) -> pl.Expr:
            return value(f"{side}__{key[r]}") if r else value(POINTS_END[side])

        everything = frozenset(steps)
        conditions = []
        for inp in inputs:
            spans = [
                categories.interval(end("low", r), end("high", everything - r - {inp}), bands)
                == categories.nc
                for r in subsets
                if inp not in r
            ]
            conditions.append(inp.unknown() & reduce(operator.or_, spans))
        return [*conditions, PHASE.unknown()]

    low, high = corner(upper=False, flipped=frozenset()), corner(upper=True, flipped=frozenset())
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
        blocking=blocking,
        extra=extra,
    )


def indicator(condition: pl.Expr) -> pl.Expr:
    """1.0 where the condition holds, 0.0 where not (null stays null)."""
    return condition.cast(pl.Float64)
