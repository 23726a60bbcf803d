"""Command-line subcommands of the loader: ``load``, ``status``, ``queries``, ``quarantine``.

The ``hemalake`` console command (``service/cli.py``) owns the top-level parser and registers
these with :func:`add_subcommands`; ``python -m loaders.cli`` runs them standalone. Every
handler returns the process exit code; user errors (:class:`~lake.errors.HemalakeError`) are
printed as one line and give exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from lake.errors import HemalakeError
from lake.storage import open_lake, read_log
from rich.console import Console
from rich.table import Table

from loaders.load import LOAD_LOG_TABLE, SITE_STATUS_TABLE, load_site
from loaders.reporting import Reporter, RichReporter, SilentReporter


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
    load.set_defaults(handler=_load)

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
    parser.add_argument("--lake", type=Path, required=True, help="lake root directory")
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
    reporter: Reporter = SilentReporter() if args.quiet else RichReporter(console=console)
    for path in paths:
        load_site(path, lake_root=args.lake, key_file=args.key_file, reporter=reporter)
    return 0


def _status(args: argparse.Namespace, console: Console) -> int:
    status = read_log(
        args.lake, SITE_STATUS_TABLE, time_column="reached_at", lake_version=args.lake_version
    )
    log = read_log(
        args.lake, LOAD_LOG_TABLE, time_column="finished_at", lake_version=args.lake_version
    )
    if status is None or log is None:
        console.print(f"no load has run against {args.lake}")
        return 0
    stage = status.sort("reached_at").group_by("site").last().select("site", "stage", "reached_at")
    last = (
        log.sort("finished_at")
        .group_by("site")
        .last()
        .select("site", "status", "lake_version", "rows_in", "rows_quarantined", "message")
    )
    _print(console, "site status", stage.join(last, on="site", how="left").sort("site"))
    return 0


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
