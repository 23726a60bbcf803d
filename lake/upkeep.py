"""Lake upkeep: compaction of small files and Z-ordering, per site, as lake versions.

Both are delta-rs operations (``DeltaTable.optimize.compact`` / ``.z_order``): they rewrite a
site partition's files without changing its rows, as a new Delta version of the table
(``dataChange=false``). Readers time-travel every table to the version the newest manifest row
pins (:mod:`lake.storage`), so a rewrite is recorded as a lake version of its own, attributed
to the site, with the site's last load metadata plus ``upkeep`` (so an unchanged export stays
``unchanged``). Before rewriting, a table a dead load left ahead of the manifest is restored
(:func:`lake.storage.reconcile_table`), so upkeep never publishes a dead load's rows.

The log tables outside lake versioning (``_manifest``, ``_load_log``, ``_site_status``) gain
one small file per load; they are compacted whole, read as their newest version.

Old files stay until :func:`lake.storage.vacuum_lake`, which keeps every file a retained lake
version names: the versions before a compaction read as before until they leave retention.
Call everything here under :func:`lake.storage.lake_lock`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from deltalake import CommitProperties, DeltaTable

from lake.location import LakeLocation, locate, table_names
from lake.storage import (
    SITE_WRITER_PROPERTIES,
    LakeRoot,
    last_site_metadata,
    open_lake,
    reconcile_table,
    record_lake_version,
)

logger = logging.getLogger(__name__)

Operation = Literal["compact", "z_order"]
#: Z-order columns per table: the columns cohort filters select on before any join on
#: ``patient_id`` (a pseudonym, random within a site, so useless to cluster by). Tables not
#: listed are compacted only.
Z_ORDER_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "patients": ("disease", "data_origin", "diagnosis_date"),
    "events": ("event_type", "event_date"),
    "treatment_lines": ("line_number", "start_date"),
    "transplants": ("transplant_type", "transplant_date"),
}


@dataclass(frozen=True, slots=True)
class TableUpkeep:
    """One table's rewrite: data files of the (site's) current version before and after."""

    table: str
    site: str | None  # None: a log table, rewritten whole
    files_before: int
    files_after: int
    seconds: float


@dataclass(frozen=True, slots=True)
class UpkeepReport:
    """What one upkeep run did: per table and site, and the lake versions it recorded."""

    tables: tuple[TableUpkeep, ...]
    lake_versions: tuple[int, ...]


def optimize_lake(
    root: LakeRoot,
    operation: Operation,
    *,
    sites: tuple[str, ...] | None = None,
    target_size: int | None = None,
) -> UpkeepReport:
    """Compact (or Z-order) every lake table per site, one lake version per site that changed,
    then compact the log tables (only when all sites are asked). ``target_size`` in bytes
    (delta-rs' default when ``None``)."""
    lake = locate(root)
    snapshot = open_lake(lake)
    pins = dict(snapshot.table_versions)
    options = lake.delta_options
    tables = {name: DeltaTable(lake.uri(name), storage_options=options) for name in pins}
    for name, table in tables.items():
        reconcile_table(table, pins[name])
    known = sorted(snapshot.history().get_column("site").unique().to_list())
    done: list[TableUpkeep] = []
    versions: list[int] = []
    for site in sites or tuple(known):
        changed: dict[str, int] = {}
        for name, table in tables.items():
            columns = _z_columns(table, name) if operation == "z_order" else ()
            outcome = _rewrite(table, name, site, columns, target_size)
            if outcome is not None:
                done.append(outcome)
                if table.version() != pins[name]:
                    changed[name] = pins[name] = table.version()
        if changed:
            metadata = {**(last_site_metadata(lake, site) or {}), "upkeep": operation}
            versions.append(
                record_lake_version(
                    lake,
                    site=site,
                    load_id=f"upkeep-{uuid.uuid4().hex}",
                    table_versions=changed,
                    metadata=metadata,
                )
            )
    if sites is None:
        done.extend(_compact_logs(lake, set(pins), target_size))
    return UpkeepReport(tuple(done), tuple(versions))


def _rewrite(
    table: DeltaTable,
    name: str,
    site: str,
    columns: tuple[str, ...],
    target_size: int | None,
) -> TableUpkeep | None:
    """Compact (Z-order if ``columns``) ``site``'s partition; ``None`` if it has no files."""
    before = _files(table, site)
    if before == 0:
        return None
    started = time.perf_counter()
    properties = CommitProperties(custom_metadata={"upkeep": "z_order" if columns else "compact"})
    partition = [("site", "=", site)]
    if columns:
        table.optimize.z_order(
            columns,
            partition_filters=partition,
            target_size=target_size,
            writer_properties=SITE_WRITER_PROPERTIES,
            commit_properties=properties,
        )
    else:
        table.optimize.compact(
            partition_filters=partition,
            target_size=target_size,
            writer_properties=SITE_WRITER_PROPERTIES,
            commit_properties=properties,
        )
    seconds = time.perf_counter() - started
    after = _files(table, site)
    logger.info("%s %s: %d -> %d files in %.2f s", name, site, before, after, seconds)
    return TableUpkeep(name, site, before, after, seconds)


def _compact_logs(
    lake: LakeLocation, pinned: set[str], target_size: int | None
) -> list[TableUpkeep]:
    done = []
    for name in table_names(lake):
        if name in pinned:
            continue
        table = DeltaTable(lake.uri(name), storage_options=lake.delta_options)
        before = len(table.file_uris())
        started = time.perf_counter()
        table.optimize.compact(target_size=target_size)
        done.append(
            TableUpkeep(name, None, before, len(table.file_uris()), time.perf_counter() - started)
        )
    return done


def _z_columns(table: DeltaTable, name: str) -> tuple[str, ...]:
    """The table's :data:`Z_ORDER_COLUMNS` that its schema has (a table written under an older
    model may lack one; delta-rs refuses an unknown column)."""
    present = {field.name for field in table.schema().fields}
    return tuple(c for c in Z_ORDER_COLUMNS.get(name, ()) if c in present)


def _files(table: DeltaTable, site: str) -> int:
    """Data files of ``site``'s partition in the table's current version."""
    return len(table.file_uris(file_pruning_predicate=[("site", "=", site)]))


def describe(report: UpkeepReport) -> str:
    """Per table, the data files before and after summed over its sites, and the time taken."""
    totals: dict[str, list[float]] = {}
    for t in report.tables:
        total = totals.setdefault(t.table, [0, 0, 0, 0.0])
        total[0] += 1
        total[1] += t.files_before
        total[2] += t.files_after
        total[3] += t.seconds
    lines = [
        f"{name}: {int(sites)} partition(s), {int(before)} -> {int(after)} data files, "
        f"{seconds:.2f} s"
        for name, (sites, before, after, seconds) in sorted(totals.items())
    ]
    recorded = ", ".join(str(v) for v in report.lake_versions) or "none"
    return "\n".join([*lines, f"lake versions recorded: {recorded}"])
