"""Patient-aligned columns of one lake version, computed once and reused by every cohort.

A lake version never changes, so every per-patient column derived from it (an attribute, a risk
score, an endpoint's time and status) can be computed once for *all* patients and kept. All
columns are aligned to one patient order (the ``patients`` table as read), so a cohort is just a
boolean mask over that order: selecting it, or combining it with any column, needs no join.

This is what makes an uncached cohort + survival query cheap: the whole-lake scans, joins and
endpoint derivation run on first use of a column; later cohorts filter in-memory columns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty
from lake.cohort.endpoints import EndpointKey, endpoint_frame
from lake.cohort.entry import entry_frame
from lake.cohort.exposure import exposure_frame
from lake.cohort.frame import attribute_frame
from lake.cohort.risk import scored_frame
from lake.endpoints.exposures import Exposure
from lake.endpoints.origins import Occurrence, occurrence_dates

logger = logging.getLogger(__name__)
_ROW = "__row"


class CohortColumns:
    """The column cache of one lake version (thread-safe; builds hold one lock).

    Parameters
    ----------
    source
        The lake snapshot (:func:`lake.storage.open_lake`).
    """

    def __init__(self, source: TableSource) -> None:
        self.source = source
        self._lock = threading.RLock()
        self._ids: pl.DataFrame | None = None
        self._columns: dict[str, pl.Series] = {}

    @property
    def version(self) -> int:
        """The lake version the columns come from."""
        return self.source.version

    def ids(self) -> pl.DataFrame:
        """``patient_id`` and its row number, in the order every column follows."""
        with self._lock:
            if self._ids is None:
                self._ids = (
                    self.source.scan("patients").select("patient_id").collect().with_row_index(_ROW)
                )
            return self._ids

    def _aligned(self, frame: pl.LazyFrame, names: Iterable[str]) -> dict[str, pl.Series]:
        ordered = (
            self.ids()
            .lazy()
            .join(frame, on="patient_id", how="left")
            .sort(_ROW)
            .select(*names)
            .collect()
        )
        return {s.name: s for s in ordered.iter_columns()}

    def _ensure(
        self, keys: list[str], build: Callable[[list[str]], dict[str, pl.Series]]
    ) -> pl.DataFrame:
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._columns]
            if missing:
                logger.debug("lake version %d: computing %s", self.version, missing)
                self._columns.update(build(missing))
            return pl.DataFrame([self._columns[k] for k in keys])

    def attributes(self, columns: Iterable[str]) -> pl.DataFrame:
        """The attribute ``columns`` of every patient (see :mod:`lake.cohort.frame`)."""
        return self._ensure(
            list(columns),
            lambda missing: self._aligned(attribute_frame(self.source, missing), missing),
        )

    def scores(self, versions: Iterable[str]) -> pl.DataFrame:
        """One struct column per risk score version (``category``, ``missing_inputs``)."""
        return self._ensure(
            list(versions),
            lambda missing: self._aligned(scored_frame(self.source, (), missing), missing),
        )

    def occurrences(self, wanted: Iterable[Occurrence]) -> pl.DataFrame:
        """One date column per occurrence (named :attr:`Occurrence.column`); null where the
        patient has none (:func:`lake.endpoints.origins.occurrence_dates`)."""
        by_column = {o.column: o for o in wanted}

        def build(missing: list[str]) -> dict[str, pl.Series]:
            built: dict[str, pl.Series] = {}
            for name in missing:
                dates = occurrence_dates(
                    by_column[name],
                    events=scan_or_empty(self.source, "events"),
                    patients=scan_or_empty(self.source, "patients"),
                    treatment_lines=scan_or_empty(self.source, "treatment_lines"),
                    transplants=scan_or_empty(self.source, "transplants"),
                )
                built.update(self._aligned(dates.rename({"date": name}), [name]))
            return built

        return self._ensure(list(by_column), build)

    def endpoint(self, key: EndpointKey) -> pl.DataFrame:
        """``time_days`` and ``status`` of every patient; null where the patient is excluded."""
        prefix = f"{key.endpoint}|{key.origin}|{key.landmark_days}|{key.line_number}|"
        names = [prefix + "time_days", prefix + "status"]

        def build(_: list[str]) -> dict[str, pl.Series]:
            frame = endpoint_frame(self.source, key).lazy()
            renamed = frame.rename({"time_days": names[0], "status": names[1]})
            return self._aligned(renamed, names)

        return self._ensure(names, build).rename({names[0]: "time_days", names[1]: "status"})

    def entry(self, key: EndpointKey) -> pl.DataFrame:
        """``entry_days`` of every patient on ``key``'s time axis (:mod:`lake.cohort.entry`)."""
        name = f"entry|{key.origin}|{key.line_number}|{key.landmark_days}"
        frame = entry_frame(self.source, key).rename({"entry_days": name})
        return self._ensure([name], lambda _: self._aligned(frame, [name])).rename(
            {name: "entry_days"}
        )

    def exposure(self, key: EndpointKey, exposure: Exposure) -> pl.DataFrame:
        """``exposure_days`` of every patient on ``key``'s time axis (lake.cohort.exposure)."""
        name = f"exposure|{exposure.label}|{key.origin}|{key.line_number}|{key.landmark_days}"
        frame = exposure_frame(self.source, key, exposure).rename({"exposure_days": name})
        return self._ensure([name], lambda _: self._aligned(frame, [name])).rename(
            {name: "exposure_days"}
        )

    def frame(self, mask: pl.Series, *parts: pl.DataFrame) -> pl.DataFrame:
        """The aligned ``parts`` side by side, restricted to the patients where ``mask`` holds.

        Patient ids are left out (no summary needs them), unless nothing else is asked for.
        """
        columns = [p for p in parts if p.width] or [self.ids().select("patient_id")]
        return pl.concat(columns, how="horizontal").filter(mask)
