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

Missing inputs (C1): the rule is a lookup table (:mod:`lake.risk.lookup`) over nine encoded
tri-states -- ``t8_21``, ``inv16``, ``t9_11``, ``npm1``, ``flt3_itd``, ``cebpa_bzip``, "TP53 with
VAF >= 10%" (``tp53`` and ``tp53_vaf``), ``adverse_cyto`` (any adverse lesion) and ``mr`` (any MR
gene) -- evaluated under every completion, as ``02-aml.md`` asks. A category is returned only when
every completion gives it; otherwise ``NOT_CLASSIFIABLE`` names the unknown inputs that could
change it (worked example 9, NPM1 with FLT3-ITD unknown and TP53 wild-type, names only
``genetics.flt3_itd``: the VAF of a wild-type TP53 is irrelevant). A patient without NGS is
usually ``NOT_CLASSIFIABLE``: never defaulted to INTERMEDIATE. No points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache, partial, reduce
from typing import Final, Literal

from lake.risk.lookup import Encoder, StateTable, build_table, condition_encoder, marker_encoder
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, marker, table_parts

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


def _any(key: str, names: tuple[str, ...]) -> Encoder:
    inputs = [Input(f"genetics.{name}") for name in names]
    return condition_encoder(key, reduce(lambda a, b: a | b, map(marker, inputs)), inputs)


TP53: Final = Input("genetics.tp53")
TP53_VAF: Final = Input("genetics.tp53_vaf")
#: The nine encoded tri-states, in the argument order of :func:`eln2022_category`.
STATES: Final = (
    *(marker_encoder(Input(f"genetics.{n}")) for n in OTHER_MARKERS if n != "tp53"),
    condition_encoder(
        "eln2022_tp53_vaf_ge10", marker(TP53) & (TP53_VAF.col >= TP53_VAF_MIN_PCT), (TP53, TP53_VAF)
    ),
    _any("eln2022_adverse_cytogenetics", ADVERSE_CYTOGENETICS),
    _any("eln2022_mr_gene", MR_GENES),
)


def eln2022_category(  # noqa: PLR0917 - build_table passes one value per encoder
    t8_21: bool,
    inv16: bool,
    t9_11: bool,
    npm1: bool,
    itd: bool,
    cebpa: bool,
    tp53: bool,
    adverse_cyto: bool,
    mr: bool,
    policies: Eln2022Policies,
) -> str:
    """ELN 2022 risk of known lesions: the algorithm of ``02-aml.md`` with the U1-U5 policies."""
    p = policies
    cbf = t8_21 or inv16
    fav_subtype = cbf or cebpa or (npm1 and not itd and not adverse_cyto)
    rules = (
        (t9_11 and not (p.u5_t9_11_with_adverse_cytogenetics == "ADVERSE" and adverse_cyto),
         "INTERMEDIATE"),
        (tp53 and not (p.u1_tp53_with_favorable == "FAVORABLE" and fav_subtype), "ADVERSE"),
        (npm1 and adverse_cyto, "ADVERSE"),
        (cbf and (p.u2_cbf_with_adverse_lesion == "FAVORABLE" or not (adverse_cyto or itd)),
         "FAVORABLE"),
        (adverse_cyto, "ADVERSE"),
        (fav_subtype and (not itd or (p.u3_cebpa_with_flt3_itd == "FAVORABLE" and cebpa)),
         "FAVORABLE"),
        (mr and not (p.u4_npm1_itd_mr_gene == "INTERMEDIATE" and npm1 and itd), "ADVERSE"),
        (itd, "INTERMEDIATE"),
    )  # fmt: skip
    return next((category for fires, category in rules if fires), "INTERMEDIATE")


@cache
def eln2022_table(policies: Eln2022Policies) -> StateTable:
    """The ELN 2022 lookup table under ``policies`` (3^9 = 19,683 states)."""
    return build_table(
        STATES,
        partial(eln2022_category, policies=policies),
        categories=CATS,
        inputs=INPUTS,
    )


def eln2022(policies: Eln2022Policies | None = None) -> ScoreParts:
    """ELN 2022 genetic risk as parts: category and missing inputs."""
    return table_parts(eln2022_table(policies or Eln2022Policies()), categories=CATS, inputs=INPUTS)


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
