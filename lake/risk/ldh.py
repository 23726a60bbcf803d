"""Serum LDH relative to the reporting lab's upper limit of normal (rule id ``ldh_uln``).

Citation: the LDH criterion of R-ISS (Palumbo 2015, doi:10.1200/JCO.2015.61.2267) and R2-ISS
(D'Agostino 2022, doi:10.1200/JCO.21.02614): "high" means above the lab's ULN.

Inputs: ``baseline.ldh_u_l`` (U/L) and ``baseline.ldh_uln_u_l`` (the ULN captured with the
result, OMOP ``range_high``; domain convention C3 forbids a global constant).

========  =========================
Category  Condition
========  =========================
HIGH      LDH > ULN
NORMAL    LDH <= ULN
========  =========================

Missing inputs: LDH or its ULN unknown -> ``NOT_CLASSIFIABLE``. ``points`` is the ratio LDH/ULN
(unrounded), null when unknown.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from lake.risk.lookup import StateTable, build_table, greater_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, table_parts

LDH: Final = Input("baseline.ldh_u_l")
LDH_ULN: Final = Input("baseline.ldh_uln_u_l")
INPUTS: Final = (LDH, LDH_ULN)
CATS: Final = Categories(("NORMAL", "HIGH"))
#: "LDH > ULN" as an encoded state (shared by R-ISS and R2-ISS).
HIGH_STATE: Final = greater_encoder(LDH, LDH_ULN)


def ldh_category(high: bool) -> str:
    """Category of a known high / normal LDH (``points``, the ratio, is arithmetic)."""
    return "HIGH" if high else "NORMAL"


@cache
def ldh_table() -> StateTable:
    """The LDH status lookup table over the LDH-vs-ULN state (:mod:`lake.risk.lookup`)."""
    return build_table((HIGH_STATE,), ldh_category, categories=CATS, inputs=INPUTS)


def ldh_status() -> ScoreParts:
    """LDH status as a struct ``{category, points (LDH/ULN), missing_inputs}``."""
    return table_parts(ldh_table(), categories=CATS, inputs=INPUTS, points=LDH.col / LDH_ULN.col)


SPEC: Final = ScoreSpec(
    name="ldh",
    version="ldh_uln",
    citation="LDH above the lab's ULN, as in R-ISS (Palumbo 2015) and R2-ISS (D'Agostino 2022).",
    doi="10.1200/JCO.2015.61.2267",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=ldh_status,
)
