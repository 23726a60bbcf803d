"""An ESMO-MCBS v1.1 grade (lake.value.esmo_mcbs.Grade) as GraphQL."""

from __future__ import annotations

import strawberry
from lake.value import Grade, RuleFlag

from schema.inputs.value import EvidenceLevel


@strawberry.type(
    description="An ESMO-MCBS rule the domain reference marks UNCONFIRMED: a "
    "service setting, disabled until filled from the published form."
)
class UnconfirmedRule:
    setting: str = strawberry.field(description="Its key in the [esmo_mcbs] settings table.")
    enabled: bool
    effect: str = strawberry.field(description="What it did (or would do) to this grade.")

    @classmethod
    def of(cls, flag: RuleFlag) -> UnconfirmedRule:
        return cls(setting=flag.setting, enabled=flag.enabled, effect=flag.effect)


@strawberry.type(description="An ESMO-MCBS v1.1 grade of a treatment comparison.")
class EsmoGrade:
    framework: str = strawberry.field(description="Framework and version (esmo_mcbs_v1.1).")
    form: str = strawberry.field(description="2a (OS), 2b (PFS) or 3 (single arm).")
    sheet: str = strawberry.field(description="The form's sheet (by control median).")
    preliminary_grade: int | None
    grade: int | None = strawberry.field(description="Final grade; null: not graded (reason).")
    substantial_benefit: bool | None = strawberry.field(
        description="Grade 4 or 5 on Forms 2a/2b; null when not graded or on Form 3."
    )
    evidence: EvidenceLevel
    label: str = strawberry.field(
        description="E.g. 'ESMO-MCBS v1.1 Form 2a grade 4 (randomised evidence)'."
    )
    criteria: list[str] = strawberry.field(description="The criteria of the grade met.")
    adjustments: list[str] = strawberry.field(description="Upgrades and downgrades applied.")
    unconfirmed_rules: list[UnconfirmedRule]
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
