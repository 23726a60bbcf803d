"""Cohort filters: compiled expressions select exactly the patients the rules describe."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.filters import (
    EVERYONE,
    And,
    BestResponse,
    CategoryIn,
    CohortFilter,
    DiagnosisDateRange,
    ListMembership,
    Not,
    NumericRange,
    Or,
    compile_filter,
    required_columns,
)
from lake.cohort.frame import attribute_frame
from lake.errors import AnalysisError
from lake.model import EVENTS, GENETICS, PATIENTS, TRANSPLANTS, TREATMENT_LINES, table


class FrameSource:
    """Tables held in memory, shaped by the model (the storage layer is not under test)."""

    version = 1

    def __init__(self, frames: dict[str, pl.DataFrame]) -> None:
        self._frames = frames

    def scan(self, table_name: str) -> pl.LazyFrame:
        schema = table(table_name).schema
        return self._frames.get(table_name, pl.DataFrame(schema=schema)).lazy()


def _patients() -> pl.DataFrame:
    rows = [
        # id, site, study, arm, origin, sex, age, disease, diagnosis
        ("p1", "A", "HOVON", "VRd", "trial", "M", 70.0, "MM", dt.date(2019, 1, 1)),
        ("p2", "A", "HOVON", "VTD", "trial", "F", 55.0, "MM", dt.date(2020, 6, 1)),
        ("p3", "B", "REG", None, "real_world", "M", None, "AML", dt.date(2021, 3, 1)),
        ("p4", "B", "REG", None, "real_world", "F", 64.5, "CML", dt.date(2022, 9, 9)),
    ]
    cols = ["patient_id", "site", "source_study", "study_arm", "data_origin", "sex"]
    cols += ["age_at_diagnosis", "disease", "diagnosis_date"]
    frame = pl.DataFrame(rows, schema=cols, orient="row")
    return frame.select(
        pl.col(c).cast(t) if c in cols else pl.lit(None, dtype=t).alias(c)
        for c, t in PATIENTS.schema.items()
    )


def _source() -> FrameSource:
    lines = pl.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p3"],
            "site": ["A", "A", "A", "B"],
            "line_number": [1, 2, 1, 1],
            "regimen": ["VRd", "DaraRd", "VTD", "7+3"],
            "agents": [
                ["bortezomib", "lenalidomide", "dexamethasone"],
                ["daratumumab", "lenalidomide"],
                ["bortezomib", "thalidomide", "dexamethasone"],
                ["cytarabine", "daunorubicin"],
            ],
            "start_date": [dt.date(2019, 2, 1)] * 4,
            "end_date": [None] * 4,
            "strategy": ["continuous", "continuous", "fixed_duration", None],
            "best_response": ["VGPR", "PR", "NE", None],
        },
        schema=TREATMENT_LINES.schema,
    )
    transplants = pl.DataFrame(
        {
            "patient_id": ["p2", "p3"],
            "site": ["A", "B"],
            "transplant_type": ["autologous", "allogeneic"],
            "transplant_date": [dt.date(2020, 12, 1), dt.date(2021, 8, 1)],
            "conditioning": [None, "MAC"],
            "donor_type": [None, "matched_unrelated"],
            "in_first_remission": [None, True],
            "stem_cell_source": ["peripheral_blood", "bone_marrow"],
            "disease_status": [None, "CR1"],
        },
        schema=TRANSPLANTS.schema,
    )
    events = pl.DataFrame(
        {
            "patient_id": ["p1", "p1", "p3"],
            "site": ["A", "A", "B"],
            "event_type": ["progression", "death", "relapse"],
            "event_date": [dt.date(2021, 1, 1), dt.date(2022, 1, 1), dt.date(2022, 2, 2)],
            "grade": [None] * 3,
            "systemic_ist": [None] * 3,
            "death_cause": [None, "disease", None],
            "gvhd_organs": [None] * 3,
        },
        schema=EVENTS.schema,
    )
    del17p = {"patient_id": ["p1", "p2", "p3"], "site": ["A", "A", "B"]}
    del17p |= {"del17p": ["present", "absent", None]}
    genetics = pl.DataFrame(del17p).select(
        pl.col(c).cast(t) if c in del17p else pl.lit(None, dtype=t).alias(c)
        for c, t in GENETICS.schema.items()
    )
    return FrameSource(
        {
            "patients": _patients(),
            "treatment_lines": lines,
            "transplants": transplants,
            "events": events,
            "genetics": genetics,
        }
    )


def _select(f: CohortFilter) -> list[str]:
    frame = attribute_frame(_source(), sorted(required_columns(f)))
    return sorted(frame.filter(compile_filter(f)).collect().get_column("patient_id"))


@pytest.mark.parametrize(
    ("cohort_filter", "expected"),
    [
        (EVERYONE, ["p1", "p2", "p3", "p4"]),
        (CategoryIn(attribute="disease", values=("MM",)), ["p1", "p2"]),
        (CategoryIn(attribute="site", values=("B",)), ["p3", "p4"]),
        (CategoryIn(attribute="study_arm", values=("VTD",)), ["p2"]),
        (CategoryIn(attribute="data_origin", values=("real_world",)), ["p3", "p4"]),
        (CategoryIn(attribute="sex", values=("F",)), ["p2", "p4"]),
        # bounds are inclusive; p3's unknown age matches no range
        (NumericRange("age_at_diagnosis", minimum=55.0, maximum=64.5), ["p2", "p4"]),
        (DiagnosisDateRange(start=dt.date(2020, 6, 1)), ["p2", "p3", "p4"]),
        # a missing genetics row (p4) and a null (p3) both count as not tested
        (CategoryIn(attribute="del17p", values=("not_tested",)), ["p3", "p4"]),
        (CategoryIn(attribute="del17p", values=("present",)), ["p1"]),
        (ListMembership("agents_received", any_of=("bortezomib", "daratumumab")), ["p1", "p2"]),
        (ListMembership("agents_received", all_of=("bortezomib", "daratumumab")), ["p1"]),
        (NumericRange("n_lines", minimum=2), ["p1"]),
        (NumericRange("n_lines", maximum=0), ["p4"]),
        (CategoryIn(attribute="had_allogeneic", values=("true",)), ["p3"]),
        (ListMembership("strategies", any_of=("fixed_duration",)), ["p2"]),
        # p1's best over VGPR and PR is VGPR; p2 only NE is outside the scale
        (BestResponse(at_least="VGPR"), ["p1"]),
        (BestResponse(at_most="PR"), []),
        (ListMembership("event_types", any_of=("death",)), ["p1"]),
        (
            Or(
                (
                    ListMembership("event_types", any_of=("relapse",)),
                    CategoryIn(attribute="disease", values=("CML",)),
                )
            ),
            ["p3", "p4"],
        ),
        (Not(NumericRange("age_at_diagnosis", minimum=60.0)), ["p2", "p3"]),
    ],
)
def test_filter_selects_expected_patients(cohort_filter: CohortFilter, expected: list[str]) -> None:
    assert _select(cohort_filter) == expected


def test_invalid_codes_are_rejected_with_the_valid_list() -> None:
    with pytest.raises(AnalysisError, match="valid: MM, AML, CML"):
        CategoryIn(attribute="disease", values=("MDS",))
    with pytest.raises(AnalysisError, match="lower bound"):
        NumericRange("age_at_diagnosis", minimum=80.0, maximum=20.0)
    with pytest.raises(AnalysisError, match="unknown code"):
        BestResponse(at_least="CRR")


_LEAVES: list[CohortFilter] = [
    CategoryIn(attribute="disease", values=("MM",)),
    NumericRange("age_at_diagnosis", minimum=60.0),
    CategoryIn(attribute="del17p", values=("present", "absent")),
    ListMembership("event_types", any_of=("death",)),
    CategoryIn(attribute="had_autologous", values=("true",)),
]
_filters = st.recursive(
    st.sampled_from(_LEAVES),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda fs: And(tuple(fs))),
        st.lists(inner, max_size=3).map(lambda fs: Or(tuple(fs))),
        inner.map(Not),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_filters)
def test_filter_and_its_negation_partition_the_patients(cohort_filter: CohortFilter) -> None:
    inside = set(_select(cohort_filter))
    outside = set(_select(Not(cohort_filter)))
    assert inside.isdisjoint(outside)
    assert inside | outside == {"p1", "p2", "p3", "p4"}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(_filters, _filters)
def test_and_or_follow_set_algebra(left: CohortFilter, right: CohortFilter) -> None:
    a, b = set(_select(left)), set(_select(right))
    assert set(_select(And((left, right)))) == a & b
    assert set(_select(Or((left, right)))) == a | b
