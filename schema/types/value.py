"""An ESMO-MCBS v1.1 grade (lake.value.esmo_mcbs.Grade) as GraphQL."""

from __future__ import annotations

from enum import Enum

import strawberry
from lake.query.release import Released
from lake.value import Grade, RuleFlag
from lake.value.real_world import ArmSummary, RealWorldComparison

from schema.inputs.value import EvidenceLevel
from schema.types.provenance import Provenance


@strawberry.type(
    description="An ESMO-MCBS rule the domain reference marks UNCONFIRMED: a "
    "service setting, disabled until filled from the published form."
)
class UnconfirmedRule:
    setting: str = strawberry.field(description="Its key in the [esmo_mcbs] settings table.")
    enabled: bool = strawberry.field(
        description="Whether the setting is filled (else the rule is off)."
    )
    effect: str = strawberry.field(description="What it did (or would do) to this grade.")

    @classmethod
    def of(cls, flag: RuleFlag) -> UnconfirmedRule:
        return cls(setting=flag.setting, enabled=flag.enabled, effect=flag.effect)


@strawberry.type(description="An ESMO-MCBS v1.1 grade of a treatment comparison.")
class EsmoGrade:
    framework: str = strawberry.field(description="Framework and version (esmo_mcbs_v1.1).")
    form: str = strawberry.field(description="2a (OS), 2b (PFS) or 3 (single arm).")
    sheet: str = strawberry.field(description="The form's sheet (by control median).")
    preliminary_grade: int | None = strawberry.field(description="Before adjustments.")
    grade: int | None = strawberry.field(description="Final grade; null: not graded (reason).")
    substantial_benefit: bool | None = strawberry.field(
        description="Grade 4 or 5 on Forms 2a/2b; null when not graded or on Form 3."
    )
    evidence: EvidenceLevel = strawberry.field(description="Randomised, single-arm or real-world.")
    label: str = strawberry.field(
        description="E.g. 'ESMO-MCBS v1.1 Form 2a grade 4 (randomised evidence)'."
    )
    criteria: list[str] = strawberry.field(description="The criteria of the grade met.")
    adjustments: list[str] = strawberry.field(description="Upgrades and downgrades applied.")
    unconfirmed_rules: list[UnconfirmedRule] = strawberry.field(
        description="The UNCONFIRMED rules bearing on this grade, filled or not."
    )
    reason: str | None = strawberry.field(description="Why there is no grade.")

    @classmethod
    def of(cls, grade: Grade) -> EsmoGrade:
        return cls(
            framework=grade.framework,
            form=grade.form,
            sheet=grade.sheet,
            preliminary_grade=grade.preliminary,
            grade=grade.final,
            substantial_benefit=grade.substantial_benefit,
            evidence=EvidenceLevel(grade.evidence),
            label=grade.label,
            criteria=list(grade.criteria),
            adjustments=list(grade.adjustments),
            unconfirmed_rules=[UnconfirmedRule.of(f) for f in grade.flags],
            reason=grade.reason,
        )


@strawberry.enum(
    description="How the two lake cohorts relate, which sets the evidence level: ARMS, two arms "
    "of routine care (REAL_WORLD); EXTERNAL_CONTROL, a single-arm cohort against a real-world "
    "external control (SINGLE_ARM)."
)
class ComparisonDesign(Enum):
    ARMS = "arms"
    EXTERNAL_CONTROL = "external_control"


@strawberry.type(description="A hazard ratio (experimental vs control) with its 95% CI.")
class HazardRatioEstimate:
    estimate: float = strawberry.field(description="Point estimate.")
    lower: float = strawberry.field(description="Lower 95% limit (robust).")
    upper: float = strawberry.field(description="Upper 95% limit (robust).")


@strawberry.type(description="One group after propensity weighting (medians in months).")
class WeightedArm:
    n: int = strawberry.field(description="Patients analysed.")
    events: int | None = strawberry.field(description="Null when below the minimum cell size.")
    median: float | None = strawberry.field(description="Weighted median; null: not reached.")
    median_lower: float | None = strawberry.field(description="Lower 95% limit of the median.")
    median_upper: float | None = strawberry.field(description="Upper 95% limit of the median.")

    @classmethod
    def of(cls, arm: ArmSummary) -> WeightedArm:
        return cls(
            n=arm.n,
            events=arm.events,
            median=arm.median,
            median_lower=arm.median_lower,
            median_upper=arm.median_upper,
        )


@strawberry.type(description="Weighted survival at a landmark in both groups, in percent.")
class LandmarkSurvival:
    years: float = strawberry.field(description="Years after time zero.")
    control_percent: float = strawberry.field(
        description="Weighted survival of the control group, %."
    )
    experimental_percent: float = strawberry.field(
        description="Survival of the experimental group, %."
    )


@strawberry.type(
    description="A covariate's standardised mean difference (experimental - control) before "
    "and after weighting; |SMD| < 0.1 is usually called balanced."
)
class CovariateBalanceRow:
    covariate: str = strawberry.field(
        description="Attribute, or attribute=level for a categorical one."
    )
    smd_before: float = strawberry.field(description="Before weighting.")
    smd_after: float = strawberry.field(description="After weighting.")


@strawberry.type(
    description="An ESMO-MCBS grade of two lake cohorts compared by the engine, the control "
    "propensity weighted (ATT): weighted Cox HR with robust CI, weighted Kaplan-Meier medians "
    "and landmarks, balance diagnostics."
)
class LakeEsmoGrade:
    grade: EsmoGrade = strawberry.field(description="The grade of the weighted estimates.")
    design: ComparisonDesign = strawberry.field(description="As asked.")
    hazard_ratio: HazardRatioEstimate = strawberry.field(
        description="Weighted Cox HR of the experimental group."
    )
    experimental: WeightedArm = strawberry.field(description="The experimental group (weights 1).")
    control: WeightedArm = strawberry.field(description="The control group, propensity weighted.")
    landmarks: list[LandmarkSurvival] = strawberry.field(
        description="2-, 3- and 5-year survival where estimable."
    )
    balance: list[CovariateBalanceRow] = strawberry.field(
        description="Covariate balance before and after."
    )
    effective_control_size: float = strawberry.field(
        description="Kish effective size of the weighted control group, (sum w)^2 / sum w^2."
    )
    excluded: int | None = strawberry.field(
        description="Patients in no group, without the endpoint or with a missing covariate."
    )
    provenance: Provenance = strawberry.field(description="Where the result comes from.")

    @classmethod
    def of(cls, released: Released[RealWorldComparison]) -> LakeEsmoGrade:
        value = released.value
        hr = value.hazard_ratio
        return cls(
            grade=EsmoGrade.of(value.grade),
            design=ComparisonDesign(value.design),
            hazard_ratio=HazardRatioEstimate(estimate=hr.estimate, lower=hr.lower, upper=hr.upper),
            experimental=WeightedArm.of(value.experimental),
            control=WeightedArm.of(value.control),
            landmarks=[
                LandmarkSurvival(
                    years=m.years,
                    control_percent=m.control_percent,
                    experimental_percent=m.experimental_percent,
                )
                for m in value.landmarks
            ],
            balance=[
                CovariateBalanceRow(
                    covariate=b.covariate, smd_before=b.smd_before, smd_after=b.smd_after
                )
                for b in value.balance
            ],
            effective_control_size=value.effective_control_size,
            excluded=value.excluded,
            provenance=Provenance.of(released.provenance),
        )
