"""Exposures dated per patient, on an endpoint's time axis, and the status at time zero.

The rule: exposure_days = exposure date - origin date - landmark days, and a patient is
``exposed`` at time zero exactly when exposure_days <= 0 (never exposed: ``unexposed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure import exposure_frame, status_at_zero
from lake.cohort.survival import Grouping, SurvivalRequest, trend_levels
from lake.endpoints.exposures import Exposure
from lake.errors import AnalysisError
from tests.schema.demo_frames import FrameSource

DIAGNOSIS = dt.date(2020, 1, 1)


def _day(days: int) -> dt.date:
    return DIAGNOSIS + dt.timedelta(days=days)


def source(
    transplants: Sequence[tuple[str, str, int]] = (),
    lines: Sequence[tuple[str, int, int]] = (),
    events: Sequence[tuple[str, str, int]] = (),
    patients: int = 8,
) -> FrameSource:
    """Patients p0..p{n-1} diagnosed on DIAGNOSIS; dates given in days after it."""
    return FrameSource(
        {
            "patients": pl.DataFrame(
                {"patient_id": [f"p{i}" for i in range(patients)], "diagnosis_date": DIAGNOSIS}
            ),
            "transplants": pl.DataFrame(
                [(p, t, _day(d)) for p, t, d in transplants],
                schema={
                    "patient_id": pl.String,
                    "transplant_type": pl.String,
                    "transplant_date": pl.Date,
                },
                orient="row",
            ),
            "treatment_lines": pl.DataFrame(
                [(p, n, _day(d)) for p, n, d in lines],
                schema={"patient_id": pl.String, "line_number": pl.Int64, "start_date": pl.Date},
                orient="row",
            ),
            "events": pl.DataFrame(
                [(p, e, _day(d)) for p, e, d in events],
                schema={"patient_id": pl.String, "event_type": pl.String, "event_date": pl.Date},
                orient="row",
            ),
        }
    )


def exposure_days(src: FrameSource, exposure: Exposure, landmark: int) -> dict[str, int | None]:
    key = EndpointKey("OS", "diagnosis", landmark_days=landmark)
    rows = exposure_frame(src, key, exposure).collect()
    return dict(zip(rows["patient_id"], rows["exposure_days"], strict=True))


def test_first_transplant_of_the_type_from_the_landmark() -> None:
    src = source(
        transplants=[
            ("p1", "allogeneic", 100),
            ("p1", "allogeneic", 50),  # the first counts
            ("p2", "autologous", 30),  # another type
            ("p3", "allogeneic", -10),  # before the origin
            ("p4", "allogeneic", 180),  # on the landmark
            ("p5", "allogeneic", 181),  # the day after
        ]
    )
    days = exposure_days(src, Exposure(transplant_type="allogeneic"), 180)
    assert {p: days[p] for p in ("p0", "p1", "p2", "p3", "p4", "p5")} == {
        "p0": None,
        "p1": -130,
        "p2": None,
        "p3": -190,
        "p4": 0,
        "p5": 1,
    }
    status = pl.select(status_at_zero(pl.Series([days[f"p{i}"] for i in range(6)]))).to_series()
    assert status.cast(pl.String).to_list() == [
        "unexposed",
        "exposed",
        "unexposed",
        "exposed",
        "exposed",
        "unexposed",
    ]


def test_line_start_and_first_event() -> None:
    src = source(
        lines=[("p0", 1, 0), ("p0", 2, 200), ("p1", 1, 5)],
        events=[("p0", "dli", 400), ("p0", "dli", 300), ("p1", "relapse", 20)],
    )
    lines = exposure_days(src, Exposure(line_number=2), 0)
    assert (lines["p0"], lines["p1"]) == (200, None)
    dli = exposure_days(src, Exposure(event_type="dli"), 100)
    assert (dli["p0"], dli["p1"]) == (200, None)


@settings(max_examples=50, deadline=None)
@given(
    offsets=st.lists(st.one_of(st.none(), st.integers(-400, 800)), min_size=1, max_size=12),
    landmark=st.integers(0, 365),
)
def test_exposed_at_time_zero_exactly_when_on_or_before_it(
    offsets: list[int | None], landmark: int
) -> None:
    src = source(
        transplants=[(f"p{i}", "autologous", d) for i, d in enumerate(offsets) if d is not None],
        patients=len(offsets),
    )
    days = exposure_days(src, Exposure(transplant_type="autologous"), landmark)
    ordered = [days[f"p{i}"] for i in range(len(offsets))]
    status = pl.select(status_at_zero(pl.Series(ordered, dtype=pl.Int64))).to_series()
    expected = ["unexposed" if d is None or d > landmark else "exposed" for d in offsets]
    assert status.cast(pl.String).to_list() == expected


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"transplant_type": "allogeneic", "line_number": 2},
        {"line_number": 0},
        {"event_type": "transplant"},
    ],
)
def test_an_exposure_is_exactly_one_valid_kind(fields: dict[str, object]) -> None:
    with pytest.raises(AnalysisError, match="exposure"):
        Exposure(**fields)  # type: ignore[arg-type]


def test_no_trend_across_exposure_groups() -> None:
    request = SurvivalRequest(
        endpoint=EndpointKey("OS", "diagnosis", landmark_days=180),
        grouping=Grouping(exposure=Exposure(transplant_type="allogeneic")),
        times=(),
        time_unit="months",
        conf_type="log",
        trend=True,
    )
    with pytest.raises(AnalysisError, match="exposure status"):
        trend_levels(request)
