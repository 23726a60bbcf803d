"""What a site load returns: outcome, lake version and row counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from loaders.system_tables import LoadStatus
from loaders.validate import COUNTS_SCHEMA


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The outcome of :func:`loaders.load.load_site`.

    ``status`` is ``committed`` (a new lake version) or ``unchanged`` (same sources and spec
    version as the site's last committed load: nothing written). ``counts`` has one row per
    (file, table) with rows in, accepted and quarantined; ``issues_by_check`` counts quarantine
    issues per check name. ``warnings`` are what the data manager must know although the load
    ended as it did (a spec changed without a new ``spec_version``, a log row not written).
    """

    site: str
    load_id: str
    status: LoadStatus
    lake_version: int
    spec_version: str
    counts: pl.DataFrame = field(default_factory=COUNTS_SCHEMA.to_frame)
    issues_by_check: dict[str, int] = field(default_factory=dict)
    data_queries: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def rows_in(self) -> int:
        """Source rows (after wide-to-long expansion) over all files and tables."""
        return int(self.counts.get_column("rows_in").sum())

    @property
    def rows_quarantined(self) -> int:
        """Rows with at least one issue, over all files and tables."""
        return int(self.counts.get_column("rows_quarantined").sum())
