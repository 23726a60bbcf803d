"""Published summary statistics typed by the user, graded by ESMO-MCBS v1.1 (lake/value).

``esmoMcbs(study: EsmoStudyInput!)`` takes exactly one of a two-arm ``comparison`` (Form 2a for
OS, 2b for PFS) or a ``singleArm`` study (Form 3). Times in months, rates in percent.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from lake.value import Comparison, HazardRatio, LandmarkGain, SingleArmStudy


@strawberry.enum(description="How the compared arms were formed (shown in the grade's label).")
class EvidenceLevel(Enum):
    RANDOMISED = "randomised"
    SINGLE_ARM = "single_arm"
    REAL_WORLD = "real_world"


@strawberry.enum(description="The endpoint graded: OS (Form 2a) or PFS/TTP (Form 2b).")
class ValueEndpoint(Enum):
    OS = "os"
    PFS = "pfs"


@strawberry.enum(
    description="Grade 3-4 toxicities affecting daily well-being, experimental vs control, as "
    "the trial tested them."
)
class ToxicityDifference(Enum):
    LESS = "less"
    NO_DIFFERENCE = "no_difference"
    MORE = "more"
    NOT_REPORTED = "not_reported"


@strawberry.enum(description="Quality of life on a validated instrument, experimental vs control.")
class QualityOfLifeDifference(Enum):
    IMPROVED = "improved"
    NO_DIFFERENCE = "no_difference"
    WORSE = "worse"
    NOT_REPORTED = "not_reported"


@strawberry.input(description="A hazard ratio (experimental vs control) and its 95% CI.")
class HazardRatioInput:
    estimate: float = strawberry.field(description="Point estimate.")
    lower: float = strawberry.field(description="Lower 95% limit (HR_L, what ESMO-MCBS reads).")
    upper: float = strawberry.field(description="Upper 95% limit (below 1: significant).")


@strawberry.input(description="Survival at a landmark in both arms, in percent.")
class LandmarkInput:
    years: float = strawberry.field(description="Years after randomisation or start.")
    control_percent: float = strawberry.field(description="Survival in the control arm, %.")
    experimental_percent: float = strawberry.field(
        description="Survival in the experimental arm, %."
    )


@strawberry.input(description="A two-arm comparison: Form 2a (OS) or Form 2b (PFS).")
class ComparisonInput:
    endpoint: ValueEndpoint = strawberry.field(description="OS: Form 2a; PFS: Form 2b.")
    hazard_ratio: HazardRatioInput = strawberry.field(
        description="Experimental vs control, with its 95% CI."
    )
    control_median_months: float = strawberry.field(
        description="Control median (chooses the sheet)."
    )
    experimental_median_months: float | None = strawberry.field(
        description="Null when the median was not reached (graded only if the gain cannot "
        "change the grade)."
    )
    landmarks: list[LandmarkInput] = strawberry.field(
        default_factory=list,
        description="Landmark survival (the sheet's 2-, 3- or 5-year OS gain counts on Form 2a).",
    )
    toxicity: ToxicityDifference = strawberry.field(
        default=ToxicityDifference.NOT_REPORTED, description="Grade 3-4 toxicity difference."
    )
    quality_of_life: QualityOfLifeDifference = strawberry.field(
        default=QualityOfLifeDifference.NOT_REPORTED, description="Quality-of-life difference."
    )
    overall_survival_benefit: bool | None = strawberry.field(
        default=None,
        description="Form 2b: OS (secondary) also improved significantly; null: not reported.",
    )
    long_term_plateau: bool = strawberry.field(
        default=False,
        description="Form 2b: a long-term plateau of the PFS curve (UNCONFIRMED rule).",
    )
    evidence: EvidenceLevel = strawberry.field(
        default=EvidenceLevel.RANDOMISED, description="How the arms were formed (label)."
    )

    def to_study(self) -> Comparison:
        """The lake's comparison (validated there: an invalid value names its field)."""
        hr = self.hazard_ratio
        return Comparison(
            endpoint=self.endpoint.value,
            hazard_ratio=HazardRatio(hr.estimate, hr.lower, hr.upper),
            control_median_months=self.control_median_months,
            experimental_median_months=self.experimental_median_months,
            landmarks=tuple(
                LandmarkGain(m.years, m.control_percent, m.experimental_percent)
                for m in self.landmarks
            ),
            toxicity=self.toxicity.value,
            quality_of_life=self.quality_of_life.value,
            overall_survival_benefit=self.overall_survival_benefit,
            long_term_plateau=self.long_term_plateau,
            evidence=self.evidence.value,
        )


@strawberry.input(description="A single-arm study (orphan disease, high unmet need): Form 3.")
class SingleArmInput:
    pfs_months: float | None = strawberry.field(default=None, description="Median PFS.")
    orr_percent: float | None = strawberry.field(default=None, description="ORR (CR + PR), %.")
    dor_months: float | None = strawberry.field(
        default=None, description="Median duration of response."
    )
    severe_toxicity_percent: float | None = strawberry.field(
        default=None,
        description="Patients with grade 3-4 toxicities affecting daily well-being, %.",
    )
    quality_of_life: QualityOfLifeDifference = strawberry.field(
        default=QualityOfLifeDifference.NOT_REPORTED, description="Quality of life vs baseline."
    )
    phase4_confirmed: bool = strawberry.field(
        default=False, description="Confirmatory, adequately sized phase 4 experience."
    )
    evidence: EvidenceLevel = strawberry.field(
        default=EvidenceLevel.SINGLE_ARM, description="How the study was formed (label)."
    )

    def to_study(self) -> SingleArmStudy:
        """The lake's single-arm study (validated there)."""
        return SingleArmStudy(
            pfs_months=self.pfs_months,
            orr_percent=self.orr_percent,
            dor_months=self.dor_months,
            severe_toxicity_percent=self.severe_toxicity_percent,
            quality_of_life=self.quality_of_life.value,
            phase4_confirmed=self.phase4_confirmed,
            evidence=self.evidence.value,
        )


@strawberry.input(
    one_of=True, description="Exactly one study to grade: a two-arm comparison or a single arm."
)
class EsmoStudyInput:
    comparison: ComparisonInput | None = strawberry.field(
        default=strawberry.UNSET, description="Two arms: Form 2a (OS) or 2b (PFS)."
    )
    single_arm: SingleArmInput | None = strawberry.field(
        default=strawberry.UNSET, description="A single arm: Form 3."
    )

    def to_study(self) -> Comparison | SingleArmStudy:
        """The one study given (GraphQL's oneOf rule guarantees exactly one)."""
        if self.comparison:
            return self.comparison.to_study()
        assert self.single_arm  # the oneOf rule
        return self.single_arm.to_study()
