"""ISS, the International Staging System for multiple myeloma (rule id ``iss_greipp2005``).

Citation: Greipp PR, San Miguel J, Durie BGM, et al. International staging system for multiple
myeloma. *J Clin Oncol* 2005;23(15):3412-3420. doi:10.1200/JCO.2005.04.242

Inputs (canonical units, ``01-myeloma.md`` §1.0): ``baseline.beta2m_mg_l`` (serum
β2-microglobulin, mg/L) and ``baseline.albumin_g_dl`` (serum albumin, g/dL).

Rules, evaluated in order:

=====  ==========================================================
Stage  Condition
=====  ==========================================================
III    β2M >= 5.5 mg/L (albumin irrelevant)
I      β2M < 3.5 mg/L and albumin >= 3.5 g/dL
II     everything else
=====  ==========================================================

Boundaries: β2M = 3.5 is not stage I, β2M = 5.5 is stage III, albumin = 3.5 counts as >= 3.5.

Missing inputs: β2M unknown -> ``NOT_CLASSIFIABLE``. Albumin unknown: β2M >= 5.5 -> III,
3.5 <= β2M < 5.5 -> II, β2M < 3.5 -> ``NOT_CLASSIFIABLE`` (I or II). No points.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from lake.risk.lookup import Cut, StateTable, build_table, cut_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, table_parts

BETA2M: Final = Input("baseline.beta2m_mg_l")
ALBUMIN: Final = Input("baseline.albumin_g_dl")
INPUTS: Final = (BETA2M, ALBUMIN)
CATS: Final = Categories(("I", "II", "III"))
BETA2M_LOW: Final = 3.5  # mg/L; stage I needs β2M below it
BETA2M_HIGH: Final = 5.5  # mg/L; stage III from it
ALBUMIN_LOW: Final = 3.5  # g/dL; stage I needs albumin at least it
#: β2M and albumin encoded at exactly the thresholds of :func:`iss_stage` (shared by R-ISS, R2-ISS).
BETA2M_STATE: Final = cut_encoder(BETA2M, (Cut(BETA2M_LOW), Cut(BETA2M_HIGH)))
ALBUMIN_STATE: Final = cut_encoder(ALBUMIN, (Cut(ALBUMIN_LOW),))


def iss_stage(beta2m: float, albumin: float) -> str:
    """ISS stage of known values, the rule table above verbatim."""
    if beta2m >= BETA2M_HIGH:
        return "III"
    if beta2m < BETA2M_LOW and albumin >= ALBUMIN_LOW:
        return "I"
    return "II"


@cache
def iss_table() -> StateTable:
    """The ISS lookup table over (β2M, albumin) states (:mod:`lake.risk.lookup`)."""
    return build_table((BETA2M_STATE, ALBUMIN_STATE), iss_stage, categories=CATS, inputs=INPUTS)


def iss() -> ScoreParts:
    """ISS stage as a struct ``{category, missing_inputs}``.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"beta2m_mg_l": [2.8, 6.1, 3.0], "albumin_g_dl": [4.0, None, None]})
    >>> df.select(iss().to_struct().struct.field("category")).to_series().to_list()
    ['I', 'III', 'NOT_CLASSIFIABLE']
    """
    return table_parts(iss_table(), categories=CATS, inputs=INPUTS)


SPEC: Final = ScoreSpec(
    name="iss",
    version="iss_greipp2005",
    citation=(
        "Greipp PR, et al. International staging system for multiple myeloma. J Clin "
        "Oncol 2005;23(15):3412-3420."
    ),
    doi="10.1200/JCO.2005.04.242",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=iss,
)
