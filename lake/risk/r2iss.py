"""R2-ISS, the second revision of the ISS (rule id ``r2iss_dagostino2022``).

Citation: D'Agostino M, Cairns DA, Lahuerta JJ, et al. Second Revision of the International
Staging System (R2-ISS) for overall survival in multiple myeloma: a European Myeloma Network (EMN)
report within the HARMONY project. *J Clin Oncol* 2022;40(29):3406-3418. doi:10.1200/JCO.21.02614

Inputs and additive points (units as in :mod:`lake.risk.iss` and :mod:`lake.risk.ldh`):

=======================================================  ======
Risk factor                                              Points
=======================================================  ======
ISS II / ISS III (``beta2m_mg_l``, ``albumin_g_dl``)     1 / 1.5
del(17p) (``genetics.del17p``)                           1
high LDH, > lab ULN (``ldh_u_l``, ``ldh_uln_u_l``)       1
t(4;14) (``genetics.t4_14``)                             1
1q gain or amplification (``genetics.gain1q``)           0.5
=======================================================  ======

t(14;16) is not part of R2-ISS. Groups: I = 0, II = 0.5-1, III = 1.5-2.5, IV = 3-5.

Missing inputs (engineering convention, ``01-myeloma.md`` §1.3): each unknown item contributes
``[0, w]`` and an unknown ISS ranges over the stages still possible; the row is classified when
``[points_min, points_max]`` lies in one group. ``points`` is the total when the interval has
collapsed, else null.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from lake.risk import iss, ldh, mm_cytogenetics
from lake.risk.lookup import StateTable, build_table, marker_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, table_parts

GAIN1Q: Final = Input("genetics.gain1q")
INPUTS: Final = (
    *iss.INPUTS,
    mm_cytogenetics.DEL17P,
    mm_cytogenetics.T4_14,
    GAIN1Q,
    *ldh.INPUTS,
)
CATS: Final = Categories(("I", "II", "III", "IV"))
#: Group by total points: upper bound of each group (inclusive), in increasing order.
GROUP_UPPER: Final = (("I", 0.0), ("II", 1.0), ("III", 2.5), ("IV", 5.0))
ISS_POINTS: Final = {"I": 0.0, "II": 1.0, "III": 1.5}
STATES: Final = (
    iss.BETA2M_STATE,
    iss.ALBUMIN_STATE,
    mm_cytogenetics.STATES[0],
    mm_cytogenetics.STATES[1],
    marker_encoder(GAIN1Q),
    ldh.HIGH_STATE,
)


def r2iss_points(  # noqa: PLR0917 - build_table passes one value per encoder
    beta2m: float, albumin: float, del17p: bool, t4_14: bool, gain1q: bool, high_ldh: bool
) -> tuple[str, float]:
    """R2-ISS group and total points of known values, the points table above verbatim."""
    points = (
        ISS_POINTS[iss.iss_stage(beta2m, albumin)]
        + 1.0 * del17p
        + 1.0 * high_ldh
        + 1.0 * t4_14
        + 0.5 * gain1q
    )
    group = next(code for code, upper in GROUP_UPPER if points <= upper)
    return group, points


@cache
def r2iss_table() -> StateTable:
    """The R2-ISS lookup table: group, points and the points interval of every state."""
    return build_table(STATES, r2iss_points, categories=CATS, inputs=INPUTS, with_points=True)


def r2iss() -> ScoreParts:
    """R2-ISS as a struct ``{category, points, points_min, points_max, missing_inputs}``."""
    return table_parts(r2iss_table(), categories=CATS, inputs=INPUTS)


SPEC: Final = ScoreSpec(
    name="r2iss",
    version="r2iss_dagostino2022",
    citation=(
        "D'Agostino M, et al. Second Revision of the International Staging System "
        "(R2-ISS). J Clin Oncol 2022;40(29):3406-3418."
    ),
    doi="10.1200/JCO.21.02614",
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    disease="MM",
    build=r2iss,
)
