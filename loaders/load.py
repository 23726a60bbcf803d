"""Load one site: spec -> read -> map -> pseudonymise -> validate -> one new lake version.

The expensive work (reading, mapping, checks) runs without any lock, so two sites load in
parallel; only the Delta write phase takes the per-lake lock (:func:`lake.storage.lake_lock`).
A load is idempotent: when the sources' SHA-256 digests, the spec's own SHA-256 and the
pseudonym key's fingerprint (:func:`loaders.pseudonym.key_fingerprint`, never the key) equal
those the lake manifest recorded for the site's last committed load
(:func:`lake.storage.last_site_metadata`), no table is written and the lake version does not
change; the unchanged load is still recorded in ``_load_log``. A spec whose text changed while
its ``spec_version`` did not is loaded, with a warning. The check runs before the expensive
work and again under the lock, where it decides.
A load that would leave the site with fewer patients than ``1 - max_shrink`` of those it has
(a truncated export, a header-only patient file) is refused unless ``allow_shrink``.
A corrected file or spec replaces all of that site's rows in every clinical table (a table the
spec no longer feeds is emptied for the site) in one new lake version; other sites'
partitions are never touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import polars as pl
from deltalake.exceptions import DeltaError
from lake.errors import ConfigError, HemalakeError, LoadError
from lake.location import LakeLocation, locate
from lake.storage import (
    append_rows,
    commit_site_load,
    lake_lock,
    last_site_metadata,
    open_lake,
    remove_failed_load_files,
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

__all__ = ["LOADER_VERSION", "LoadOptions", "load_site", "read_and_map"]

logger = logging.getLogger(__name__)

LOADER_VERSION: Final = "1.0.0"
LOAD_LOG_TABLE: Final = "_load_log"
SITE_STATUS_TABLE: Final = "_site_status"
QUARANTINE_TABLE: Final = "_quarantine"
DATA_QUERIES_TABLE: Final = "_data_queries"
#: The share of a site's patients a load may remove without ``allow_shrink``.
DEFAULT_MAX_SHRINK: Final = 0.2
#: Failures of a log write after the outcome is decided (a full disk, a broken table).
_LOG_ERRORS: Final = (OSError, DeltaError)


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """How cautious a load is: the shrink guard and how long to wait for the lake lock."""

    allow_shrink: bool = False
    max_shrink: float = DEFAULT_MAX_SHRINK
    lock_timeout: float | None = None


def load_site(
    spec_path: Path | str,
    *,
    lake_root: LakeLocation | Path | str,
    key_file: Path | str | None = None,
    reporter: Reporter | None = None,
    options: LoadOptions | None = None,
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
        The Delta write failed, the lake lock was not free in time, or the load would remove
        more patients than ``options.max_shrink`` allows; the previous lake version is intact.
    """
    reporter = reporter or SilentReporter()
    options = options or LoadOptions()
    lake_root = locate(lake_root)
    load_id = uuid.uuid4().hex
    lock = _Lock(lake_root, options.lock_timeout, reporter)
    spec = _parse_or_log(spec_path, lock=lock, load_id=load_id)
    stages = _Stages(spec.site, load_id, reporter)
    reporter.start(spec.site, stages=len(SITE_STAGES))
    inputs = _Inputs(spec, {}, None, hashlib.sha256(spec.path.read_bytes()).hexdigest())
    try:
        key = load_key(key_file, lake_root=lake_root.local)
        inputs = replace(inputs, fingerprint=key_fingerprint(key))
        stages.reach("registered", f"spec {spec.path.name} version {spec.spec_version}")
        inputs = replace(inputs, digests={f.name: source_digest(f) for f in spec.files})
        if inputs.same_as(last_site_metadata(lake_root, spec.site)):
            with lock():
                result = _unchanged(lake_root, inputs, stages)
            reporter.finish(result)
            return result
        parts = read_and_map(spec, key)
        stages.reach("uploaded", f"{len(spec.files)} file(s) read")
        stages.reach("mapped", f"{len(parts)} table part(s) mapped and pseudonymised")
        validated = validate(parts, site=spec.site, load_id=stages.load_id)
        queries = run_data_queries(validated.keyed, site=spec.site, load_id=stages.load_id)
        stages.reach("validated", f"{validated.quarantine.height} quarantine issue(s)")
        result = _commit(
            lock, inputs, stages, validated=validated, queries=queries, options=options
        )
    except HemalakeError as exc:
        unrecorded = _record_failure(lock, inputs, stages, exc=exc)
        if unrecorded:
            raise type(exc)(f"{exc} ({unrecorded})") from exc
        raise
    reporter.finish(result)
    return result


class _Lock:
    """The lake lock as this load takes it: with its timeout, telling the reporter it waits."""

    def __init__(self, root: LakeLocation, timeout: float | None, reporter: Reporter) -> None:
        self.root = root
        self._timeout = timeout
        self._reporter = reporter

    def __call__(self) -> AbstractContextManager[None]:
        return lake_lock(self.root, timeout=self._timeout, on_wait=self._reporter.warn)


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What decides whether a load is unchanged: sources, spec text and key fingerprint."""

    spec: SiteSpec
    digests: dict[str, str]
    fingerprint: str | None
    spec_digest: str  # SHA-256 of the spec file's bytes

    def same_as(self, recorded: Mapping[str, str] | None) -> bool:
        """Whether the site's last committed load (its manifest metadata) had these inputs."""
        return (
            recorded is not None
            and recorded.get("spec_version") == self.spec.spec_version
            and recorded.get("spec_digest") == self.spec_digest
            and json.loads(recorded.get("source_digests", "{}")) == self.digests
            and recorded.get("key_fingerprint") == self.fingerprint
        )

    def spec_drift(self, recorded: Mapping[str, str] | None) -> str | None:
        """A warning when the spec's text changed but its ``spec_version`` did not."""
        if (
            recorded is None
            or recorded.get("spec_version") != self.spec.spec_version
            or recorded.get("spec_digest") in (None, self.spec_digest)
        ):
            return None
        return (
            f"the mapping spec {self.spec.path.name} changed since the site's last load but its "
            f"spec_version is still {self.spec.spec_version!r}; the changed spec is loaded. "
            "Bump spec_version whenever the mapping changes, so each lake version names the "
            "mapping that produced it"
        )


def _unchanged(lake_root: LakeLocation, inputs: _Inputs, stages: _Stages) -> LoadResult:
    """The unchanged outcome, recorded in ``_load_log`` (call under the lake lock)."""
    version = open_lake(lake_root).version
    result = LoadResult(
        inputs.spec.site, stages.load_id, "unchanged", version, inputs.spec.spec_version
    )
    unrecorded = _try_log(lake_root, inputs, stages, status="unchanged", version=version)
    return result if unrecorded is None else replace(result, warnings=(unrecorded,))


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


def _parse_or_log(spec_path: Path | str, *, lock: _Lock, load_id: str) -> SiteSpec:
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
        try:
            with lock():
                append_rows(
                    lock.root,
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
        except (*_LOG_ERRORS, LoadError) as log_exc:
            raise ConfigError(
                f"{exc} (not recorded in the lake's _load_log: {_short(log_exc)})"
            ) from exc
        raise


def _commit(
    lock: _Lock,
    inputs: _Inputs,
    stages: _Stages,
    *,
    validated: Validated,
    queries: pl.DataFrame,
    options: LoadOptions,
) -> LoadResult:
    spec, lake_root = inputs.spec, lock.root
    counts = validated.counts
    metadata = {
        "spec_version": spec.spec_version,
        "spec_digest": inputs.spec_digest,
        "loader_version": LOADER_VERSION,
        "source_digests": json.dumps(inputs.digests, sort_keys=True),
        "key_fingerprint": inputs.fingerprint or "",
        "row_counts": json.dumps({t: f.height for t, f in validated.tables.items()}),
    }
    tables = {
        **validated.tables,
        QUARANTINE_TABLE: validated.quarantine,
        DATA_QUERIES_TABLE: queries,
    }
    with lock():
        recorded = last_site_metadata(lake_root, spec.site)
        if inputs.same_as(recorded):  # an identical load committed while this one was mapping
            return _unchanged(lake_root, inputs, stages)
        if not options.allow_shrink:
            _refuse_shrink(recorded, validated.tables["patients"].height, spec.site, options)
        warnings = [w for w in (inputs.spec_drift(recorded),) if w is not None]
        _remove_failed_load_files(lake_root)
        version = commit_site_load(
            lake_root, site=spec.site, load_id=stages.load_id, tables=tables, metadata=metadata
        )
        stages.reach("finalised", f"lake version {version}")
        unrecorded = _try_log(
            lake_root, inputs, stages, status="committed", version=version, counts=counts
        )
        warnings.extend(w for w in (unrecorded,) if w is not None)
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
        warnings=tuple(warnings),
    )


def _remove_failed_load_files(lake_root: LakeLocation) -> None:
    """Delete what failed or killed loads left behind; a failure here never stops a load."""
    try:
        removed = remove_failed_load_files(lake_root)
    except _LOG_ERRORS as exc:
        logger.warning("could not remove a failed load's files: %s", exc)
        return
    if removed:
        logger.info("removed %d file(s) of failed loads", len(removed))


def _refuse_shrink(
    recorded: Mapping[str, str] | None, patients: int, site: str, options: LoadOptions
) -> None:
    """Raise ``LoadError`` if the load keeps fewer than ``1 - max_shrink`` of the patients
    the site's last committed load left in the lake."""
    if recorded is None or "row_counts" not in recorded:
        return
    before = int(json.loads(recorded["row_counts"]).get("patients", 0))
    if before == 0 or patients >= before * (1 - options.max_shrink):
        return
    raise LoadError(
        f"refused: this load would leave {site} with {patients:,} accepted patients, down "
        f"from {before:,} in the lake ({(before - patients) / before:.0%} fewer; a load may "
        f"remove at most {options.max_shrink:.0%}). Check that the export is complete (a file "
        "cut short, a patient file with only its header); if the drop is real, rerun with "
        "--allow-shrink. Nothing was written"
    )


def _record_failure(lock: _Lock, inputs: _Inputs, stages: _Stages, *, exc: Exception) -> str | None:
    """Log the failure in ``_load_log`` and ``_site_status``; a note if that failed too."""
    try:
        with lock():
            _log(lock.root, inputs, stages, status="failed", message=str(exc))
            if stages.reached:
                append_rows(lock.root, SITE_STATUS_TABLE, stages.frame())
    except (*_LOG_ERRORS, LoadError) as log_exc:
        logger.warning("could not record the failed load %s: %s", stages.load_id, log_exc)
        return f"the failure could not be recorded in the lake's _load_log: {_short(log_exc)}"
    return None


def _try_log(
    lake_root: LakeLocation,
    inputs: _Inputs,
    stages: _Stages,
    *,
    status: LoadStatus,
    version: int,
    counts: pl.DataFrame | None = None,
) -> str | None:
    """Log a decided outcome (the lake version exists whatever happens here); a warning if the
    log could not be written. ``status`` reads the last committed version from the manifest."""
    try:
        _log(lake_root, inputs, stages, status=status, version=version, counts=counts)
        if status == "committed":
            append_rows(lake_root, SITE_STATUS_TABLE, stages.frame())
    except _LOG_ERRORS as exc:
        logger.warning("could not log load %s: %s", stages.load_id, exc)
        return (
            f"lake version {version} is {status} and intact, but recording it in the lake's "
            f"_load_log failed ({_short(exc)}); `hemalake status` still shows it from the "
            "manifest. Free space in the lake's file system"
        )
    return None


def _short(exc: BaseException) -> str:
    """The first line of an I/O error, without a library's advice."""
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def _log(
    lake_root: LakeLocation,
    inputs: _Inputs,
    stages: _Stages,
    *,
    status: LoadStatus,
    version: int | None = None,
    counts: pl.DataFrame | None = None,
    message: str = "",
) -> None:
    def total(column: str) -> int | None:
        return None if counts is None else int(counts.get_column(column).sum())

    row = _log_row(
        site=inputs.spec.site,
        load_id=stages.load_id,
        status=status,
        started_at=stages.started_at,
        spec_version=inputs.spec.spec_version,
        digests=inputs.digests,
        fingerprint=inputs.fingerprint,
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
