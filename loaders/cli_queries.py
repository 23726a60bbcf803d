"""Command-line side of the data manager's loop: ``queries`` (list, form, reidentify, answer,
waive, history) and ``onboarding``.

At the data centre: ``hemalake queries form --site S --lake L --out F.xlsx`` exports a site's
open and answered queries; ``queries answer --lake L --form F`` (or ``ID --reply TEXT``)
records the site's replies; ``queries waive`` closes a query with a reason; ``queries history``
lists every transition. At the site, without the lake: ``queries reidentify FORM --spec
mapping.yaml`` adds the site's patient ids from its re-identification list (``--remove`` takes
them out again before the form goes back). Every write to the lake's logs takes the lake lock.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from lake.errors import ConfigError
from lake.storage import append_rows, lake_lock, open_lake, read_latest
from rich.console import Console

from loaders.cli_table import print_frame
from loaders.query_forms import form_frame, read_form, read_replies, write_form
from loaders.query_lifecycle import (
    LIVE_STATES,
    QUERY_EVENTS_TABLE,
    answer_transitions,
    current_states,
    waive_transition,
)
from loaders.reidentification import reidentify, remove_ids, site_id_column
from loaders.spec import parse_spec
from loaders.system_tables import ONBOARDING_STATES, SITE_ONBOARDING

SITE_ONBOARDING_TABLE = "_site_onboarding"
_STATE_CHOICES = ("live", "open", "answered", "closed", "all")


def add_query_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``queries`` (with its sub-commands) and ``onboarding`` on ``subparsers``."""
    queries = subparsers.add_parser("queries", help="data queries per site and their lifecycle")
    queries.add_argument("--lake", type=Path, default=None, help="lake root directory")
    queries.add_argument("--site", default=None, help="only this site")
    queries.add_argument(
        "--state",
        choices=_STATE_CHOICES,
        default="live",
        help="which queries (default live: open or answered)",
    )
    queries.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    queries.set_defaults(handler=_list)
    commands = queries.add_subparsers(dest="queries_command")

    form = commands.add_parser("form", help="export a site's open queries as an XLSX or CSV form")
    form.add_argument("--lake", type=Path, required=True, help="lake root directory")
    form.add_argument("--site", required=True, help="the site")
    form.add_argument("--out", type=Path, required=True, help="the form file (.xlsx or .csv)")
    form.set_defaults(handler=_form)

    local = commands.add_parser(
        "reidentify", help="at the site: add the site's patient ids to a form (no lake needed)"
    )
    local.add_argument("form", type=Path, help="the query form (.xlsx or .csv)")
    local.add_argument("--spec", type=Path, required=True, help="the site's mapping spec")
    local.add_argument("--out", type=Path, default=None, help="default: FORM-site.EXT")
    local.add_argument(
        "--remove", action="store_true", help="remove the ids again (before sending it back)"
    )
    local.set_defaults(handler=_reidentify)

    answer = commands.add_parser("answer", help="record a site's replies")
    answer.add_argument("--lake", type=Path, required=True, help="lake root directory")
    answer.add_argument("query_id", nargs="?", default=None, help="one query's id (with --reply)")
    answer.add_argument("--reply", default=None, help="the site's reply to QUERY_ID")
    answer.add_argument("--form", type=Path, default=None, help="an answered form instead")
    _by_argument(answer)
    answer.set_defaults(handler=_answer)

    waive = commands.add_parser("waive", help="close a query as waived by the data centre")
    waive.add_argument("--lake", type=Path, required=True, help="lake root directory")
    waive.add_argument("query_id", help="the query's id")
    waive.add_argument("--reason", required=True, help="why (kept in the history)")
    _by_argument(waive)
    waive.set_defaults(handler=_waive)

    history = commands.add_parser("history", help="every transition of the data queries")
    history.add_argument("--lake", type=Path, required=True, help="lake root directory")
    history.add_argument("--site", default=None, help="only this site")
    history.add_argument("--query-id", default=None, help="only this query")
    history.set_defaults(handler=_history)

    onboarding = subparsers.add_parser(
        "onboarding", help="set a site's manual onboarding state, note or expected case count"
    )
    onboarding.add_argument("--lake", type=Path, required=True, help="lake root directory")
    onboarding.add_argument("--site", required=True, help="the site")
    onboarding.add_argument(
        "--state", choices=ONBOARDING_STATES, default=None, help="active clears a manual state"
    )
    onboarding.add_argument("--note", default=None, help="why, or what the site waits for")
    onboarding.add_argument(
        "--expected-cases", type=_count, default=None, help="cases the site is expected to send"
    )
    _by_argument(onboarding)
    onboarding.set_defaults(handler=_onboarding)


def _by_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", default=None, help="who (default: the login name)")


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of cases")
    return value


def _who(args: argparse.Namespace) -> str:
    """``--by``, else the login name (``unknown`` where the system has none, as in some
    containers)."""
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _queries(lake: Path, site: str | None) -> pl.DataFrame:
    """The newest lake version's data queries with their current state."""
    found = open_lake(lake).scan("_data_queries").collect()
    if site is not None:
        found = found.filter(pl.col("site") == site)
    states = current_states(read_latest(lake, QUERY_EVENTS_TABLE))
    return found.join(states.select("query_id", "state", "reason"), on="query_id", how="left")


def _list(args: argparse.Namespace, console: Console) -> int:
    if args.lake is None:
        raise ConfigError("hemalake queries needs --lake DIR")
    frame = _queries(args.lake, args.site)
    if args.state == "live":
        frame = frame.filter(pl.col("state").is_in(LIVE_STATES))
    elif args.state != "all":
        frame = frame.filter(pl.col("state") == args.state)
    shown = frame.select(
        "site",
        "query_id",
        "state",
        "query",
        "patient_id",
        "source_file",
        pl.coalesce("source_column", "field").alias("column"),
        "value",
        "message",
    ).head(args.limit)
    print_frame(console, f"data queries ({args.state}, first {args.limit})", shown)
    return 0


def _form(args: argparse.Namespace, console: Console) -> int:
    queries = open_lake(args.lake).scan("_data_queries").collect()
    queries = queries.filter(pl.col("site") == args.site)
    form = form_frame(queries, current_states(read_latest(args.lake, QUERY_EVENTS_TABLE)))
    write_form(form, args.out)
    console.print(
        f"{form.height} open or answered data quer(ies) of {args.site} written to {args.out}; "
        f"the site adds its patient ids with `hemalake queries reidentify {args.out.name} "
        "--spec mapping.yaml`"
    )
    return 0


def _reidentify(args: argparse.Namespace, console: Console) -> int:
    spec = parse_spec(args.spec)
    form = read_form(args.form)
    out: Path = args.out or args.form.with_name(f"{args.form.stem}-site{args.form.suffix}")
    if args.remove:
        write_form(remove_ids(form, spec), out)
        console.print(f"{out}: the form without the site's patient ids, ready to send back")
        return 0
    resolved = reidentify(form, spec)
    write_form(resolved, out)
    unknown = resolved.filter(pl.col(site_id_column(spec)).is_null())
    console.print(
        f"{out}: {resolved.height - unknown.height} of {resolved.height} row(s) with the "
        "site's patient id. Keep this file at the site; send back the replies with "
        "`--remove`"
        + (
            f"; {unknown.height} pseudonym(s) are not in the list (was the form exported "
            "after another load of the site?)"
            if unknown.height
            else ""
        )
    )
    return 0


def _answer(args: argparse.Namespace, console: Console) -> int:
    if (args.form is None) == (args.query_id is None):
        raise ConfigError("give either QUERY_ID with --reply, or --form FILE")
    if args.form is not None:
        replies = read_replies(args.form)
    else:
        if not (args.reply or "").strip():
            raise ConfigError("--reply TEXT is needed with a query id")
        replies = pl.DataFrame({"query_id": [args.query_id], "reply": [args.reply]})
    with lake_lock(args.lake):
        states = current_states(read_latest(args.lake, QUERY_EVENTS_TABLE))
        transitions = answer_transitions(replies, states, by=_who(args), at=datetime.now(UTC))
        if not transitions.is_empty():
            append_rows(args.lake, QUERY_EVENTS_TABLE, transitions)
    console.print(f"{transitions.height} repl(ies) recorded; those queries are answered")
    return 0


def _waive(args: argparse.Namespace, console: Console) -> int:
    with lake_lock(args.lake):
        states = current_states(read_latest(args.lake, QUERY_EVENTS_TABLE))
        row = waive_transition(
            args.query_id, args.reason, states, by=_who(args), at=datetime.now(UTC)
        )
        append_rows(args.lake, QUERY_EVENTS_TABLE, row)
    console.print(f"query {args.query_id} closed (waived): {args.reason}")
    return 0


def _history(args: argparse.Namespace, console: Console) -> int:
    events = read_latest(args.lake, QUERY_EVENTS_TABLE)
    if events is None:
        console.print(f"no data query has been recorded in {args.lake}")
        return 0
    if args.site is not None:
        events = events.filter(pl.col("site") == args.site)
    if args.query_id is not None:
        events = events.filter(pl.col("query_id") == args.query_id)
    shown = events.sort("at").select(
        "at", "site", "query_id", "query", "state", "reason", "note", "by"
    )
    print_frame(console, "data query history", shown)
    return 0


def _onboarding(args: argparse.Namespace, console: Console) -> int:
    if args.state is None and args.note is None and args.expected_cases is None:
        raise ConfigError("give --state, --note or --expected-cases")
    row = pl.DataFrame(
        {
            "site": [args.site],
            "state": [args.state],
            "note": [args.note],
            "expected_cases": [args.expected_cases],
            "by": [_who(args)],
            "at": [datetime.now(UTC)],
        },
        schema=SITE_ONBOARDING,
    )
    with lake_lock(args.lake):
        append_rows(args.lake, SITE_ONBOARDING_TABLE, row)
    console.print(f"{args.site}: onboarding recorded (see `hemalake status --lake {args.lake}`)")
    return 0


def onboarding_view(lake: Path) -> pl.DataFrame | None:
    """Per site, the newest manual state (``active`` shows as none), its note, and the newest
    expected case count; ``None`` if nothing was recorded."""
    recorded = read_latest(lake, SITE_ONBOARDING_TABLE)
    if recorded is None:
        return None
    latest = recorded.sort("at").group_by("site", maintain_order=True)
    return latest.agg(
        pl.col("state").drop_nulls().last().alias("manual state"),
        pl.col("note").drop_nulls().last().alias("note"),
        pl.col("expected_cases").drop_nulls().last().alias("expected"),
    ).with_columns(
        pl.when(pl.col("manual state") != "active")
        .then(pl.col("manual state"))
        .alias("manual state")
    )
