"""What to compute for a lake version before anyone asks: the columns most queries read.

The first query on a lake version derives its patient-aligned columns (:mod:`lake.cohort.columns`):
scans, joins and endpoint derivation, seconds at a million patients. Warming runs that
derivation for the columns nearly every query reads, and the cell indexes survival by those
groups counts over (:mod:`lake.cohort.counting`), at start and after each load, off the
request path (:mod:`service.warmup` runs it in a thread), so a user's first question on a new
version costs what every later one does. After a one-site load it derives that site's segments
only: the other sites' are shared with the version before (:mod:`lake.cohort.segments`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from lake.cohort.endpoints import EndpointKey
from lake.cohort.survival import Grouping
from lake.query.cohorts import CohortSnapshots

#: Attributes of the default filters and groupings (disease, site, origin, sex, age).
WARM_ATTRIBUTES: Final = ("disease", "site", "data_origin", "sex", "age_at_diagnosis")
#: Attributes most analyses group by, kept as Enum codes (``groupBy: {attribute: SEX}``).
WARM_GROUPS: Final = ("sex",)
#: Endpoints asked from diagnosis by most analyses.
WARM_ENDPOINTS: Final = (
    EndpointKey(endpoint="OS", origin="diagnosis", landmark_days=0, line_number=None),
    EndpointKey(endpoint="PFS", origin="diagnosis", landmark_days=0, line_number=None),
)


@dataclass(frozen=True, slots=True)
class Warmed:
    """A lake version whose common columns are built, and how long that took."""

    lake_version: int
    seconds: float


def warm(snapshots: CohortSnapshots, lake_version: int | None = None) -> Warmed:
    """Build the common columns of ``lake_version`` (``None``: the newest) and keep them."""
    started = time.perf_counter()
    columns = snapshots.columns(lake_version)
    columns.ids()
    columns.attributes(WARM_ATTRIBUTES)
    for attribute in WARM_GROUPS:
        columns.attribute_group(attribute)
    for key in WARM_ENDPOINTS:
        columns.endpoint(key)
        for grouping in (Grouping(), *(Grouping(attribute=a) for a in WARM_GROUPS)):
            snapshots.cell_index(columns, key, grouping)
    return Warmed(lake_version=columns.version, seconds=time.perf_counter() - started)
