"""The scripting client (service/client.py) against a real uvicorn server: each question's frame
matches the raw GraphQL answer, provenance is attached, errors carry their codes."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from service.client import HemalakeClient, HemalakeQueryError
from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY, ask

pytestmark = [pytest.mark.e2e]
MM = {"diseases": ["MM"]}


@pytest.fixture
def client(live_server: str) -> Iterator[HemalakeClient]:
    with HemalakeClient(f"{live_server}/graphql", api_key=STATISTICIAN_KEY) as hl:
        yield hl


def test_size_and_breakdown(client: HemalakeClient, live_server: str) -> None:
    size = client.size(MM)
    assert size.frame.to_dicts() == [{"n": 200, "suppressed": False}]
    assert size.provenance.lake_version == 1
    assert size.provenance.access == "GOVERNED"
    by_site = client.breakdown("SITE", MM)
    assert by_site.frame.schema == pl.Schema(
        {"category": pl.String, "n": pl.Int64, "suppressed": pl.Boolean}
    )
    raw = ask(
        live_server,
        "{ cohort(filter: {diseases: [MM]}) {"
        " breakdown(attribute: SITE) { categories { category n } } } }",
    )
    assert (
        by_site.frame.select("category", "n").to_dicts()
        == raw["data"]["cohort"]["breakdown"]["categories"]
    )
    assert by_site.extra["total"] == 200


def test_survival_and_cox(client: HemalakeClient) -> None:
    survival = client.survival(MM, group_by={"attribute": "SEX"}, times=[12.0, 24.0])
    assert survival.frame.get_column("n").sum() + (survival.extra["excluded"] or 0) == 200
    points = survival.extra["points"]
    assert points.height == 2 * survival.frame.height
    assert points.get_column("survival").drop_nulls().is_between(0, 1).all()
    assert survival.extra["logrank"]["df"] == survival.frame.height - 1
    cox = client.cox([{"attribute": "SEX"}], MM)
    assert cox.frame.height == 1
    row = cox.frame.row(0, named=True)
    assert row["lower"] < row["hazard_ratio"] < row["upper"]
    assert cox.extra["events"] > 0
    assert cox.provenance.query_hash != survival.provenance.query_hash


def test_cumulative_incidence_on_the_demo_lake(lake_server: str) -> None:
    """NRM after allogeneic transplant (the demo lake has transplants; the in-memory one not)."""
    allo = {"treatment": {"transplant": "ALLOGENEIC"}}
    with HemalakeClient(f"{lake_server}/graphql", api_key=STATISTICIAN_KEY) as client:
        incidence = client.cumulative_incidence(
            allo, endpoint="NRM", times=[6.0, 12.0], time_zero={"origin": "ALLO_TRANSPLANT"}
        )
    assert set(incidence.frame.get_column("time")) == {6.0, 12.0}
    assert incidence.frame.get_column("estimate").drop_nulls().is_between(0, 1).all()
    assert set(incidence.frame.get_column("cause")) == {"event", "competing"}
    assert incidence.frame.height == 2 * 2  # one group, two causes, two times
    assert incidence.provenance.lake_version >= 0


def test_a_study_analysis_gives_its_tables_page_and_files(lake_server: str) -> None:
    """The CML treatment-free-remission report: every Arrow table is a frame equal to its CSV,
    the page and files come with it, and an unknown analysis is a BAD_REQUEST."""
    with HemalakeClient(f"{lake_server}/graphql", api_key=STATISTICIAN_KEY) as client:
        report = client.analysis("cml-treatment-free-remission")
        with pytest.raises(HemalakeQueryError) as unknown:
            client.analysis("no-such-study")
    assert unknown.value.code == "BAD_REQUEST"
    assert (report.name, report.access, report.unanswered) == (
        "cml-treatment-free-remission",
        "GOVERNED",
        (),
    )
    assert report.tables
    assert report.html.lstrip().lower().startswith("<!doctype html")
    for stem, table in report.tables.items():
        assert table.height > 0, stem
        assert pl.read_csv(report.files[f"{stem}.csv"]).height == table.height


def test_generic_query_and_error_codes(live_server: str) -> None:
    with HemalakeClient(f"{live_server}/graphql", api_key=ANALYST_KEY) as analyst:
        assert analyst.query("{ modelVersion }")["modelVersion"]
        with pytest.raises(HemalakeQueryError) as refused:
            analyst.cox([{"attribute": "SEX"}], MM)
    assert refused.value.code == "FORBIDDEN"
    assert refused.value.data == {"cohort": {"coxModel": None}}
    with (
        HemalakeClient(f"{live_server}/graphql", api_key="wrong") as stranger,
        pytest.raises(HemalakeQueryError) as unauthenticated,
    ):
        stranger.size(MM)
    assert unauthenticated.value.code == "UNAUTHENTICATED"
