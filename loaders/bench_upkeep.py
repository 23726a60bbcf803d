"""Benchmark: lake upkeep (``hemalake zorder``, ``compact``, ``vacuum``) on one loaded site.

``python -m loaders.bench_upkeep [--sizes 100000 1000000] [--lake-prefix s3://bucket/prefix]
[--log-writes 100]`` loads the seeded benchmark site of :mod:`loaders.bench` (``n`` patients)
into a fresh lake (a temporary directory, or a new prefix under ``--lake-prefix``, S3 settings
from the ``AWS_*`` variables), appends ``--log-writes`` rows to ``_load_log`` one write at a
time (what as many loads leave: one small file each), then times, under the lake lock:

- ``zorder``: every site partition rewritten sorted by :data:`lake.upkeep.Z_ORDER_COLUMNS`,
  with a cohort-style filtered scan of ``patients`` (median of 5) before and after;
- ``compact``: site partitions and the log tables, with ``_load_log``'s files and read time;
- ``vacuum`` keeping only the newest lake version: files and bytes deleted.

Measured on the shared 2-core machine (1e5 / 1e6 patients = 0.43 M / 4.3 M lake rows), disk then
SeaweedFS on loopback: ``zorder`` 2.6 / 36.8 s on disk, 9.0 / 48.0 s on S3; ``compact`` 0.1 s
on disk, 1.8-2.1 s on S3; ``vacuum`` 0.06 / 0.68 s on disk, 5.2 / 1.9 s on S3, deleting 105
files (8.6 / 80.9 MiB). A site's load replaces its partition with one file per table, so the
site partitions hold one file each and compaction leaves them as they are (4 -> 4); the small
files are the log tables' (one per load): ``_load_log`` 101 -> 1 files, read in 43 -> 22 ms on
disk and 923 -> 250 ms (1e5) / 937 -> 117 ms (1e6) on S3, where each file is a request. With one
file (one row group) per partition, Z-order did not speed the cohort scan (disk 23 -> 18 ms at
1e5, 13 -> 15 ms at 1e6: noise); it pays only once partitions span several files or row groups.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

import polars as pl
from deltalake import DeltaTable
from lake.location import LakeLocation, locate
from lake.storage import append_rows, lake_lock, open_lake, read_latest, vacuum_lake
from lake.upkeep import UpkeepReport, optimize_lake
from rich.console import Console
from rich.table import Table

from loaders.bench import generate_export
from loaders.load import LOAD_LOG_TABLE, load_site

T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _median_seconds(action: Callable[[], object], repeats: int = 5) -> float:
    return statistics.median(_timed(action)[0] for _ in range(repeats))


def _cohort_scan(lake: LakeLocation) -> int:
    """Myeloma patients diagnosed in one year: the shape of a cohort filter's first step."""
    return int(
        open_lake(lake)
        .scan("patients")
        .filter(
            (pl.col("disease") == "MM")
            & pl.col("diagnosis_date").is_between(date(2018, 1, 1), date(2018, 12, 31))
        )
        .select(pl.len())
        .collect()
        .item()
    )


def _files(lake: LakeLocation, table: str) -> int:
    return len(DeltaTable(lake.uri(table), storage_options=lake.delta_options).file_uris())


def _rewritten(report: UpkeepReport, tables: set[str]) -> tuple[int, int]:
    rows = [t for t in report.tables if t.table in tables]
    return sum(t.files_before for t in rows), sum(t.files_after for t in rows)


def run(n: int, work: Path, lake: LakeLocation, log_writes: int) -> dict[str, float]:
    """Figures for an ``n``-patient site in a fresh lake."""
    key_file = work / "key"
    key_file.write_text("c" * 64)
    spec_path = generate_export(work, n)
    load_s, result = _timed(lambda: load_site(spec_path, lake_root=lake, key_file=key_file))
    log = read_latest(lake, LOAD_LOG_TABLE)
    assert log is not None
    for _ in range(log_writes):
        append_rows(lake, LOAD_LOG_TABLE, log.head(1))
    figures: dict[str, float] = {
        "load": load_s,
        "rows": float(result.counts["rows_accepted"].sum()),
    }
    figures["scan before"] = _median_seconds(lambda: _cohort_scan(lake))
    figures["log files before"] = _files(lake, LOAD_LOG_TABLE)
    figures["log read before"] = _median_seconds(lambda: read_latest(lake, LOAD_LOG_TABLE))
    with lake_lock(lake):
        figures["zorder"], zorder = _timed(lambda: optimize_lake(lake, "z_order", sites=None))
        figures["compact"], compact = _timed(lambda: optimize_lake(lake, "compact"))
        figures["vacuum"], removed = _timed(lambda: vacuum_lake(lake, keep=[]))
    figures["zorder files before"], figures["zorder files after"] = _rewritten(
        zorder, {"patients", "events"}
    )
    figures["compact files before"], figures["compact files after"] = _rewritten(
        compact, {"patients", "events", "baseline", "genetics"}
    )
    figures["scan after"] = _median_seconds(lambda: _cohort_scan(lake))
    figures["log files after"] = _files(lake, LOAD_LOG_TABLE)
    figures["log read after"] = _median_seconds(lambda: read_latest(lake, LOAD_LOG_TABLE))
    figures["vacuumed files"] = len(removed)
    figures["vacuumed MiB"] = sum(f.size for f in removed) / 2**20
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(prog="python -m loaders.bench_upkeep")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--lake-prefix", default=None, help="s3://bucket/prefix (default: disk)")
    parser.add_argument("--log-writes", type=int, default=100)
    args = parser.parse_args(argv)
    where = args.lake_prefix or "local disk"
    table = Table(title=f"hemalake lake upkeep, one site ({where}; seconds unless stated)")
    for header in (
        "patients",
        "lake rows",
        "load",
        "zorder",
        "patients+events files",
        "cohort scan ms before/after",
        "compact",
        "site files",
        "_load_log files",
        "_load_log read ms",
        "vacuum",
        "files (MiB) deleted",
    ):
        table.add_column(header, justify="right")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            lake = locate(
                Path(tmp) / "lake"
                if args.lake_prefix is None
                else f"{args.lake_prefix.rstrip('/')}/bench-upkeep-{n}-{uuid.uuid4().hex[:8]}"
            )
            f = run(n, Path(tmp), lake, args.log_writes)
        table.add_row(
            f"{n:,}",
            f"{int(f['rows']):,}",
            f"{f['load']:.2f}",
            f"{f['zorder']:.2f}",
            f"{f['zorder files before']:.0f} -> {f['zorder files after']:.0f}",
            f"{f['scan before'] * 1e3:.1f} / {f['scan after'] * 1e3:.1f}",
            f"{f['compact']:.2f}",
            f"{f['compact files before']:.0f} -> {f['compact files after']:.0f}",
            f"{f['log files before']:.0f} -> {f['log files after']:.0f}",
            f"{f['log read before'] * 1e3:.1f} -> {f['log read after'] * 1e3:.1f}",
            f"{f['vacuum']:.2f}",
            f"{f['vacuumed files']:.0f} ({f['vacuumed MiB']:.1f})",
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
