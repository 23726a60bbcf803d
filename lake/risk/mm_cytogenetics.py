"""Myeloma cytogenetic risk by FISH alone (rule id ``mm_cytogenetic_palumbo2015``).

Citation: the high-risk chromosomal abnormality (CA) definition of R-ISS, Palumbo A,
Avet-Loiseau H, Oliva S, et al. *J Clin Oncol* 2015;33(26):2863-2869. doi:10.1200/JCO.2015.61.2267

Inputs: ``genetics.del17p``, ``genetics.t4_14``, ``genetics.t14_16`` (tri-state FISH calls;
positivity cut-offs are the lab's, ``01-myeloma.md`` §1.2).

========  ===========================================================
Category  Condition
========  ===========================================================
HIGH      del(17p) and/or t(4;14) and/or t(14;16) present
STANDARD  all three tested and absent
========  ===========================================================

Missing inputs: one lesion known present -> HIGH whatever the others; otherwise any lesion not
tested -> ``NOT_CLASSIFIABLE`` (a panel without t(14;16) cannot show standard risk). No points.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from lake.risk.lookup import StateTable, build_table, marker_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, table_parts

DEL17P: Final = Input("genetics.del17p")
T4_14: Final = Input("genetics.t4_14")
T14_16: Final = Input("genetics.t14_16")
INPUTS: Final = (DEL17P, T4_14, T14_16)
CATS: Final = Categories(("STANDARD", "HIGH"))
#: The three FISH calls as encoded marker states (shared by R-ISS; two of them by R2-ISS).
STATES: Final = tuple(marker_encoder(i) for i in INPUTS)


def high_risk(del17p: bool, t4_14: bool, t14_16: bool) -> bool:
    """A high-risk CA of known calls: any of the three present."""
    return del17p or t4_14 or t14_16


def cytogenetic_category(del17p: bool, t4_14: bool, t14_16: bool) -> str:
    """Cytogenetic risk of known calls."""
    return "HIGH" if high_risk(del17p, t4_14, t14_16) else "STANDARD"


@cache
def cytogenetic_table() -> StateTable:
    """The cytogenetic-risk lookup table over the three marker states."""
    return build_table(STATES, cytogenetic_category, categories=CATS, inputs=INPUTS)


def mm_cytogenetic_risk() -> ScoreParts:
    """Cytogenetic risk as a struct ``{category, missing_inputs}``."""
    return table_parts(cytogenetic_table(), categories=CATS, inputs=INPUTS)


SPEC: Final = ScoreSpec(
    name="mm_cytogenetic_risk",
    version="mm_cytogenetic_palumbo2015",
    citation=(
        "High-risk CA as defined for R-ISS: Palumbo A, et al. J Clin Oncol 2015;33(26):2863-2869."
    ),
    doi="10.1200/JCO.2015.61.2267",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=mm_cytogenetic_risk,
)
