"""The per-version column cache keeps every distinct endpoint key apart."""

from __future__ import annotations

import polars as pl
import pytest

from lake.cohort.columns import CohortColumns
from lake.cohort.endpoints import EndpointKey, endpoint_frame
from lake.storage import open_lake
from tests.conftest import DemoLake

pytestmark = pytest.mark.slow


def test_each_treatment_line_has_its_own_cached_endpoint(demo_lake: DemoLake) -> None:
    source = open_lake(demo_lake.root)
    columns = CohortColumns(source)
    first = EndpointKey(endpoint="PFS", origin="treatment_line", line_number=1)
    second = EndpointKey(endpoint="PFS", origin="treatment_line", line_number=2)
    cached_first, cached_second = columns.endpoint(first), columns.endpoint(second)
    assert not cached_first.equals(cached_second)  # the cache once served line 1 for line 2
    ids = columns.ids().get_column("patient_id")
    for key, cached in ((first, cached_first), (second, cached_second)):
        direct = (
            pl.DataFrame({"patient_id": ids})
            .join(endpoint_frame(source, key), on="patient_id", how="left", maintain_order="left")
            .select("time_days", "status")
        )
        assert cached.select("time_days", "status").equals(direct)
