"""User-defined endpoints derive like the catalogue: OS, PFS and NRM spelt as definitions match."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from lake.cohort.endpoints import EndpointKey, endpoint_frame
from lake.endpoints.defined import DefinedEndpoint
from lake.errors import AnalysisError
from lake.model import table
from lake.storage import open_lake
from tests.conftest import DemoLake
from tests.schema.demo_frames import FrameSource

OS = DefinedEndpoint("my OS", events=("death",))
PFS = DefinedEndpoint("my PFS", events=("relapse", "progression", "death"))
NRM = DefinedEndpoint(
    "my NRM", events=("death",), competing=("relapse", "progression"), ties_go_to="competing"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("catalogue", "defined", "origin", "line"),
    [
        ("OS", OS, "diagnosis", None),
        ("OS", OS, "treatment_line", 2),
        ("OS", OS, "allo_transplant", None),
        ("PFS", PFS, "diagnosis", None),
        ("PFS", PFS, "treatment_line", 1),
        ("NRM", NRM, "allo_transplant", None),
    ],
)
def test_a_catalogue_endpoint_as_a_definition_gives_the_same_frame(
    demo_lake: DemoLake,
    catalogue: str,
    defined: DefinedEndpoint,
    origin: str,
    line: int | None,
) -> None:
    source = open_lake(demo_lake.root)

    def frame(endpoint: Any) -> pl.DataFrame:
        return endpoint_frame(
            source,
            EndpointKey(endpoint=endpoint, origin=origin, line_number=line),  # type: ignore[arg-type]
        )

    expected = frame(catalogue)
    assert expected.height > 50
    assert frame(defined).equals(expected)


def test_nrm_without_the_tie_rule_differs_only_on_same_day_relapse_and_death() -> None:
    def ev(pid: str, kind: str, n: int) -> dict[str, Any]:
        return {"patient_id": pid, "site": "S", "event_type": kind, "event_date": day(n)}

    source = _source(
        events=[ev("p1", "relapse", 100), ev("p1", "death", 100), ev("p2", "death", 50)],
        transplants=[("p1", "allogeneic", 0), ("p2", "allogeneic", 0)],
    )
    key = EndpointKey(endpoint=NRM, origin="allo_transplant")
    ties_to_event = DefinedEndpoint("x", events=("death",), competing=("relapse",))
    assert endpoint_frame(source, key).get_column("status").to_list() == [2, 1]
    other = EndpointKey(endpoint=ties_to_event, origin="allo_transplant")
    assert endpoint_frame(source, other).get_column("status").to_list() == [1, 1]


START = dt.date(2020, 1, 1)


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def _source(
    *, events: list[dict[str, Any]], transplants: list[tuple[str, str, int]]
) -> FrameSource:
    def frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
        schema = table(name).schema
        return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)

    ids = sorted({e["patient_id"] for e in events} | {t[0] for t in transplants})
    return FrameSource(
        {
            "patients": frame(
                "patients",
                [{"patient_id": i, "site": "S", "diagnosis_date": START} for i in ids],
            ),
            "events": frame("events", events),
            "transplants": frame(
                "transplants",
                [
                    {"patient_id": i, "site": "S", "transplant_type": k, "transplant_date": day(n)}
                    for i, k, n in transplants
                ],
            ),
        }
    )


def test_censoring_at_allogeneic_transplant() -> None:
    """PFS from diagnosis censored at allo-HSCT: an event after the transplant is not counted."""

    def ev(pid: str, kind: str, n: int) -> dict[str, Any]:
        return {"patient_id": pid, "site": "S", "event_type": kind, "event_date": day(n)}

    source = _source(
        events=[
            ev("p1", "relapse", 200),
            ev("p1", "last_follow_up", 400),
            ev("p2", "relapse", 50),
            ev("p2", "last_follow_up", 400),
            ev("p3", "death", 300),
            ev("p4", "last_follow_up", 500),
        ],
        transplants=[
            ("p1", "allogeneic", 100),
            ("p2", "allogeneic", 100),
            ("p4", "autologous", 30),
        ],
    )
    censored = DefinedEndpoint(
        "PFS censored at allo", events=PFS.events, censor_at_transplant=("allogeneic",)
    )
    frame = endpoint_frame(source, EndpointKey(endpoint=censored, origin="diagnosis"))
    assert frame.rows() == [("p1", 100, 0), ("p2", 50, 1), ("p3", 300, 1), ("p4", 500, 0)]
    plain = endpoint_frame(source, EndpointKey(endpoint=PFS, origin="diagnosis"))
    assert plain.rows()[0] == ("p1", 200, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": ()}, "at least one event type"),
        ({"events": ("death", "stroke")}, "not an event type"),
        ({"events": ("last_follow_up",)}, "not an event type"),
        ({"events": ("death",), "competing": ("death",)}, "in both events and competing"),
        ({"events": ("death", "death")}, "twice in events"),
        ({"events": ("death",), "ties_go_to": "competing"}, "none given"),
        ({"events": ("death",), "censor_at_transplant": ("syngeneic",)}, "unknown transplant"),
        ({"name": " ", "events": ("death",)}, "1 to 60 characters"),
    ],
)
def test_invalid_definitions_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        DefinedEndpoint(**{"name": "x", **kwargs})


def test_a_definition_is_defined_from_every_origin_and_keys_apart_from_the_catalogue() -> None:
    key = EndpointKey(endpoint=OS, origin="tki_stop")
    assert key.definition().name == "my OS"
    assert not key.competing
    assert EndpointKey(endpoint=NRM, origin="diagnosis").competing
    assert key != EndpointKey(endpoint="OS", origin="tki_stop")


def test_an_endpoint_without_events_is_an_answer_not_an_error() -> None:
    """Found by the fuzz suite: a defined endpoint nobody reaches (no aGVHD in this lake) gives
    S = 1 and no median, with the engine's "no events" warning kept out of the answer path."""
    from lake.access import Caller
    from lake.cohort.filters import EVERYONE
    from lake.cohort.survival import Grouping, SurvivalRequest
    from lake.disclosure import DisclosurePolicy
    from lake.query.gateway import LakeGateway
    from tests.schema.demo_frames import FrameLake, demo_frames

    class Sink:
        def record(self, entry: object) -> None:
            """Audit records are not under test."""

    gateway = LakeGateway(
        open_snapshot=FrameLake(FrameSource(demo_frames(200), version=1)).open,
        policy=DisclosurePolicy(min_cell_size=5),
        audit=Sink(),  # type: ignore[arg-type]
        software_version="test",
    )
    (cohort,) = gateway.cohorts([(None, EVERYONE)])
    never = DefinedEndpoint("aGVHD any grade", events=("agvhd",))
    request = SurvivalRequest(
        endpoint=EndpointKey(endpoint=never, origin="diagnosis"),
        grouping=Grouping(),
        times=(1.0,),
        time_unit="years",
        conf_type="log",
    )
    (group,) = gateway.survival(
        Caller(user="s", role="statistician"), cohort, request=request
    ).value.groups  # type: ignore[arg-type]
    assert group.events == 0
    assert group.median is not None
    assert group.median.estimate is None
    assert [p.survival for p in group.at_times] == [1.0]
