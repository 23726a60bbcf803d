"""Per-site segments of the analysis store: what a lake version shares with the versions before.

Every harmonised table is partitioned by ``site`` and every patient belongs to one site; a
patient's attributes, risk scores, occurrences and endpoints depend on that patient's own rows
only (site-reported fills on whether the patient's own site reports the fact). So the
patient-aligned columns of a lake version (:mod:`lake.cohort.columns`) are the concatenation,
in a fixed site order, of per-site *segments*, each derived from one site's partition
(:class:`SitePartition`) alone.

A site's rows change only in the lake versions whose manifest row names it (a load replaces the
site's rows, an upkeep rewrites the site's files), so a segment is identified by
:class:`SegmentKey`: the site and the lake version that last changed it. A new lake version
after a one-site load reuses every other site's segments as they are and derives only the loaded
site's. A manifest row that is not a plain site load (no site named, or a change of the set of
tables: a table created or dropped) is taken as a change of every site, so a segment is never
reused across it. A schema migration needs no such care: it only adds nullable columns, which
other sites read as null before and after (:func:`lake.migration.with_model_columns`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

from lake.cohort.attribute_sources import TableSource
from lake.cohort.flights import Flights
from lake.cohort.store_budget import StoreBudget
from lake.storage import LakeSnapshot

#: Row number of a patient within its segment (the order every segment column follows).
ROW = "__row"
#: Budget name of a segment's patient ids.
IDS = "__ids"


@dataclass(frozen=True, slots=True)
class SitePartition:
    """The rows of one site in every table of a lake version (a ``TableSource``)."""

    snapshot: TableSource
    site: str

    @property
    def version(self) -> int:
        """The lake version the partition belongs to."""
        return self.snapshot.version

    def scan(self, table_name: str) -> pl.LazyFrame:
        """The site's rows of ``table_name`` (Delta prunes the other sites' files)."""
        return self.snapshot.scan(table_name).filter(pl.col("site") == self.site)


@dataclass(frozen=True, slots=True)
class SegmentKey:
    """One site's rows as of the lake version ``changed`` that last changed them.

    ``site`` is ``None`` for a source without a manifest (the whole version is one segment).
    """

    site: str | None
    changed: int


def site_segments(history: pl.DataFrame) -> tuple[SegmentKey, ...]:
    """The segments of the newest lake version of ``history`` (manifest rows), by site name.

    Each site's key is the last version whose row names the site; a row naming no site, or
    changing the set of tables, is a change of every site known so far (module docs).
    """
    changed: dict[str, int] = {}
    tables: frozenset[str] | None = None
    for version, site, pinned in (
        history.sort("lake_version").select("lake_version", "site", "table_versions").iter_rows()
    ):
        names = frozenset(json.loads(pinned))
        if not site or (tables is not None and names != tables):
            changed = dict.fromkeys(changed, version)
        if site:
            changed[site] = version
        tables = names
    return tuple(SegmentKey(site, changed[site]) for site in sorted(changed))


def segment_keys(source: TableSource) -> tuple[SegmentKey, ...]:
    """The segments of ``source``'s lake version: per site for a lake snapshot (its manifest
    says what changed when), the whole version otherwise."""
    by_site = site_segments(source.history()) if isinstance(source, LakeSnapshot) else ()
    return by_site or (SegmentKey(None, source.version),)


def segment_source(source: TableSource, key: SegmentKey) -> TableSource:
    """The rows of segment ``key`` in lake version ``source``."""
    return source if key.site is None else SitePartition(source, key.site)


class Segment:
    """The columns of one segment: patient-aligned to its site's ``patients`` rows as read.

    Shared by every kept lake version holding the segment; its columns count once in the
    store's budget (this segment is their owner) and are dropped when the budget asks.
    """

    def __init__(self, key: SegmentKey) -> None:
        self.key = key
        self.lock = threading.RLock()
        self.columns: dict[str, pl.Series] = {}
        self._flights = Flights()
        self.patient_ids: pl.DataFrame | None = None
        #: Columns derived so far (a dropped column rebuilt counts again).
        self.builds = 0

    def drop(self, name: str) -> None:
        """Forget column ``name`` (the store's budget evicted it; rebuilt when next read)."""
        if name == IDS:
            self.patient_ids = None
        else:
            self.columns.pop(name, None)

    def ids(self, source: TableSource, budget: StoreBudget) -> pl.DataFrame:
        """``patient_id`` and its row number in the segment (read from ``source``'s rows of
        the segment when not held)."""
        with self.lock:
            ids = self.patient_ids
            if ids is None:
                scanned = segment_source(source, self.key).scan("patients")
                ids = scanned.select("patient_id").collect().with_row_index(ROW)
                self.patient_ids = ids
                budget.admit(self, {IDS: int(ids.estimated_size())}, keep=[IDS])
            else:
                budget.touch(self, [IDS])
            return ids

    def ensure(
        self,
        keys: list[str],
        build: Callable[[list[str]], dict[str, pl.Series]],
        budget: StoreBudget,
    ) -> dict[str, pl.Series]:
        """The segment's columns ``keys``, the missing ones built by ``build`` and kept.

        The build runs without the segment's lock (:class:`lake.cohort.flights.Flights`): a
        request waits only for a build of a key it reads."""
        while True:
            with self.lock:
                found = {k: self.columns.get(k) for k in keys}
                missing = [k for k, v in found.items() if v is None]
                if not missing:
                    budget.touch(self, keys)
                    return {k: v for k, v in found.items() if v is not None}
                claimed = self._flights.claim(missing)
            if claimed is not None:
                break
            self._flights.wait(missing)
        try:
            built = build(missing)  # unlocked: other keys are read and built meanwhile
            with self.lock:
                self.builds += len(built)
                self.columns.update(built)
                held = {**{k: v for k, v in found.items() if v is not None}, **built}
                sizes = {k: int(v.estimated_size()) for k, v in built.items()}
                budget.admit(self, sizes, keep=keys)
                return held
        finally:
            with self.lock:
                self._flights.release(missing, claimed)


class Segments:
    """The segments of every kept lake version, by key (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[SegmentKey, Segment] = {}

    def get(self, key: SegmentKey) -> Segment:
        """The segment ``key``, created empty when no kept version holds it."""
        with self._lock:
            found = self._held.get(key)
            if found is None:
                found = self._held[key] = Segment(key)
            return found

    def retain(self, keys: Iterable[SegmentKey]) -> list[Segment]:
        """Keep only the segments ``keys``; returns the others (no kept version reads them)."""
        live = set(keys)
        with self._lock:
            gone = [k for k in self._held if k not in live]
            return [self._held.pop(k) for k in gone]
