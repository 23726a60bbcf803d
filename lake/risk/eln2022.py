"""ELN 2022 genetic risk at diagnosis, intensive therapy (rule id ``eln2022_intensive``).

Citation: Döhner H, Wei AH, Appelbaum FR, et al. Diagnosis and management of AML in adults: 2022
recommendations from an international expert panel on behalf of the ELN. *Blood*
2022;140(12):1345-1377. doi:10.1182/blood.2022016867 (Table 6). Diagnostic risk only.

Inputs (tri-state ``genetics`` markers, :data:`INPUTS`): the ELN 2022 karyotype lesions and
fusions (``t8_21``, ``inv16``, ``t9_11``, ``t6_9``, ``kmt2a_r`` [other than t(9;11), not PTD],
``t9_22``, ``t8_16``, ``inv3_t3_3``, ``mecom_r``, ``minus5_del5q``, ``minus7``,
``minus17_abn17p``, ``complex_karyotype``, ``monosomal_karyotype``), ``npm1``, ``flt3_itd``
(allelic ratio not used), ``cebpa_bzip`` (in-frame bZIP only), ``tp53`` with ``tp53_vaf`` (%,
counts when >= 10) and the myelodysplasia-related (MR) genes ``asxl1, bcor, ezh2, runx1, sf3b1,
srsf2, stag2, u2af1, zrsr2``.

Rule cascade (``02-aml.md`` §2.1, first rule that fires wins; ``adverse_cyto`` = any adverse
karyotype lesion above, ``cbf`` = t(8;21) or inv(16), ``fav_subtype`` = cbf or CEBPA bZIP or
(NPM1 without FLT3-ITD and without adverse_cyto), ``mr`` = any MR gene):

==  ==============================================  ============  ===========
#   Condition                                       Category      Precedence
==  ==============================================  ============  ===========
1   t(9;11)                                         INTERMEDIATE  P2, U5
2   TP53 VAF >= 10%                                 ADVERSE       U1
3   NPM1 and adverse_cyto                           ADVERSE       P1
4   cbf                                             FAVORABLE     P5, U2
5   adverse_cyto                                    ADVERSE
6   fav_subtype and no FLT3-ITD                     FAVORABLE     P3
7   mr                                              ADVERSE       U4
8   FLT3-ITD                                        INTERMEDIATE  P4, U3
9   otherwise                                       INTERMEDIATE
==  ==============================================  ============  ===========

UNCONFIRMED policies (:class:`Eln2022Policies`, defaults as in the domain doc; the values are
recorded in the registry entry):

- U1 TP53 with a favourable subtype: ``ADVERSE`` (default) or ``FAVORABLE`` (rule 2 skips
  favourable subtypes).
- U2 CBF-AML with adverse cytogenetics or FLT3-ITD: ``FAVORABLE`` (default) or ``LESION_RISK``
  (rule 4 only without them, so the lesion's own rule applies).
- U3 CEBPA bZIP with FLT3-ITD: ``INTERMEDIATE`` (default) or ``FAVORABLE`` (rule 6 admits it).
- U4 NPM1 + FLT3-ITD + MR gene: ``ADVERSE`` (default) or ``INTERMEDIATE`` (rule 7 skips it).
- U5 t(9;11) with adverse cytogenetics: ``INTERMEDIATE`` (default) or ``ADVERSE`` (rule 1 only
  without them).

Missing inputs (C1): each rule's condition is a Kleene Boolean; a category is possible when its
rule may fire and no earlier rule certainly fires (:func:`lake.risk.tristate.cascade`). The row is
classified only when one category is possible, so it never differs from the result under any
completion of the unknown inputs; because conditions share inputs it can be conservative (a row
whose completions all agree may still be ``NOT_CLASSIFIABLE``). A patient without NGS is usually
``NOT_CLASSIFIABLE``: never defaulted to INTERMEDIATE. No points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import reduce
from typing import Final, Literal

import polars as pl

from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, cascade, marker, score_parts

ADVERSE_CYTOGENETICS: Final = (
    "t6_9",
    "kmt2a_r",
    "t9_22",
    "t8_16",
    "inv3_t3_3",
    "mecom_r",
    "minus5_del5q",
    "minus7",
    "minus17_abn17p",
    "complex_karyotype",
    "monosomal_karyotype",
)
MR_GENES: Final = ("asxl1", "bcor", "ezh2", "runx1", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2")
OTHER_MARKERS: Final = ("t8_21", "inv16", "t9_11", "npm1", "flt3_itd", "cebpa_bzip", "tp53")
INPUTS: Final = tuple(
    Input(f"genetics.{name}")
    for name in (*OTHER_MARKERS, "tp53_vaf", *ADVERSE_CYTOGENETICS, *MR_GENES)
)
CATS: Final = Categories(("FAVORABLE", "INTERMEDIATE", "ADVERSE"))
TP53_VAF_MIN_PCT: Final = 10.0


@dataclass(frozen=True, slots=True)
class Eln2022Policies:
    """The UNCONFIRMED edge precedences U1-U5 of ``02-aml.md`` (defaults as documented)."""

    u1_tp53_with_favorable: Literal["ADVERSE", "FAVORABLE"] = "ADVERSE"
    u2_cbf_with_adverse_lesion: Literal["FAVORABLE", "LESION_RISK"] = "FAVORABLE"
    u3_cebpa_with_flt3_itd: Literal["INTERMEDIATE", "FAVORABLE"] = "INTERMEDIATE"
    u4_npm1_itd_mr_gene: Literal["ADVERSE", "INTERMEDIATE"] = "ADVERSE"
    u5_t9_11_with_adverse_cytogenetics: Literal["INTERMEDIATE", "ADVERSE"] = "INTERMEDIATE"

    def as_dict(self) -> dict[str, str]:
        """Policy name -> value, as stored with every result (C5)."""
        return {k: str(v) for k, v in asdict(self).items()}


def _m(name: str) -> pl.Expr:
    return marker(Input(f"genetics.{name}"))


def _any(names: tuple[str, ...]) -> pl.Expr:
    return reduce(lambda a, b: a | b, (_m(n) for n in names))


def eln2022(policies: Eln2022Policies | None = None) -> ScoreParts:
    """ELN 2022 genetic risk as parts: category and missing inputs."""
    p = policies or Eln2022Policies()
    adverse_cyto = _any(ADVERSE_CYTOGENETICS)
    cbf = _m("t8_21") | _m("inv16")
    npm1, itd, cebpa = _m("npm1"), _m("flt3_itd"), _m("cebpa_bzip")
    fav_subtype = cbf | cebpa | (npm1 & ~itd & ~adverse_cyto)
    tp53 = _m("tp53") & (pl.col("tp53_vaf") >= TP53_VAF_MIN_PCT)
    mr = _any(MR_GENES)

    t9_11 = _m("t9_11")
    if p.u5_t9_11_with_adverse_cytogenetics == "ADVERSE":
        t9_11 = t9_11 & ~adverse_cyto
    if p.u1_tp53_with_favorable == "FAVORABLE":
        tp53 = tp53 & ~fav_subtype
    cbf_rule = cbf if p.u2_cbf_with_adverse_lesion == "FAVORABLE" else cbf & ~adverse_cyto & ~itd
    no_itd = ~itd | cebpa if p.u3_cebpa_with_flt3_itd == "FAVORABLE" else ~itd
    mr_rule = mr if p.u4_npm1_itd_mr_gene == "ADVERSE" else mr & ~(npm1 & itd)

    rules = [
        (t9_11, "INTERMEDIATE"),
        (tp53, "ADVERSE"),
        (npm1 & adverse_cyto, "ADVERSE"),
        (cbf_rule, "FAVORABLE"),
        (adverse_cyto, "ADVERSE"),
        (fav_subtype & no_itd, "FAVORABLE"),
        (mr_rule, "ADVERSE"),
        (itd, "INTERMEDIATE"),
    ]
    return score_parts(
        code=CATS.decide(cascade(rules, default="INTERMEDIATE")), categories=CATS, inputs=INPUTS
    )


def eln2022_spec(policies: Eln2022Policies | None = None) -> ScoreSpec:
    """The registry entry of ELN 2022 under the given policies (default: the documented ones)."""
    p = policies or Eln2022Policies()
    suffix = (
        ""
        if p == Eln2022Policies()
        else "_"
        + "_".join(f"u{i}{v[0].lower()}" for i, v in enumerate(p.as_dict().values(), start=1))
    )
    return ScoreSpec(
        name="eln2022",
        version=f"eln2022_intensive{suffix}",
        citation=(
            "Döhner H, et al. Diagnosis and management of AML in adults: 2022 recommendations "
            "from an international expert panel on behalf of the ELN. Blood "
            "2022;140(12):1345-1377."
        ),
        doi="10.1182/blood.2022016867",
        inputs=tuple(i.qualified for i in INPUTS),
        categories=CATS.codes,
        disease="AML",
        build=lambda: eln2022(p),
        status="UNCONFIRMED",
        unconfirmed_rules=tuple(f"{k}={v}" for k, v in p.as_dict().items()),
        policy=p.as_dict(),
    )


SPEC: Final = eln2022_spec()
