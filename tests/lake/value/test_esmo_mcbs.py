"""ESMO-MCBS v1.1 grading: the worked examples of 06-value-frameworks.md §6.1, published trial
summaries (source named in each test), the UNCONFIRMED rules as settings, and properties."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.errors import AnalysisError, ConfigError
from lake.value import (
    Comparison,
    EsmoRules,
    HazardRatio,
    LandmarkGain,
    SingleArmStudy,
    Threshold,
    grade_comparison,
    grade_single_arm,
)
from lake.value.rules import rules_from_mapping

DEFAULT = EsmoRules()


def os_comparison(
    control: float, gain: float | None, hr_lower: float, **extra: object
) -> Comparison:
    """A Form 2a input from the worked examples (they give HR_L only: estimate and upper limit
    are set just above it, still significant)."""
    hr = HazardRatio(min(0.95, hr_lower + 0.05), hr_lower, min(0.99, hr_lower + 0.1))
    experimental = None if gain is None else control + gain
    return Comparison("os", hr, control, experimental, **extra)  # type: ignore[arg-type]


def pfs_comparison(
    control: float, gain: float | None, hr_lower: float, **extra: object
) -> Comparison:
    return dataclasses.replace(os_comparison(control, gain, hr_lower, **extra), endpoint="pfs")


# -- worked examples, 06-value-frameworks.md §6.1 table "Worked examples" ------------------------


def test_example_1_form_2a_grade_4() -> None:
    comparison = Comparison("os", HazardRatio(0.60, 0.48, 0.75), 10.0, 13.5)
    grade = grade_comparison(comparison, DEFAULT)
    assert (grade.form, grade.preliminary, grade.final) == ("2a", 4, 4)
    assert grade.substantial_benefit is True
    assert grade.label == "ESMO-MCBS v1.1 Form 2a grade 4 (randomised evidence)"


@pytest.mark.parametrize(
    ("example", "control", "gain", "hr_lower", "expected"),
    [(2, 10.0, 2.4, 0.55, 3), (3, 18.0, 4.0, 0.72, 2), (4, 30.0, 3.5, 0.60, 1)],
)
def test_examples_2_to_4_form_2a(
    example: int, control: float, gain: float, hr_lower: float, expected: int
) -> None:
    grade = grade_comparison(os_comparison(control, gain, hr_lower), DEFAULT)
    assert grade.final == expected, example


def test_example_5_landmark_gain_reaches_grade_4() -> None:
    landmark = LandmarkGain(3.0, 25.0, 37.0)
    grade = grade_comparison(os_comparison(18.0, 2.0, 0.80, landmarks=(landmark,)), DEFAULT)
    assert grade.final == 4
    assert "3-year OS gain 12 points" in grade.criteria[0]
    # the landmark of another sheet does not count: a 2-year gain on the 12-24 month sheet
    other = os_comparison(18.0, 2.0, 0.80, landmarks=(LandmarkGain(2.0, 25.0, 37.0),))
    assert grade_comparison(other, DEFAULT).final == 1


def test_example_6_quality_of_life_upgrades_to_5() -> None:
    comparison = Comparison(
        "os", HazardRatio(0.60, 0.48, 0.75), 10.0, 13.5, quality_of_life="improved"
    )
    grade = grade_comparison(comparison, DEFAULT)
    assert (grade.preliminary, grade.final) == (4, 5)
    # less toxicity and better QoL together are still one level, capped at 5
    both = dataclasses.replace(comparison, toxicity="less")
    assert grade_comparison(both, DEFAULT).final == 5


def test_example_7_form_2b_grade_3() -> None:
    grade = grade_comparison(pfs_comparison(5.0, 2.0, 0.50), DEFAULT)
    assert (grade.form, grade.final) == ("2b", 3)


def test_example_8_only_pfs_improved_without_qol_difference_downgrades() -> None:
    comparison = pfs_comparison(5.0, 2.0, 0.50, quality_of_life="no_difference")
    grade = grade_comparison(comparison, DEFAULT)
    assert (grade.preliminary, grade.final) == (3, 2)
    # with OS also improved it is not "only PFS": no downgrade
    with_os = dataclasses.replace(comparison, overall_survival_benefit=True)
    assert grade_comparison(with_os, DEFAULT).final == 3


@pytest.mark.parametrize(
    ("example", "orr", "dor", "expected"), [(9, 45.0, 7.0, 2), (10, 30.0, 10.0, 3)]
)
def test_examples_9_and_10_form_3(example: int, orr: float, dor: float, expected: int) -> None:
    grade = grade_single_arm(SingleArmStudy(orr_percent=orr, dor_months=dor), DEFAULT)
    assert (grade.form, grade.final, grade.evidence) == ("3", expected, "single_arm"), example
    assert grade.label.endswith("(single-arm evidence)")


# -- published trial summaries ----------------------------------------------------------------


def test_viale_a_venetoclax_azacitidine_form_2a_grade_4() -> None:
    """DiNardo CD et al. N Engl J Med 2020;383:617-629 (VIALE-A): median OS 14.7 vs 9.6 months,
    HR 0.66 (95% CI 0.52-0.85). Control <= 12 months: HR_L 0.52 <= 0.65 and gain 5.1 >= 3."""
    comparison = Comparison("os", HazardRatio(0.66, 0.52, 0.85), 9.6, 14.7)
    assert grade_comparison(comparison, DEFAULT).preliminary == 4


def test_aspire_carfilzomib_form_2b_grade_3() -> None:
    """Stewart AK et al. N Engl J Med 2015;372:142-152 (ASPIRE, KRd vs Rd): median PFS 26.3 vs
    17.6 months, HR 0.69 (95% CI 0.57-0.83). Control > 6 months: HR_L 0.57, gain 8.7 >= 3."""
    comparison = Comparison("pfs", HazardRatio(0.69, 0.57, 0.83), 17.6, 26.3)
    assert grade_comparison(comparison, DEFAULT).preliminary == 3


def test_pollux_median_not_reached_then_reached() -> None:
    """POLLUX (daratumumab-Rd vs Rd). Primary report, Dimopoulos MA et al. N Engl J Med
    2016;375:1319-1331: median PFS not reached vs 18.4 months, HR 0.37 (95% CI 0.27-0.52): the
    gain is unknown and below grade 3 Form 2b needs the UNCONFIRMED grade 2 rule, so no grade.
    Update, Bahlis NJ et al. Leukemia 2020;34:1875-1884: 44.5 vs 17.5 months, HR 0.44 (95% CI
    0.35-0.55): grade 3."""
    primary = Comparison("pfs", HazardRatio(0.37, 0.27, 0.52), 18.4, None)
    grade = grade_comparison(primary, DEFAULT)
    assert grade.final is None
    assert grade.reason is not None
    assert "not reached" in grade.reason
    update = Comparison("pfs", HazardRatio(0.44, 0.35, 0.55), 17.5, 44.5)
    assert grade_comparison(update, DEFAULT).final == 3


def test_karmma_idecabtagene_form_3_grade_3() -> None:
    """Munshi NC et al. N Engl J Med 2021;384:705-716 (KarMMa, single arm): ORR 73%, median PFS
    8.8 months: grade 3 by ORR >= 60% and by PFS >= 6 months."""
    grade = grade_single_arm(SingleArmStudy(pfs_months=8.8, orr_percent=73.0), DEFAULT)
    assert grade.preliminary == 3
    assert len(grade.criteria) == 2


# -- significance, not reached medians, the UNCONFIRMED settings ------------------------------


def test_no_significant_benefit_is_not_graded() -> None:
    comparison = Comparison("os", HazardRatio(0.80, 0.60, 1.05), 10.0, 14.0)
    grade = grade_comparison(comparison, DEFAULT)
    assert grade.final is None
    assert grade.reason is not None
    assert "does not lie below 1" in grade.reason
    assert grade.label == "ESMO-MCBS v1.1 Form 2a not graded (randomised evidence)"


def test_not_reached_median_graded_when_the_gain_does_not_matter() -> None:
    # HR_L above every grade 2-4 limit of the sheet: grade 1 at any gain
    assert grade_comparison(os_comparison(10.0, None, 0.72), DEFAULT).final == 1
    # landmark gain >= 10 points: grade 4 at any gain
    landmark = (LandmarkGain(2.0, 20.0, 31.0),)
    assert grade_comparison(os_comparison(10.0, None, 0.60, landmarks=landmark), DEFAULT).final == 4
    # otherwise the gain decides: not graded
    assert grade_comparison(os_comparison(10.0, None, 0.60), DEFAULT).final is None


def test_form_2b_below_grade_3_needs_the_unconfirmed_rules() -> None:
    comparison = pfs_comparison(5.0, 1.0, 0.50)
    grade = grade_comparison(comparison, DEFAULT)
    assert grade.final is None
    assert grade.reason is not None
    assert "form2b_grade2_short" in grade.reason
    assert {f.setting: f.enabled for f in grade.flags}["form2b_grade2_short"] is False
    filled = EsmoRules(
        form2b_grade2_short=Threshold(0.65, 0.0), form2b_grade1_short=Threshold(1.0, 0.0)
    )
    graded = grade_comparison(comparison, filled)
    assert graded.final == 2
    assert "UNCONFIRMED rule form2b_grade2_short" in graded.criteria[0]
    assert grade_comparison(pfs_comparison(5.0, 1.0, 0.70), filled).final == 1


def test_form_2b_unconfirmed_upgrades_only_when_enabled() -> None:
    comparison = pfs_comparison(8.0, 4.0, 0.50, long_term_plateau=True)
    off = grade_comparison(comparison, DEFAULT)
    assert off.final == 3
    assert {f.setting: f.effect for f in off.flags}["form2b_plateau_upgrade"] == (
        "disabled: not applied"
    )
    on = grade_comparison(comparison, EsmoRules(form2b_plateau_upgrade=True))
    assert on.final == 4
    assert on.substantial_benefit is True


def test_form_2b_incremental_toxicity_downgrades() -> None:
    grade = grade_comparison(pfs_comparison(8.0, 4.0, 0.50, toxicity="more"), DEFAULT)
    assert (grade.preliminary, grade.final) == (3, 2)


def test_form_2a_intermediate_landmark_rule_is_a_setting() -> None:
    comparison = os_comparison(18.0, 1.0, 0.80, landmarks=(LandmarkGain(3.0, 25.0, 32.0),))
    assert grade_comparison(comparison, DEFAULT).final == 1
    rules = EsmoRules(form2a_landmark_grade3_points=5.0)
    grade = grade_comparison(comparison, rules)
    assert grade.final == 3
    assert {f.setting: f.enabled for f in grade.flags}["form2a_landmark_grade3_points"] is True


def test_form_3_adjustments_and_the_cap_setting() -> None:
    study = SingleArmStudy(orr_percent=65.0, quality_of_life="improved", phase4_confirmed=True)
    uncapped = grade_single_arm(study, DEFAULT)
    assert (uncapped.preliminary, uncapped.final) == (3, 5)
    assert uncapped.flags[0].enabled is False
    assert grade_single_arm(study, EsmoRules(form3_max_grade=4)).final == 4
    toxic = SingleArmStudy(orr_percent=45.0, severe_toxicity_percent=30.0)
    assert grade_single_arm(toxic, DEFAULT).final == 1
    none = grade_single_arm(SingleArmStudy(orr_percent=15.0, dor_months=3.0), DEFAULT)
    assert none.final is None
    assert none.reason == "no Form 3 criterion is met"


def test_settings_table_is_validated() -> None:
    rules = rules_from_mapping(
        {
            "form2b_grade2_long": {"hr_lower_max": 0.65, "gain_months": 1},
            "form3_max_grade": 4,
            "form2b_plateau_upgrade": True,
        },
        source="hemalake.toml",
    )
    assert rules.form2b_grade2_long == Threshold(0.65, 1.0)
    assert rules.form3_max_grade == 4
    assert rules.form2b_plateau_upgrade
    bad_tables: list[dict[str, object]] = [
        {"form2b_grade3_long": {}},
        {"form2b_grade2_long": {"hr_lower_max": 0.65}},
        {"form3_max_grade": 2},
        {"form2b_plateau_upgrade": 1},
        {"form2a_landmark_grade3_points": "5"},
    ]
    for bad in bad_tables:
        with pytest.raises(ConfigError, match="esmo_mcbs"):
            rules_from_mapping(bad, source="hemalake.toml")


def test_invalid_inputs_name_the_field() -> None:
    with pytest.raises(AnalysisError, match="hazardRatio"):
        HazardRatio(0.7, 0.8, 0.9)
    with pytest.raises(AnalysisError, match="controlMedianMonths"):
        Comparison("os", HazardRatio(0.7, 0.6, 0.8), 0.0, 3.0)
    with pytest.raises(AnalysisError, match="orrPercent"):
        SingleArmStudy(orr_percent=120.0)
    with pytest.raises(AnalysisError, match="singleArm"):
        SingleArmStudy(dor_months=12.0)


# -- properties -------------------------------------------------------------------------------

hr_limits = st.floats(0.05, 1.5)
months = st.floats(0.5, 60.0)
gains = st.floats(-5.0, 40.0)


def score(grade: int | None) -> int:
    return 0 if grade is None else grade


FILLED = EsmoRules(
    form2a_landmark_grade3_points=7.0,
    form2a_landmark_grade2_points=5.0,
    form2b_grade2_short=Threshold(0.75, 1.0),
    form2b_grade2_long=Threshold(0.75, 1.5),
    form2b_grade1_short=Threshold(1.0, 0.0),
    form2b_grade1_long=Threshold(1.0, 0.0),
)


@given(
    endpoint=st.sampled_from(["os", "pfs"]),
    control=months,
    gain=gains,
    lower=hr_limits,
    better_lower=hr_limits,
    upper=hr_limits,
    better_upper=hr_limits,
    rules=st.sampled_from([DEFAULT, FILLED]),
)
def test_a_better_hazard_ratio_never_lowers_the_grade(
    *,
    endpoint: str,
    control: float,
    gain: float,
    lower: float,
    better_lower: float,
    upper: float,
    better_upper: float,
    rules: EsmoRules,
) -> None:
    """Lowering HR_L or the upper limit never lowers the grade (nor turns a grade into none)."""
    lo, hi = sorted((lower, upper))
    new_lo, new_hi = min(lo, better_lower), min(hi, better_upper)
    new_lo = min(new_lo, new_hi)
    experimental = max(0.1, control + gain)

    def graded(low: float, high: float) -> int:
        hr = HazardRatio(low, low, high)
        return score(grade_comparison(Comparison(endpoint, hr, control, experimental), rules).final)  # type: ignore[arg-type]

    assert graded(new_lo, new_hi) >= graded(lo, hi)


@given(
    endpoint=st.sampled_from(["os", "pfs"]),
    control=months,
    gain=gains,
    more=st.floats(0.0, 30.0),
    lower=st.floats(0.05, 0.95),
    points=st.floats(-20.0, 40.0),
    rules=st.sampled_from([DEFAULT, FILLED]),
)
def test_a_larger_gain_never_lowers_the_grade(
    *,
    endpoint: str,
    control: float,
    gain: float,
    more: float,
    lower: float,
    points: float,
    rules: EsmoRules,
) -> None:
    hr = HazardRatio(lower, lower, 0.99)
    years = 2.0 if control <= 12 else 3.0 if control <= 24 else 5.0
    base = min(100.0, max(0.0, 50.0 - points))

    def graded(median_gain: float, landmark_points: float) -> int:
        experimental = max(0.1, control + median_gain)
        landmark = LandmarkGain(years, base, min(100.0, max(0.0, base + landmark_points)))
        comparison = Comparison(endpoint, hr, control, experimental, landmarks=(landmark,))  # type: ignore[arg-type]
        return score(grade_comparison(comparison, rules).final)

    assert graded(gain + more, points) >= graded(gain, points)
    assert graded(gain, points + more) >= graded(gain, points)


@given(
    control=months,
    lower=st.floats(0.05, 0.95),
    gain=gains,
    rules=st.sampled_from([DEFAULT, FILLED]),
)
def test_a_grade_with_the_median_not_reached_holds_at_every_gain(
    control: float, lower: float, gain: float, rules: EsmoRules
) -> None:
    for endpoint in ("os", "pfs"):
        hr = HazardRatio(lower, lower, 0.99)
        unknown = grade_comparison(Comparison(endpoint, hr, control, None), rules)
        if unknown.final is not None:
            known = Comparison(endpoint, hr, control, control + max(0.0, gain) + 1e-9)
            assert grade_comparison(known, rules).final == unknown.final


@given(
    pfs=st.none() | st.floats(0.0, 30.0),
    orr=st.floats(0.0, 100.0),
    dor=st.none() | st.floats(0.0, 30.0),
    more=st.floats(0.0, 30.0),
)
def test_form_3_better_outcomes_never_lower_the_grade(
    pfs: float | None, orr: float, dor: float | None, more: float
) -> None:
    def graded(p: float | None, o: float, d: float | None) -> int:
        return score(grade_single_arm(SingleArmStudy(p, min(100.0, o), d), DEFAULT).final)

    base = graded(pfs, orr, dor)
    assert graded(None if pfs is None else pfs + more, orr, dor) >= base
    assert graded(pfs, orr + more, dor) >= base
    assert graded(pfs, orr, more if dor is None else dor + more) >= base
    assert 0 <= base <= 3
