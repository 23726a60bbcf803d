"""Requested ``times`` are answered in the caller's order, duplicates included."""

from __future__ import annotations

import pytest

from lake.access import Role
from schema.times import checked_times, lake_times
from tests.schema.conftest import Execute

pytestmark = pytest.mark.anyio

ASKED = [24.0, 6.0, 12.0, 6.0]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_times_keep_the_order_and_the_duplicates_asked() -> None:
    assert checked_times(ASKED) == (24.0, 6.0, 12.0, 6.0)
    assert checked_times(None) == ()
    assert lake_times(checked_times(ASKED)) == (6.0, 12.0, 24.0)


@pytest.mark.parametrize("role", ["statistician", "analyst"])  # exact, then protected
async def test_survival_at_times_answer_in_the_order_asked(execute: Execute, role: Role) -> None:
    result = await execute(
        "query($t: [Float!]) { cohort { survival(endpoint: OS, times: $t) { "
        "groups { atTimes { time survival } } provenance { queryHash } } } }",
        {"t": ASKED},
        role=role,
    )
    assert result.errors is None
    (group,) = result.data["cohort"]["survival"]["groups"]  # type: ignore[index]
    points = group["atTimes"]
    assert [p["time"] for p in points] == ASKED
    assert points[1] == points[3]  # a repeated time answers twice, alike
    assert points[0]["survival"] <= points[2]["survival"] <= points[1]["survival"]
    # the same numbers as asking in ascending order (each time is answered on its own)
    ascending = await execute(
        "{ cohort { survival(endpoint: OS, times: [6, 12, 24]) { "
        "groups { atTimes { time survival } } provenance { queryHash } } } }",
        role=role,
    )
    (sorted_group,) = ascending.data["cohort"]["survival"]["groups"]  # type: ignore[index]
    by_time = {p["time"]: p for p in sorted_group["atTimes"]}
    assert points == [by_time[t] for t in ASKED]
    # one question, one lake request (the distinct times, ascending) whatever the order asked
    first, second = (r.data["cohort"]["survival"] for r in (result, ascending))  # type: ignore[index]
    assert first["provenance"]["queryHash"] == second["provenance"]["queryHash"]
