"""Clinical value grading of trial-level evidence: ESMO-MCBS v1.1 Forms 2a, 2b and 3.

Value frameworks grade *study summary statistics* (hazard ratios with their CIs, median and
landmark gains, response rates), never patients (06-value-frameworks.md). Pure functions:
:mod:`lake.value.studies` holds the typed inputs, :mod:`lake.value.rules` the rules the domain
reference marks UNCONFIRMED as settings (each disabled until filled from the published form),
:mod:`lake.value.esmo_mcbs` the grading.
"""

from lake.value.esmo_mcbs import FRAMEWORK, Grade, RuleFlag, grade_comparison, grade_single_arm
from lake.value.rules import EsmoRules, Threshold
from lake.value.studies import Comparison, HazardRatio, LandmarkGain, SingleArmStudy

__all__ = [
    "FRAMEWORK",
    "Comparison",
    "EsmoRules",
    "Grade",
    "HazardRatio",
    "LandmarkGain",
    "RuleFlag",
    "SingleArmStudy",
    "Threshold",
    "grade_comparison",
    "grade_single_arm",
]
