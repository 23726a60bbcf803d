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


@pytest.mark.parametrize("group_first", [True, False])
def test_a_coded_attribute_has_one_type_whichever_asks_first(
    demo_lake: DemoLake, group_first: bool
) -> None:
    """Grouping and filtering read one kept column, the Enum of the declared codes, on every
    site segment (a group built first once kept the text, and the sites no longer stacked)."""
    columns = CohortColumns(open_lake(demo_lake.root))
    assert len(columns.segments()) > 1
    if group_first:
        group = columns.attribute_group("sex")
        kept = columns.attributes(["sex", "disease", "site"])
    else:
        kept = columns.attributes(["sex", "disease", "site"])
        group = columns.attribute_group("sex")
    assert group.dtype == kept["sex"].dtype == pl.Enum(["M", "F"])
    assert isinstance(kept["disease"].dtype, pl.Enum)
    assert kept["site"].dtype == pl.String  # free text: no declared codes
    patients = open_lake(demo_lake.root).scan("patients").select("patient_id", "sex").collect()
    raw = (
        columns.ids()
        .select("patient_id")
        .join(patients, on="patient_id", how="left", maintain_order="left")
    )
    assert group.cast(pl.String).to_list() == raw["sex"].to_list()
