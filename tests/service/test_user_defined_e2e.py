"""User-defined groups, temporal criteria and endpoints through HTTP on the demo lake.

Oracles are built here from the raw Delta tables (rows read into Python, no cohort machinery):
who relapsed within 730 days after their first autologous transplant, who received imatinib
only or a second-generation TKI; the statistics come from the engine (:func:`logrank_test`) on
the catalogue endpoint frame. A user-defined endpoint spelt like a catalogue one answers the
catalogue's numbers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest

from lake.endpoints import Origin, derive_endpoint, overall_survival
from lake.storage import open_lake
from lake.survival import logrank_test
from tests.conftest import DemoLake
from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MONTH = 30.4375
SECOND_GENERATION = {"nilotinib", "dasatinib", "bosutinib"}
EARLY_RELAPSE = """temporal: [{event: {event: PROGRESSION}, after: {transplant: AUTOLOGOUS},
  withinDays: 730}]"""
TKI_GROUPS = """groups: [
  {name: "imatinib only", filter: {treatment: {agentsAny: [IMATINIB]},
    not: {treatment: {agentsAny: [NILOTINIB, DASATINIB, BOSUTINIB]}}}},
  {name: "second-generation TKI", filter: {treatment: {agentsAny: [NILOTINIB, DASATINIB,
    BOSUTINIB]}}}]"""
KM = "excluded groups { group n events atTimes { survival } } logrank { statistic df pValue }"


def _ask(url: str, query: str, key: str = STATISTICIAN_KEY) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"x-api-key": key}, timeout=120
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    assert "errors" not in payload, payload["errors"]
    data: dict[str, Any] = payload["data"]
    return data


def _rows(demo_lake: DemoLake, name: str, *columns: str) -> list[dict[str, Any]]:
    return open_lake(demo_lake.root).scan(name).select(*columns).collect().to_dicts()


def _early_relapse(demo_lake: DemoLake) -> set[str]:
    """MM patients whose first progression is 1..730 days after their first auto transplant."""
    myeloma = {
        r["patient_id"]
        for r in _rows(demo_lake, "patients", "patient_id", "disease")
        if r["disease"] == "MM"
    }
    auto: dict[str, Any] = {}
    for r in _rows(demo_lake, "transplants", "patient_id", "transplant_type", "transplant_date"):
        if r["transplant_type"] == "autologous" and r["transplant_date"] is not None:
            pid = r["patient_id"]
            auto[pid] = min(auto.get(pid, r["transplant_date"]), r["transplant_date"])
    progression: dict[str, Any] = {}
    for r in _rows(demo_lake, "events", "patient_id", "event_type", "event_date"):
        if r["event_type"] == "progression" and r["event_date"] is not None:
            pid = r["patient_id"]
            progression[pid] = min(progression.get(pid, r["event_date"]), r["event_date"])
    return {
        pid
        for pid in myeloma
        if pid in auto and pid in progression and 1 <= (progression[pid] - auto[pid]).days <= 730
    }


def _os_from_diagnosis(demo_lake: DemoLake) -> pl.DataFrame:
    snap = open_lake(demo_lake.root)
    return derive_endpoint(
        overall_survival(),
        Origin("diagnosis"),
        events=snap.scan("events"),
        patients=snap.scan("patients"),
    ).frame


def _check_groups(answer: dict[str, Any], members: list[set[str]], os: pl.DataFrame) -> None:
    """Per group n and events, and the log-rank statistic, from the oracle's members."""
    labels = np.full(os.height, -1)
    ids = os.get_column("patient_id").to_list()
    for g, group in enumerate(members):
        labels[[i for i, pid in enumerate(ids) if pid in group]] = g
    for g, group in enumerate(answer["groups"]):
        status = os.get_column("status").to_numpy()[labels == g]
        assert (group["n"], group["events"]) == (status.size, int(status.sum()))
    keep = labels >= 0
    test = logrank_test(
        os.get_column("time_days").to_numpy()[keep] / MONTH,
        os.get_column("status").to_numpy()[keep],
        labels[keep],
    )
    assert answer["logrank"]["statistic"] == pytest.approx(test.statistic, rel=1e-9)
    assert answer["logrank"]["df"] == len(members) - 1


def test_allo_myeloma_population_relapse_within_two_years_of_autologous_transplant(
    lake_server: str, demo_lake: DemoLake
) -> None:
    early = _early_relapse(demo_lake)
    data = _ask(
        lake_server,
        f"""{{ early: cohort(filter: {{diseases: [MM], {EARLY_RELAPSE}}}) {{ size {{ value }} }}
        mm: cohort(filter: {{diseases: [MM]}}) {{
          survival(endpoint: OS, groupBy: {{groups: [
            {{name: "early relapse after ASCT", filter: {{{EARLY_RELAPSE}}}}},
            {{name: "other ASCT", filter: {{treatment: {{transplant: AUTOLOGOUS}}}}}}]}},
            times: [24]) {{ {KM} }} }} }}""",
    )
    assert len(early) > 50
    assert data["early"]["size"]["value"] == len(early)
    auto = {
        r["patient_id"]
        for r in _rows(demo_lake, "transplants", "patient_id", "transplant_type")
        if r["transplant_type"] == "autologous"
    }
    myeloma = {
        r["patient_id"]
        for r in _rows(demo_lake, "patients", "patient_id", "disease")
        if r["disease"] == "MM"
    }
    survival = data["mm"]["survival"]
    assert [g["group"] for g in survival["groups"]] == ["early relapse after ASCT", "other ASCT"]
    _check_groups(survival, [early, (auto & myeloma) - early], _os_from_diagnosis(demo_lake))
    # the patients in neither group (no autologous transplant) are excluded and counted
    assert survival["excluded"] == len(myeloma - auto)


def _tki_groups(demo_lake: DemoLake) -> list[set[str]]:
    agents: dict[str, set[str]] = defaultdict(set)
    for r in _rows(demo_lake, "treatment_lines", "patient_id", "agents"):
        agents[r["patient_id"]].update(r["agents"] or [])
    cml = {
        r["patient_id"]
        for r in _rows(demo_lake, "patients", "patient_id", "disease")
        if r["disease"] == "CML"
    }
    second = {p for p in cml if agents[p] & SECOND_GENERATION}
    imatinib = {p for p in cml if "imatinib" in agents[p]} - second
    return [imatinib, second]


def test_imatinib_only_vs_second_generation_tki_with_logrank(
    lake_server: str, demo_lake: DemoLake
) -> None:
    query = f"""{{ cohort(filter: {{diseases: [CML]}}) {{
      survival(endpoint: OS, groupBy: {{{TKI_GROUPS}}}, times: [60]) {{ {KM} }}
      coxModel(endpoint: OS, groupBy: {{{TKI_GROUPS}}}) {{ coefficients {{ name }} }} }} }}"""
    data = _ask(lake_server, query)["cohort"]
    members = _tki_groups(demo_lake)
    assert all(len(m) > 50 for m in members)
    _check_groups(data["survival"], members, _os_from_diagnosis(demo_lake))
    # Cox: one indicator, against the first group given
    assert [c["name"] for c in data["coxModel"]["coefficients"]] == ["group=second-generation TKI"]
    # a protected role gets a noisy answer over the same public group names
    protected = _ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [CML]}}) {{
          survival(endpoint: OS, groupBy: {{{TKI_GROUPS}}}) {{ groups {{ group }}
          provenance {{ access }} }} }} }}""",
        key=ANALYST_KEY,
    )["cohort"]["survival"]
    assert [g["group"] for g in protected["groups"]] == ["imatinib only", "second-generation TKI"]
    assert protected["provenance"]["access"] == "PROTECTED"


def test_a_user_defined_endpoint_answers_the_catalogues_numbers(lake_server: str) -> None:
    pfs = 'definedEndpoint: {name: "PFS", events: [RELAPSE, PROGRESSION, DEATH]}'
    nrm = """definedEndpoint: {name: "NRM", events: [DEATH],
      competingEvents: [RELAPSE, PROGRESSION], ties: COMPETING}"""
    allo = "timeZero: {origin: ALLO_TRANSPLANT}"
    incidence = "excluded groups { n causes { cause events atTimes { estimate lower upper } } }"
    cox = "n events coefficients { name coef se } concordance { cIndex } aic"
    pairs = {
        "survival": ('endpoint: PFS, groupBy: {score: "riss"}, times: [12, 36]', KM),
        "cumulativeIncidence": (f"endpoint: NRM, {allo}, times: [12, 24]", incidence),
        "coxModel": ("endpoint: PFS, covariates: [{numeric: AGE_AT_DIAGNOSIS}]", cox),
    }
    defined = {"PFS": pfs, "NRM": nrm}
    for field, (arguments, fields) in pairs.items():
        name = arguments.split(",")[0].removeprefix("endpoint: ")
        own = arguments.replace(f"endpoint: {name}", defined[name])
        data = _ask(
            lake_server,
            f"""{{ cohort(filter: {{diseases: [MM]}}) {{
            catalogue: {field}({arguments}) {{ {fields} }}
            defined: {field}({own}) {{ {fields} }} }} }}""",
        )["cohort"]
        assert data["catalogue"] == data["defined"]
        assert "excluded" not in data["catalogue"] or data["catalogue"]["excluded"] is not None


def test_one_endpoint_exactly_and_competing_events_only_for_incidence(lake_server: str) -> None:
    response = httpx.post(
        f"{lake_server}/graphql",
        json={
            "query": """{ cohort { a: survival(endpoint: OS,
              definedEndpoint: {name: "x", events: [DEATH]}) { endpoint }
              b: survival(definedEndpoint: {name: "x", events: [DEATH],
              competingEvents: [RELAPSE]}) { endpoint }
              c: cumulativeIncidence(definedEndpoint: {name: "x", events: [DEATH]}) { endpoint }
              d: survival { endpoint } } }"""
        },
        headers={"x-api-key": STATISTICIAN_KEY},
        timeout=120,
    ).json()
    messages = {e["path"][-1]: e["message"] for e in response["errors"]}
    assert {e["extensions"]["code"] for e in response["errors"]} == {"BAD_REQUEST"}
    assert "got both" in messages["a"]
    assert "only cumulativeIncidence" in messages["b"]
    assert "give at least one" in messages["c"]
    assert "got neither" in messages["d"]
