"""The ``hemalake analyse`` subcommand: run a named study analysis against a lake directly and
write its report (HTML, CSV, Arrow) into a directory.

A data-centre tool: it opens the lake itself (a directory or ``s3://bucket/prefix``), so it
runs as the governed role ``statistician`` (exact answers under the minimum cell size, as a
statistician under a data-sharing agreement gets them from the API), under the user name
``cli:<login>``. Every question is audited like any query, into a JSON-lines audit log beside
the lake (``<lake>-audit.jsonl``, never inside it, as the privacy ledger; for
``s3://bucket/prefix`` the sibling prefix ``s3://bucket/prefix-audit``, one object per batch)
unless ``--audit-log`` names another file or prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.metadata
from pathlib import Path
from typing import Final

from rich.console import Console

from lake.access import Caller
from lake.analyses.definition import definition_names, load_definition
from lake.analyses.report import Report
from lake.disclosure import DisclosurePolicy
from lake.errors import ConfigError
from lake.location import LakeLocation, locate
from lake.query.gateway import LakeGateway
from lake.storage import LakeOpener, LakeRoot
from schema.analyses import run_analysis
from schema.context import Context
from schema.schema import build_schema
from service.audit import JsonLinesAuditSink, audit_target

#: The role the command runs as: governed (exact answers), the data centre's own.
CLI_ROLE: Final = "statistician"


def default_audit_log(lake: LakeRoot) -> Path | LakeLocation:
    """Beside the lake, never inside it: ``<lake>-audit.jsonl`` for a directory, the sibling
    prefix ``s3://bucket/<prefix>-audit`` (same storage options) for a lake on object storage.

    Raises
    ------
    ConfigError
        A lake at a bucket's root has no place beside it: the audit log must be named.
    """
    location = locate(lake)
    local = location.local
    if local is not None:
        root = local.resolve()
        return root.parent / f"{root.name}-audit.jsonl"
    if "/" not in location.url.split("://", 1)[1]:
        raise ConfigError(
            f"the lake {location} is a bucket's root, so no audit log fits beside it: give "
            "--audit-log (a file, or s3://bucket/prefix outside the lake)"
        )
    return LakeLocation(f"{location.url}-audit", location.storage_options)


def analyse(
    name: str,
    *,
    lake: LakeRoot,
    lake_version: int | None = None,
    audit_log: Path | LakeLocation | None = None,
    min_cell_size: int | None = None,
) -> Report:
    """Run the analysis ``name`` on the lake at ``lake`` (a directory or URL) as the CLI's
    governed caller."""
    definition = load_definition(name)
    audit = JsonLinesAuditSink(audit_log or default_audit_log(lake))
    policy = DisclosurePolicy() if min_cell_size is None else DisclosurePolicy(min_cell_size)
    gateway = LakeGateway(
        open_snapshot=LakeOpener(lake),
        policy=policy,
        audit=audit,
        software_version=importlib.metadata.version("hemalake"),
    )
    schema = build_schema()
    caller = Caller(user=f"cli:{getpass.getuser()}", role=CLI_ROLE)
    try:
        return asyncio.run(
            run_analysis(
                schema,
                lambda: Context.for_request(caller=caller, gateway=gateway, audit=audit),
                definition,
                lake_version=lake_version,
            )
        )
    finally:
        audit.close()


def write_report(report: Report, out: Path) -> list[Path]:
    """Write every file of ``report`` into ``out`` (created); the paths written, sorted."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, content in sorted(report.files().items()):
        path = out / file_name
        path.write_bytes(content)
        written.append(path)
    return written


def _analyse(args: argparse.Namespace, console: Console) -> int:
    if args.name is None:
        for name in definition_names():
            definition = load_definition(name)
            console.print(f"{name} (version {definition.version}): {definition.title}")
        return 0
    if args.lake is None:
        console.print("[red]error:[/] give --lake DIR or URL (the lake to analyse)")
        return 2
    report = analyse(
        args.name,
        lake=args.lake,
        lake_version=args.lake_version,
        audit_log=None if args.audit_log is None else audit_target(args.audit_log),
    )
    out = args.out or Path(f"{args.name}-lake{report.stamp.lake_version}")
    written = write_report(report, out)
    console.print(
        f"{args.name} v{report.definition.version} on lake version {report.stamp.lake_version}"
        f" ({CLI_ROLE}): {len(written)} files in {out}/ (open {out / 'report.html'})"
    )
    refused = [t for t in report.tables if t.frame is None]
    for table in refused:
        console.print(f"[yellow]not answered:[/] {table.name}: {table.missing}", highlight=False)
    return 1 if refused else 0


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``analyse`` on the ``hemalake`` command's subparsers."""
    parser = subparsers.add_parser(
        "analyse",
        help="run a named study analysis on a lake and write its report (HTML, CSV, Arrow)",
        description=f"Without NAME, list the analyses. Runs as the governed role {CLI_ROLE}; "
        "each question is audited into --audit-log (default: <lake>-audit.jsonl, or the "
        "prefix s3://bucket/<prefix>-audit beside an S3 lake; S3 settings: the AWS_* "
        "environment).",
    )
    parser.add_argument("name", nargs="?", default=None, help="the analysis (omit to list them)")
    parser.add_argument(
        "--lake", default=None, help="lake root: a directory, file:///path or s3://bucket/prefix"
    )
    parser.add_argument(
        "--lake-version", type=int, default=None, help="pin a lake version (default: newest)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="report directory (default: NAME-lakeN)"
    )
    parser.add_argument(
        "--audit-log", default=None, help="audit log: a JSON-lines file or s3://bucket/prefix"
    )
    parser.set_defaults(handler=_analyse)
