"""The summary statistics a value grade is computed from, validated on construction.

Times are in months and rates in percent (0–100), as the ESMO-MCBS forms state them (Cherny NI
et al. *Ann Oncol* 2017;28:2340–2366). Invalid input raises :class:`~lake.errors.AnalysisError`
naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lake.errors import AnalysisError

#: How the compared arms were formed; part of every grade's label (HARMONY HTA taskforce: real-
#: world and single-arm evidence must be told apart from randomised, 06 §6.3).
EvidenceLevel = Literal["randomised", "single_arm", "real_world"]
#: The endpoint a comparison scores: OS (Form 2a) or PFS/TTP (Form 2b).
Endpoint = Literal["os", "pfs"]
#: Grade 3–4 toxicities affecting daily well-being, experimental against control, as the trial
#: tested them: significantly less, no significant difference, significantly more (incremental
#: toxicity), or not reported.
Toxicity = Literal["less", "no_difference", "more", "not_reported"]
#: Quality of life on a validated instrument, experimental against control.
QualityOfLife = Literal["improved", "no_difference", "worse", "not_reported"]


def _require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise AnalysisError(f"{field}: {message}")


def _finite(value: float) -> bool:
    return math.isfinite(value)


@dataclass(frozen=True, slots=True)
class HazardRatio:
    """A hazard ratio (experimental vs control) with its 95% confidence interval."""

    estimate: float
    lower: float
    upper: float

    def __post_init__(self) -> None:
        values = (self.lower, self.estimate, self.upper)
        _require(
            all(_finite(v) and v > 0 for v in values),
            "hazardRatio",
            f"the estimate and its limits must be positive numbers (got {values})",
        )
        _require(
            self.lower <= self.estimate <= self.upper,
            "hazardRatio",
            f"needs lower <= estimate <= upper (got {self.lower}, {self.estimate}, {self.upper})",
        )

    @property
    def significant_benefit(self) -> bool:
        """Whether the 95% CI excludes 1 on the side of benefit (upper limit below 1)."""
        return self.upper < 1.0


@dataclass(frozen=True, slots=True)
class LandmarkGain:
    """Survival at a landmark (years after start) in both arms, in percent."""

    years: float
    control_percent: float
    experimental_percent: float

    def __post_init__(self) -> None:
        _require(_finite(self.years) and self.years > 0, "landmarks.years", "must be > 0")
        for name, value in (
            ("controlPercent", self.control_percent),
            ("experimentalPercent", self.experimental_percent),
        ):
            _require(_finite(value) and 0 <= value <= 100, f"landmarks.{name}", "lies in [0, 100]")

    @property
    def gain_points(self) -> float:
        """Absolute gain in percentage points (experimental − control)."""
        return self.experimental_percent - self.control_percent


@dataclass(frozen=True, slots=True)
class Comparison:
    """A two-arm comparison for Form 2a (OS) or 2b (PFS).

    ``experimental_median_months`` ``None`` means not reached: the gain is then unknown (at
    least 0) and a grade is given only when it is the same for every gain (convention C1 of the
    domain reference). A landmark not reported counts as not met. ``overall_survival_benefit``
    (Form 2b) says whether OS, a secondary endpoint, also improved significantly; ``None`` (not
    reported or immature) counts as "only PFS improved".
    """

    endpoint: Endpoint
    hazard_ratio: HazardRatio
    control_median_months: float
    experimental_median_months: float | None
    landmarks: tuple[LandmarkGain, ...] = ()
    toxicity: Toxicity = "not_reported"
    quality_of_life: QualityOfLife = "not_reported"
    overall_survival_benefit: bool | None = None
    long_term_plateau: bool = False
    evidence: EvidenceLevel = "randomised"

    def __post_init__(self) -> None:
        _require(
            _finite(self.control_median_months) and self.control_median_months > 0,
            "controlMedianMonths",
            f"must be a positive number of months (got {self.control_median_months})",
        )
        if self.experimental_median_months is not None:
            _require(
                _finite(self.experimental_median_months) and self.experimental_median_months > 0,
                "experimentalMedianMonths",
                f"must be a positive number of months or null when not reached "
                f"(got {self.experimental_median_months})",
            )
        years = [m.years for m in self.landmarks]
        _require(len(set(years)) == len(years), "landmarks", f"repeat a year ({years})")

    @property
    def gain_months(self) -> float | None:
        """Median gain (experimental − control) in months; ``None`` when not reached."""
        if self.experimental_median_months is None:
            return None
        return self.experimental_median_months - self.control_median_months

    def landmark(self, years: float) -> LandmarkGain | None:
        """The landmark at ``years``, if reported."""
        return next((m for m in self.landmarks if m.years == years), None)


@dataclass(frozen=True, slots=True)
class SingleArmStudy:
    """A single-arm study for Form 3 (orphan disease or high unmet need).

    Each outcome is optional (``None``: not reported, its criteria are not met).
    ``severe_toxicity_percent`` is the share of patients with grade 3–4 toxicities affecting
    daily well-being.
    """

    pfs_months: float | None = None
    orr_percent: float | None = None
    dor_months: float | None = None
    severe_toxicity_percent: float | None = None
    quality_of_life: QualityOfLife = "not_reported"
    phase4_confirmed: bool = False
    evidence: EvidenceLevel = "single_arm"

    def __post_init__(self) -> None:
        for name, value, top in (
            ("pfsMonths", self.pfs_months, math.inf),
            ("dorMonths", self.dor_months, math.inf),
            ("orrPercent", self.orr_percent, 100.0),
            ("severeToxicityPercent", self.severe_toxicity_percent, 100.0),
        ):
            if value is not None:
                _require(
                    not math.isnan(value) and 0 <= value <= top,
                    name,
                    f"lies in [0, {top}] (got {value})",
                )
        _require(
            self.pfs_months is not None or self.orr_percent is not None,
            "singleArm",
            "give the PFS median (pfsMonths) or the response rate (orrPercent)",
        )
