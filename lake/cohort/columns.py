"""Patient-aligned columns of one lake version, computed once and reused by every cohort.

A lake version never changes, so every per-patient column derived from it (an attribute, a risk
score, an endpoint's time and status) can be computed once for *all* patients and kept. All
columns are aligned to one patient order (the ``patients`` rows of each site as read, sites by
name), so a cohort is just a boolean mask over that order: selecting it, or combining it with
any column, needs no join.

This is what makes an uncached cohort + survival query cheap: the scans, joins and endpoint
derivation run on first use of a column; later cohorts filter in-memory columns. They run one
site at a time (:mod:`lake.cohort.segments`): a column is the concatenation of per-site
segments, each derived from that site's rows and shared with every kept version holding the
same rows of that site, so after a one-site load only that site's segments are derived again.

The columns of all kept versions share one memory budget (:mod:`lake.cohort.store_budget`):
the least recently used are dropped when it is exceeded, and rebuilt when next read.
Endpoint times are kept as 32-bit whole days and statuses as 8-bit codes, grouping columns as
Enums (integer codes in the declared order), so a cohort is counted, never sorted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import TypeVar

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty
from lake.cohort.endpoints import EndpointKey, endpoint_frame
from lake.cohort.entry import entry_frame
from lake.cohort.exposure import exposure_frame
from lake.cohort.flights import Flights
from lake.cohort.frame import attribute_frame
from lake.cohort.order import attribute_levels, ordered
from lake.cohort.risk import scored_frame
from lake.cohort.segments import ROW, Segment, Segments, segment_keys, segment_source
from lake.cohort.store_budget import StoreBudget
from lake.endpoints.exposures import Exposure
from lake.endpoints.origins import Occurrence, occurrence_dates
from lake.errors import EmptyCohortError

logger = logging.getLogger(__name__)
T = TypeVar("T")
_IDS = "__version_ids"
#: Derives columns (by name) from a site's rows: a frame with ``patient_id`` and those columns.
Derive = Callable[[TableSource, list[str]], pl.LazyFrame]
#: Builds a segment's missing columns, patient-aligned to the segment.
Build = Callable[[Segment, list[str]], dict[str, pl.Series]]


class CohortColumns:
    """The column cache of one lake version (thread-safe; no lock is held over a build, see
    :mod:`lake.cohort.flights`).

    The columns derived from the lake are the concatenation of per-site segments
    (:mod:`lake.cohort.segments`), derived one site at a time and shared with the other kept
    versions holding the same site rows; values built from those by :meth:`kept` (the cell
    indexes) are the version's own.

    Parameters
    ----------
    source
        The lake snapshot (:func:`lake.storage.open_lake`).
    budget
        The memory budget shared with the other kept versions (default: one of its own).
    segments
        The segments of the other kept versions (default: none shared).
    """

    def __init__(
        self,
        source: TableSource,
        budget: StoreBudget | None = None,
        segments: Segments | None = None,
    ) -> None:
        self.source = source
        self.budget = budget or StoreBudget()
        self._shared = segments or Segments()
        self._lock = threading.RLock()
        self._ids: pl.DataFrame | None = None
        self._kept: dict[str, object] = {}
        self._flights = Flights()
        self._segments: tuple[Segment, ...] | None = None

    @property
    def version(self) -> int:
        """The lake version the columns come from."""
        return self.source.version

    def segments(self) -> tuple[Segment, ...]:
        """The version's segments, in the order of its columns (by site name)."""
        with self._lock:
            if self._segments is None:
                keys = segment_keys(self.source)
                self._segments = tuple(self._shared.get(k) for k in keys)
            return self._segments

    def ids(self) -> pl.DataFrame:
        """``patient_id`` and its row number, in the order every column follows."""
        with self._lock:
            ids = self._ids
            if ids is None:
                parts = [s.ids(self.source, self.budget) for s in self.segments()]
                stacked = _stack([p.get_column("patient_id") for p in parts])
                self._ids = ids = stacked.to_frame().with_row_index(ROW)
                # the ids themselves are counted by their segments; the row numbers here
                self.budget.admit(
                    self, {_IDS: int(ids.get_column(ROW).estimated_size())}, keep=[_IDS]
                )
            else:
                self.budget.touch(self, [_IDS])
            return ids

    def drop(self, name: str) -> None:
        """Forget ``name``, the row numbers or a kept value (the store's budget evicted it;
        rebuilt when next read)."""
        if name == _IDS:
            self._ids = None
        else:
            self._kept.pop(name, None)

    def kept(self, name: str, build: Callable[[], T], nbytes: Callable[[T], int]) -> T:
        """A value derived from this version's columns (e.g. a counting index,
        :mod:`lake.cohort.counting`), built once and kept under the store's budget like a
        column (``nbytes`` weighs it); rebuilt when next asked if the budget dropped it."""
        while True:
            with self._lock:
                if name in self._kept:
                    self.budget.touch(self, [name])
                    return self._kept[name]  # type: ignore[return-value]  # stored by this method
                claimed = self._flights.claim([name])
            if claimed is not None:
                break
            self._flights.wait([name])
        try:
            value = build()  # unlocked, as a segment's builds (lake.cohort.flights)
            with self._lock:
                self._kept[name] = value
                self.budget.admit(self, {name: nbytes(value)}, keep=[name])
            return value
        finally:
            with self._lock:
                self._flights.release([name], claimed)

    def _segmented(self, keys: list[str], build: Build) -> pl.DataFrame:
        """Columns ``keys`` of every segment, concatenated in segment order without copying.

        A segment missing some builds them (``build``) on its own site's rows, one segment at
        a time, so a build holds one site's derivation at once.
        """
        parts = [
            segment.ensure(keys, partial(build, segment), self.budget)
            for segment in self.segments()
        ]
        return pl.DataFrame([_stack([p[k] for p in parts]).alias(k) for k in keys])

    def _derived(self, derive: Derive) -> Build:
        """Build a segment's columns by ``derive`` on its site's rows, patient-aligned."""

        def build(segment: Segment, missing: list[str]) -> dict[str, pl.Series]:
            logger.debug("lake version %d, %s: computing %s", self.version, segment.key, missing)
            frame = derive(segment_source(self.source, segment.key), missing)
            return _aligned(segment.ids(self.source, self.budget), frame, missing)

        return build

    def attributes(self, columns: Iterable[str]) -> pl.DataFrame:
        """The attribute ``columns`` of every patient (see :mod:`lake.cohort.frame`).

        A text attribute with declared codes is kept as the Enum of its codes (declared
        order): filtering it compares integer codes (``disease in [MM]`` over 1e7 patients:
        12 ms, 440 ms on text) and it takes a byte or two per patient instead of its text."""
        derived = self._derived(attribute_frame)

        def build(segment: Segment, missing: list[str]) -> dict[str, pl.Series]:
            return {name: _coded(values) for name, values in derived(segment, missing).items()}

        return self._segmented(list(columns), build)

    def scores(self, versions: Iterable[str]) -> pl.DataFrame:
        """One struct column per risk score version (``category``, ``missing_inputs``)."""
        return self._segmented(
            list(versions),
            self._derived(lambda source, missing: scored_frame(source, (), missing)),
        )

    def attribute_group(self, attribute: str) -> pl.Series:
        """Each patient's group by ``attribute``: the attribute as kept (:meth:`attributes`:
        the Enum of its declared codes, so grouping reads integer codes; unchanged without
        declared codes). One column serves both, so no build can keep it in two types."""
        return self.attributes([attribute]).to_series()

    def occurrences(self, wanted: Iterable[Occurrence]) -> pl.DataFrame:
        """One date column per occurrence (named :attr:`Occurrence.column`); null where the
        patient has none (:func:`lake.endpoints.origins.occurrence_dates`)."""
        by_column = {o.column: o for o in wanted}

        def derive(source: TableSource, missing: list[str]) -> pl.LazyFrame:
            patients = scan_or_empty(source, "patients").select("patient_id")
            for name in missing:
                dates = occurrence_dates(
                    by_column[name],
                    events=scan_or_empty(source, "events"),
                    patients=scan_or_empty(source, "patients"),
                    treatment_lines=scan_or_empty(source, "treatment_lines"),
                    transplants=scan_or_empty(source, "transplants"),
                )
                patients = patients.join(dates.rename({"date": name}), on="patient_id", how="left")
            return patients

        return self._segmented(list(by_column), self._derived(derive))

    def endpoint(self, key: EndpointKey) -> pl.DataFrame:
        """``time_days`` and ``status`` of every patient; null where the patient is excluded.

        A site where no patient has the endpoint (no origin event, or all excluded) has null
        columns; when every site has none, the whole version refuses (``EmptyCohortError``
        of :func:`lake.cohort.endpoints.endpoint_frame`, counting the whole version).
        """
        prefix = f"{key.endpoint}|{key.origin}|{key.landmark_days}|{key.line_number}|"
        names = [prefix + "time_days", prefix + "status"]

        def derive(source: TableSource, _: list[str]) -> pl.LazyFrame:
            try:
                frame = endpoint_frame(source, key, by_patient=False).lazy()
            except EmptyCohortError:
                return pl.LazyFrame(
                    schema={"patient_id": pl.String, names[0]: pl.Int32, names[1]: pl.Int8}
                )
            return frame.select(
                "patient_id",
                pl.col("time_days").cast(pl.Int32).alias(names[0]),
                pl.col("status").cast(pl.Int8).alias(names[1]),
            )

        found = self._segmented(names, self._derived(derive))
        if found.height == 0 or found.get_column(names[0]).null_count() == found.height:
            endpoint_frame(self.source, key)  # raises the whole version's refusal
        return found.rename({names[0]: "time_days", names[1]: "status"})

    def entry(self, key: EndpointKey) -> pl.DataFrame:
        """``entry_days`` of every patient on ``key``'s time axis (:mod:`lake.cohort.entry`)."""
        name = f"entry|{key.origin}|{key.line_number}|{key.landmark_days}"

        def derive(source: TableSource, _: list[str]) -> pl.LazyFrame:
            return entry_frame(source, key).rename({"entry_days": name})

        return self._segmented([name], self._derived(derive)).rename({name: "entry_days"})

    def exposure(self, key: EndpointKey, exposure: Exposure) -> pl.DataFrame:
        """``exposure_days`` of every patient on ``key``'s time axis (lake.cohort.exposure)."""
        name = f"exposure|{exposure.label}|{key.origin}|{key.line_number}|{key.landmark_days}"

        def derive(source: TableSource, _: list[str]) -> pl.LazyFrame:
            return exposure_frame(source, key, exposure).rename({"exposure_days": name})

        return self._segmented([name], self._derived(derive)).rename({name: "exposure_days"})

    def frame(self, mask: pl.Series, *parts: pl.DataFrame) -> pl.DataFrame:
        """The aligned ``parts`` side by side, restricted to the patients where ``mask`` holds.

        Patient ids are left out (no summary needs them), unless nothing else is asked for.
        """
        columns = [p for p in parts if p.width] or [self.ids().select("patient_id")]
        return pl.concat(columns, how="horizontal").filter(mask)


def _coded(values: pl.Series) -> pl.Series:
    """A text attribute with declared codes as their Enum (:func:`lake.cohort.order.ordered`);
    any other attribute unchanged."""
    if values.dtype != pl.String:
        return values
    return values.to_frame().select(ordered(pl.col(values.name), attribute_levels(values.name)))[
        values.name
    ]


def _aligned(ids: pl.DataFrame, frame: pl.LazyFrame, names: Iterable[str]) -> dict[str, pl.Series]:
    """``frame``'s columns ``names`` in the order of ``ids`` (null for a patient without a row)."""
    ordered = ids.lazy().join(frame, on="patient_id", how="left").sort(ROW).select(*names)
    return {s.name: s for s in ordered.collect().iter_columns()}


def _stack(parts: list[pl.Series]) -> pl.Series:
    """The segments' parts of one column end to end; their chunks are shared, not copied."""
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)
