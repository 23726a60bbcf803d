"""The lake's I/O edge: Delta reads (time-travelled by lake version) and site-scoped writes.

Layout: ``<root>/<table>/`` is a Delta table per harmonised table, partitioned by ``site``; the
system tables ``_quarantine``, ``_data_queries``, ``_load_log``, ``_site_status`` sit beside
them, and ``_manifest`` defines the *lake version*: one row per committed load with the Delta
version of every table it left behind (JSON) and the load's metadata (JSON: spec version, source
digests, key fingerprint, ...). Readers open a manifest row and time-travel each table to its
recorded version, so a load that writes eight tables is atomic for them: until its manifest row
lands, nobody sees any of its writes. A load that dies half way (killed, or a failed write)
leaves tables whose newest Delta version is ahead of the manifest; the next commit, under the
lock, first restores each table it writes to the manifest's state (:func:`_reconcile`), so the
dead load's rows never reach a lake version, whichever site commits next.

Writers replace one site's rows with ``write_deltalake(mode="overwrite", predicate="site =
'<SITE>'")`` so other sites are untouched (columns null in every row are filled by delta-rs from
the table schema rather than sent as Arrow nulls), and carry the load's metadata as Delta commit
``custom_metadata``. A per-lake lock serialises the write phase of concurrent loads: ``fcntl``
on disk, a conditionally written lock object on S3 (:mod:`lake.object_lock`).

The root is a :class:`~lake.location.LakeLocation` (or a path or URL: ``/path``,
``file:///path``, ``s3://bucket/prefix``); every function here works the same on both.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Final, TypeAlias

import polars as pl
from deltalake import (
    ColumnProperties,
    CommitProperties,
    DeltaTable,
    WriterProperties,
    write_deltalake,
)
from deltalake.exceptions import DeltaError

from lake.errors import (
    LakeError,
    LoadError,
    SchemaMigrationError,
    StorageError,
    UnknownVersionError,
)
from lake.location import (
    LakeLocation,
    StoredFile,
    data_files,
    delete_files,
    locate,
    log_commits,
    table_names,
)
from lake.migration import added_columns, with_model_columns
from lake.object_lock import holder_of, object_lock

logger = logging.getLogger(__name__)

MANIFEST: Final = "_manifest"
LOCK_FILE: Final = ".hemalake.lock"
#: Test-only fault injection: seconds to sleep after each table write of a commit, so a test
#: can kill a load between two table writes. Never set in production.
FAULT_PAUSE_ENV: Final = "HEMALAKE_FAULT_PAUSE_AFTER_TABLE"
#: Test-only fault injection: comma-separated write points (``table``, ``manifest``, ``log``)
#: that fail as on a full disk (ENOSPC), so a test can reach every order of failure.
FAULT_FULL_ENV: Final = "HEMALAKE_FAULT_DISK_FULL_AT"
#: Seconds an object store's clock may run ahead of ours (:func:`remove_failed_load_files`).
CLOCK_SKEW_MARGIN: Final = 300.0
MANIFEST_SCHEMA: Final = pl.Schema(
    {
        "lake_version": pl.Int64(),
        "committed_at": pl.Datetime("us", "UTC"),
        "load_id": pl.String(),
        "site": pl.String(),
        "table_versions": pl.String(),
        "load_metadata": pl.String(),
    }
)

PredicateValue = str | int | float | date
#: A lake root as callers name it (see :func:`lake.location.locate`).
LakeRoot: TypeAlias = LakeLocation | Path | str
#: Parquet options of the site writes: pseudonyms are unique 32-character strings, so a
#: dictionary page only costs time before Parquet falls back to plain encoding (measured
#: ~15-20 % of a 4.3 M-row site write). Statistics stay on for every column. Pages are LZ4_RAW
#: compressed: delta-rs writes them uncompressed by default, and on 1e6 patient rows LZ4_RAW
#: wrote in 0.25 s instead of 0.33 s, into 21 MiB instead of 37 MiB, read back in 0.057 s
#: instead of 0.085 s (Polars, Arrow, DuckDB and Spark >= 3.4 read LZ4_RAW).
SITE_WRITER_PROPERTIES: Final = WriterProperties(
    compression="LZ4_RAW",
    column_properties={"patient_id": ColumnProperties(dictionary_enabled=False)},
)


def equals_predicate(column: str, value: PredicateValue) -> str:
    """A Delta SQL predicate ``column = value`` built from a typed value, quotes escaped.

    Examples
    --------
    >>> equals_predicate("site", "IT-BOL")
    "site = 'IT-BOL'"
    >>> equals_predicate("site", "O'Hara")
    "site = 'O''Hara'"
    """
    if not column.isidentifier():
        raise ValueError(f"{column!r} is not a plain column name")
    if isinstance(value, bool):
        raise TypeError("boolean predicates are not supported")
    if isinstance(value, str):
        literal = "'" + value.replace("'", "''") + "'"
    elif isinstance(value, date):
        literal = f"'{value.isoformat()}'"
    else:
        literal = repr(value)
    return f"{column} = {literal}"


@dataclass(frozen=True, slots=True)
class LakeSnapshot:
    """One lake version: every table pinned to the Delta version its manifest row recorded."""

    root: LakeLocation
    version: int
    committed_at: datetime
    table_versions: Mapping[str, int] = field(repr=False)

    def scan(self, table_name: str) -> pl.LazyFrame:
        """The table as of this lake version; ``LakeError`` lists the tables if unknown.

        A harmonised table has every column of the current model: one a version predates
        reads as null (:func:`lake.migration.with_model_columns`)."""
        if table_name not in self.table_versions:
            valid = ", ".join(sorted(self.table_versions))
            logger.warning(
                "lake %s version %d has no table %r", self.root, self.version, table_name
            )
            raise LakeError(
                f"lake version {self.version} has no table {table_name!r}; tables: {valid}"
            )
        frame = pl.scan_delta(
            self.root.uri(table_name),
            version=self.table_versions[table_name],
            storage_options=self.root.delta_options,
        )
        return with_model_columns(frame, table_name)

    def history(self) -> pl.DataFrame:
        """Every manifest row up to and including this version, oldest first."""
        return _manifest(self.root).filter(pl.col("lake_version") <= self.version)


def open_lake(root: LakeRoot, lake_version: int | None = None) -> LakeSnapshot:
    """The newest lake version at ``root``, or the pinned ``lake_version``.

    Raises
    ------
    LakeError
        The lake is empty (no committed load).
    UnknownVersionError
        ``lake_version`` does not exist; the message names the newest and lists the valid ones.
    """
    root = locate(root)
    manifest = _manifest(root)
    if manifest.is_empty():
        logger.warning("lake %s is empty: no committed load", root)
        raise LakeError(
            "the lake is empty: no load has been committed yet; run `hemalake load` first"
        )
    if lake_version is None:
        row = manifest.row(-1, named=True)
    else:
        matches = manifest.filter(pl.col("lake_version") == lake_version)
        if matches.is_empty():
            valid = ", ".join(str(v) for v in manifest.get_column("lake_version").to_list())
            newest = int(manifest.row(-1, named=True)["lake_version"])
            logger.info("lake %s has no version %d", root, lake_version)
            raise UnknownVersionError(
                f"the lake has no version {lake_version}; the newest is {newest} "
                f"(valid versions: {valid})"
            )
        row = matches.row(0, named=True)
    return LakeSnapshot(
        root=root,
        version=int(row["lake_version"]),
        committed_at=row["committed_at"],
        table_versions={k: int(v) for k, v in json.loads(row["table_versions"]).items()},
    )


def manifest_log_version(root: LakeRoot) -> int | None:
    """The newest Delta commit of the lake manifest, from a listing of its ``_delta_log``.

    A directory (or prefix) listing, not a table read: cheap enough to ask on every request.
    ``None`` when the lake has no manifest yet.
    """
    return max(log_commits(locate(root), MANIFEST), default=None)


class LakeOpener:
    """Opens a lake's versions, reusing the newest snapshot until the manifest gains a commit.

    :func:`open_lake` reads the whole manifest table (~10-20 ms); the service asks for the
    newest version on every request. A load's last step is its manifest commit, so while the
    manifest's newest Delta commit is unchanged the newest lake version is too, and the
    snapshot opened for it is still the newest. Pinned versions are opened as asked.
    """

    def __init__(self, root: LakeRoot) -> None:
        self.root = locate(root)
        self._lock = threading.Lock()
        self._newest: tuple[int, LakeSnapshot] | None = None

    def __call__(self, lake_version: int | None = None) -> LakeSnapshot:
        """The newest lake version (``None``) or the pinned one (see :func:`open_lake`)."""
        if lake_version is not None:
            return open_lake(self.root, lake_version)
        commit = manifest_log_version(self.root)
        with self._lock:
            if commit is not None and self._newest is not None and self._newest[0] == commit:
                return self._newest[1]
        snapshot = open_lake(self.root)
        if commit is not None:
            with self._lock:
                self._newest = (commit, snapshot)
        return snapshot


def read_latest(root: LakeRoot, table_name: str) -> pl.DataFrame | None:
    """The current state of a (system) table outside lake versioning, or ``None`` if absent.

    For the operational logs ``_load_log`` and ``_site_status``, which record failed and
    unchanged loads too and are therefore not pinned by the manifest. Read by Polars, never by
    ``DeltaTable.to_pyarrow_table``, which on S3 can abort the interpreter at exit.
    """
    lake = locate(root)
    uri = lake.uri(table_name)
    try:
        if not DeltaTable.is_deltatable(uri, storage_options=lake.delta_options):
            return None
        return pl.read_delta(uri, storage_options=lake.delta_options)
    except (OSError, DeltaError) as exc:
        if lake.local is not None:
            raise
        raise StorageError(
            f"cannot read {uri}: {str(exc).splitlines()[0]}. Check the storage settings "
            "(AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or the "
            "[storage] table of the settings file)"
        ) from exc


@contextmanager
def lake_lock(
    root: LakeRoot,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Exclusive per-lake lock held for a load's write phase: ``fcntl.flock`` on disk, a lock
    object on S3 (:func:`lake.object_lock.object_lock`, same contract).

    The holder writes who it is (host, pid, since when) into the lock file. A caller that
    finds the lock taken is told so once through ``on_wait`` (naming the holder) and waits;
    after ``timeout`` seconds (``None``: forever) it gives up with a ``LoadError`` naming the
    holder. The kernel releases the lock of a killed holder, so only a live one blocks (on S3,
    a killed holder's lease runs out).
    """
    lake = locate(root)
    if lake.local is None:
        with object_lock(lake, timeout=timeout, on_wait=on_wait):
            yield
        return
    root = lake.local
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    with path.open("a+") as handle:
        _acquire(handle, path, timeout=timeout, on_wait=on_wait)
        try:
            handle.truncate(0)
            since = datetime.now(UTC).isoformat(timespec="seconds")
            handle.write(f"host {socket.gethostname()}, pid {os.getpid()}, since {since}\n")
            handle.flush()
        except OSError:  # a full disk must not stop the holder; waiters see no identity
            logger.warning("could not write the lock holder's identity to %s", path)
        try:
            yield
        finally:
            with suppress(OSError):
                handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_holder(root: LakeRoot) -> str:
    """Who holds the lake lock, as its holder wrote it (``unknown`` if it wrote nothing)."""
    lake = locate(root)
    if lake.local is None:
        return holder_of(lake)
    try:
        return (lake.local / LOCK_FILE).read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def _acquire(
    handle: IO[str],
    path: Path,
    *,
    timeout: float | None,
    on_wait: Callable[[str], None] | None,
) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = lock_holder(path.parent)
        if not told and on_wait is not None:
            limit = "no time limit" if timeout is None else f"up to {timeout:g} s"
            on_wait(f"waiting for the lake lock ({path}), held by {holder}; waiting {limit}")
            told = True
        if deadline is not None and time.monotonic() >= deadline:
            raise LoadError(
                f"the lake lock ({path}) is still held by {holder} after {timeout:g} s; "
                "nothing was written. If that process is frozen, stop it, then retry the load"
            )
        time.sleep(0.2)


def commit_site_load(
    root: LakeRoot,
    *,
    site: str,
    load_id: str,
    tables: Mapping[str, pl.DataFrame],
    metadata: Mapping[str, str],
) -> int:
    """Replace ``site``'s rows in every table of ``tables`` and record a new lake version.

    Call it while holding :func:`lake_lock`. Each frame must contain a ``site`` column equal to
    ``site`` (an empty frame deletes the site's rows). The writes apply to the state the newest
    manifest row pinned, never to writes of a load that died before its manifest row
    (:func:`_reconcile`). ``metadata`` is stored on every Delta commit and in the manifest row
    (:func:`last_site_metadata`). Returns the new lake version.

    A stored table that lacks columns of the frame (written under an older model) gains them
    in the same Delta commit as the rows (:mod:`lake.migration`).

    Raises
    ------
    SchemaMigrationError
        A stored table's schema cannot be migrated to the frame's (a type change, a removed or
        a new required column); nothing of the load is visible (the manifest was not written).
    LoadError
        A Delta write failed; the lake version is unchanged (the manifest was not written).
    """
    root = locate(root)
    manifest = _manifest(root)
    previous = {} if manifest.is_empty() else json.loads(manifest.item(-1, "table_versions"))
    version = 1 if manifest.is_empty() else int(manifest.item(-1, "lake_version")) + 1
    properties = CommitProperties(
        custom_metadata={**metadata, "site": site, "load_id": load_id, "lake_version": str(version)}
    )
    pause = float(os.environ.get(FAULT_PAUSE_ENV, "0"))
    versions = dict(previous)
    predicate = equals_predicate("site", site)
    try:
        options = root.delta_options
        stored = {
            name: DeltaTable(root.uri(name), storage_options=options)
            for name in tables
            if DeltaTable.is_deltatable(root.uri(name), storage_options=options)
        }
        for name, existing in stored.items():
            if name in previous:
                _reconcile(existing, previous[name], properties)
        added = _migrations(stored, tables, intact=version - 1, options=options)
        for name, frame in tables.items():
            pinned = previous.get(name)
            table = stored.get(name)
            # a table no lake version knows yet holds only a dead load's rows: replace all
            _inject_full("table")
            versions[name] = _write_site_rows(
                table or root.uri(name),
                frame,
                predicate=None if pinned is None else predicate,
                properties=properties,
                added=added.get(name, ()),
                options=options,
            )
            logger.debug("wrote %s rows of %s for %s", frame.height, name, site)
            if pause:
                time.sleep(pause)
        row = _manifest_row(version, site, load_id, versions, metadata)
        _write_manifest_row(root, row, properties, load_id=load_id)
    except (OSError, DeltaError) as exc:
        raise LoadError(
            f"writing the {site} load to {root} failed ({exc}); lake version {version - 1} is "
            "intact, retry the load"
        ) from exc
    return version


def record_lake_version(
    root: LakeRoot,
    *,
    site: str,
    load_id: str,
    table_versions: Mapping[str, int],
    metadata: Mapping[str, str],
) -> int:
    """Append a lake version pinning ``table_versions`` (the other tables stay as the newest
    version pinned them), for writes made outside :func:`commit_site_load` that change files
    but not rows (compaction, Z-order: :mod:`lake.upkeep`). Call it under :func:`lake_lock`;
    returns the new lake version.
    """
    lake = locate(root)
    manifest = _manifest(lake)
    if manifest.is_empty():
        raise LakeError("the lake is empty: no load has been committed yet")
    versions = {**json.loads(manifest.item(-1, "table_versions")), **table_versions}
    version = int(manifest.item(-1, "lake_version")) + 1
    properties = CommitProperties(
        custom_metadata={**metadata, "site": site, "load_id": load_id, "lake_version": str(version)}
    )
    row = _manifest_row(version, site, load_id, versions, metadata)
    _write_manifest_row(lake, row, properties, load_id=load_id)
    return version


def reconcile_table(table: DeltaTable, pinned: int) -> None:
    """Restore ``table`` to the Delta version the newest lake version ``pinned`` (see
    :func:`_reconcile`), so that a rewrite applies to committed rows only."""
    _reconcile(table, pinned, CommitProperties())


def _manifest_row(
    version: int,
    site: str,
    load_id: str,
    versions: Mapping[str, int],
    metadata: Mapping[str, str],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lake_version": [version],
            "committed_at": [datetime.now(UTC)],
            "load_id": [load_id],
            "site": [site],
            "table_versions": [json.dumps(dict(versions), sort_keys=True)],
            "load_metadata": [json.dumps(dict(metadata), sort_keys=True)],
        },
        schema=MANIFEST_SCHEMA,
    )


def _write_manifest_row(
    root: LakeLocation, row: pl.DataFrame, properties: CommitProperties, *, load_id: str
) -> None:
    """Append the manifest row; an error raised after the row's Delta commit landed (a
    post-commit checkpoint on a full disk) is logged, not raised: the version exists."""
    try:
        _inject_full("manifest")
        write_deltalake(
            root.uri(MANIFEST),
            row.to_arrow(),
            mode="append",
            schema_mode="merge",  # a manifest written before ``load_metadata`` existed
            commit_properties=properties,
            storage_options=root.delta_options,
        )
    except (OSError, DeltaError) as exc:
        if load_id not in _manifest(root).get_column("load_id").to_list():
            raise
        logger.warning("the manifest row of load %s landed, then: %s", load_id, exc)


def _inject_full(point: str) -> None:
    """Fail like a full disk at ``point`` when the test-only :data:`FAULT_FULL_ENV` asks."""
    if point in os.environ.get(FAULT_FULL_ENV, "").split(","):
        raise OSError(errno.ENOSPC, f"No space left on device (injected at {point})")


def _migrations(
    stored: Mapping[str, DeltaTable],
    tables: Mapping[str, pl.DataFrame],
    *,
    intact: int,
    options: dict[str, str] | None,
) -> dict[str, tuple[str, ...]]:
    """The columns each frame adds to its stored table, every table checked before any write
    (:func:`lake.migration.added_columns`); the refusal says the lake version is intact."""
    added: dict[str, tuple[str, ...]] = {}
    for name, table in stored.items():
        try:
            schema = pl.scan_delta(
                table.table_uri, version=table.version(), storage_options=options
            ).collect_schema()
            added[name] = added_columns(name, schema, tables[name].schema)
        except SchemaMigrationError as exc:
            raise SchemaMigrationError(
                f"{exc}. Nothing was written: lake version {intact} is intact"
            ) from None
        if added[name]:
            logger.info("migrating %s: adding columns %s", name, ", ".join(added[name]))
    return added


def _write_site_rows(
    target: DeltaTable | str,
    frame: pl.DataFrame,
    *,
    predicate: str | None,
    properties: CommitProperties,
    added: tuple[str, ...],
    options: dict[str, str] | None,
) -> int:
    """Overwrite the rows ``predicate`` selects (all rows if ``None``) with ``frame`` in the
    open table or at the URI of a table not created yet; returns the new Delta version.

    Columns null in every row of a non-empty frame are left out of the Arrow data and filled
    by delta-rs from the table schema (``schema_mode="merge"``): converting and encoding a
    million Python-side nulls per column is most of the cost of a sparsely fed table (genetics
    has 41 columns, a site feeds a few; 1e6 rows measured 1.2-1.6 s CPU written whole, 0.45-1.0
    s without its null columns). A missing table is first created with the frame's full
    schema. The merge evolves a stored table's schema only by the ``added`` columns
    (:func:`_migrations`: new nullable columns of the model), which are always sent, null or
    not, so they join the schema in this commit.
    """
    fed = [
        name
        for name, column in zip(frame.columns, frame.get_columns(), strict=True)
        if name == "site" or name in added or column.null_count() < frame.height
    ]
    sparse = frame.height > 0 and len(fed) < frame.width
    if isinstance(target, str) and sparse:
        write_deltalake(
            target,
            frame.clear().to_arrow(),
            partition_by=["site"],
            commit_properties=properties,
            storage_options=options,
        )
        target = DeltaTable(target, storage_options=options)
    write_deltalake(
        target,
        (frame.select(fed) if sparse else frame).to_arrow(),
        mode="overwrite",
        predicate=predicate,
        schema_mode="merge" if sparse or added else None,
        partition_by=["site"],
        commit_properties=properties,
        writer_properties=SITE_WRITER_PROPERTIES,
        storage_options=options,
    )
    if isinstance(target, str):
        target = DeltaTable(target, storage_options=options)
    return target.version()


def _reconcile(table: DeltaTable, pinned: int, properties: CommitProperties) -> None:
    """Restore ``table`` to the version the manifest ``pinned``, if a load that never reached
    the manifest (killed, or a failed write) committed past it.

    Without this, a site-scoped overwrite lands on the newest Delta version and carries the
    dead load's rows of *other* sites into the next lake version. A table no manifest row
    knows is replaced whole by the caller instead.
    """
    if table.version() > pinned:
        logger.warning(
            "%s is at Delta version %s, ahead of the lake's %s (a load died before its "
            "manifest row): restoring it",
            table.table_uri.rstrip("/").rsplit("/", 1)[-1],
            table.version(),
            pinned,
        )
        table.restore(pinned, commit_properties=properties)


def last_site_metadata(root: LakeRoot, site: str) -> Mapping[str, str] | None:
    """The metadata of ``site``'s newest committed load, from the manifest; ``None`` if the site
    has none (or it was committed before the manifest recorded metadata).

    The manifest, not the operational ``_load_log``, is the record of what a lake version
    holds: a load killed between its manifest row and its log row still counts.
    """
    rows = _manifest(locate(root)).filter(pl.col("site") == site)
    if rows.is_empty():
        return None
    recorded = rows.item(-1, "load_metadata")
    if recorded is None:
        return None
    metadata: dict[str, str] = json.loads(recorded)
    return metadata


def append_rows(root: LakeRoot, table_name: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` to a log table (``_load_log``, ``_site_status``).

    New columns are merged into the table's schema, so a log written by an older loader
    version keeps working (its rows read the new column as null).
    """
    _inject_full("log")
    lake = locate(root)
    write_deltalake(
        lake.uri(table_name),
        frame.to_arrow(),
        mode="append",
        schema_mode="merge",
        storage_options=lake.delta_options,
    )


def read_log(
    root: LakeRoot, table_name: str, *, time_column: str, lake_version: int | None = None
) -> pl.DataFrame | None:
    """A log table (``_load_log``, ``_site_status``) as it stood while ``lake_version`` was the
    newest version; the whole log when ``lake_version`` is ``None``. ``None`` if absent.

    The logs live outside the manifest (they record failed and unchanged loads too), so a
    pinned view is a filter: rows stamped (``time_column``) before the next lake version was
    committed, minus every row of the loads that committed later versions.

    Raises
    ------
    LakeError
        ``lake_version`` does not exist (the message lists the valid versions).
    """
    root = locate(root)
    frame = read_latest(root, table_name)
    if frame is None or lake_version is None:
        return frame
    open_lake(root, lake_version)  # validates the version
    later = _manifest(root).filter(pl.col("lake_version") > lake_version)
    if later.is_empty():
        return frame
    cutoff = later.get_column("committed_at").min()
    return frame.filter(
        (pl.col(time_column) < cutoff) & ~pl.col("load_id").is_in(later.get_column("load_id"))
    )


def _manifest(root: LakeLocation) -> pl.DataFrame:
    frame = read_latest(root, MANIFEST)
    if frame is None:
        return MANIFEST_SCHEMA.to_frame()
    if "load_metadata" not in frame.columns:  # written before the column existed
        frame = frame.with_columns(pl.lit(None, pl.String).alias("load_metadata"))
    return frame.sort("lake_version")


def vacuum_lake(
    root: LakeRoot, *, keep: Collection[int], dry_run: bool = False
) -> list[StoredFile]:
    """Delete the data files that none of the lake versions ``keep`` (and never the newest)
    references; returns them (only lists them if ``dry_run``). Call it under :func:`lake_lock`.

    A lake-versioned table keeps the files of every Delta version a kept manifest row pins; a
    log table (``_load_log``, ``_site_status``, ``_manifest``: append-only, outside lake
    versioning) keeps the files of its newest Delta version. Everything else under a table is
    a failed or killed load's, or belongs to a version no longer kept: a lake version not in
    ``keep`` cannot be read after a vacuum.
    """
    root = locate(root)
    manifest = _manifest(root)
    if manifest.is_empty():
        return []
    rows = manifest.filter(
        pl.col("lake_version").is_in(list(keep))
        | (pl.col("lake_version") == manifest.item(-1, "lake_version"))
    )
    pinned: dict[str, set[int]] = {}
    for versions in rows.get_column("table_versions").to_list():
        for name, version in json.loads(versions).items():
            pinned.setdefault(name, set()).add(int(version))
    return _remove_unreferenced(root, pinned, newer_than=None, dry_run=dry_run)


def remove_failed_load_files(root: LakeRoot) -> list[StoredFile]:
    """Delete the files a failed or killed load left (written after the newest lake version
    and referenced by none); returns them. Call it under :func:`lake_lock`, before a commit.

    Cheap enough for every load: one snapshot per table and a listing of its directory. On
    object storage a file's time is the server's clock, the commit's is ours: only files newer
    than the commit by :data:`CLOCK_SKEW_MARGIN` count, so a server clock ahead of ours never
    makes an older version's file look like a dead load's (later ones wait for the vacuum).
    """
    root = locate(root)
    manifest = _manifest(root)
    if manifest.is_empty():
        return []
    newest = {k: {int(v)} for k, v in json.loads(manifest.item(-1, "table_versions")).items()}
    committed_at: datetime = manifest.item(-1, "committed_at")
    margin = 0.0 if root.local is not None else CLOCK_SKEW_MARGIN
    return _remove_unreferenced(
        root, newest, newer_than=committed_at.timestamp() + margin, dry_run=False
    )


def _remove_unreferenced(
    root: LakeLocation,
    pinned: Mapping[str, set[int]],
    *,
    newer_than: float | None,
    dry_run: bool,
) -> list[StoredFile]:
    removed: list[StoredFile] = []
    options = root.delta_options
    for name in table_names(root):
        uri = root.uri(name)
        versions = pinned.get(name)
        if versions is None:  # a log table: its newest version holds every row
            references = set(DeltaTable(uri, storage_options=options).file_uris())
        else:
            references = {
                file
                for v in versions
                for file in DeltaTable(uri, version=v, storage_options=options).file_uris()
            }
        doomed = [
            stored
            for stored in data_files(root, name)
            if stored.uri not in references
            and (newer_than is None or stored.modified >= newer_than)
        ]
        removed.extend(doomed)
        if doomed and not dry_run:
            delete_files(root, [stored.uri for stored in doomed])
    if removed:
        logger.info("%s unreferenced data file(s) under %s", len(removed), root)
    return removed
