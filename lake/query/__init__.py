"""The one boundary every result leaves ``lake/`` through (``gateway``): requests, cohorts and
snapshots, lake metadata and data-quality queries, and the released, audited answers."""
