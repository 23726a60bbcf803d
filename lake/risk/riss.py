"""R-ISS, the Revised International Staging System for myeloma (rule id ``riss_palumbo2015``).

Citation: Palumbo A, Avet-Loiseau H, Oliva S, et al. Revised International Staging System for
multiple myeloma: a report from International Myeloma Working Group. *J Clin Oncol*
2015;33(26):2863-2869. doi:10.1200/JCO.2015.61.2267

Inputs: ISS (:mod:`lake.risk.iss`: ``baseline.beta2m_mg_l`` mg/L, ``baseline.albumin_g_dl``
g/dL); high-risk CA by FISH (:mod:`lake.risk.mm_cytogenetics`: ``genetics.del17p``,
``genetics.t4_14``, ``genetics.t14_16``); LDH vs the lab's ULN (:mod:`lake.risk.ldh`:
``baseline.ldh_u_l``, ``baseline.ldh_uln_u_l``).

=====  ======================================================
R-ISS  Condition
=====  ======================================================
I      ISS I and standard-risk CA and normal LDH
III    ISS III and (high-risk CA or high LDH)
II     neither
=====  ======================================================

Missing inputs (exact, over every completion of the unknown inputs, :mod:`lake.risk.lookup`):
ISS II -> II whatever CA/LDH; ISS I with a known high-risk CA or high LDH -> II, with everything
known normal -> I, else ``NOT_CLASSIFIABLE``; ISS III with a known high-risk CA or high LDH ->
III, both known normal -> II, else ``NOT_CLASSIFIABLE``; ISS unknown -> ``NOT_CLASSIFIABLE``
unless no completion changes the answer. No points.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from lake.risk import iss, ldh, mm_cytogenetics
from lake.risk.lookup import StateTable, build_table
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, ScoreParts, table_parts

INPUTS: Final = (*iss.INPUTS, *mm_cytogenetics.INPUTS, *ldh.INPUTS)
CATS: Final = Categories(("I", "II", "III"))
STATES: Final = (iss.BETA2M_STATE, iss.ALBUMIN_STATE, *mm_cytogenetics.STATES, ldh.HIGH_STATE)


def riss_stage(  # noqa: PLR0917 - build_table passes one value per encoder
    beta2m: float, albumin: float, del17p: bool, t4_14: bool, t14_16: bool, high_ldh: bool
) -> str:
    """R-ISS stage of known values, the rule table above verbatim."""
    stage = iss.iss_stage(beta2m, albumin)
    high_ca = mm_cytogenetics.high_risk(del17p, t4_14, t14_16)
    if stage == "I" and not high_ca and not high_ldh:
        return "I"
    if stage == "III" and (high_ca or high_ldh):
        return "III"
    return "II"


@cache
def riss_table() -> StateTable:
    """The R-ISS lookup table (β2M, albumin, three FISH calls, LDH vs ULN; 1,620 states)."""
    return build_table(STATES, riss_stage, categories=CATS, inputs=INPUTS)


def riss() -> ScoreParts:
    """R-ISS stage as a struct ``{category, missing_inputs}``."""
    return table_parts(riss_table(), categories=CATS, inputs=INPUTS)


SPEC: Final = ScoreSpec(
    name="riss",
    version="riss_palumbo2015",
    citation=(
        "Palumbo A, et al. Revised International Staging System for multiple myeloma. J "
        "Clin Oncol 2015;33(26):2863-2869."
    ),
    doi="10.1200/JCO.2015.61.2267",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=riss,
)
