"""Command-line subcommands of the loader: ``load``, ``vacuum``, ``compact``, ``zorder``,
``status``, ``queries``, ``quarantine``.

The ``hemalake`` console command (``service/cli.py``) owns the top-level parser and registers
these with :func:`add_subcommands`; ``python -m loaders.cli`` runs them standalone. Every
handler returns the process exit code; user errors (:class:`~lake.errors.HemalakeError`) are
printed as one line and give exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from lake.errors import HemalakeError, LakeError, UnknownVersionError
from lake.storage import lake_lock, open_lake, read_log, vacuum_lake
from lake.upkeep import describe, optimize_lake
from rich.console import Console
from rich.table import Table

from loaders.load import (
    DEFAULT_MAX_SHRINK,
    LOAD_LOG_TABLE,
    SITE_STATUS_TABLE,
    LoadOptions,
    load_site,
)
from loaders.panic_filter import rust_panics_filtered
from loaders.reporting import Reporter, RichReporter, SilentReporter

#: The ``--lake`` argument: storage options (endpoint, region, credentials) are never taken from
#: the command line, only from the ``AWS_*`` environment (:mod:`lake.location`).
LAKE_HELP = (
    "lake root: a directory, file:///path or s3://bucket/prefix (S3 endpoint, region and "
    "credentials from the AWS_* environment variables)"
)


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``load``, ``status``, ``queries`` and ``quarantine`` on ``subparsers``."""
    load = subparsers.add_parser("load", help="load site exports into the lake")
    load.add_argument("specs", type=Path, help="a mapping spec, or a directory of site specs")
    _lake_argument(load)
    load.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help="pseudonym key file (default: $HEMALAKE_PSEUDONYM_KEY_FILE)",
    )
    load.add_argument("--quiet", action="store_true", help="no progress or summary")
    load.add_argument(
        "--allow-shrink",
        action="store_true",
        help="confirm a load that removes more than --max-shrink of a site's patients",
    )
    load.add_argument(
        "--max-shrink",
        type=_share,
        default=DEFAULT_MAX_SHRINK,
        help=f"share of a site's patients a load may remove (default {DEFAULT_MAX_SHRINK})",
    )
    load.add_argument(
        "--lock-timeout",
        type=float,
        default=None,
        help="seconds to wait for another load's lake lock (default: wait as long as it takes)",
    )
    load.set_defaults(handler=_load)

    vacuum = subparsers.add_parser(
        "vacuum", help="delete data files no retained lake version references"
    )
    vacuum.add_argument("--lake", required=True, help=LAKE_HELP)
    vacuum.add_argument(
        "--retain-days",
        type=float,
        default=7.0,
        help="keep every lake version committed within this many days (default 7)",
    )
    vacuum.add_argument(
        "--pin",
        type=int,
        action="append",
        default=[],
        help="also keep this lake version (repeatable)",
    )
    vacuum.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    vacuum.add_argument("--lock-timeout", type=float, default=None, help="seconds to wait")
    vacuum.set_defaults(handler=_vacuum)

    for name, help_text in (
        ("compact", "compact each site's small data files, and the log tables"),
        ("zorder", "Z-order each site's files by the common filter columns"),
    ):
        upkeep = subparsers.add_parser(name, help=help_text)
        upkeep.add_argument("--lake", required=True, help=LAKE_HELP)
        upkeep.add_argument(
            "--site", action="append", default=None, help="only this site (repeatable)"
        )
        upkeep.add_argument(
            "--target-mb", type=int, default=None, help="target file size (delta-rs default)"
        )
        upkeep.add_argument("--lock-timeout", type=float, default=None, help="seconds to wait")
        upkeep.set_defaults(handler=_upkeep, operation="z_order" if name == "zorder" else name)

    status = subparsers.add_parser("status", help="onboarding status and last load per site")
    _lake_argument(status)
    status.set_defaults(handler=_status)

    for name, table, help_text in (
        ("queries", "_data_queries", "open data queries per site"),
        ("quarantine", "_quarantine", "quarantined rows with the reason"),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        _lake_argument(parser)
        parser.add_argument("--site", default=None, help="only this site")
        parser.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
        parser.set_defaults(handler=_show_table, table=table)


def spec_paths(target: Path) -> list[Path]:
    """``target`` itself, or every ``*/mapping.yaml`` and ``*.yaml`` of a directory."""
    if not target.is_dir():
        return [target]
    return sorted(target.glob("*/mapping.yaml")) + sorted(target.glob("*.yaml"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand standalone (``python -m loaders.cli load ...``)."""
    parser = argparse.ArgumentParser(prog="python -m loaders.cli")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    console = Console()
    try:
        code: int = args.handler(args, console)
    except HemalakeError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    return code


def _lake_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", required=True, help=LAKE_HELP)
    parser.add_argument(
        "--lake-version",
        type=int,
        default=None,
        help="show the lake as of this version (default: the newest)",
    )


def _load(args: argparse.Namespace, console: Console) -> int:
    paths = spec_paths(args.specs)
    if not paths:
        console.print(f"no mapping specs under {args.specs}")
        return 2
    options = LoadOptions(
        allow_shrink=args.allow_shrink, max_shrink=args.max_shrink, lock_timeout=args.lock_timeout
    )
    with rust_panics_filtered() as stderr:
        reporter: Reporter = (
            SilentReporter(warnings_to=Console(file=stderr))
            if args.quiet
            else RichReporter(console=console)
        )
        for path in paths:
            load_site(
                path,
                lake_root=args.lake,
                key_file=args.key_file,
                reporter=reporter,
                options=options,
            )
    return 0


def _vacuum(args: argparse.Namespace, console: Console) -> int:
    stderr = Console(stderr=True)
    with lake_lock(
        args.lake,
        timeout=args.lock_timeout,
        on_wait=lambda m: stderr.print(f"[yellow]warning:[/] {m}", highlight=False),
    ):
        try:
            history = open_lake(args.lake).history()
        except LakeError:
            console.print(f"no lake version at {args.lake}: nothing to vacuum")
            return 0
        cutoff = datetime.now(UTC) - timedelta(days=args.retain_days)
        recent = history.filter(pl.col("committed_at") >= cutoff).get_column("lake_version")
        unknown = sorted(set(args.pin) - set(history.get_column("lake_version").to_list()))
        if unknown:
            raise UnknownVersionError(f"--pin names lake version(s) that do not exist: {unknown}")
        keep = {*recent.to_list(), *args.pin}
        removed = vacuum_lake(args.lake, keep=keep, dry_run=args.dry_run)
    size = sum(stored.size for stored in removed) if args.dry_run else None
    verb = "would delete" if args.dry_run else "deleted"
    extra = f" ({size:,} bytes)" if size is not None else ""
    kept = ", ".join(str(v) for v in sorted(keep)) or "the newest only"
    console.print(
        f"{verb} {len(removed)} unreferenced data file(s){extra}; lake versions kept: {kept} "
        "(and the newest); older versions can no longer be read"
    )
    return 0


def _upkeep(args: argparse.Namespace, console: Console) -> int:
    stderr = Console(stderr=True)
    started = time.perf_counter()
    with lake_lock(
        args.lake,
        timeout=args.lock_timeout,
        on_wait=lambda m: stderr.print(f"[yellow]warning:[/] {m}", highlight=False),
    ):
        report = optimize_lake(
            args.lake,
            args.operation,
            sites=None if args.site is None else tuple(args.site),
            target_size=None if args.target_mb is None else args.target_mb * 1024 * 1024,
        )
    console.print(describe(report), highlight=False)
    console.print(f"{args.operation} took {time.perf_counter() - started:.2f} s", highlight=False)
    return 0


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def _status(args: argparse.Namespace, console: Console) -> int:
    status = read_log(
        args.lake, SITE_STATUS_TABLE, time_column="reached_at", lake_version=args.lake_version
    )
    log = read_log(
        args.lake, LOAD_LOG_TABLE, time_column="finished_at", lake_version=args.lake_version
    )
    if log is None:
        console.print(f"no load has run against {args.lake}")
        return 0
    last = (
        log.sort("finished_at")
        .group_by("site")
        .last()
        .select(
            "site",
            pl.col("status").alias("last load"),
            pl.col("finished_at").alias("at"),
            "rows_in",
            "rows_quarantined",
            "message",
        )
    )
    frame = last.join(_committed(args.lake, args.lake_version), on="site", how="left")
    if status is not None:
        stage = status.sort("reached_at").group_by("site").last().select("site", "stage")
        frame = stage.join(frame, on="site", how="right")
    _print(console, "site status", frame.sort("site"))
    return 0


def _committed(lake: str, lake_version: int | None) -> pl.DataFrame:
    """Per site, the newest lake version its committed load made and when (from the manifest,
    which is the record of what was committed even when ``_load_log`` is behind)."""
    empty = pl.DataFrame(
        schema={"site": pl.String, "committed version": pl.Int64, "committed at": pl.Datetime}
    )
    try:
        history = open_lake(lake, lake_version).history()
    except LakeError:
        return empty
    return (
        history.sort("lake_version")
        .group_by("site")
        .last()
        .select(
            "site",
            pl.col("lake_version").alias("committed version"),
            pl.col("committed_at").alias("committed at"),
        )
    )


def _show_table(args: argparse.Namespace, console: Console) -> int:
    frame = open_lake(args.lake, args.lake_version).scan(args.table)
    if args.site is not None:
        frame = frame.filter(pl.col("site") == args.site)
    shown = frame.drop("load_id").head(args.limit).collect()
    _print(console, f"{args.table} (first {args.limit})", shown)
    return 0


def _print(console: Console, title: str, frame: pl.DataFrame) -> None:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(column)
    for row in frame.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
