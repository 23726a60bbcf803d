"""The lake itself as plain records: sites and their loads, lake versions, data quality, queries.

Pure functions over the system tables the loaders write (``_site_status``, ``_load_log``,
``_manifest``, ``_quarantine``, ``_data_queries``; schemas in ``loaders/system_tables.py``),
read at the edge by :mod:`lake.storage`. Released through :class:`lake.query.gateway.LakeGateway`:
everything here is lake metadata except :func:`data_queries`, which names pseudonymised patients
and is a *site operation* (data managers of that site, administrators), and the full message of
a failed load, which may quote source values and is released with site operations only: other
callers get :func:`without_messages` (the class of failure, from the last stage the load
reached).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Final

import polars as pl

#: What a load that failed after each onboarding stage was doing (the stages of
#: ``loaders/system_tables.py``; ``None``: no stage reached). Worded from the loader's steps, so
#: they never quote a source value.
FAILURE_CLASSES: Final[dict[str | None, str]] = {
    None: "the mapping spec or the pseudonymisation key could not be used",
    "registered": "reading or mapping the source files failed",
    "uploaded": "reading or mapping the source files failed",
    "mapped": "validating the mapped rows failed",
    "validated": "writing the load to the lake failed",
    "finalised": "recording the load failed",
}


@dataclass(frozen=True, slots=True)
class LoadRecord:
    """One load attempt of a site (committed, unchanged or failed).

    ``message`` is the loader's full message (site operations only, see the module docstring);
    ``failure`` the class of failure of a failed load, for everyone.
    """

    load_id: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime
    lake_version: int | None
    spec_version: str | None
    rows_in: int | None
    rows_accepted: int | None
    rows_quarantined: int | None
    message: str | None
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class SiteRecord:
    """A site: the onboarding stage it last reached and its load history, newest first."""

    site: str
    stage: str
    reached_at: dt.datetime
    loads: tuple[LoadRecord, ...]


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One lake version: the load that made it and the Delta version of each table."""

    lake_version: int
    committed_at: dt.datetime
    site: str
    load_id: str
    table_versions: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class QualityCount:
    """Quarantined rows of one site, table and check (a count, no patient data).

    A protected release has ``table`` and ``check`` ``None``: ``n`` then counts the site's
    patients with any quarantined row (noised; see :func:`lake.privacy.counts.quality_plan`).
    """

    site: str
    table: str | None
    check: str | None
    n: int | None


@dataclass(frozen=True, slots=True)
class DataQuery:
    """One open data query a site must answer (pseudonymised patient id)."""

    site: str
    query: str
    patient_id: str | None
    table: str | None
    message: str


def sites(status: pl.DataFrame | None, log: pl.DataFrame | None) -> tuple[SiteRecord, ...]:
    """Every site with its latest onboarding stage and its loads, sorted by site."""
    if status is None or status.is_empty():
        return ()
    latest = status.sort("reached_at").group_by("site", maintain_order=True).last().sort("site")
    loads = pl.DataFrame() if log is None else log.sort("finished_at", descending=True)
    last_stage = _last_stage_by_load(status)
    result = []
    for row in latest.iter_rows(named=True):
        mine = loads.filter(pl.col("site") == row["site"]) if loads.width else loads
        result.append(
            SiteRecord(
                site=row["site"],
                stage=row["stage"],
                reached_at=row["reached_at"],
                loads=tuple(
                    LoadRecord(
                        load_id=r["load_id"],
                        status=r["status"],
                        started_at=r["started_at"],
                        finished_at=r["finished_at"],
                        lake_version=r["lake_version"],
                        spec_version=r["spec_version"],
                        rows_in=r["rows_in"],
                        rows_accepted=r["rows_accepted"],
                        rows_quarantined=r["rows_quarantined"],
                        message=r["message"] or None,
                        failure=FAILURE_CLASSES[last_stage.get(r["load_id"])]
                        if r["status"] == "failed"
                        else None,
                    )
                    for r in mine.iter_rows(named=True)
                ),
            )
        )
    return tuple(result)


def without_messages(record: SiteRecord) -> SiteRecord:
    """``record`` with every load's full message removed (its failure class stays)."""
    return replace(record, loads=tuple(replace(load, message=None) for load in record.loads))


def without_counts(record: SiteRecord) -> SiteRecord:
    """``record`` with every load's row counts removed (protected roles, other sites)."""
    return replace(
        record,
        loads=tuple(
            replace(load, rows_in=None, rows_accepted=None, rows_quarantined=None)
            for load in record.loads
        ),
    )


def _last_stage_by_load(status: pl.DataFrame) -> dict[str, str]:
    last = status.sort("reached_at").group_by("load_id", maintain_order=True).last()
    return dict(zip(last.get_column("load_id"), last.get_column("stage"), strict=True))


def versions(history: pl.DataFrame) -> tuple[VersionRecord, ...]:
    """The manifest rows as version records, newest first."""
    return tuple(
        VersionRecord(
            lake_version=r["lake_version"],
            committed_at=r["committed_at"],
            site=r["site"],
            load_id=r["load_id"],
            table_versions=tuple(sorted(json.loads(r["table_versions"]).items())),
        )
        for r in history.sort("lake_version", descending=True).iter_rows(named=True)
    )


def data_quality(quarantine: pl.DataFrame, *, site: str | None) -> tuple[QualityCount, ...]:
    """Quarantined rows counted by site, table and check (optionally one site)."""
    rows = quarantine if site is None else quarantine.filter(pl.col("site") == site)
    counts = rows.group_by("site", "table", "check").len().sort("site", "table", "check")
    return tuple(QualityCount(*r) for r in counts.iter_rows())


def data_queries(queries: pl.DataFrame, *, site: str) -> tuple[DataQuery, ...]:
    """The open data queries of ``site``, by query and table."""
    rows = queries.filter(pl.col("site") == site).sort("query", "table", "patient_id")
    return tuple(
        DataQuery(
            site=r["site"],
            query=r["query"],
            patient_id=r["patient_id"],
            table=r["table"],
            message=r["message"],
        )
        for r in rows.iter_rows(named=True)
    )
