"""Endpoint definitions: which dated outcome rows are the event, which compete, which censor.

Outcome rows are the ``events`` table plus two kinds derived from ``bcr_abl1`` samples:
``molecular_sample`` (every sample) and ``mmr_loss`` (BCR::ABL1 > 0.1 % IS, detectable; the
EURO-SKI single-measurement definition, 03-cml.md §3.8). Each definition is a value; the
catalogue functions below return them with the citation in the docstring.

Each definition also says, in words, what its event (and competing event) is and which time
origins it is defined from (:mod:`lake.endpoints.origins`): transplant endpoints from day 0 of
the allogeneic transplant (04-transplant.md §4.1), TFR endpoints from the TKI stop (03-cml.md
§3.8), RFS and CIR from the first complete remission (ELN 2022); OS, PFS and EFS also from the
start of a treatment line (trial convention: from randomisation / start of therapy), OS also
from the TKI stop. :func:`derive_endpoint` measures from any origin it is given; the API's
catalogue (:mod:`lake.cohort.endpoints`) refuses the origins a definition does not list.

The AML outcome measures follow ELN 2022 Table 9 (Döhner H et al. *Blood* 2022;140:1345–1377,
doi:10.1182/blood.2022016867). The domain reference (02-aml.md, 05-survival-statistics.md) does
not define them; 04-transplant.md §4.1 gives the relapse / competing-death convention CIR shares.

Same-day ties: the event of interest wins over a competing event, except for NRM where a relapse
on the day of death makes the death relapse-related (``ties_go_to="competing"``). A censoring
trigger (TKI restart for MRFS) censors only if strictly before the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from lake.endpoints.origins import OriginKind

MMR_LOSS: Final = "mmr_loss"
MOLECULAR_SAMPLE: Final = "molecular_sample"
#: Loss of major molecular response: BCR::ABL1 strictly above 0.1 % IS (0.1 % is still MMR).
MMR_THRESHOLD_PCT: Final = 0.1
#: EFS response landmark. ELN 2022 Table 9 leaves it to the study (its examples: after two
#: intensive induction cycles, or 180 days for non-intensive therapy). The lake holds no cycle
#: counts, so one window serves both: 180 days, the one landmark ELN states in days. A service
#: policy, not an ELN constant.
INDUCTION_WINDOW_DAYS: Final = 180

_KIND = pl.col("kind")
_RELAPSE = _KIND.is_in(["relapse", "progression"])
_DEATH = _KIND == "death"
_TRANSPLANT: Final[tuple[OriginKind, ...]] = ("allo_transplant",)
_TKI_STOP: Final[tuple[OriginKind, ...]] = ("tki_stop",)
_REMISSION: Final[tuple[OriginKind, ...]] = ("complete_remission",)


@dataclass(frozen=True, slots=True)
class EndpointDefinition:
    """A time-to-event endpoint over outcome rows (columns kind, grade, systemic_ist).

    ``competing`` set -> cumulative-incidence endpoint with status 0/1/2, else 0/1.
    ``follow_up`` is where patients without any event are censored: last contact (latest
    dated row of the patient) or the last BCR::ABL1 sample (molecular endpoints). ``event``
    and ``competing_event`` say in words what ``interest`` and ``competing`` select;
    ``origins`` are the time origins the endpoint is defined from. ``diseases``: the
    ``patients.disease`` codes the endpoint is defined for (None: every disease); other
    patients are excluded and counted. ``induction_window_days``: no ``complete_remission``
    within this many days of the origin is induction failure (EFS; see
    :func:`lake.endpoints.derive_endpoint`).
    """

    name: str
    interest: pl.Expr
    event: str
    origins: tuple[OriginKind, ...]
    competing_event: str | None = None
    competing: pl.Expr | None = None
    censor_at: pl.Expr | None = None
    follow_up: Literal["last_contact", "last_sample"] = "last_contact"
    ties_go_to: Literal["interest", "competing"] = "interest"
    diseases: tuple[str, ...] | None = None
    induction_window_days: int | None = None


def overall_survival() -> EndpointDefinition:
    """OS: death from any cause (04-transplant.md §4.1); Kaplan–Meier."""
    return EndpointDefinition(
        "OS",
        interest=_DEATH,
        event="death from any cause",
        origins=("diagnosis", "treatment_line", "allo_transplant", "tki_stop"),
    )


def progression_free_survival() -> EndpointDefinition:
    """PFS (LFS/DFS in acute leukaemia): relapse/progression or death, whichever first.

    Myeloma progression per IMWG (Kumar 2016); 04-transplant.md §4.1. Kaplan–Meier.
    """
    return EndpointDefinition(
        "PFS",
        interest=_RELAPSE | _DEATH,
        event="relapse/progression or death, whichever comes first",
        origins=("diagnosis", "treatment_line", "allo_transplant"),
    )


def event_free_survival(
    *, induction_window_days: int = INDUCTION_WINDOW_DAYS
) -> EndpointDefinition:
    """EFS (AML): induction failure, relapse after complete remission, or death, whichever first.

    ELN 2022 Table 9 (Döhner H et al. *Blood* 2022;140:1345–1377, doi:10.1182/blood.2022016867):
    treatment failure is not reaching CR by a pre-defined landmark; a patient evaluable for
    response without CR by then, or dying before it without a response assessment, has the
    event on day 1 of the origin (time 0 here); a patient alive but not evaluable (follow-up
    ends before the landmark, no CR) is censored on day 1 (time 0). The landmark is
    ``induction_window_days`` after the origin (:data:`INDUCTION_WINDOW_DAYS`, a service
    policy). AML only (an ELN definition): a patient of another disease has no
    ``complete_remission`` to reach and would count as an induction failure, so is excluded.
    Kaplan–Meier.
    """
    return EndpointDefinition(
        "EFS",
        interest=_RELAPSE | _DEATH,
        event=f"induction failure (no complete remission within {induction_window_days} days "
        "of the origin: event at time 0), relapse or death, whichever comes first; AML only",
        origins=("diagnosis", "treatment_line"),
        diseases=("AML",),
        induction_window_days=induction_window_days,
    )


def relapse_free_survival() -> EndpointDefinition:
    """RFS (AML): relapse or death from any cause, from the first complete remission.

    ELN 2022 Table 9 (doi:10.1182/blood.2022016867): defined only for patients achieving CR
    (ELN: CR, CRh or CRi; the lake has one ``complete_remission`` event kind), measured from the
    date of remission; censored at the last date known alive. Patients never in CR have no
    origin and are excluded. Same event as PFS (04-transplant.md §4.1: LFS/DFS); Kaplan–Meier.
    """
    return EndpointDefinition(
        "RFS",
        interest=_RELAPSE | _DEATH,
        event="relapse or death, whichever comes first, after complete remission",
        origins=_REMISSION,
    )


def cumulative_incidence_of_relapse() -> EndpointDefinition:
    """CIR (AML): relapse (cause 1), death in remission competing (2), from the first CR.

    ELN 2022 Table 9 (doi:10.1182/blood.2022016867): defined for patients achieving CR, measured
    from the date of remission; death without relapse is a competing cause of failure. Relapse
    and competing death as in relapse incidence (04-transplant.md §4.1); Aalen–Johansen CIF.
    """
    return EndpointDefinition(
        "CIR",
        interest=_RELAPSE,
        event="relapse after complete remission",
        origins=_REMISSION,
        competing=_DEATH,
        competing_event="death in remission (without prior relapse)",
    )


def relapse_incidence() -> EndpointDefinition:
    """RI / CIR: relapse or progression (cause 1), death without prior relapse competing (2).

    Aalen–Johansen CIF (04-transplant.md §4.1; Kim & Armand 2013, doi:10.1016/j.bbmt.2013.01.007).
    """
    return EndpointDefinition(
        "relapse incidence",
        interest=_RELAPSE,
        event="relapse/progression",
        origins=_TRANSPLANT,
        competing=_DEATH,
        competing_event="death without prior relapse/progression",
    )


def non_relapse_mortality() -> EndpointDefinition:
    """NRM: death without prior relapse/progression (1); relapse competing (2).

    A relapse recorded on the day of death makes that death relapse-related (competing).
    04-transplant.md §4.1.
    """
    return EndpointDefinition(
        "NRM",
        interest=_DEATH,
        event="death without prior relapse/progression",
        origins=_TRANSPLANT,
        competing=_RELAPSE,
        competing_event="relapse/progression (on or before the day of death)",
        ties_go_to="competing",
    )


def acute_gvhd(*, relapse_competes: bool = False) -> EndpointDefinition:
    """Grade II–IV acute GVHD (MAGIC, Harris 2016) vs death (and relapse if configured).

    04-transplant.md §4.1: death without aGVHD competes at minimum; relapse as an extra competing
    event is study-specific (worked example 2).
    """
    competing = _DEATH | _RELAPSE if relapse_competes else _DEATH
    return EndpointDefinition(
        "aGVHD II-IV",
        interest=(_KIND == "agvhd") & pl.col("grade").is_in(["II", "III", "IV"]),
        event="onset of grade II-IV acute GVHD",
        origins=_TRANSPLANT,
        competing=competing,
        competing_event=_without("aGVHD", relapse_competes=relapse_competes),
    )


def chronic_gvhd(
    *, systemic_ist_only: bool = False, relapse_competes: bool = False
) -> EndpointDefinition:
    """Chronic GVHD (NIH 2014, Jagasia 2015): any, or only that needing systemic IST.

    Death without cGVHD competes; relapse optionally (04-transplant.md §4.1).
    """
    interest = _KIND == "cgvhd"
    if systemic_ist_only:
        interest = interest & pl.col("systemic_ist").fill_null(False)
    competing = _DEATH | _RELAPSE if relapse_competes else _DEATH
    name = "cGVHD (systemic IST)" if systemic_ist_only else "cGVHD"
    needing = " needing systemic immunosuppression" if systemic_ist_only else ""
    return EndpointDefinition(
        name,
        interest=interest,
        event=f"onset of chronic GVHD{needing}",
        origins=_TRANSPLANT,
        competing=competing,
        competing_event=_without("cGVHD", relapse_competes=relapse_competes),
    )


def _without(gvhd: str, *, relapse_competes: bool) -> str:
    return f"death without {gvhd}" + (" or relapse/progression" if relapse_competes else "")


def gvhd_relapse_free_survival() -> EndpointDefinition:
    """GRFS (Holtan SG et al. *Blood* 2015;125:1333–1338, doi:10.1182/blood-2014-10-609032).

    First of: grade III–IV acute GVHD; chronic GVHD requiring systemic immunosuppression;
    relapse/progression; death. Grade II aGVHD and topical-only cGVHD are not events.
    """
    agvhd = (_KIND == "agvhd") & pl.col("grade").is_in(["III", "IV"])
    cgvhd = (_KIND == "cgvhd") & pl.col("systemic_ist").fill_null(False)
    return EndpointDefinition(
        "GRFS",
        interest=agvhd | cgvhd | _RELAPSE | _DEATH,
        event="first of grade III-IV acute GVHD, chronic GVHD needing systemic "
        "immunosuppression, relapse/progression or death",
        origins=_TRANSPLANT,
    )


def molecular_relapse_free_survival(
    *, death: Literal["event", "competing"] = "event"
) -> EndpointDefinition:
    """MRFS / MRecFS after TKI stop: first loss of MMR (BCR::ABL1 > 0.1 % IS, one sample).

    Saussele S et al. EURO-SKI, *Lancet Oncol* 2018;19:747–757,
    doi:10.1016/S1470-2045(18)30192-X; 03-cml.md §3.8. TKI restart without MMR loss censors
    (project convention). ``death="event"``: composite (convention a); ``"competing"``: death
    competes with molecular relapse (convention b, cumulative incidence). Patients without events
    are censored at their last BCR::ABL1 sample.
    """
    relapse = _KIND == MMR_LOSS
    loss = "first loss of MMR (BCR::ABL1 > 0.1 % IS); a TKI restart before it censors"
    if death == "event":
        return EndpointDefinition(
            "MRFS (death = event)",
            interest=relapse | _DEATH,
            event=f"death or {loss}",
            origins=_TKI_STOP,
            censor_at=_KIND == "tki_restart",
            follow_up="last_sample",
        )
    return EndpointDefinition(
        "MRFS (death competing)",
        interest=relapse,
        event=loss,
        origins=_TKI_STOP,
        competing=_DEATH,
        competing_event="death without loss of MMR",
        censor_at=_KIND == "tki_restart",
        follow_up="last_sample",
    )


def molecular_recurrence_tki_free_survival(
    *, death: Literal["event", "competing"] = "event"
) -> EndpointDefinition:
    """MRecTFS: first of loss of MMR or TKI restart (EURO-SKI final analysis; 03-cml.md §3.8)."""
    interest = (_KIND == MMR_LOSS) | (_KIND == "tki_restart")
    recurrence = "loss of MMR (BCR::ABL1 > 0.1 % IS) or TKI restart"
    if death == "event":
        return EndpointDefinition(
            "MRecTFS (death = event)",
            interest=interest | _DEATH,
            event=f"first of {recurrence} or death",
            origins=_TKI_STOP,
            follow_up="last_sample",
        )
    return EndpointDefinition(
        "MRecTFS (death competing)",
        interest=interest,
        event=f"first of {recurrence}",
        origins=_TKI_STOP,
        competing=_DEATH,
        competing_event="death without molecular recurrence",
        follow_up="last_sample",
    )
