"""Load one site: spec -> read -> map -> pseudonymise -> validate -> one new lake version.

The expensive work (reading, mapping, checks) runs without any lock, so two sites load in
parallel; only the Delta write phase takes the per-lake lock (:func:`lake.storage.lake_lock`).
A load is idempotent: when the sources' SHA-256 digests, the spec version and the pseudonym
key's fingerprint (:func:`loaders.pseudonym.key_fingerprint`, never the key) equal those the
lake manifest recorded for the site's last committed load
(:func:`lake.storage.last_site_metadata`), nothing is written and the lake version does not
change. The check runs before the expensive work and again under the lock, where it decides.
A corrected file or spec replaces all of that site's rows in every clinical table (a table the
spec no longer feeds is emptied for the site) in one new lake version; other sites'
partitions are never touched.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import polars as pl
from lake.errors import ConfigError, HemalakeError
from lake.storage import (
    append_rows,
    commit_site_load,
    lake_lock,
    last_site_metadata,
    open_lake,
)

from loaders.data_queries import run_data_queries
from loaders.prepare import read_and_map
from loaders.pseudonym import key_fingerprint, load_key
from loaders.readers import source_digest
from loaders.reporting import Reporter, SilentReporter
from loaders.result import LoadResult
from loaders.spec import SiteSpec, declared_site, parse_spec
from loaders.system_tables import LOAD_LOG, SITE_STAGES, SITE_STATUS, LoadStatus, SiteStage
from loaders.validate import Validated, validate

__all__ = ["LOADER_VERSION", "load_site", "read_and_map"]

logger = logging.getLogger(__name__)

LOADER_VERSION: Final = "1.0.0"
LOAD_LOG_TABLE: Final = "_load_log"
SITE_STATUS_TABLE: Final = "_site_status"
QUARANTINE_TABLE: Final = "_quarantine"
DATA_QUERIES_TABLE: Final = "_data_queries"


def load_site(
    spec_path: Path | str,
    *,
    lake_root: Path | str,
    key_file: Path | str | None = None,
    reporter: Reporter | None = None,
) -> LoadResult:
    """Load the site described by the mapping spec at ``spec_path`` into the lake.

    Raises
    ------
    ConfigError
        The spec or the pseudonym key is invalid: no data is written, but the failure is
        logged in ``_load_log`` under the spec's site when its ``site`` can still be read.
    SourceError
        A declared file or column cannot be read (the failure is logged in ``_load_log``).
    LoadError
        The Delta write failed; the previous lake version is intact.
    """
    reporter = reporter or SilentReporter()
    lake_root = Path(lake_root)
    load_id = uuid.uuid4().hex
    spec = _parse_or_log(spec_path, lake_root=lake_root, load_id=load_id)
    stages = _Stages(spec.site, load_id, reporter)
    reporter.start(spec.site, stages=len(SITE_STAGES))
    digests: dict[str, str] = {}
    fingerprint: str | None = None
    try:
        key = load_key(key_file, lake_root=lake_root)
        fingerprint = key_fingerprint(key)
        stages.reach("registered", f"spec {spec.path.name} version {spec.spec_version}")
        digests = {f.name: source_digest(f) for f in spec.files}
        unchanged = _unchanged_version(lake_root, spec, digests, fingerprint)
        if unchanged is not None:
            result = LoadResult(
                spec.site, stages.load_id, "unchanged", unchanged, spec.spec_version
            )
            reporter.finish(result)
            return result
        parts = read_and_map(spec, key)
        stages.reach("uploaded", f"{len(spec.files)} file(s) read")
        stages.reach("mapped", f"{len(parts)} table part(s) mapped and pseudonymised")
        validated = validate(parts, site=spec.site, load_id=stages.load_id)
        queries = run_data_queries(validated.keyed, site=spec.site, load_id=stages.load_id)
        stages.reach("validated", f"{validated.quarantine.height} quarantine issue(s)")
        result = _commit(
            lake_root,
            spec,
            stages,
            digests=digests,
            fingerprint=fingerprint,
            validated=validated,
            queries=queries,
        )
    except HemalakeError as exc:
        _record_failure(lake_root, spec, stages, digests=digests, fingerprint=fingerprint, exc=exc)
        raise
    reporter.finish(result)
    return result


class _Stages:
    """The onboarding stages a load reached, for ``_site_status`` and the reporter."""

    def __init__(self, site: str, load_id: str, reporter: Reporter) -> None:
        self.site = site
        self.load_id = load_id
        self.started_at = datetime.now(UTC)
        self._reporter = reporter
        self._rows: list[tuple[str, datetime, str]] = []

    @property
    def reached(self) -> bool:
        """Whether any stage was reached (a load failing on its key reaches none)."""
        return bool(self._rows)

    def reach(self, stage: SiteStage, detail: str) -> None:
        self._rows.append((stage, datetime.now(UTC), detail))
        self._reporter.stage(stage)

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "site": [self.site] * len(self._rows),
                "load_id": [self.load_id] * len(self._rows),
                "stage": [r[0] for r in self._rows],
                "reached_at": [r[1] for r in self._rows],
                "detail": [r[2] for r in self._rows],
            },
            schema=SITE_STATUS,
        )


def _parse_or_log(spec_path: Path | str, *, lake_root: Path, load_id: str) -> SiteSpec:
    """The parsed spec; a spec error is logged under the spec's site (if readable), re-raised."""
    try:
        return parse_spec(spec_path)
    except ConfigError as exc:
        declared = declared_site(spec_path)
        if declared is None:
            raise ConfigError(
                f"{exc} (not recorded in the lake's _load_log: the spec's site code cannot "
                "be read; fix the spec and reload)"
            ) from exc
        site, spec_version = declared
        now = datetime.now(UTC)
        with lake_lock(lake_root):
            append_rows(
                lake_root,
                LOAD_LOG_TABLE,
                _log_row(
                    site=site,
                    load_id=load_id,
                    status="failed",
                    started_at=now,
                    spec_version=spec_version,
                    message=f"invalid mapping spec: {exc}",
                ),
            )
        raise


def _unchanged_version(
    lake_root: Path, spec: SiteSpec, digests: dict[str, str], fingerprint: str
) -> int | None:
    """The current lake version if the site's last committed load, as the manifest records it,
    had these inputs (sources, spec version and pseudonym key)."""
    recorded = last_site_metadata(lake_root, spec.site)
    if recorded is None:
        return None
    same = (
        recorded.get("spec_version") == spec.spec_version
        and json.loads(recorded.get("source_digests", "{}")) == digests
        and recorded.get("key_fingerprint") == fingerprint
    )
    return open_lake(lake_root).version if same else None


def _commit(
    lake_root: Path,
    spec: SiteSpec,
    stages: _Stages,
    *,
    digests: dict[str, str],
    fingerprint: str,
    validated: Validated,
    queries: pl.DataFrame,
) -> LoadResult:
    counts = validated.counts
    metadata = {
        "spec_version": spec.spec_version,
        "loader_version": LOADER_VERSION,
        "source_digests": json.dumps(digests, sort_keys=True),
        "key_fingerprint": fingerprint,
        "row_counts": json.dumps({t: f.height for t, f in validated.tables.items()}),
    }
    tables = {
        **validated.tables,
        QUARANTINE_TABLE: validated.quarantine,
        DATA_QUERIES_TABLE: queries,
    }
    with lake_lock(lake_root):
        unchanged = _unchanged_version(lake_root, spec, digests, fingerprint)
        if unchanged is not None:  # an identical load committed while this one was mapping
            return LoadResult(spec.site, stages.load_id, "unchanged", unchanged, spec.spec_version)
        version = commit_site_load(
            lake_root, site=spec.site, load_id=stages.load_id, tables=tables, metadata=metadata
        )
        stages.reach("finalised", f"lake version {version}")
        _log(
            lake_root,
            spec,
            stages,
            digests=digests,
            fingerprint=fingerprint,
            status="committed",
            version=version,
            counts=counts,
        )
        append_rows(lake_root, SITE_STATUS_TABLE, stages.frame())
    issues = validated.quarantine.group_by("check").len()
    return LoadResult(
        site=spec.site,
        load_id=stages.load_id,
        status="committed",
        lake_version=version,
        spec_version=spec.spec_version,
        counts=counts,
        issues_by_check=dict(zip(issues["check"].to_list(), issues["len"].to_list(), strict=True)),
        data_queries=queries.height,
    )


def _record_failure(
    lake_root: Path,
    spec: SiteSpec,
    stages: _Stages,
    *,
    digests: dict[str, str],
    fingerprint: str | None,
    exc: Exception,
) -> None:
    with lake_lock(lake_root):
        _log(
            lake_root,
            spec,
            stages,
            digests=digests,
            fingerprint=fingerprint,
            status="failed",
            message=str(exc),
        )
        if stages.reached:
            append_rows(lake_root, SITE_STATUS_TABLE, stages.frame())


def _log(
    lake_root: Path,
    spec: SiteSpec,
    stages: _Stages,
    *,
    digests: dict[str, str],
    fingerprint: str | None,
    status: LoadStatus,
    version: int | None = None,
    counts: pl.DataFrame | None = None,
    message: str = "",
) -> None:
    def total(column: str) -> int | None:
        return None if counts is None else int(counts.get_column(column).sum())

    row = _log_row(
        site=spec.site,
        load_id=stages.load_id,
        status=status,
        started_at=stages.started_at,
        spec_version=spec.spec_version,
        digests=digests,
        fingerprint=fingerprint,
        version=version,
        totals=(total("rows_in"), total("rows_accepted"), total("rows_quarantined")),
        message=message,
    )
    append_rows(lake_root, LOAD_LOG_TABLE, row)


def _log_row(
    *,
    site: str,
    load_id: str,
    status: LoadStatus,
    started_at: datetime,
    spec_version: str | None,
    digests: dict[str, str] | None = None,
    fingerprint: str | None = None,
    version: int | None = None,
    totals: tuple[int | None, int | None, int | None] = (None, None, None),
    message: str,
) -> pl.DataFrame:
    """One ``_load_log`` row (:data:`loaders.system_tables.LOAD_LOG`)."""
    return pl.DataFrame(
        {
            "site": [site],
            "load_id": [load_id],
            "status": [status],
            "started_at": [started_at],
            "finished_at": [datetime.now(UTC)],
            "lake_version": [version],
            "spec_version": [spec_version],
            "loader_version": [LOADER_VERSION],
            "source_digests": [json.dumps(digests or {}, sort_keys=True)],
            "key_fingerprint": [fingerprint],
            "rows_in": [totals[0]],
            "rows_accepted": [totals[1]],
            "rows_quarantined": [totals[2]],
            "message": [message],
        },
        schema=LOAD_LOG,
    )
