"""The lifecycle of a data query: open -> answered (the site's reply) -> closed.

A query is *open* when a load's check finds it, *answered* when the site's reply is recorded,
and *closed* either because a later load passes the check (reason ``resolved``) or because the
data centre waived it with a reason (``waived``; a waived query stays closed when later loads
find it again). A resolved query that a later load finds again is open again (``reopened``).

Nothing is ever updated in place: every transition is one row appended to ``_query_events``
(:data:`loaders.system_tables.QUERY_EVENTS`: who, when, why), and a query's state is its newest
row (:func:`current_states`). The table sits outside lake versioning like ``_load_log``, since
an answer or a waiver changes no data. A load's transitions are the difference between the
queries it found and the states before it (:func:`load_transitions`), so a load whose
transitions could not be written is caught up by the next one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import polars as pl
from lake.errors import ConfigError

from loaders.system_tables import QUERY_EVENTS, QueryState

QUERY_EVENTS_TABLE: Final = "_query_events"
#: States in which a query still waits for the site or the data centre.
LIVE_STATES: Final[tuple[QueryState, ...]] = ("open", "answered")


def current_states(events: pl.DataFrame | None) -> pl.DataFrame:
    """The newest transition of every query (``QUERY_EVENTS`` columns), from the whole log."""
    if events is None or events.is_empty():
        return QUERY_EVENTS.to_frame()
    return events.sort("at").group_by("query_id", maintain_order=True).last().select(events.columns)


def load_transitions(
    found: pl.DataFrame, states: pl.DataFrame, *, site: str, load_id: str, at: datetime
) -> pl.DataFrame:
    """The transitions a committed load of ``site`` makes: queries it ``found``
    (``_data_queries`` rows) that are not live become open (``found``, or ``reopened`` after a
    resolution; never after a waiver), and live queries it did not find are closed as
    ``resolved``."""
    known = states.filter(pl.col("site") == site)
    live = known.filter(pl.col("state").is_in(LIVE_STATES))
    waived = known.filter((pl.col("state") == "closed") & (pl.col("reason") == "waived"))
    opened = (
        found.join(live.select("query_id"), on="query_id", how="anti")
        .join(waived.select("query_id"), on="query_id", how="anti")
        .select(
            "query_id",
            "site",
            "query",
            "patient_id",
            pl.lit("open").alias("state"),
            pl.when(pl.col("query_id").is_in(known.get_column("query_id").implode()))
            .then(pl.lit("reopened"))
            .otherwise(pl.lit("found"))
            .alias("reason"),
            pl.col("message").alias("note"),
        )
    )
    resolved = live.join(found.select("query_id"), on="query_id", how="anti").select(
        "query_id",
        "site",
        "query",
        "patient_id",
        pl.lit("closed").alias("state"),
        pl.lit("resolved").alias("reason"),
        pl.lit(f"the check passed in load {load_id}").alias("note"),
    )
    return _stamped(pl.concat([opened, resolved]), by=f"load {load_id}", at=at, load_id=load_id)


def answer_transitions(
    replies: pl.DataFrame, states: pl.DataFrame, *, by: str, at: datetime
) -> pl.DataFrame:
    """``answered`` transitions for ``replies`` (``query_id``, ``reply``; empty replies are
    skipped). An answered query may be answered again (the newest reply counts).

    Raises
    ------
    ConfigError
        A query id is unknown, or its query is closed (naming the ids and what to do).
    """
    given = replies.filter(pl.col("reply").str.strip_chars().str.len_chars() > 0)
    matched = given.join(states, on="query_id", how="left")
    _refuse_unknown(matched, "answer")
    closed = matched.filter(pl.col("state") == "closed")
    if not closed.is_empty():
        raise ConfigError(
            f"{closed.height} quer(ies) are already closed and cannot be answered: "
            f"{_ids(closed)}; nothing was recorded. Remove their replies (a corrected load "
            "closed them, or the data centre waived them: `hemalake queries history`)"
        )
    return _stamped(
        matched.select(
            "query_id",
            "site",
            "query",
            "patient_id",
            pl.lit("answered").alias("state"),
            pl.lit("reply").alias("reason"),
            pl.col("reply").str.strip_chars().alias("note"),
        ),
        by=by,
        at=at,
        load_id=None,
    )


def waive_transition(
    query_id: str, reason: str, states: pl.DataFrame, *, by: str, at: datetime
) -> pl.DataFrame:
    """The transition closing ``query_id`` as waived by the data centre, with ``reason``.

    Raises
    ------
    ConfigError
        No reason given, the query id is unknown, or the query is already closed.
    """
    if not reason.strip():
        raise ConfigError("a waiver needs a reason (--reason): it is kept in the query's history")
    matched = pl.DataFrame({"query_id": [query_id]}).join(states, on="query_id", how="left")
    _refuse_unknown(matched, "waive")
    if matched.item(0, "state") == "closed":
        raise ConfigError(
            f"query {query_id} is already closed ({matched.item(0, 'reason')}); nothing to waive"
        )
    return _stamped(
        matched.select(
            "query_id",
            "site",
            "query",
            "patient_id",
            pl.lit("closed").alias("state"),
            pl.lit("waived").alias("reason"),
            pl.lit(reason.strip()).alias("note"),
        ),
        by=by,
        at=at,
        load_id=None,
    )


def _refuse_unknown(matched: pl.DataFrame, verb: str) -> None:
    unknown = matched.filter(pl.col("state").is_null())
    if not unknown.is_empty():
        raise ConfigError(
            f"cannot {verb} {unknown.height} unknown query id(s): {_ids(unknown)}; nothing was "
            "recorded. Use the ids of the query form or of `hemalake queries --lake DIR`"
        )


def _ids(frame: pl.DataFrame) -> str:
    ids = frame.get_column("query_id").to_list()
    return ", ".join(str(i) for i in ids[:10]) + (" ..." if len(ids) > 10 else "")


def _stamped(frame: pl.DataFrame, *, by: str, at: datetime, load_id: str | None) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(by).alias("by"),
        pl.lit(at, QUERY_EVENTS["at"]).alias("at"),
        pl.lit(load_id, pl.String).alias("load_id"),
    ).select(QUERY_EVENTS.names())
