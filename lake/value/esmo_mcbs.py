"""ESMO-MCBS v1.1 grading of non-curative comparisons (Forms 2a, 2b) and single-arm studies
(Form 3).

Cherny NI, Dafni U, Bogaerts J, et al. ESMO-Magnitude of Clinical Benefit Scale version 1.1.
*Ann Oncol* 2017;28(10):2340–2366, doi:10.1093/annonc/mdx310; the Form 2a grid as implemented by
Büsch et al. (R code ``cbuesch/IQWiGvsESMO``, Table 1); rules as in 06-value-frameworks.md §6.1.

Common rules (CONFIRMED): the hazard-ratio criterion reads the **lower** 95% limit HR_L; the gain
is the difference of medians (experimental − control, months); only a statistically significant
benefit (95% CI of the HR below 1) is graded; the grade is the **highest** whose criteria all
hold; adjustments then move it by one level each, within 1..5. Grades 4 and 5 denote substantial
benefit. Rules marked UNCONFIRMED are settings (:mod:`lake.value.rules`), flagged in every grade
they bear on.

Form 2a (OS; grade 5 only through adjustments), by control median OS m:

===============  ==========================================  ======================  ============
m (months)       grade 4                                     grade 3                 grade 2
===============  ==========================================  ======================  ============
≤ 12             HR_L ≤ .65 ∧ gain ≥ 3, or 2-y OS +≥ 10 pts  HR_L ≤ .65 ∧ gain ≥ 2   HR_L ≤ .70 ∧
                                                                                     gain ≥ 1.5
12 < m ≤ 24      HR_L ≤ .70 ∧ gain ≥ 5, or 3-y OS +≥ 10 pts  HR_L ≤ .70 ∧ gain ≥ 3   HR_L ≤ .75 ∧
                                                                                     gain ≥ 1.5
> 24             HR_L ≤ .70 ∧ gain ≥ 9, or 5-y OS +≥ 10 pts  HR_L ≤ .70 ∧ gain ≥ 6   HR_L ≤ .75 ∧
                                                                                     gain ≥ 4
===============  ==========================================  ======================  ============

Grade 1 otherwise. (The published grade 2, "(HR_L ≤ h ∧ gain in [g₂, g₃)) or (h < HR_L ≤ h₂ ∧
gain ≥ g₂)", is "HR_L ≤ h₂ ∧ gain ≥ g₂" once higher grades are taken first.) Adjustment: +1 for
significantly less grade 3–4 toxicity affecting daily well-being or significantly improved QoL.

Form 2b (PFS), by control median PFS ≤ 6 / > 6 months: grade 3 if HR_L ≤ 0.65 ∧ gain ≥ 1.5 / 3;
grades 2 and 1 UNCONFIRMED (settings). Adjustments: +1 for less toxicity or improved QoL; −1 for
significantly more (incremental) toxicity; −1 when only PFS improved (OS not shown better) and
QoL showed no difference; plateau and secondary-OS upgrades UNCONFIRMED (settings).

Form 3 (single arm), the highest of: grade 3: PFS ≥ 6, ORR ≥ 60%, or ORR ≥ 20% ∧ DoR ≥ 9;
grade 2: PFS ≥ 3, ORR ≥ 40%, or ORR ≥ 20% ∧ DoR ≥ 6; grade 1: PFS ≥ 2, ORR ≥ 20%, or ORR ≥
10% ∧ DoR ≥ 6 (months, %). Adjustments: −1 if ≥ 30% of patients have grade 3–4 toxicities
affecting daily well-being; +1 for improved QoL; +1 for confirmatory adequately sized phase 4
experience; the cap is UNCONFIRMED (setting).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from lake.value.rules import EsmoRules, Threshold
from lake.value.studies import Comparison, EvidenceLevel, SingleArmStudy

#: The framework and version stored with every grade (v2.0 exists: never mix versions).
FRAMEWORK: Final = "esmo_mcbs_v1.1"
Form = Literal["2a", "2b", "3"]
EVIDENCE_LABELS: Final[dict[EvidenceLevel, str]] = {
    "randomised": "randomised",
    "single_arm": "single-arm",
    "real_world": "real-world",
}


@dataclass(frozen=True, slots=True)
class RuleFlag:
    """An UNCONFIRMED rule bearing on a grade: its setting, whether it is filled, its effect."""

    setting: str
    enabled: bool
    effect: str


@dataclass(frozen=True, slots=True)
class Grade:
    """An ESMO-MCBS grade: preliminary and final (``None``: not graded, ``reason`` says why)."""

    form: Form
    sheet: str
    preliminary: int | None
    final: int | None
    evidence: EvidenceLevel
    criteria: tuple[str, ...]
    adjustments: tuple[str, ...]
    flags: tuple[RuleFlag, ...]
    reason: str | None = None
    framework: str = FRAMEWORK

    @property
    def substantial_benefit(self) -> bool | None:
        """Grade 4 or 5 (non-curative forms); ``None`` when not graded or for Form 3."""
        if self.final is None or self.form == "3":
            return None
        return self.final >= 4

    @property
    def label(self) -> str:
        """E.g. ``ESMO-MCBS v1.1 Form 2a grade 4 (randomised evidence)``."""
        shown = "not graded" if self.final is None else f"grade {self.final}"
        return (
            f"ESMO-MCBS v1.1 Form {self.form} {shown} ({EVIDENCE_LABELS[self.evidence]} evidence)"
        )


@dataclass(frozen=True, slots=True)
class _Sheet2a:
    name: str
    hr_top: float  # HR_L limit of grades 4 and 3
    hr_grade2: float  # HR_L limit of grade 2
    gains: tuple[float, float, float]  # grade 4, 3, 2 minimum gains
    landmark_years: float


def _sheet_2a(control_median: float) -> _Sheet2a:
    if control_median <= 12:
        return _Sheet2a("control median OS <= 12 months", 0.65, 0.70, (3.0, 2.0, 1.5), 2.0)
    if control_median <= 24:
        return _Sheet2a("control median OS > 12 to <= 24 months", 0.70, 0.75, (5.0, 3.0, 1.5), 3.0)
    return _Sheet2a("control median OS > 24 months", 0.70, 0.75, (9.0, 6.0, 4.0), 5.0)


#: Points of landmark gain that reach grade 4 on Form 2a (CONFIRMED).
LANDMARK_GRADE4_POINTS: Final = 10.0
#: Form 2b grade 3: HR_L limit and minimum gain for control median PFS <= 6 / > 6 months.
FORM2B_HR_TOP: Final = 0.65
FORM2B_GAINS: Final = (1.5, 3.0)
#: Form 3: share of patients with grade 3-4 toxicity from which the grade drops one level.
FORM3_TOXICITY_PERCENT: Final = 30.0


def grade_comparison(comparison: Comparison, rules: EsmoRules) -> Grade:
    """Grade a two-arm comparison with Form 2a (OS) or 2b (PFS)."""
    if comparison.endpoint == "os":
        return _form_2a(comparison, rules)
    return _form_2b(comparison, rules)


def _not_significant(comparison: Comparison, form: Form, sheet: str) -> Grade | None:
    hr = comparison.hazard_ratio
    if hr.significant_benefit:
        return None
    return Grade(
        form=form,
        sheet=sheet,
        preliminary=None,
        final=None,
        evidence=comparison.evidence,
        criteria=(),
        adjustments=(),
        flags=(),
        reason=(
            f"no statistically significant benefit: the 95% CI of the HR ({hr.lower:g}-"
            f"{hr.upper:g}) does not lie below 1, and ESMO-MCBS grades only significant results"
        ),
    )


def _over_gains(
    comparison: Comparison, grade_at: Callable[[float], tuple[int | None, tuple[str, ...]]]
) -> tuple[int | None, tuple[str, ...], str | None]:
    """The preliminary grade at the comparison's gain; with the median not reached (gain
    unknown, at least 0), the grade only if it is the same at gains 0 and +inf (grades are
    monotone in the gain, so then at every gain; convention C1)."""
    gain = comparison.gain_months
    if gain is not None:
        grade, met = grade_at(gain)
        return grade, met, None
    low, low_met = grade_at(0.0)
    high, _ = grade_at(math.inf)
    if low == high:
        return low, low_met, None
    return (
        None,
        (),
        "the experimental median was not reached, so the gain is unknown and the grade depends "
        f"on it (grade {low} at no gain, {high} at a large one): give the median once reached",
    )


def _form_2a(comparison: Comparison, rules: EsmoRules) -> Grade:
    sheet = _sheet_2a(comparison.control_median_months)
    refused = _not_significant(comparison, "2a", sheet.name)
    if refused is not None:
        return refused
    hr_lower = comparison.hazard_ratio.lower
    landmark = comparison.landmark(sheet.landmark_years)
    points = None if landmark is None else landmark.gain_points
    years = f"{sheet.landmark_years:g}-year OS"
    flags = (
        _landmark_flag("form2a_landmark_grade3_points", rules.form2a_landmark_grade3_points, 3),
        _landmark_flag("form2a_landmark_grade2_points", rules.form2a_landmark_grade2_points, 2),
    )

    def grade_at(gain: float) -> tuple[int | None, tuple[str, ...]]:
        g4, g3, g2 = sheet.gains
        if hr_lower <= sheet.hr_top and gain >= g4:
            return 4, (f"HR_L {hr_lower:g} <= {sheet.hr_top:g} and gain >= {g4:g} months",)
        if points is not None and points >= LANDMARK_GRADE4_POINTS:
            return 4, (f"{years} gain {points:g} points >= {LANDMARK_GRADE4_POINTS:g}",)
        if hr_lower <= sheet.hr_top and gain >= g3:
            return 3, (f"HR_L {hr_lower:g} <= {sheet.hr_top:g} and gain >= {g3:g} months",)
        landmark3 = rules.form2a_landmark_grade3_points
        if points is not None and landmark3 is not None and points >= landmark3:
            return 3, (f"{years} gain {points:g} points >= {landmark3:g} (UNCONFIRMED rule)",)
        if hr_lower <= sheet.hr_grade2 and gain >= g2:
            return 2, (f"HR_L {hr_lower:g} <= {sheet.hr_grade2:g} and gain >= {g2:g} months",)
        landmark2 = rules.form2a_landmark_grade2_points
        if points is not None and landmark2 is not None and points >= landmark2:
            return 2, (f"{years} gain {points:g} points >= {landmark2:g} (UNCONFIRMED rule)",)
        return 1, ("significant benefit below the grade 2 criteria",)

    preliminary, criteria, reason = _over_gains(comparison, grade_at)
    adjustments = _upgrades(comparison)
    return _adjusted(
        "2a",
        sheet.name,
        evidence=comparison.evidence,
        preliminary=preliminary,
        criteria=criteria,
        adjustments=adjustments,
        flags=flags,
        reason=reason,
        cap=5,
    )


def _landmark_flag(setting: str, value: float | None, grade: int) -> RuleFlag:
    if value is None:
        return RuleFlag(
            setting, False, f"disabled: intermediate landmark gains do not credit grade {grade}"
        )
    return RuleFlag(setting, True, f"a landmark gain >= {value:g} points credits grade {grade}")


def _upgrades(comparison: Comparison) -> tuple[tuple[str, int], ...]:
    """The one-level upgrade of Forms 2a and 2b (less toxicity or better QoL: one level)."""
    reasons = [
        text
        for text, holds in (
            ("significantly less grade 3-4 toxicity", comparison.toxicity == "less"),
            ("significantly improved quality of life", comparison.quality_of_life == "improved"),
        )
        if holds
    ]
    return ((f"+1: {' and '.join(reasons)}", 1),) if reasons else ()


def _form_2b(comparison: Comparison, rules: EsmoRules) -> Grade:
    short = comparison.control_median_months <= 6
    sheet = "control median PFS <= 6 months" if short else "control median PFS > 6 months"
    refused = _not_significant(comparison, "2b", sheet)
    if refused is not None:
        return refused
    hr_lower = comparison.hazard_ratio.lower
    top_gain = FORM2B_GAINS[0] if short else FORM2B_GAINS[1]
    side = "short" if short else "long"
    lower_rules: tuple[tuple[int, str, Threshold | None], ...] = (
        (2, f"form2b_grade2_{side}", getattr(rules, f"form2b_grade2_{side}")),
        (1, f"form2b_grade1_{side}", getattr(rules, f"form2b_grade1_{side}")),
    )
    missing: list[str] = []

    def grade_at(gain: float) -> tuple[int | None, tuple[str, ...]]:
        if hr_lower <= FORM2B_HR_TOP and gain >= top_gain:
            return 3, (f"HR_L {hr_lower:g} <= {FORM2B_HR_TOP:g} and gain >= {top_gain:g} months",)
        for grade, setting, threshold in lower_rules:
            if threshold is None:
                missing.append(setting)
                return None, ()
            if threshold.met(hr_lower, gain):
                return grade, (
                    f"HR_L {hr_lower:g} <= {threshold.hr_lower_max:g} and gain >= "
                    f"{threshold.gain_months:g} months (UNCONFIRMED rule {setting})",
                )
        return None, ()

    preliminary, criteria, reason = _over_gains(comparison, grade_at)
    if preliminary is None and reason is None:
        reason = (
            f"below grade 3, and the Form 2b rule {missing[0]} is UNCONFIRMED and not set "
            "(settings: esmo_mcbs)"
            if missing
            else "no Form 2b criterion is met"
        )
    flags = [
        RuleFlag(
            setting,
            threshold is not None,
            "disabled: results below grade 3 are not graded"
            if threshold is None
            else f"HR_L <= {threshold.hr_lower_max:g} and gain >= "
            f"{threshold.gain_months:g} months gives grade {grade}",
        )
        for grade, setting, threshold in lower_rules
    ]
    adjustments = list(_upgrades(comparison))
    for setting, enabled, holds, text in (
        (
            "form2b_plateau_upgrade",
            rules.form2b_plateau_upgrade,
            comparison.long_term_plateau,
            "long-term plateau of the PFS curve",
        ),
        (
            "form2b_secondary_os_upgrade",
            rules.form2b_secondary_os_upgrade,
            comparison.overall_survival_benefit is True,
            "secondary OS also improved",
        ),
    ):
        if holds and enabled:
            adjustments.append((f"+1: {text} (UNCONFIRMED rule {setting})", 1))
        flags.append(
            RuleFlag(
                setting,
                enabled,
                (
                    ("applied" if enabled else "disabled: not applied")
                    if holds
                    else ("enabled" if enabled else "disabled") + ", not claimed by the input"
                ),
            )
        )
    if comparison.toxicity == "more":
        adjustments.append(("-1: significantly more incremental toxicity", -1))
    if (
        comparison.quality_of_life == "no_difference"
        and comparison.overall_survival_benefit is not True
    ):
        adjustments.append(("-1: only PFS improved and quality of life showed no difference", -1))
    return _adjusted(
        "2b",
        sheet,
        evidence=comparison.evidence,
        preliminary=preliminary,
        criteria=criteria,
        adjustments=tuple(adjustments),
        flags=tuple(flags),
        reason=reason,
        cap=5,
    )


def grade_single_arm(study: SingleArmStudy, rules: EsmoRules) -> Grade:
    """Grade a single-arm study with Form 3."""
    pfs, orr, dor = study.pfs_months, study.orr_percent, study.dor_months
    met: list[tuple[int, str]] = []
    if pfs is not None:
        for grade, floor in ((3, 6.0), (2, 3.0), (1, 2.0)):
            if pfs >= floor:
                met.append((grade, f"PFS {pfs:g} >= {floor:g} months"))
                break
    if orr is not None:
        for grade, orr_floor, dor_floor in (
            (3, 60.0, None),
            (3, 20.0, 9.0),
            (2, 40.0, None),
            (2, 20.0, 6.0),
            (1, 20.0, None),
            (1, 10.0, 6.0),
        ):
            if orr >= orr_floor and (dor_floor is None or (dor is not None and dor >= dor_floor)):
                dor_text = "" if dor_floor is None else f" and DoR >= {dor_floor:g} months"
                met.append((grade, f"ORR {orr:g}% >= {orr_floor:g}%{dor_text}"))
                break
    preliminary = max((g for g, _ in met), default=None)
    criteria = tuple(text for g, text in met if g == preliminary)
    adjustments: list[tuple[str, int]] = []
    if study.severe_toxicity_percent is not None and (
        study.severe_toxicity_percent >= FORM3_TOXICITY_PERCENT
    ):
        adjustments.append(
            (
                f"-1: grade 3-4 toxicity in {study.severe_toxicity_percent:g}% "
                f">= {FORM3_TOXICITY_PERCENT:g}% of patients",
                -1,
            )
        )
    if study.quality_of_life == "improved":
        adjustments.append(("+1: improved quality of life", 1))
    if study.phase4_confirmed:
        adjustments.append(("+1: confirmatory adequately sized phase 4 experience", 1))
    cap = rules.form3_max_grade
    flag = RuleFlag(
        "form3_max_grade",
        cap is not None,
        "disabled: the adjusted grade is not capped below 5"
        if cap is None
        else f"the adjusted grade is capped at {cap}",
    )
    return _adjusted(
        "3",
        "single-arm study",
        evidence=study.evidence,
        preliminary=preliminary,
        criteria=criteria,
        adjustments=tuple(adjustments),
        flags=(flag,),
        reason=None if preliminary is not None else "no Form 3 criterion is met",
        cap=5 if cap is None else cap,
    )


def _adjusted(
    form: Form,
    sheet: str,
    *,
    evidence: EvidenceLevel,
    preliminary: int | None,
    criteria: tuple[str, ...],
    adjustments: tuple[tuple[str, int], ...],
    flags: tuple[RuleFlag, ...],
    reason: str | None,
    cap: int,
) -> Grade:
    """The final grade: the preliminary moved by the adjustments, kept within 1..cap."""
    final = (
        None
        if preliminary is None
        else min(cap, max(1, preliminary + sum(step for _, step in adjustments)))
    )
    return Grade(
        form=form,
        sheet=sheet,
        preliminary=preliminary,
        final=final,
        evidence=evidence,
        criteria=criteria,
        adjustments=tuple(text for text, _ in adjustments) if preliminary is not None else (),
        flags=flags,
        reason=reason,
    )
