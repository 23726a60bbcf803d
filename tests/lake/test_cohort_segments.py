"""The analysis store derives per-site segments, and a one-site load re-derives that site only."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lake.cohort.columns import CohortColumns
from lake.cohort.counting import CellIndex
from lake.cohort.endpoints import CATALOGUE, EndpointKey, endpoint_frame
from lake.cohort.frame import ATTRIBUTES, attribute_frame
from lake.cohort.segments import SegmentKey, site_segments
from lake.errors import EmptyCohortError
from lake.model import EVENTS, PATIENTS
from lake.query.cohorts import CohortSnapshots
from lake.query.warmup import WARM_ATTRIBUTES, WARM_ENDPOINTS, WARM_GROUPS, warm
from lake.storage import LakeOpener, commit_site_load, lake_lock, open_lake
from tests.conftest import DemoLake

_TABLES = ({"patients": 1}, {"patients": 1, "events": 1})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.sampled_from([0, 1]))))
def test_a_site_segment_changes_with_its_site_loads_and_with_every_lake_wide_change(
    rows: list[tuple[str | None, int]],
) -> None:
    history = pl.DataFrame(
        {
            "lake_version": list(range(1, len(rows) + 1)),
            "site": [site for site, _ in rows],
            "table_versions": [json.dumps(_TABLES[t]) for _, t in rows],
        },
        schema={"lake_version": pl.Int64, "site": pl.String, "table_versions": pl.String},
    )
    # a row naming no site, or changing the set of tables, is a change of every site
    lake_wide = [
        v
        for v, (site, tables) in enumerate(rows, start=1)
        if site is None or (v > 1 and tables != rows[v - 2][1])
    ]
    expected = tuple(
        SegmentKey(
            site,
            max(v for v, (s, _) in enumerate(rows, start=1) if s == site or v in lake_wide),
        )
        for site in sorted({s for s, _ in rows if s is not None})
    )
    assert site_segments(history) == expected


def _by_patient(columns: CohortColumns, frame: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([columns.ids().select("patient_id"), frame], how="horizontal").sort(
        "patient_id"
    )


def _whole(source_frame: pl.LazyFrame | pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    return (
        ids.select("patient_id")
        .lazy()
        .join(source_frame.lazy(), on="patient_id", how="left", maintain_order="left")
        .collect()
        .sort("patient_id")
    )


@pytest.mark.slow
def test_site_segments_answer_what_the_whole_lake_derivation_does(demo_lake: DemoLake) -> None:
    source = open_lake(demo_lake.root)
    columns = CohortColumns(source)
    assert len(columns.segments()) == len(demo_lake.site_versions)
    ids = columns.ids()
    assert ids.height == sum(demo_lake.site_patients.values())
    got = _by_patient(columns, columns.attributes(ATTRIBUTES))
    assert got.equals(_whole(attribute_frame(source, ATTRIBUTES), ids))
    for name in CATALOGUE:
        key = EndpointKey(endpoint=name, origin=CATALOGUE[name]().origins[0])
        try:
            whole = endpoint_frame(source, key)
        except EmptyCohortError:
            with pytest.raises(EmptyCohortError):
                columns.endpoint(key)
            continue
        expected = _whole(
            whole.select(
                "patient_id", pl.col("time_days").cast(pl.Int32), pl.col("status").cast(pl.Int8)
            ),
            ids,
        )
        assert _by_patient(columns, columns.endpoint(key)).equals(expected), name


def _reload_one_site(root: Path) -> tuple[str, int]:
    """Commit a new load of the first site: its events without its first patient's."""
    source = open_lake(root)
    site = str(source.history().get_column("site")[0])
    events = source.scan("events").filter(pl.col("site") == site).collect()
    first = events.get_column("patient_id").sort()[0]
    with lake_lock(root):
        version = commit_site_load(
            root,
            site=site,
            load_id="reload",
            tables={"events": events.filter(pl.col("patient_id") != first)},
            metadata={},
        )
    return site, version


def _copied_lake(demo_lake: DemoLake, tmp_path: Path) -> tuple[Path, CohortSnapshots]:
    """A copy of the demo lake to load into, and the store over it (two versions kept)."""
    root = tmp_path / "lake"
    shutil.copytree(demo_lake.root, root)
    return root, CohortSnapshots(
        open_snapshot=LakeOpener(root), cohort_cache_size=4, versions_kept=2
    )


@pytest.mark.slow
def test_a_one_site_load_derives_that_site_only_and_answers_like_a_fresh_build(
    demo_lake: DemoLake, tmp_path: Path
) -> None:
    root, snapshots = _copied_lake(demo_lake, tmp_path)
    before = snapshots.columns(warm(snapshots).lake_version)
    built = {s.key: s.builds for s in before.segments()}
    assert all(built.values())
    site, version = _reload_one_site(root)
    after = snapshots.columns(warm(snapshots).lake_version)
    assert after.version == version
    for old, new in zip(before.segments(), after.segments(), strict=True):
        if old.key.site == site:
            assert new is not old
            assert new.key == SegmentKey(site, version)
            assert new.builds == built[old.key]  # the same warm columns, derived again
        else:
            assert new is old  # shared as is: nothing derived again
            assert new.builds == built[old.key]
    fresh = CohortColumns(open_lake(root))
    for key in WARM_ENDPOINTS:
        assert after.endpoint(key).equals(fresh.endpoint(key))
        assert not after.endpoint(key).equals(before.endpoint(key))
    assert after.attributes(WARM_ATTRIBUTES).equals(fresh.attributes(WARM_ATTRIBUTES))
    for attribute in WARM_GROUPS:
        assert after.attribute_group(attribute).equals(fresh.attribute_group(attribute))
    assert after.ids().equals(fresh.ids())


def _held_bytes(*versions: CohortColumns) -> int:
    segments = {id(s): s for c in versions for s in c.segments()}.values()
    held = [c for s in segments for c in s.columns.values()]
    held += [s.patient_ids.get_column("patient_id") for s in segments if s.patient_ids is not None]
    held += [s.patient_ids.get_column("__row") for s in segments if s.patient_ids is not None]
    held += [c.ids().get_column("__row") for c in versions]
    # what each version derives from its columns (the warmed cell indexes) is its own
    derived = [v.nbytes for c in versions for v in c._kept.values() if isinstance(v, CellIndex)]
    return sum(int(c.estimated_size()) for c in held) + sum(derived)


@pytest.mark.slow
def test_a_segment_shared_by_two_versions_is_counted_once(
    demo_lake: DemoLake, tmp_path: Path
) -> None:
    root, snapshots = _copied_lake(demo_lake, tmp_path)
    before = snapshots.columns(warm(snapshots).lake_version)
    alone = snapshots.store.use().bytes
    assert alone == _held_bytes(before)
    _reload_one_site(root)
    after = snapshots.columns(warm(snapshots).lake_version)
    both = snapshots.store.use().bytes
    assert both == _held_bytes(before, after)
    assert both < 2 * alone  # one site's segment and the row numbers added, not a copy


@pytest.mark.slow
def test_a_segment_no_kept_version_reads_is_no_longer_counted(
    demo_lake: DemoLake, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(demo_lake.root, root)
    snapshots = CohortSnapshots(
        open_snapshot=LakeOpener(root), cohort_cache_size=4, versions_kept=1
    )
    warm(snapshots)
    _reload_one_site(root)
    after = snapshots.columns(warm(snapshots).lake_version)
    assert snapshots.store.use().bytes == _held_bytes(after)


_EVENTS = ("progression", "relapse", "death", "last_follow_up", "complete_remission")
_patient = st.tuples(
    st.integers(0, 400),  # diagnosis, days after 2020-01-01
    st.lists(st.tuples(st.sampled_from(_EVENTS), st.integers(-30, 900)), max_size=3),
)
_load = st.tuples(st.sampled_from(["A", "B", "C"]), st.lists(_patient, max_size=4))


def _site_tables(site: str, load: int, patients: list[Any]) -> dict[str, pl.DataFrame]:
    ids = [f"{site}-{load}-{i}" for i in range(len(patients))]
    diagnosed = [date(2020, 1, 1) + timedelta(days=d) for d, _ in patients]
    frame = pl.DataFrame(
        {
            "patient_id": ids,
            "site": [site] * len(ids),
            "source_study": ["S"] * len(ids),
            "data_origin": ["trial"] * len(ids),
            "sex": ["F", "M"] * (len(ids) // 2) + ["F"] * (len(ids) % 2),
            "age_at_diagnosis": [50.0 + i for i in range(len(ids))],
            "disease": ["MM"] * len(ids),
            "diagnosis_date": diagnosed,
        }
    )
    rows = [
        (pid, kind, start + timedelta(days=day))
        for pid, start, (_, events) in zip(ids, diagnosed, patients, strict=True)
        for kind, day in events
    ]
    events = pl.DataFrame(
        {
            "patient_id": [r[0] for r in rows],
            "site": [site] * len(rows),
            "event_type": [r[1] for r in rows],
            "event_date": [r[2] for r in rows],
        },
        schema={
            "patient_id": pl.String,
            "site": pl.String,
            "event_type": pl.String,
            "event_date": pl.Date,
        },
    )
    return {
        "patients": frame.select(
            pl.col(c) if c in frame.columns else pl.lit(None, d).alias(c)
            for c, d in PATIENTS.schema.items()
        ).cast(dict(PATIENTS.schema)),  # type: ignore[arg-type]
        "events": events.select(
            pl.col(c) if c in events.columns else pl.lit(None, d).alias(c)
            for c, d in EVENTS.schema.items()
        ).cast(dict(EVENTS.schema)),  # type: ignore[arg-type]
    }


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_load, min_size=1, max_size=4))
def test_after_each_load_the_incremental_store_answers_like_the_whole_lake(
    loads: list[tuple[str, list[Any]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lake"
        snapshots = CohortSnapshots(
            open_snapshot=LakeOpener(root), cohort_cache_size=4, versions_kept=2
        )
        for n, (site, patients) in enumerate(loads):
            with lake_lock(root):
                commit_site_load(
                    root,
                    site=site,
                    load_id=f"load-{n}",
                    tables=_site_tables(site, n, patients),
                    metadata={},
                )
            columns = snapshots.columns(None)
            source = open_lake(root)
            ids = columns.ids()
            assert ids.height == source.scan("patients").collect().height
            names = list(WARM_ATTRIBUTES)
            got = _by_patient(columns, columns.attributes(names))
            assert got.equals(_whole(attribute_frame(source, names), ids))
            for key in WARM_ENDPOINTS:
                try:
                    whole = endpoint_frame(source, key)
                except EmptyCohortError:
                    with pytest.raises(EmptyCohortError):
                        columns.endpoint(key)
                    continue
                expected = whole.select(
                    "patient_id",
                    pl.col("time_days").cast(pl.Int32),
                    pl.col("status").cast(pl.Int8),
                )
                assert _by_patient(columns, columns.endpoint(key)).equals(_whole(expected, ids))
