"""IMWG 2016 response category of one assessment, derived from its measurements (``imwg_2016``).

Citation: Kumar S, Paiva B, Anderson KC, et al. International Myeloma Working Group consensus
criteria for response and minimal residual disease assessment in multiple myeloma. *Lancet Oncol*
2016;17(8):e328-e346. doi:10.1016/S1470-2045(16)30206-6 (rules as in ``01-myeloma.md`` §1.4).

:mod:`lake.risk.imwg_response` ranks a response the site already assessed; this module derives it.
The output codes and ranks are theirs (:data:`lake.model.RESPONSE_CODES`,
:data:`lake.risk.imwg_response.RANKS`), so a derived category can be stored as
``treatment_lines.best_response`` and ranked like any site code. The criteria version
(:data:`CRITERIA_VERSION`, ``imwg_2016``) is the registry version id, so it names the result
column and is stored with every result (C5).

The harmonised lake stores the site-assessed best response, not serial M-protein values, so the
inputs are a frame the caller builds from its laboratory data, ``imwg_assessment`` (as
``tki_stop_inputs`` for :mod:`lake.risk.tki_stop`). The score is registered, so it is listed and
computable by :func:`lake.risk.registry.compute` on such a frame; a cohort refuses it (its inputs
are per assessment and the lake holds none: :data:`lake.risk.per_patient.PER_PATIENT`).

Input frame ``imwg_assessment`` (:data:`SCHEMA`; one row per response assessment; null =
unknown; canonical units, C2). "Nadir" is the lowest confirmed value before this assessment
(the baseline itself when nothing lower has been confirmed).

=================================  ======  ===================================================
Column                             Unit    Meaning
=================================  ======  ===================================================
``serum_m_baseline_g_dl``          g/dL    serum M-protein (electrophoresis), pre-treatment
``serum_m_g_dl``                   g/dL    serum M-protein at this assessment (0 = not seen)
``serum_m_nadir_g_dl``             g/dL    serum M-protein nadir
``urine_m_baseline_mg_24h``        mg/24h  24 h urine M-protein, pre-treatment
``urine_m_mg_24h``                 mg/24h  24 h urine M-protein at this assessment
``urine_m_nadir_mg_24h``           mg/24h  24 h urine M-protein nadir
``serum_ife_positive``             bool    serum immunofixation shows the M-protein
``urine_ife_positive``             bool    urine immunofixation shows the M-protein
``flc_involved_baseline_mg_dl``    mg/dL   involved serum free light chain, pre-treatment
``flc_uninvolved_baseline_mg_dl``  mg/dL   uninvolved serum free light chain, pre-treatment
``flc_ratio_baseline``             --      serum FLC κ/λ ratio, pre-treatment
``flc_involved_mg_dl``             mg/dL   involved FLC at this assessment
``flc_uninvolved_mg_dl``           mg/dL   uninvolved FLC at this assessment
``dflc_nadir_mg_dl``               mg/dL   nadir of dFLC (involved minus uninvolved FLC)
``flc_ratio``                      --      serum FLC κ/λ ratio at this assessment
``flc_ratio_lower``                --      the lab's normal ratio range, lower limit (C3)
``flc_ratio_upper``                --      the lab's normal ratio range, upper limit (C3)
``marrow_pc_baseline_pct``         %       marrow plasma cells, pre-treatment
``marrow_pc_pct``                  %       marrow plasma cells at this assessment (aspirate)
``marrow_pc_nadir_pct``            %       marrow plasma-cell nadir
``clonal_pc_ihc``                  bool    clonal plasma cells in the marrow by IHC (κ/λ)
``plasmacytoma_baseline``          bool    soft-tissue plasmacytoma present at baseline
``plasmacytoma_reduction_pct``     %       reduction of its sum of products of diameters
``imaging_progression``            bool    new bone lesion or plasmacytoma, or >= 50% growth
                                           of lesions from nadir (the imaging PD criterion)
``circulating_pc_progression``     bool    >= 50% rise of circulating plasma cells (>= 200/µL)
                                           where that is the only measure of disease
=================================  ======  ===================================================

The one FLC ratio range serves the baseline and the assessment: serial FLC values are only
comparable on one assay, which the range identifies.

Measurable disease at baseline (selects the branch): serum M-protein >= 1 g/dL, urine M-protein
>= 200 mg/24 h, involved FLC >= 10 mg/dL with a ratio outside the lab range; marrow plasma cells
>= 30% for the marrow PR branch. ``sero`` = serum or urine measurable.

Rules, in order (first rule that certainly holds wins; C1 via :func:`~lake.risk.tristate.cascade`):

====  ====  =================================================================================
Rank  Code  Condition
====  ====  =================================================================================
1     PD    any of, from nadir: serum +25% and +0.5 g/dL (or +1 g/dL if the nadir is
            >= 5 g/dL); urine +25% and +200 mg/24 h; if serum and urine are not measurable,
            dFLC +25% and > +10 mg/dL; if serum, urine and FLC are not measurable, marrow
            plasma cells +25% and >= +10 percentage points; ``imaging_progression``;
            ``circulating_pc_progression``
7     sCR   CR and FLC ratio within the lab range (limits included) and no clonal plasma cells
            by IHC (the site's call: κ/λ <= 4:1 or >= 1:2 after counting >= 100 cells)
6     CR    negative serum and urine immunofixation, plasmacytoma gone (none at baseline, or
            reduced 100%), marrow plasma cells < 5%
--    NE    no measurable disease at baseline in any branch (nothing to measure a response
            against)
5     VGPR  ``sero`` and either no M-protein on serum and urine electrophoresis, or serum
            reduced >= 90% (when serum is measurable) with urine < 100 mg/24 h
4     PR    plasmacytoma reduced >= 50% (if present at baseline) and one branch: ``sero``,
            serum reduced >= 50% (when measurable) and urine reduced >= 90% or < 200 mg/24 h;
            FLC (serum, urine not measurable, FLC measurable), dFLC reduced >= 50%; marrow
            (serum, urine, FLC not measurable, marrow >= 30%), marrow reduced >= 50%
3     MR    ``sero``, serum reduced >= 25% (when measurable), urine reduced >= 50% (when
            measurable), plasmacytoma reduced >= 25% (if present at baseline)
2     SD    none of the above
====  ====  =================================================================================

Readings of the text, each one stated so it can be revisited:

- Immunofixation is more sensitive than electrophoresis: a negative serum (urine) IFE means no
  M-protein on electrophoresis, and an M-protein on electrophoresis means a positive IFE (on
  inconsistent inputs the electrophoresis value wins). An unmeasured IFE therefore does not
  block a row whose electrophoresis still shows the M-protein.
- The 25-49% and 50-89% spans of MR only separate MR from PR, which is tried first; read as
  hard upper limits they would make a deeper reduction give SD.
- A reduction criterion of a component not measurable at baseline is waived (it has no reliable
  reference); PR's "urine < 200 mg/24 h" and VGPR's "urine < 100 mg/24 h" are absolute and
  always apply. VGPR and MR are defined on serum/urine M-protein and apply only to ``sero``.
- Conditions specific to FLC-only disease for VGPR and CR (footnotes of the IMWG table, e.g.
  a > 90% dFLC decrease for VGPR) are not in the domain reference, not verified here and not
  applied: an FLC-only patient reaches PR by dFLC, then CR/sCR by the common criteria.
- An insufficient assessment (the site's ``NE``) is ``NOT_CLASSIFIABLE`` with the unknown
  inputs named, as in :mod:`lake.risk.imwg_response`; the code ``NE`` is kept for the known
  case of no measurable disease.

UNCONFIRMED (``01-myeloma.md`` §1.4): responses and PD need confirmation on two consecutive
assessments; the timing rules beyond "consecutive" are not confirmed, so this function
classifies one assessment and leaves confirmation to the caller (store both dates).

Missing inputs (C1): every rule is a Kleene Boolean; a row is classified only when one category
is possible, so an unknown input that cannot change the category is ignored. ``missing_inputs``
lists every unknown input of a ``NOT_CLASSIFIABLE`` row (supplying them all resolves it).
``points`` is the rank 1 (PD) .. 7 (sCR); null for NE and NOT_CLASSIFIABLE.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.model import RESPONSE_CODES
from lake.risk.imwg_response import IMWG_2016_CITATION, IMWG_2016_DOI, RANKS
from lake.risk.spec import ScoreSpec
from lake.risk.tristate import Categories, Input, ScoreParts, cascade, score_parts

FRAME: Final = "imwg_assessment"
CRITERIA_VERSION: Final = "imwg_2016"
CATS: Final = Categories(RESPONSE_CODES)

SERUM_MEASURABLE_G_DL: Final = 1.0
URINE_MEASURABLE_MG: Final = 200.0
FLC_MEASURABLE_MG_DL: Final = 10.0
MARROW_MEASURABLE_PCT: Final = 30.0
CR_MARROW_BELOW_PCT: Final = 5.0
VGPR_URINE_BELOW_MG: Final = 100.0
PR_URINE_BELOW_MG: Final = 200.0
PD_RISE_PCT: Final = 25.0
PD_SERUM_RISE_G_DL: Final = 0.5
PD_SERUM_HIGH_NADIR_G_DL: Final = 5.0
PD_SERUM_HIGH_NADIR_RISE_G_DL: Final = 1.0
PD_URINE_RISE_MG: Final = 200.0
PD_DFLC_RISE_ABOVE_MG_DL: Final = 10.0
PD_MARROW_RISE_PCT: Final = 10.0

_FLOAT_COLUMNS: Final = (
    "serum_m_baseline_g_dl",
    "serum_m_g_dl",
    "serum_m_nadir_g_dl",
    "urine_m_baseline_mg_24h",
    "urine_m_mg_24h",
    "urine_m_nadir_mg_24h",
    "flc_involved_baseline_mg_dl",
    "flc_uninvolved_baseline_mg_dl",
    "flc_ratio_baseline",
    "flc_involved_mg_dl",
    "flc_uninvolved_mg_dl",
    "dflc_nadir_mg_dl",
    "flc_ratio",
    "flc_ratio_lower",
    "flc_ratio_upper",
    "marrow_pc_baseline_pct",
    "marrow_pc_pct",
    "marrow_pc_nadir_pct",
    "plasmacytoma_reduction_pct",
)
_BOOL_COLUMNS: Final = (
    "serum_ife_positive",
    "urine_ife_positive",
    "clonal_pc_ihc",
    "plasmacytoma_baseline",
    "imaging_progression",
    "circulating_pc_progression",
)
#: The columns of the ``imwg_assessment`` frame and their types.
SCHEMA: Final = pl.Schema(
    {**dict.fromkeys(_FLOAT_COLUMNS, pl.Float64), **dict.fromkeys(_BOOL_COLUMNS, pl.Boolean)}
)
INPUTS: Final = tuple(Input(f"{FRAME}.{name}") for name in SCHEMA)


_c: Final = pl.col


def _reduced(baseline: pl.Expr, now: pl.Expr, pct: float) -> pl.Expr:
    """``now`` is at least ``pct`` % below ``baseline`` (cross-multiplied, no division)."""
    return now * 100.0 <= baseline * (100.0 - pct)


def _risen(nadir: pl.Expr, now: pl.Expr) -> pl.Expr:
    """``now`` is at least :data:`PD_RISE_PCT` % above ``nadir``."""
    return now * 100.0 >= nadir * (100.0 + PD_RISE_PCT)


def _ife_negative(electrophoresis: pl.Expr, ife_positive: pl.Expr) -> pl.Expr:
    """Kleene "IFE negative": false whenever electrophoresis still shows an M-protein."""
    return pl.when(electrophoresis > 0).then(pl.lit(value=False)).otherwise(~ife_positive)


def _electrophoresis(value: pl.Expr, ife_positive: pl.Expr) -> pl.Expr:
    """The electrophoresis value, 0 where unmeasured but the IFE is negative."""
    return pl.coalesce(value, pl.when(~ife_positive).then(pl.lit(0.0)))


def progression() -> pl.Expr:
    """Kleene PD condition of the rule table (true, false or null = undecided)."""
    serum_now = _electrophoresis(_c("serum_m_g_dl"), _c("serum_ife_positive"))
    urine_now = _electrophoresis(_c("urine_m_mg_24h"), _c("urine_ife_positive"))
    serum_nadir, urine_nadir = _c("serum_m_nadir_g_dl"), _c("urine_m_nadir_mg_24h")
    serum_rise = serum_now - serum_nadir
    # An M-protein or marrow rule needs the current value itself above the rise (its nadir is
    # >= 0), which decides rows with a low current value even when the nadir is unknown. Not
    # for dFLC: its nadir can be negative (involved below uninvolved).
    serum = (serum_now >= PD_SERUM_RISE_G_DL) & (
        (_risen(serum_nadir, serum_now) & (serum_rise >= PD_SERUM_RISE_G_DL))
        | (
            (serum_nadir >= PD_SERUM_HIGH_NADIR_G_DL)
            & (serum_rise >= PD_SERUM_HIGH_NADIR_RISE_G_DL)
        )
    )
    urine = (
        (urine_now >= PD_URINE_RISE_MG)
        & _risen(urine_nadir, urine_now)
        & (urine_now - urine_nadir >= PD_URINE_RISE_MG)
    )
    dflc_now, dflc_nadir = _dflc_now(), _c("dflc_nadir_mg_dl")
    flc = _risen(dflc_nadir, dflc_now) & (dflc_now - dflc_nadir > PD_DFLC_RISE_ABOVE_MG_DL)
    marrow_now, marrow_nadir = _c("marrow_pc_pct"), _c("marrow_pc_nadir_pct")
    marrow = (
        (marrow_now >= PD_MARROW_RISE_PCT)
        & _risen(marrow_nadir, marrow_now)
        & (marrow_now - marrow_nadir >= PD_MARROW_RISE_PCT)
    )
    sero = _serum_measurable() | _urine_measurable()
    return (
        serum
        | urine
        | (~sero & flc)
        | (~sero & ~_flc_measurable() & marrow)
        | _c("imaging_progression")
        | _c("circulating_pc_progression")
    )


def _serum_measurable() -> pl.Expr:
    return _c("serum_m_baseline_g_dl") >= SERUM_MEASURABLE_G_DL


def _urine_measurable() -> pl.Expr:
    return _c("urine_m_baseline_mg_24h") >= URINE_MEASURABLE_MG


def _flc_measurable() -> pl.Expr:
    ratio = _c("flc_ratio_baseline")
    abnormal = (ratio < _c("flc_ratio_lower")) | (ratio > _c("flc_ratio_upper"))
    return (_c("flc_involved_baseline_mg_dl") >= FLC_MEASURABLE_MG_DL) & abnormal


def _dflc_now() -> pl.Expr:
    return _c("flc_involved_mg_dl") - _c("flc_uninvolved_mg_dl")


def _plasmacytoma_reduced(pct: float) -> pl.Expr:
    return ~_c("plasmacytoma_baseline") | (_c("plasmacytoma_reduction_pct") >= pct)


def response_rules() -> tuple[list[tuple[pl.Expr, str]], str]:
    """The ordered (condition, code) rules of the table above and the default code (SD)."""
    serum_base, urine_base = _c("serum_m_baseline_g_dl"), _c("urine_m_baseline_mg_24h")
    serum_ife, urine_ife = _c("serum_ife_positive"), _c("urine_ife_positive")
    serum_now = _electrophoresis(_c("serum_m_g_dl"), serum_ife)
    urine_now = _electrophoresis(_c("urine_m_mg_24h"), urine_ife)
    serum_meas, urine_meas, flc_meas = _serum_measurable(), _urine_measurable(), _flc_measurable()
    sero = serum_meas | urine_meas
    marrow_base, marrow_now = _c("marrow_pc_baseline_pct"), _c("marrow_pc_pct")
    marrow_meas = marrow_base >= MARROW_MEASURABLE_PCT
    dflc_base = _c("flc_involved_baseline_mg_dl") - _c("flc_uninvolved_baseline_mg_dl")

    ratio = _c("flc_ratio")
    cr = (
        _ife_negative(_c("serum_m_g_dl"), serum_ife)
        & _ife_negative(_c("urine_m_mg_24h"), urine_ife)
        & _plasmacytoma_reduced(100.0)
        & (marrow_now < CR_MARROW_BELOW_PCT)
    )
    scr = (
        cr
        & (ratio >= _c("flc_ratio_lower"))
        & (ratio <= _c("flc_ratio_upper"))
        & ~_c("clonal_pc_ihc")
    )
    vgpr = sero & (
        ((serum_now == 0) & (urine_now == 0))
        | (
            (~serum_meas | _reduced(serum_base, serum_now, 90.0))
            & (urine_now < VGPR_URINE_BELOW_MG)
        )
    )
    pr_sero = (
        sero
        & (~serum_meas | _reduced(serum_base, serum_now, 50.0))
        & ((urine_now < PR_URINE_BELOW_MG) | _reduced(urine_base, urine_now, 90.0))
    )
    pr_flc = ~sero & flc_meas & _reduced(dflc_base, _dflc_now(), 50.0)
    pr_marrow = ~sero & ~flc_meas & marrow_meas & _reduced(marrow_base, marrow_now, 50.0)
    pr = (pr_sero | pr_flc | pr_marrow) & _plasmacytoma_reduced(50.0)
    mr = (
        sero
        & (~serum_meas | _reduced(serum_base, serum_now, 25.0))
        & (~urine_meas | _reduced(urine_base, urine_now, 50.0))
        & _plasmacytoma_reduced(25.0)
    )
    rules = [
        (progression(), "PD"),
        (scr, "sCR"),
        (cr, "CR"),
        (~(sero | flc_meas | marrow_meas), "NE"),
        (vgpr, "VGPR"),
        (pr, "PR"),
        (mr, "MR"),
    ]
    return rules, "SD"


def imwg_assessment() -> ScoreParts:
    """Response category as parts: ``{category, points (rank), missing_inputs}``, one row each.

    Examples
    --------
    Worked example 1 of ``01-myeloma.md`` §1.4 (first assessment: the nadir is the baseline):

    >>> row = {"serum_m_baseline_g_dl": 3.0, "serum_m_g_dl": 1.2, "serum_m_nadir_g_dl": 3.0,
    ...        "urine_m_baseline_mg_24h": 800.0, "urine_m_mg_24h": 150.0,
    ...        "urine_m_nadir_mg_24h": 800.0, "plasmacytoma_baseline": False,
    ...        "imaging_progression": False, "circulating_pc_progression": False}
    >>> frame = pl.DataFrame([row], schema=SCHEMA)
    >>> frame.select(imwg_assessment().to_struct().struct.field("category")).item()
    'PR'
    """
    rules, default = response_rules()
    code = CATS.decide(cascade(rules, default=default))
    ranks = pl.Series([RANKS.get(c) for c in CATS.codes] + [None, None], dtype=pl.Int8)
    return score_parts(code=code, categories=CATS, inputs=INPUTS, points=pl.lit(ranks).gather(code))


SPEC: Final = ScoreSpec(
    name="imwg_assessment",
    version=CRITERIA_VERSION,
    citation=IMWG_2016_CITATION,
    doi=IMWG_2016_DOI,
    inputs=tuple(i.qualified for i in INPUTS),
    categories=CATS.codes,
    unranked=("NE",),
    lowest_risk="last",
    disease="MM",
    build=imwg_assessment,
)
