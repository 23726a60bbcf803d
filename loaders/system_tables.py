"""Schemas of the lake's system tables written by the loader (``_quarantine``, ``_load_log``,
``_site_status``, ``_data_queries``, ``_query_events``, ``_site_onboarding``); ``_manifest``
belongs to :mod:`lake.storage`."""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

QUARANTINE: Final = pl.Schema(
    {
        "site": pl.String(),
        "load_id": pl.String(),
        "source_file": pl.String(),
        "row": pl.Int64(),
        "table": pl.String(),
        "check": pl.String(),
        "column": pl.String(),
        "message": pl.String(),
        "patient_id": pl.String(),
    }
)

LoadStatus = Literal["committed", "unchanged", "failed"]
LOAD_LOG: Final = pl.Schema(
    {
        "site": pl.String(),
        "load_id": pl.String(),
        "status": pl.String(),
        "started_at": pl.Datetime("us", "UTC"),
        "finished_at": pl.Datetime("us", "UTC"),
        "lake_version": pl.Int64(),
        "spec_version": pl.String(),
        "loader_version": pl.String(),
        "source_digests": pl.String(),
        "key_fingerprint": pl.String(),
        "rows_in": pl.Int64(),
        "rows_accepted": pl.Int64(),
        "rows_quarantined": pl.Int64(),
        "message": pl.String(),
    }
)

#: Onboarding stages of a site, in order (the status table holds the latest stage reached).
SiteStage = Literal["registered", "uploaded", "mapped", "validated", "finalised"]
SITE_STAGES: Final[tuple[SiteStage, ...]] = (
    "registered",
    "uploaded",
    "mapped",
    "validated",
    "finalised",
)
SITE_STATUS: Final = pl.Schema(
    {
        "site": pl.String(),
        "load_id": pl.String(),
        "stage": pl.String(),
        "reached_at": pl.Datetime("us", "UTC"),
        "detail": pl.String(),
    }
)

DATA_QUERIES: Final = pl.Schema(
    {
        "site": pl.String(),
        "load_id": pl.String(),
        "query": pl.String(),
        "patient_id": pl.String(),
        "table": pl.String(),
        "message": pl.String(),
        "query_id": pl.String(),
        "field": pl.String(),
        "value": pl.String(),
        "expected": pl.String(),
        "source_file": pl.String(),
        "source_column": pl.String(),
    }
)

#: States of a data query; ``closed`` has a reason (``resolved`` by a load or ``waived``).
QueryState = Literal["open", "answered", "closed"]
QUERY_EVENTS: Final = pl.Schema(
    {
        "query_id": pl.String(),
        "site": pl.String(),
        "query": pl.String(),
        "patient_id": pl.String(),
        "state": pl.String(),
        "reason": pl.String(),
        "note": pl.String(),
        "by": pl.String(),
        "at": pl.Datetime("us", "UTC"),
        "load_id": pl.String(),
    }
)

#: Manual onboarding states the data centre sets beside the automatic stages (``active``
#: clears them).
OnboardingState = Literal["on_hold", "transferring", "waiting", "active"]
ONBOARDING_STATES: Final[tuple[OnboardingState, ...]] = (
    "on_hold",
    "transferring",
    "waiting",
    "active",
)
SITE_ONBOARDING: Final = pl.Schema(
    {
        "site": pl.String(),
        "state": pl.String(),
        "note": pl.String(),
        "expected_cases": pl.Int64(),
        "by": pl.String(),
        "at": pl.Datetime("us", "UTC"),
    }
)
