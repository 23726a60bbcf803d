"""The lake boundary: access rules, disclosure, audit, provenance and caching in one place."""

from __future__ import annotations

import polars as pl
import pytest

import lake.query.gateway as boundary
from lake.access import AuditRecord, Caller
from lake.cohort.filters import EVERYONE, And, CategoryIn, NumericRange
from lake.disclosure import DisclosurePolicy
from lake.errors import AccessDeniedError, EmptyCohortError, UnknownVersionError
from lake.query.gateway import Cohort, LakeGateway, query_hash
from tests.schema.demo_frames import FrameLake, FrameSource, demo_frames

ANALYST = Caller(user="ana", role="analyst")
STATISTICIAN = Caller(user="stat", role="statistician")


class ListSink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def record(self, entry: AuditRecord) -> None:
        self.records.append(entry)


@pytest.fixture
def frames() -> dict[str, pl.DataFrame]:
    return demo_frames(200)


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def gateway(frames: dict[str, pl.DataFrame], sink: ListSink) -> LakeGateway:
    lake = FrameLake(FrameSource(frames, version=1), FrameSource({}, version=2))
    return LakeGateway(
        open_snapshot=lake.open,
        policy=DisclosurePolicy(min_cell_size=5),
        audit=sink,
        software_version="test",
    )


def _cohort(gateway: LakeGateway, *, version: int | None = 1, f: object = EVERYONE) -> Cohort:
    (result,) = gateway.cohorts([(version, f)])  # type: ignore[list-item]
    assert isinstance(result, Cohort)
    return result


def test_breakdown_matches_an_independent_count(
    gateway: LakeGateway, frames: dict[str, pl.DataFrame]
) -> None:
    f = And(
        (
            NumericRange("age_at_diagnosis", minimum=60.0),
            CategoryIn(attribute="site", values=("AMS",)),
        )
    )
    released = gateway.breakdown(STATISTICIAN, _cohort(gateway, f=f), attribute="sex")
    patients = frames["patients"]
    oracle = (
        patients.filter((pl.col("age_at_diagnosis") >= 60) & (pl.col("site") == "AMS"))
        .group_by("sex")
        .len()
        .sort("sex")
    )
    assert [(c.category, c.n) for c in released.value.counts] == list(oracle.iter_rows())
    assert released.value.total == oracle.get_column("len").sum()
    assert released.provenance.lake_version == 1
    assert released.provenance.min_cell_size == 5


def test_marker_breakdown_below_the_cell_size_is_withheld(gateway: LakeGateway) -> None:
    f = CategoryIn(attribute="del17p", values=("present",))
    cohort = _cohort(gateway, f=And((f, NumericRange("age_at_diagnosis", minimum=84.0))))
    size = gateway.cohort_size(STATISTICIAN, cohort)
    exact = cohort.size
    assert 0 < exact < 5  # the seeded data has a few old del(17p) patients
    assert size.value is None


def test_every_release_is_audited_with_the_query_hash(gateway: LakeGateway, sink: ListSink) -> None:
    gateway.cohort_size(ANALYST, _cohort(gateway))
    (entry,) = sink.records
    assert (entry.user, entry.role, entry.outcome, entry.lake_version) == (
        "ana",
        "analyst",
        "ok",
        1,
    )
    assert entry.action == "SizeRequest"
    assert len(entry.query_hash) == 64


def test_the_result_cache_holds_at_most_its_bytes(
    frames: dict[str, pl.DataFrame], sink: ListSink
) -> None:
    bound = 64 * 1024
    lake = FrameLake(FrameSource(frames, version=1))
    gateway = LakeGateway(
        open_snapshot=lake.open,
        policy=DisclosurePolicy(min_cell_size=5),
        audit=sink,
        software_version="test",
        cache_bytes=bound,
    )
    asked = 0
    for minimum in range(30, 80, 2):
        cohort = _cohort(gateway, f=NumericRange("age_at_diagnosis", minimum=float(minimum)))
        for attribute in ("site", "sex", "disease"):
            gateway.breakdown(STATISTICIAN, cohort, attribute=attribute)
            asked += 1
            assert gateway.results.bytes <= bound // 2
    assert 0 < len(gateway.results) < asked  # the oldest were evicted to stay within bytes
    assert gateway.results.misses == asked


def test_a_cache_hit_is_the_released_value_without_disclosing_again(
    gateway: LakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort = _cohort(gateway)
    first = gateway.breakdown(STATISTICIAN, cohort, attribute="site")

    def fail(*_: object) -> object:
        raise AssertionError("disclosed again on a cache hit")

    monkeypatch.setattr(boundary, "disclose_breakdown", fail)
    assert gateway.breakdown(STATISTICIAN, cohort, attribute="site") == first


def test_results_are_cached_per_lake_version(gateway: LakeGateway) -> None:
    cohort = _cohort(gateway)
    first = gateway.breakdown(STATISTICIAN, cohort, attribute="site")
    second = gateway.breakdown(STATISTICIAN, cohort, attribute="site")
    assert first == second
    assert (gateway.results.misses, gateway.results.hits) == (1, 1)


def test_pinned_versions_are_evaluated_on_their_own_tables(gateway: LakeGateway) -> None:
    newest = _cohort(gateway, version=None)
    assert newest.lake_version == 2
    with pytest.raises(EmptyCohortError, match="widen the filter"):
        gateway.breakdown(STATISTICIAN, newest, attribute="sex")
    (missing,) = gateway.cohorts([(7, EVERYONE)])
    assert isinstance(missing, UnknownVersionError)
    assert str(missing) == "the lake has no version 7; the newest is 2"


def test_protected_answers_are_consistent_and_charged_once(gateway: LakeGateway) -> None:
    cohort = _cohort(gateway)
    first = gateway.breakdown(ANALYST, cohort, attribute="site")
    second = gateway.breakdown(ANALYST, cohort, attribute="site")
    assert first.value == second.value
    assert first.provenance.access == "protected"
    assert first.provenance.privacy is not None
    assert second.provenance.privacy is not None
    assert (first.provenance.privacy.charged, second.provenance.privacy.charged) == (0.2, 0.0)
    assert second.provenance.privacy.user_spent == pytest.approx(0.2)


def test_a_protected_empty_cohort_answers_noise_not_an_error(gateway: LakeGateway) -> None:
    newest = _cohort(gateway, version=None)  # version 2 holds no patients
    released = gateway.breakdown(ANALYST, newest, attribute="sex")
    assert [c.category for c in released.value.counts] == ["M", "F", None]
    assert all(c.n is not None and c.n >= 0 for c in released.value.counts)


def test_query_hash_is_stable_and_distinguishes_filters() -> None:
    a = CategoryIn(attribute="sex", values=("M",))
    assert query_hash(a) == query_hash(CategoryIn(attribute="sex", values=("M",)))
    assert query_hash(And((a,))) != query_hash(a)


def test_analysts_never_get_site_operations() -> None:
    from lake.access import check_access

    with pytest.raises(AccessDeniedError, match="may not read site operations"):
        check_access(ANALYST, "site_operations", site="AMS")
    manager = Caller(user="dm", role="data_manager", site="AMS")
    check_access(manager, "site_operations", site="AMS")
    with pytest.raises(AccessDeniedError, match="own site"):
        check_access(manager, "site_operations", site="ROT")
