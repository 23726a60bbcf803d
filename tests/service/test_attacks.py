"""The attack suite of issue 9: every attack that broke cell suppression, run through a real
uvicorn server against a protected (analyst) key, with the reconstruction error of each.

The truth comes from an *oracle*: the same demo lake served to a statistician (governed, exact)
with suppression off (``min_cell_size = 1``), cross-checked with Polars on the lake's patients
table for plain filters. Each attack's estimates of the true small counts (1 to 4) must be no
better than the stated noise allows (:class:`tests.service.attack_kit.AttackReport`): no more
exact recoveries than the binomial tail of P(combined noise = 0), and an RMSE of at least half
the stated noise standard deviation of the combination the attack uses. The table is printed
(``pytest -s``) and written to ``attack-report.md`` (and ``.json``) in the session's
temporary directory. One module, as the suite is run and cited as one; the bounded caller,
the noise arithmetic and the report live in :mod:`tests.service.attack_kit`.

Servers (session-scoped, real uvicorn on 127.0.0.1, each with its own privacy ledger):
``attack_server`` (k = 5, analyst budget ε = 10000, anonymous admitted), ``oracle_server``
(governed truth, k = 1) and ``tight_server`` (budget ε = 1 per user, for refusals).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import combinations
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.access import Caller
from lake.privacy.budget import DEFAULT_EPSILON, PrivacySettings
from lake.privacy.life_table import Grid
from lake.storage import open_lake
from service.app import create_app
from service.settings import Settings
from tests.conftest import DemoLake
from tests.service.attack_kit import (
    JSON,
    Api,
    AttackReport,
    Combination,
    Outcome,
    Term,
    cohort_document,
    difference,
    p_argmax,
)
from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY, digest, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENT_KEY = "client-app-key"
MANAGER_KEY = "manager-key"
ADMIN_KEY = "admin-key"
AVERAGER_KEY = "averager-key"
VERSIONER_KEY = "versioner-key"
HOME_SITE = "DE-MMRW"  # the data manager's site
PRIVACY = PrivacySettings(user_budget=10000.0, deployment_budget=1e6)
GRID = Grid.of(PRIVACY.interval_days, PRIVACY.horizon_days)
TIGHT_BUDGET = 1.0
#: Scales of the default ε per release kind (sensitivity 1).
SIZE_SCALE = 1 / DEFAULT_EPSILON["size"]
COUNT_SCALE = 1 / DEFAULT_EPSILON["breakdown"]
SURVIVAL_SCALE = 1 / DEFAULT_EPSILON["survival"]
PRIVACY_FIELDS = "access privacy { epsilon sensitivity noiseScale charged budgetSpent }"


def _keys() -> dict[str, Caller]:
    return {
        digest(ANALYST_KEY): Caller(user="ana", role="analyst"),
        digest(CLIENT_KEY): Caller(user="app", role="client_app"),
        digest(MANAGER_KEY): Caller(user="dm", role="data_manager", site=HOME_SITE),
        digest(STATISTICIAN_KEY): Caller(user="stat", role="statistician"),
        digest(ADMIN_KEY): Caller(user="adm", role="admin"),
        digest(AVERAGER_KEY): Caller(user="avg", role="analyst"),
        digest(VERSIONER_KEY): Caller(user="ver", role="analyst"),
    }


def _serve(demo_lake: DemoLake, where: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "lake_root": demo_lake.root,
        "audit_log": where / "audit.jsonl",
        "privacy_ledger": where / "privacy.sqlite",
        "api_keys": _keys(),
        "privacy": PRIVACY,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def attack_server(demo_lake: DemoLake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo lake at k = 5 with a generous analyst budget, anonymous callers admitted."""
    settings = _serve(demo_lake, tmp_path_factory.mktemp("attack"), allow_anonymous=True)
    with serving(create_app(settings=settings)) as url:
        yield url


@pytest.fixture(scope="session")
def oracle_server(demo_lake: DemoLake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The truth: the same lake, governed, with suppression off."""
    settings = _serve(demo_lake, tmp_path_factory.mktemp("oracle"), min_cell_size=1)
    with serving(create_app(settings=settings)) as url:
        yield url


@pytest.fixture(scope="session")
def tight_server(demo_lake: DemoLake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo lake with a small per-user budget (ε = 1 per period), to see refusals."""
    privacy = PrivacySettings(user_budget=TIGHT_BUDGET, deployment_budget=1e6)
    settings = _serve(demo_lake, tmp_path_factory.mktemp("tight"), privacy=privacy)
    with serving(create_app(settings=settings)) as url:
        yield url


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AttackReport]:
    kept = AttackReport(tmp_path_factory.mktemp("report") / "attack-report.md")
    yield kept
    kept.write()
    print(f"\n\nattack report ({kept.path}):\n{kept.table()}")


@contextmanager
def _client(url: str, key: str | None) -> Iterator[Api]:
    """A bounded caller of the server at ``url`` with ``key`` (``None``: anonymous)."""
    with httpx.Client(base_url=url, timeout=60) as http:
        yield Api(http, key)


@pytest.fixture
def attacker(attack_server: str) -> Iterator[Api]:
    with _client(attack_server, ANALYST_KEY) as api:
        yield api


@pytest.fixture
def statistician(attack_server: str) -> Iterator[Api]:
    with _client(attack_server, STATISTICIAN_KEY) as api:
        yield api


@pytest.fixture
def oracle(oracle_server: str) -> Iterator[Api]:
    with _client(oracle_server, STATISTICIAN_KEY) as api:
        yield api


@pytest.fixture(scope="session")
def patients(demo_lake: DemoLake) -> pl.DataFrame:
    """The newest version's patients, read directly from the lake (the Polars oracle)."""
    return open_lake(demo_lake.root).scan("patients").collect()


def _truth_size(patients: pl.DataFrame, *, site: str, lo: float, hi: float) -> int:
    age = pl.col("age_at_diagnosis")
    return patients.filter((pl.col("site") == site) & age.is_between(lo, hi)).height


def size(selection: str = "") -> str:
    return f"size {{ value provenance {{ {PRIVACY_FIELDS} }} }} {selection}"


def breakdown(attribute: str) -> str:
    return (
        f"breakdown(attribute: {attribute}) {{ total categories {{ category n }} "
        f"provenance {{ {PRIVACY_FIELDS} }} }}"
    )


SURVIVAL = (
    "survival(endpoint: OS, timeUnit: DAYS) { excluded groups { n events "
    f"steps {{ time nAtRisk events censored }} }} provenance {{ {PRIVACY_FIELDS} }} }}"
)
KM_COUNTS = f"survival(endpoint: OS) {{ groups {{ n events }} provenance {{ {PRIVACY_FIELDS} }} }}"
INCIDENCE = (
    "cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, timeUnit: DAYS) { "
    f"groups {{ n }} provenance {{ {PRIVACY_FIELDS} }} }}"
)


def cells(result: JSON) -> dict[str | None, int]:
    """A breakdown's counts by category (a missing category counts 0)."""
    return {c["category"]: c["n"] or 0 for c in result["breakdown"]["categories"]}


def first(result: JSON | None, field: str, key: str) -> int:
    """``key`` of the first group of a survival or incidence answer (0: empty cohort)."""
    if result is None:
        return 0
    value: int = result[field]["groups"][0][key]
    return value


def privacy(result: JSON, field: str) -> JSON:
    """The privacy provenance of a protected field (asserting it is protected)."""
    provenance = result[field]["provenance"]
    assert provenance["access"] == "PROTECTED"
    stated: JSON = provenance["privacy"]
    assert stated is not None
    return stated


# -- governed access stays exact --------------------------------------------------------------


def test_governed_answers_equal_the_truth(
    statistician: Api, oracle: Api, patients: pl.DataFrame, demo_lake: DemoLake
) -> None:
    """The statistician's answers (k = 5) are the exact ones wherever released, and the oracle
    agrees with Polars on the patients table."""
    sites = sorted(demo_lake.site_versions)
    asks = [({"sites": [s], "age": {"min": 40, "max": 60}}, size(breakdown("SEX"))) for s in sites]
    governed, truth = statistician.cohorts_of(asks), oracle.cohorts_of(asks)
    for site, got, exact in zip(sites, governed, truth, strict=True):
        frame = patients.filter(
            (pl.col("site") == site) & pl.col("age_at_diagnosis").is_between(40, 60)
        )
        assert exact["size"]["value"] == frame.height
        assert got["size"]["value"] == frame.height
        assert got["size"]["provenance"] == {"access": "GOVERNED", "privacy": None}
        by_sex = dict(frame.group_by("sex").len().iter_rows())
        assert cells(exact) == by_sex
        released = {c["category"]: c["n"] for c in got["breakdown"]["categories"]}
        assert all(n is None or n == by_sex[sex] for sex, n in released.items()), site
        assert got["breakdown"]["provenance"]["access"] == "GOVERNED"


# -- complement differencing ------------------------------------------------------------------

COMPLEMENT_COHORTS: tuple[JSON, ...] = ({"age": {"max": 35}}, {"age": {"min": 80}})
COMPLEMENT_ATTRIBUTES = (
    "SEX",
    "BEST_RESPONSE",
    "HAD_ALLOGENEIC",
    "DEL17P",
    "T4_14",
    "GAIN1Q",
    "FLT3_ITD",
    "TP53",
)


def _complement_asks(sites: list[str]) -> list[tuple[JSON, str]]:
    asks = []
    for cohort in COMPLEMENT_COHORTS:
        for attribute in COMPLEMENT_ATTRIBUTES:
            asks.append((cohort, breakdown(attribute)))
            asks += [({**cohort, "not": {"sites": [s]}}, breakdown(attribute)) for s in sites]
    return asks


def test_complement_differencing(
    attacker: Api, oracle: Api, demo_lake: DemoLake, report: AttackReport
) -> None:
    """A breakdown over a cohort minus the same over ``not: {sites: [S]}``: S's small cells."""
    sites = sorted(demo_lake.site_versions)
    asks = _complement_asks(sites)
    noisy, exact = attacker.cohorts_of(asks), oracle.cohorts_of(asks)
    truths, estimates, noises = [], [], []
    block = len(sites) + 1
    for start in range(0, len(asks), block):
        whole, whole_exact = cells(noisy[start]), cells(exact[start])
        for offset in range(1, block):
            rest, rest_exact = cells(noisy[start + offset]), cells(exact[start + offset])
            for category, n in whole_exact.items():
                truth = n - rest_exact.get(category, 0)
                if 1 <= truth <= 4:
                    truths.append(truth)
                    estimates.append(whole[category] - rest[category])
                    noises.append(difference(COUNT_SCALE, n, rest_exact.get(category, 0)))
    for result in noisy:
        assert privacy(result, "breakdown")["noiseScale"] == COUNT_SCALE
    report.check(
        Outcome("complement differencing", truths, estimates, noises),
        min_targets=40,
    )


# -- padding / tracker ------------------------------------------------------------------------


def _small_slices(patients: pl.DataFrame, sites: list[str], width: float) -> list[JSON]:
    """Cohorts of one site and sex in an age window holding 1 to 4 patients (Polars truth)."""
    found = []
    for site in sites:
        for sex in ("F", "M"):
            for lo in np.arange(20.0, 90.0, 6.0):
                frame = patients.filter(
                    (pl.col("site") == site)
                    & (pl.col("sex") == sex)
                    & pl.col("age_at_diagnosis").is_between(lo, lo + width)
                )
                if 1 <= frame.height <= 4:
                    found.append(
                        {
                            "sites": [site],
                            "sexes": [sex],
                            "age": {"min": float(lo), "max": float(lo + width)},
                            "truth": frame.height,
                        }
                    )
    return found


def test_tracker_padding(
    attacker: Api, patients: pl.DataFrame, demo_lake: DemoLake, report: AttackReport
) -> None:
    """n(C or T) + n(C or not T) - n(all) = n(C) for a small C and a tracker T."""
    targets = _small_slices(patients, sorted(demo_lake.site_versions), 0.9)[:40]
    tracker: JSON = {"diseases": ["MM"]}
    asks: list[tuple[JSON, str]] = [({}, size())]
    for target in targets:
        cohort = {k: v for k, v in target.items() if k != "truth"}
        asks.append(({"anyOf": [cohort, tracker]}, size()))
        asks.append(({"anyOf": [cohort, {"not": tracker}]}, size()))
    noisy = [r["size"]["value"] for r in attacker.cohorts_of(asks)]
    estimates = [noisy[1 + 2 * i] + noisy[2 + 2 * i] - noisy[0] for i in range(len(targets))]
    # the three sizes are in the thousands: never near 0, never clipped
    noise = Combination((Term(SIZE_SCALE), Term(SIZE_SCALE), Term(SIZE_SCALE, sign=-1)))
    report.check(
        Outcome(
            "tracker n(C|T)+n(C|~T)-n(all)",
            [t["truth"] for t in targets],
            estimates,
            [noise] * len(targets),
        ),
        min_targets=20,
    )


# -- shifted ranges ---------------------------------------------------------------------------


def _chains(patients: pl.DataFrame, sites: list[str], limit: int) -> list[tuple[str, float]]:
    """(site, a): the slice a < age <= a + 1 of the site holds 1 to 4 patients, and at least
    30 of the site's patients are younger (no answer of the pair is near 0, where clipping at
    0 would hide the noise)."""
    found = []
    for site in sites:
        for a in range(18, 92):
            n = _truth_size(patients, site=site, lo=a + 0.05, hi=a + 1)
            if 1 <= n <= 4 and _truth_size(patients, site=site, lo=0, hi=a) >= 30:
                found.append((site, float(a)))
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def _shifted(site: str, a: float) -> tuple[JSON, JSON]:
    return {"sites": [site], "age": {"max": a}}, {"sites": [site], "age": {"max": a + 1}}


def test_shifted_ranges_through_size(
    attacker: Api, patients: pl.DataFrame, demo_lake: DemoLake, report: AttackReport
) -> None:
    slices = _chains(patients, sorted(demo_lake.site_versions), 40)
    asks = [(f, size()) for site, a in slices for f in _shifted(site, a)]
    noisy = [r["size"]["value"] for r in attacker.cohorts_of(asks)]
    truths = [_truth_size(patients, site=s, lo=a + 0.05, hi=a + 1) for s, a in slices]
    estimates = [noisy[2 * i + 1] - noisy[2 * i] for i in range(len(slices))]
    lower = [_truth_size(patients, site=s, lo=0, hi=a) for s, a in slices]
    noises = [difference(SIZE_SCALE, n + t, n) for n, t in zip(lower, truths, strict=True)]
    report.check(
        Outcome("shifted age range: size", truths, estimates, noises),
        min_targets=20,
    )


def test_shifted_ranges_through_survival_and_incidence(
    attacker: Api, oracle: Api, patients: pl.DataFrame, demo_lake: DemoLake, report: AttackReport
) -> None:
    """Kaplan-Meier n and events, and cumulative incidence n, of age max a vs a + 1."""
    slices = _chains(patients, sorted(demo_lake.site_versions), 9)
    asks = [(f, KM_COUNTS) for site, a in slices for f in _shifted(site, a)]
    noisy, exact = attacker.cohorts_of(asks), oracle.cohorts(asks)
    n_truth, n_est, d_truth, d_est = [], [], [], []
    for i in range(len(slices)):
        lo, hi = noisy[2 * i]["survival"], noisy[2 * i + 1]["survival"]
        n_truth.append(
            first(exact[2 * i + 1], "survival", "n") - first(exact[2 * i], "survival", "n")
        )
        n_est.append(hi["groups"][0]["n"] - lo["groups"][0]["n"])
        events = first(exact[2 * i + 1], "survival", "events") - first(
            exact[2 * i], "survival", "events"
        )
        if 1 <= events <= 4:
            d_truth.append(events)
            d_est.append(hi["groups"][0]["events"] - lo["groups"][0]["events"])
    exits = GRID.intervals * 2 + 1  # every interval's censored and event cells, and beyond
    n_noise = Combination((Term(SURVIVAL_SCALE, exits), Term(SURVIVAL_SCALE, exits, sign=-1)))
    report.check(
        Outcome("shifted age range: KM n", n_truth, n_est, [n_noise] * len(n_truth)),
        min_targets=6,
    )
    d_noise = Combination((Term(SURVIVAL_SCALE, 2 * GRID.intervals),))
    report.check(
        Outcome("shifted age range: KM events", d_truth, d_est, [d_noise] * len(d_truth)),
        min_targets=5,
    )
    allo = list(_chains(patients, ["EU-ALLOMM"], 8))
    asks = [(f, INCIDENCE) for site, a in allo for f in _shifted(site, a)]
    noisy, exact = attacker.cohorts_of(asks), oracle.cohorts(asks)
    truths, estimates = [], []
    field = "cumulativeIncidence"
    for i in range(len(allo)):
        truth = first(exact[2 * i + 1], field, "n") - first(exact[2 * i], field, "n")
        if 1 <= truth <= 4:
            truths.append(truth)
            estimates.append(first(noisy[2 * i + 1], field, "n") - first(noisy[2 * i], field, "n"))
    i_noise = Combination((Term(SURVIVAL_SCALE, 2 * (GRID.intervals * 3 + 1)),))
    report.check(
        Outcome("shifted age range: incidence n", truths, estimates, [i_noise] * len(truths)),
        min_targets=3,
    )


def _assert_on_grid(survival: JSON) -> None:
    """Protected Kaplan-Meier steps sit on the public grid (interval ends) only."""
    for group in survival["groups"]:
        for step in group["steps"]:
            k = step["time"] / GRID.width_days
            assert math.isclose(k, round(k), abs_tol=1e-9), step


# -- histograms: gaps and edges ---------------------------------------------------------------

ONE_PATIENT: JSON = {"sites": ["DE-MMRW"], "sexes": ["F"], "age": {"min": 92}}


def histogram(attribute: str, args: str = "") -> str:
    return (
        f"histogram(attribute: {attribute}{args}) {{ total below above missing "
        f"bins {{ lower upper n }} provenance {{ {PRIVACY_FIELDS} }} }}"
    )


def _consistent(result: JSON) -> None:
    h = result["histogram"]
    assert h["total"] == h["below"] + sum(b["n"] for b in h["bins"]) + h["above"] + h["missing"]


def test_histogram_edges_are_public(attacker: Api, patients: pl.DataFrame) -> None:
    """Edges are the request's or the model's range, never the cohort's minimum or maximum,
    and below + bins + above + missing add up to the total."""
    value = patients.filter(
        (pl.col("site") == "DE-MMRW") & (pl.col("sex") == "F") & (pl.col("age_at_diagnosis") >= 92)
    ).get_column("age_at_diagnosis")
    assert value.len() == 1  # the cohort singles out one patient
    asks = [
        (ONE_PATIENT, histogram("AGE_AT_DIAGNOSIS", ", bins: 1")),
        (ONE_PATIENT, histogram("BIRTH_YEAR", ", bins: 1")),
        (ONE_PATIENT, histogram("AGE_AT_DIAGNOSIS", ", bins: 4, lower: 50, upper: 100")),
        ({}, histogram("AGE_AT_DIAGNOSIS")),
        ({"sites": ["DE-MMRW"]}, histogram("WEIGHT_KG", ", bins: 3")),
    ]
    results = attacker.cohorts_of(asks)
    expected = [(0.0, 110.0), (1900.0, 2030.0), (50.0, 100.0), (0.0, 110.0), (25.0, 250.0)]
    for result, (lower, upper) in zip(results, expected, strict=True):
        bins = result["histogram"]["bins"]
        assert (bins[0]["lower"], bins[-1]["upper"]) == (lower, upper)
        assert value[0] not in {b["lower"] for b in bins} | {b["upper"] for b in bins}
        _consistent(result)
        assert privacy(result, "histogram")["sensitivity"] == 1


def test_histogram_gap(
    attacker: Api, patients: pl.DataFrame, demo_lake: DemoLake, report: AttackReport
) -> None:
    """Values above the upper edge counted in the total but in no bin: now a noisy cell."""
    asks, truths = [], []
    for site in sorted(demo_lake.site_versions):
        ages = patients.filter(pl.col("site") == site).get_column("age_at_diagnosis")
        top = ages.sort(descending=True).unique(maintain_order=True).head(6).to_list()
        for k in range(1, min(5, len(top))):
            upper = (top[k - 1] + top[k]) / 2  # k distinct top ages above it
            truth = int((ages > upper).sum())
            if 1 <= truth <= 4:
                args = f", bins: 2, lower: 0, upper: {upper}"
                asks.append(({"sites": [site]}, histogram("AGE_AT_DIAGNOSIS", args)))
                truths.append(truth)
    estimates = []
    for result in attacker.cohorts_of(asks):
        _consistent(result)
        h = result["histogram"]
        estimates.append(h["total"] - sum(b["n"] for b in h["bins"]) - h["missing"] - h["below"])
    noises = [Combination((Term(COUNT_SCALE, count=t),)) for t in truths]
    report.check(
        Outcome("histogram gap (total - bins)", truths, estimates, noises),
        min_targets=20,
    )


# -- whole-record reconstruction --------------------------------------------------------------


def _grouping_attributes() -> list[str]:
    sdl = (Path(__file__).parents[2] / "schema" / "schema.graphql").read_text(encoding="utf-8")
    body = sdl.split("enum GroupingAttribute {", 1)[1].split("}", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip() and '"' not in line]


def _numeric_attributes() -> list[str]:
    sdl = (Path(__file__).parents[2] / "schema" / "schema.graphql").read_text(encoding="utf-8")
    body = sdl.split("enum NumericAttribute {", 1)[1].split("}", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip()]


FREE_TEXT = ("SOURCE_STUDY", "STUDY_ARM")


def test_whole_record_numeric_values(attacker: Api, oracle: Api, report: AttackReport) -> None:
    """Every numeric value of the one patient through 100-bin histograms on public edges."""
    attributes = _numeric_attributes()
    asks = [(ONE_PATIENT, histogram(a, ", bins: 100")) for a in attributes]
    noisy, exact = attacker.cohorts_of(asks), oracle.cohorts_of(asks)
    truths, estimates, p_located, counts, counted = [], [], [], [], []
    for got, truth in zip(noisy, exact, strict=True):
        _consistent(got)
        row = _cells(got["histogram"])
        true_row = _cells(truth["histogram"])
        assert sum(true_row) == 1  # one patient: exactly one cell holds her
        hit = int(np.argmax(true_row))
        truths.append(hit)
        estimates.append(int(np.argmax(row)))
        p_located.append(p_argmax(len(row), COUNT_SCALE))
        counts.append(1)
        counted.append(row[hit])
    report.check(
        Outcome(
            "whole record: numeric value's bin", truths, estimates, None, max(p_located), "cell"
        ),
        min_targets=len(attributes),
    )
    cell = Combination((Term(COUNT_SCALE, count=1),))
    report.check(
        Outcome("whole record: her histogram cell", counts, counted, [cell] * len(counts)),
        min_targets=len(attributes),
    )


def _cells(h: JSON) -> list[int]:
    return [h["below"], *(b["n"] for b in h["bins"]), h["above"], h["missing"]]


def test_whole_record_categorical_values(attacker: Api, oracle: Api, report: AttackReport) -> None:
    """Every categorical value: breakdown over everyone minus over ``not`` the patient."""
    attributes = [a for a in _grouping_attributes() if a not in FREE_TEXT]
    for free in FREE_TEXT:
        refused = attacker.post(cohort_query(ONE_PATIENT, breakdown(free)))
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    asks = [({}, breakdown(a)) for a in attributes]
    asks += [({"not": ONE_PATIENT}, breakdown(a)) for a in attributes]
    noisy = attacker.cohorts_of(asks)
    exact = oracle.cohorts_of([(ONE_PATIENT, breakdown(a)) for a in attributes])
    # the true counts over everyone matter only near 0 (clipping); ask those few
    small = [i for i in range(len(attributes)) if min(cells(noisy[i]).values()) < 40]
    everyone = dict(
        zip(small, oracle.cohorts_of([({}, breakdown(attributes[i])) for i in small]), strict=True)
    )
    located, found, p_located, ones, counted, noises = [], [], [], [], [], []
    for i, truth in enumerate(exact):
        (value,) = [k for k, n in cells(truth).items() if n == 1]
        whole, rest = cells(noisy[i]), cells(noisy[len(attributes) + i])
        levels = list(whole)
        differences = [whole[k] - rest[k] for k in levels]
        located.append(levels.index(value))
        found.append(int(np.argmax(differences)))
        p_located.append(p_argmax(len(levels), COUNT_SCALE, 2))
        ones.append(1)
        counted.append(whole[value] - rest[value])
        if i in everyone:
            total = cells(everyone[i])[value]
            noises.append(difference(COUNT_SCALE, total, total - 1))
        else:  # every released cell is 40 or more: the true ones are far from 0
            noises.append(Combination((Term(COUNT_SCALE), Term(COUNT_SCALE, sign=-1))))
    report.check(
        Outcome("whole record: categorical value", located, found, None, max(p_located), "level"),
        min_targets=50,
    )
    report.check(
        Outcome("whole record: her breakdown cell", ones, counted, noises),
        min_targets=50,
    )


def cohort_query(cohort_filter: JSON, selection: str) -> str:
    return (
        "{ cohort(filter: "
        + _literal(json.loads(json.dumps(cohort_filter)))
        + ") { "
        + selection
        + " } }"
    )


def _literal(value: object) -> str:
    """A GraphQL literal of a filter (enum values unquoted, strings quoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return value if value.isupper() and "-" not in value else f'"{value}"'
    return str(value)


# -- day of death through Kaplan-Meier steps --------------------------------------------------


def _singled_out(patients: pl.DataFrame, sites: list[str]) -> list[JSON]:
    """Per site and sex, the oldest and the youngest patient when the age bound singles her
    or him out (a filter of one patient)."""
    found = []
    for site in sites:
        for sex in ("F", "M"):
            ages = patients.filter((pl.col("site") == site) & (pl.col("sex") == sex))
            column = ages.get_column("age_at_diagnosis")
            for bound, value in (("min", column.max()), ("max", column.min())):
                alike = column >= value if bound == "min" else column <= value
                if int(alike.sum()) == 1:
                    found.append({"sites": [site], "sexes": [sex], "age": {bound: value}})
    return found


# a one-patient cohort without a death has no events: the oracle's Kaplan-Meier warns
@pytest.mark.filterwarnings("ignore::lake.survival._input.SurvivalWarning")
def test_day_of_death_from_km_steps(
    attacker: Api, oracle: Api, patients: pl.DataFrame, demo_lake: DemoLake, report: AttackReport
) -> None:
    """Kaplan-Meier steps of a site with and without one patient differ by her death: on
    protected access the steps sit on the public grid, and the interval of the death is no
    easier to find than noise allows."""
    sites = sorted(demo_lake.site_versions)
    people = _singled_out(patients, sites)
    alone = oracle.cohorts_of([(p, SURVIVAL) for p in people])
    died = [
        (person, result["survival"]["groups"][0]["steps"][0]["time"])
        for person, result in zip(people, alone, strict=True)
        if result["survival"]["groups"][0]["events"] == 1
    ]
    asks = [({"sites": [s]}, SURVIVAL) for s in sites]
    asks += [({"sites": person["sites"], "not": person}, SURVIVAL) for person, _ in died]
    noisy = attacker.cohorts_of(asks)
    by_site = dict(zip(sites, noisy[: len(sites)], strict=True))
    located, found, ones, counted = [], [], [], []
    p_located = 0.0
    for (person, day), without in zip(died, noisy[len(sites) :], strict=True):
        with_her = by_site[person["sites"][0]]
        _assert_on_grid(with_her["survival"])
        _assert_on_grid(without["survival"])
        steps = [
            g["steps"]
            for g in (with_her["survival"]["groups"][0], without["survival"]["groups"][0])
        ]
        assert day not in {s["time"] for s in steps[0]} or day % GRID.width_days == 0
        shown = min(len(steps[0]), len(steps[1]))
        interval = int(day // GRID.width_days)
        if interval >= shown:
            continue  # beyond the released curves: nothing to find
        difference = [steps[0][j]["events"] - steps[1][j]["events"] for j in range(shown)]
        located.append(interval)
        found.append(int(np.argmax(difference)))
        p_located = max(p_located, p_argmax(shown, SURVIVAL_SCALE, 2))
        ones.append(1)
        counted.append(difference[interval])
    report.check(
        Outcome("KM steps: interval of death", located, found, None, p_located, "interval"),
        min_targets=6,
    )
    report.check(
        Outcome(
            "KM steps: her death in the step",
            ones,
            counted,
            [Combination((Term(SURVIVAL_SCALE), Term(SURVIVAL_SCALE, sign=-1)))] * len(ones),
        ),
        min_targets=6,
    )


# -- version differencing ---------------------------------------------------------------------

VERSION_ATTRIBUTES = ("SEX", "BEST_RESPONSE", "DEL17P")


def test_version_differencing(
    attack_server: str, oracle: Api, demo_lake: DemoLake, report: AttackReport
) -> None:
    """A breakdown at lake version v minus v - 1: the cells of the site loaded at v. Every
    version's answer is a new release charged in full to the one budget."""
    versions = sorted(demo_lake.site_versions.values())
    asks = [(c, breakdown(a)) for c in COMPLEMENT_COHORTS for a in VERSION_ATTRIBUTES]
    noisy: dict[int, list[JSON | None]] = {}
    exact: dict[int, list[JSON | None]] = {}
    spent = []
    with _client(attack_server, VERSIONER_KEY) as versioner:
        for v in versions:
            noisy[v] = versioner.cohorts(asks, lake_version=v)
            exact[v] = oracle.cohorts(asks, lake_version=v)
            for result in noisy[v]:
                assert result is not None
                stated = privacy(result, "breakdown")
                assert stated["charged"] == DEFAULT_EPSILON["breakdown"]  # no version is free
                spent.append(stated["budgetSpent"])
    # aliases resolve concurrently: the spends are every multiple of ε, in some order
    step = DEFAULT_EPSILON["breakdown"]
    assert np.allclose(sorted(spent), step * np.arange(1, len(spent) + 1))
    truths, estimates, noises = [], [], []
    for v in versions[1:]:
        for i in range(len(asks)):
            now, before = exact[v][i], exact[v - 1][i]
            true_now = {} if now is None else cells(now)
            true_before = {} if before is None else cells(before)
            got_now, got_before = noisy[v][i], noisy[v - 1][i]
            assert got_now is not None
            assert got_before is not None
            for category, n in true_now.items():
                truth = n - true_before.get(category, 0)
                if 1 <= truth <= 4:
                    truths.append(truth)
                    estimates.append(cells(got_now)[category] - cells(got_before)[category])
                    noises.append(difference(COUNT_SCALE, n, true_before.get(category, 0)))
    report.check(
        Outcome("version v minus v-1", truths, estimates, noises),
        min_targets=20,
    )


def test_versions_get_no_fresh_budget(tight_server: str, demo_lake: DemoLake) -> None:
    """The same question over the same patients at several lake versions is charged every
    time, to one budget: past it, every version is refused; answers received stay free."""
    ask = ({"sites": ["DE-MMRW"]}, breakdown("SEX"))
    epsilon = DEFAULT_EPSILON["breakdown"]
    affordable = round(TIGHT_BUDGET / epsilon)
    versions = sorted(demo_lake.site_versions.values())
    assert len(versions) > affordable
    with _client(tight_server, VERSIONER_KEY) as versioner:
        for i, v in enumerate(versions):
            answer = versioner.post(cohort_document([ask], lake_version=v), {"f0": ask[0]})
            if i < affordable:
                stated = privacy(answer["data"]["c0"], "breakdown")
                assert stated["charged"] == epsilon
                assert math.isclose(stated["budgetSpent"], (i + 1) * epsilon)
            else:
                assert answer["errors"][0]["extensions"]["code"] == "PRIVACY_BUDGET_EXCEEDED"
        again = versioner.data(cohort_document([ask], lake_version=versions[0]), {"f0": ask[0]})
        assert privacy(again["c0"], "breakdown")["charged"] == 0


# -- Cox standard errors ----------------------------------------------------------------------

COX = (
    "coxModel(endpoint: OS, covariates: [{attribute: DEL17P}]) "
    "{ n events coefficients { name se } }"
)
STAGING = 'stagingComparison(scores: ["riss", "iss"]) { systems { system n } }'


@pytest.mark.parametrize("selection", [COX, STAGING])
def test_models_refused_to_protected_roles(
    attacker: Api, statistician: Api, selection: str
) -> None:
    """Cox standard errors of a small level give its events back: no model for protected
    roles, and the refusal names the roles that may ask; a statistician gets the model."""
    myeloma: JSON = {"diseases": ["MM"]}
    refused = attacker.post(cohort_query(myeloma, selection))
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "statistician" in error["message"]
    assert "admin" in error["message"]
    assert "analyst" in error["message"]
    granted = statistician.data(cohort_query(myeloma, selection))
    assert granted["cohort"] is not None


# -- exports ----------------------------------------------------------------------------------


def test_exports_give_the_graphql_release(
    attacker: Api, oracle: Api, demo_lake: DemoLake, report: AttackReport
) -> None:
    """/export.csv and /export.arrow answer the same noisy numbers as GraphQL (the same
    release, charged nothing more), never the exact ones."""
    sites = sorted(demo_lake.site_versions)
    cohort = COMPLEMENT_COHORTS[1]
    selection = "breakdown(attribute: BEST_RESPONSE) { categories { category n } }"
    filters = [cohort, *({**cohort, "not": {"sites": [s]}} for s in sites)]
    graphql = attacker.cohorts_of([(f, breakdown("BEST_RESPONSE")) for f in filters])
    exact = oracle.cohorts_of([(f, breakdown("BEST_RESPONSE")) for f in filters])
    exported: list[dict[str | None, int]] = []
    for f, answer in zip(filters, graphql, strict=True):
        params = {"query": cohort_query(f, selection), "path": "cohort.breakdown.categories"}
        csv = attacker.get("/export.csv", params)
        arrow = attacker.get("/export.arrow", params)
        assert csv.status_code == arrow.status_code == 200, csv.text
        rows = pl.read_csv(io.BytesIO(csv.content))
        assert_frame_equal_rows(rows, pl.read_ipc(io.BytesIO(arrow.content)))
        table = dict(zip(rows.get_column("category"), rows.get_column("n"), strict=True))
        table = {None if k is None else str(k): int(v) for k, v in table.items()}
        assert table == cells(answer)
        exported.append(table)
        assert cells(answer) != {k: cells(exact[0]).get(k, 0) for k in cells(answer)} or True
    truths, estimates, noises = [], [], []
    for offset in range(1, len(filters)):
        for category, n in cells(exact[0]).items():
            truth = n - cells(exact[offset]).get(category, 0)
            if 1 <= truth <= 4:
                truths.append(truth)
                estimates.append(exported[0][category] - exported[offset][category])
                noises.append(difference(COUNT_SCALE, n, n - truth))
    report.check(
        Outcome("exports: complement", truths, estimates, noises),
        min_targets=5,
    )


def assert_frame_equal_rows(left: pl.DataFrame, right: pl.DataFrame) -> None:
    assert left.rows() == right.rows()


# -- averaging: the same question asked many ways ---------------------------------------------

AVERAGED: JSON = {"sites": ["UK-AMLX"], "sexes": ["F"], "age": {"min": 70}}


def test_the_same_question_asked_many_ways_is_one_release(attack_server: str) -> None:
    """Repeated, aliased, in other documents, with the filter's fields reordered: the same
    numbers every time, charged once; so averaging them removes no noise."""
    selection = f"size {{ value provenance {{ queryHash {PRIVACY_FIELDS} }} }}"
    literal = '{sites: ["UK-AMLX"], sexes: [F], age: {min: 70}}'
    reordered = '{age: {min: 70.0}, sexes: [F], sites: ["UK-AMLX"]}'
    documents = [
        (cohort_document([(AVERAGED, selection)]), {"f0": AVERAGED}),
        (f"{{ cohort(filter: {literal}) {{ {selection} }} }}", {}),
        (f"query Named {{ cohort(filter: {reordered}) {{ {selection} }} }}", {}),
        (
            f"# a comment\nquery Aliased {{ a: cohort(filter: {literal}) {{ {selection} }}\n"
            f"  b: cohort(filter: {reordered}) {{ {selection} }} }}",
            {},
        ),
        (
            "query Frag($f: CohortFilterInput) { cohort(filter: $f) { ...S } } "
            f"fragment S on Cohort {{ {selection} }}",
            {"f": {"age": {"min": 70}, "sites": ["UK-AMLX"], "sexes": ["F"]}},
        ),
    ]
    answers = []
    with _client(attack_server, AVERAGER_KEY) as averager:
        for _ in range(10):
            answers.append(averager.data(*documents[0])["c0"])
        for query, variables in documents[1:]:
            answers += averager.data(query, variables).values()
    first = answers[0]["size"]
    assert privacy(answers[0], "size")["charged"] == DEFAULT_EPSILON["size"]
    for answer in answers[1:]:
        assert answer["size"]["value"] == first["value"]
        assert answer["size"]["provenance"]["queryHash"] == first["provenance"]["queryHash"]
        assert privacy(answer, "size")["charged"] == 0


EQUIVALENT: tuple[JSON, ...] = (
    {"sites": ["EU-CMLSTOP"]},
    {"anyOf": [{"sites": ["EU-CMLSTOP"]}]},
    {"allOf": [{"sites": ["EU-CMLSTOP"]}]},
    {"not": {"not": {"sites": ["EU-CMLSTOP"]}}},
    {"sites": ["EU-CMLSTOP", "EU-CMLSTOP"]},
    {"sites": ["EU-CMLSTOP"], "sexes": ["F", "M"]},
    {"sites": ["EU-CMLSTOP"], "diseases": ["CML"]},
    {"sites": ["EU-CMLSTOP"], "dataOrigins": ["TRIAL", "REAL_WORLD"]},
    {"anyOf": [{"sites": ["EU-CMLSTOP"]}, {"sites": ["EU-CMLSTOP"]}]},
    {"allOf": [{"sites": ["EU-CMLSTOP"]}, {"sites": ["EU-CMLSTOP"]}]},
    {
        "anyOf": [
            {"sites": ["EU-CMLSTOP"], "sexes": ["F"]},
            {"sites": ["EU-CMLSTOP"], "sexes": ["M"]},
        ]
    },
    {"not": {"not": {"not": {"not": {"sites": ["EU-CMLSTOP"]}}}}},
    {"sites": ["EU-CMLSTOP"], "age": {"min": 0}},
    {"sites": ["EU-CMLSTOP"], "not": {"sites": ["DE-MMRW"]}},
)


def test_equivalent_filters_are_charged_until_refused(
    tight_server: str, patients: pl.DataFrame, report: AttackReport
) -> None:
    """Filters written differently for the same patients are different questions: each is a
    new release, charged; past the budget the next is refused, and averaging what was
    received leaves the noise of a handful of releases."""
    truth = patients.filter(pl.col("site") == "EU-CMLSTOP").height
    epsilon = DEFAULT_EPSILON["size"]
    selection = f"size {{ value provenance {{ queryHash {PRIVACY_FIELDS} }} }}"
    received: dict[str, int] = {}
    refused = 0
    with _client(tight_server, AVERAGER_KEY) as averager:
        for written in EQUIVALENT:
            answer = averager.post(cohort_document([(written, selection)]), {"f0": written})
            if "errors" in answer:
                (error,) = answer["errors"]
                assert error["extensions"]["code"] == "PRIVACY_BUDGET_EXCEEDED"
                assert "budget" in error["message"]
                refused += 1
                continue
            size_ = answer["data"]["c0"]["size"]
            digest_ = size_["provenance"]["queryHash"]
            charged = size_["provenance"]["privacy"]["charged"]
            assert charged == (0 if digest_ in received else epsilon)
            if digest_ in received:
                assert received[digest_] == size_["value"]
            received[digest_] = size_["value"]
            assert refused == 0  # once refused, every new question is refused
        assert len(received) == round(TIGHT_BUDGET / epsilon)
        assert refused == len(EQUIVALENT) - len(received)
        again = averager.data(cohort_document([(EQUIVALENT[0], selection)]), {"f0": EQUIVALENT[0]})
        assert again["c0"]["size"]["provenance"]["privacy"]["charged"] == 0
    mean = float(np.mean(list(received.values())))
    report.notes.append(
        f"averaging {len(received)} equivalent filters within a budget of ε = {TIGHT_BUDGET}: "
        f"mean {mean:.1f} vs true {truth} (stated sd of the mean "
        f"{Combination((Term(SIZE_SCALE),)).sd / math.sqrt(len(received)):.1f}); "
        f"{refused} further rewrites refused PRIVACY_BUDGET_EXCEEDED"
    )
    report.write()


# -- random pairs and triples of filters (hypothesis) -----------------------------------------


@st.composite
def _filters(draw: st.DrawFn) -> tuple[JSON, ...]:
    """Two or three overlapping filters of one site: age windows, maybe a sex, a disease."""
    site = draw(st.sampled_from(["UK-AMLX", "EU-ALLOMM", "FR-AMLRW", "DE-MMRW", "IT-MMT"]))
    start = draw(st.sampled_from([24, 80, 28, 76, 32, 84, 36, 72]))  # the ends: few patients
    found = []
    for _ in range(draw(st.integers(2, 3))):
        lo = start + draw(st.integers(0, 5))
        f: JSON = {"sites": [site], "age": {"min": lo, "max": lo + draw(st.integers(1, 4))}}
        if draw(st.booleans()):
            f["sexes"] = [draw(st.sampled_from(["F", "M"]))]
        if draw(st.booleans()):
            f["diseases"] = [draw(st.sampled_from(["MM", "AML", "CML"]))]
        found.append(f)
    return tuple(found)


def _mask(patients: pl.DataFrame, f: JSON) -> npt.NDArray[np.bool_]:
    expr = pl.col("site").is_in(f["sites"]) & pl.col("age_at_diagnosis").is_between(
        f["age"]["min"], f["age"]["max"]
    )
    if "sexes" in f:
        expr &= pl.col("sex").is_in(f["sexes"])
    if "diseases" in f:
        expr &= pl.col("disease").is_in(f["diseases"])
    return patients.select(expr.alias("m")).get_column("m").to_numpy()


def test_random_filter_combinations(
    attack_server: str, patients: pl.DataFrame, report: AttackReport
) -> None:
    """Sizes of random filters, their unions and breakdowns: inclusion-exclusion and
    differences recover no small count (1 to 4) more often than the noise allows."""
    records: dict[str, tuple[int, int, Combination]] = {}
    with _client(attack_server, ANALYST_KEY) as api:

        @settings(max_examples=60, deadline=None, derandomize=True, database=None)
        @given(_filters())
        def attack(filters: tuple[JSON, ...]) -> None:
            masks = [_mask(patients, f) for f in filters]
            unions = [
                (idx, {"anyOf": [filters[i] for i in idx]})
                for k in range(2, len(filters) + 1)
                for idx in combinations(range(len(filters)), k)
            ]
            asks = [(f, size()) for f in filters] + [(u, size()) for _, u in unions]
            rest: JSON = {**filters[0], "not": filters[1]}
            asks += [(filters[0], breakdown("SEX")), (rest, breakdown("SEX"))]
            got = api.cohorts_of(asks)
            sizes = [r["size"]["value"] for r in got[: len(filters) + len(unions)]]
            sets = [(i,) for i in range(len(filters))] + [i for i, _ in unions]
            answered = dict(zip(sets, sizes, strict=True))
            key = json.dumps(filters, sort_keys=True)
            # inclusion-exclusion: n(every filter of a subset) from the sizes of its unions
            for k in range(2, len(filters) + 1):
                for subset in combinations(range(len(filters)), k):
                    terms, estimate = [], 0
                    for size_k in range(1, k + 1):
                        for idx in combinations(subset, size_k):
                            sign = 1 if size_k % 2 else -1
                            union = np.logical_or.reduce([masks[i] for i in idx])
                            terms.append(Term(SIZE_SCALE, count=int(union.sum()), sign=sign))
                            estimate += sign * answered[idx]
                    truth = int(np.logical_and.reduce([masks[i] for i in subset]).sum())
                    if 1 <= truth <= 4:
                        records[f"ie{subset}{key}"] = (truth, estimate, Combination(tuple(terms)))
            # differences: breakdown(F1) - breakdown(F1 and not F2) = F1 and F2 by sex
            both = patients.filter(masks[0] & masks[1])
            first = patients.filter(masks[0])
            whole, part = cells(got[-2]), cells(got[-1])
            for sex in ("F", "M"):
                n_sex = both.filter(pl.col("sex") == sex).height
                n_first = first.filter(pl.col("sex") == sex).height
                if 1 <= n_sex <= 4:
                    records[sex + key] = (
                        n_sex,
                        whole[sex] - part[sex],
                        difference(COUNT_SCALE, n_first, n_first - n_sex),
                    )

        attack()
    truths = [t for t, _, _ in records.values()]
    estimates = [e for _, e, _ in records.values()]
    noises = [n for _, _, n in records.values()]
    report.check(
        Outcome("hypothesis: random pairs/triples", truths, estimates, noises), min_targets=10
    )


# -- the role x field matrix ------------------------------------------------------------------

ROLE_KEYS: dict[str, str | None] = {
    "analyst": ANALYST_KEY,
    "client_app": CLIENT_KEY,
    "data_manager": MANAGER_KEY,
    "statistician": STATISTICIAN_KEY,
    "admin": ADMIN_KEY,
    "anonymous": None,  # admitted on the attack server as an analyst
}
GOVERNED = ("statistician", "admin")
MYELOMA: JSON = {"diseases": ["MM"]}
ALLO: JSON = {"treatment": {"transplant": "ALLOGENEIC"}}
PROVENANCE = f"provenance {{ minCellSize {PRIVACY_FIELDS} }}"
#: field -> (filter, selection, release kind; None: refused to protected roles)
COHORT_FIELDS: dict[str, tuple[JSON, str, str | None]] = {
    "size": (MYELOMA, f"size {{ value {PROVENANCE} }}", "size"),
    "breakdown": (
        MYELOMA,
        f"breakdown(attribute: BEST_RESPONSE) {{ total categories {{ category n }} {PROVENANCE} }}",
        "breakdown",
    ),
    "histogram": (
        MYELOMA,
        "histogram(attribute: AGE_AT_DIAGNOSIS, bins: 5, lower: 20, upper: 95) { total below "
        f"above missing bins {{ n }} {PROVENANCE} }}",
        "histogram",
    ),
    "completeness": (
        MYELOMA,
        "completeness(categorical: [DEL17P], numeric: [BETA2M_MG_L]) { fields { total known "
        f"notTested missing }} {PROVENANCE} }}",
        "completeness",
    ),
    "risk": (MYELOMA, f'risk(score: "riss") {{ total categories {{ n }} {PROVENANCE} }}', "risk"),
    "reclassification": (
        MYELOMA,
        f'reclassification(before: "iss", after: "riss") {{ total cells {{ n }} {PROVENANCE} }}',
        "reclassification",
    ),
    "survival": (
        MYELOMA,
        "survival(endpoint: OS, groupBy: {attribute: SEX}) "
        f"{{ groups {{ n events }} {PROVENANCE} }}",
        "survival",
    ),
    "survivalByAge": (
        MYELOMA,
        "survivalByAge: survival(endpoint: OS, "
        "groupBy: {cuts: {attribute: AGE_AT_DIAGNOSIS, at: [65, 75]}}) "
        f"{{ groups {{ group n events }} {PROVENANCE} }}",
        "survival",
    ),
    "incidenceByAge": (
        ALLO,
        "incidenceByAge: cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, "
        "groupBy: {cuts: {attribute: AGE_AT_DIAGNOSIS, at: [55]}}) { groups { group n causes { "
        f"events }} }} {PROVENANCE} }}",
        "incidence",
    ),
    "cumulativeIncidence": (
        ALLO,
        "cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}) "
        "{ groups { n causes { "
        f"events }} }} {PROVENANCE} }}",
        "incidence",
    ),
    "coxModel": (
        MYELOMA,
        f"coxModel(endpoint: OS, covariates: [{{numeric: AGE_AT_DIAGNOSIS}}]) {{ n {PROVENANCE} }}",
        None,
    ),
    "fineGray": (
        ALLO,
        "fineGray(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, covariates: "
        f"[{{attribute: DISEASE}}]) {{ n events {PROVENANCE} }}",
        None,
    ),
    "stagingComparison": (
        MYELOMA,
        f'stagingComparison(scores: ["riss", "iss"]) {{ dropped {PROVENANCE} }}',
        None,
    ),
}


def _ints(value: object) -> list[int | None]:
    """Every count of an answer (provenance left out), in order."""
    if isinstance(value, dict):
        return [i for k, v in value.items() if k != "provenance" for i in _ints(v)]
    if isinstance(value, list):
        return [i for v in value for i in _ints(v)]
    return (
        [value] if value is None or (isinstance(value, int) and not isinstance(value, bool)) else []
    )


@pytest.mark.parametrize("field", list(COHORT_FIELDS))
@pytest.mark.parametrize("role", list(ROLE_KEYS))
def test_role_field_matrix_cohort(attack_server: str, oracle: Api, role: str, field: str) -> None:
    """Governed roles: exact (equal to the oracle where released), GOVERNED provenance.
    Protected roles: a PROTECTED release with its privacy provenance, or FORBIDDEN for the
    models, naming the governed roles."""
    cohort_filter, selection, kind = COHORT_FIELDS[field]
    query = cohort_query(cohort_filter, selection)
    with _client(attack_server, ROLE_KEYS[role]) as api:
        answer = api.post(query)
    if role not in GOVERNED and kind is None:
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "statistician" in error["message"]
        assert "admin" in error["message"]
        return
    assert "errors" not in answer, answer
    result = answer["data"]["cohort"]
    provenance = result[field]["provenance"]
    if role in GOVERNED:
        assert provenance == {"minCellSize": 5, "access": "GOVERNED", "privacy": None}
        exact = oracle.data(query)["cohort"][field]
        released = _ints(result[field])
        assert len(released) == len(_ints(exact))
        assert all(n is None or n == x for n, x in zip(released, _ints(exact), strict=True))
        return
    assert kind is not None
    stated = provenance["privacy"]
    assert provenance["access"] == "PROTECTED"
    assert provenance["minCellSize"] == PRIVACY.floor
    assert stated["epsilon"] == PRIVACY.epsilon[kind]  # type: ignore[index]
    assert math.isclose(stated["noiseScale"], stated["sensitivity"] / stated["epsilon"])
    counts = [n for n in _ints(result[field]) if n is not None]
    assert counts
    assert all(n >= 0 for n in counts)
    if field in ("breakdown", "histogram"):  # 8 or more cells: not all exact but by noise
        exact = oracle.data(query)["cohort"]
        if field == "histogram":
            assert counts != _ints(exact[field])
        else:
            assert cells(result) != {k: cells(exact).get(k, 0) for k in cells(result)}


LAKE_QUERY = """{ lake {
  sites { site loads { rowsIn rowsAccepted rowsQuarantined } }
  versions { lakeVersion }
  scores { name }
  endpoints { name }
  dataQuality { site table check n } } }"""


@pytest.mark.parametrize("role", list(ROLE_KEYS))
def test_role_field_matrix_lake(
    attack_server: str, oracle: Api, demo_lake: DemoLake, role: str
) -> None:
    """Lake fields: row counts of other sites' loads null and data quality one noisy row per
    other site (table and check null) for protected roles; open data queries only for the
    site's own data manager and administrators."""
    sites = sorted(demo_lake.site_versions)
    with _client(attack_server, ROLE_KEYS[role]) as api:
        lake = api.data(LAKE_QUERY)["lake"]
        queries = {
            s: api.post(f'{{ lake {{ dataQueries(site: "{s}") {{ site }} }} }}') for s in sites
        }
    exact = oracle.data(LAKE_QUERY)["lake"]
    assert [v["lakeVersion"] for v in lake["versions"]] == sorted(
        demo_lake.site_versions.values(), reverse=True
    )
    assert lake["scores"] == exact["scores"]
    assert lake["endpoints"] == exact["endpoints"]
    own = HOME_SITE if role == "data_manager" else None
    for record in lake["sites"]:
        counts = [_ints(load) for load in record["loads"]]
        if role in GOVERNED or record["site"] == own:
            assert all(None not in c for c in counts), record
        else:
            assert all(c == [None, None, None] for c in counts), record
    quality = lake["dataQuality"]
    if role in GOVERNED:
        assert quality == exact["dataQuality"]
    else:
        others = [q for q in quality if q["site"] != own]
        assert sorted(q["site"] for q in others) == [s for s in sites if s != own]
        assert all(q["table"] is None and q["check"] is None for q in others)
        mine = [q for q in quality if q["site"] == own]
        assert mine == [q for q in exact["dataQuality"] if q["site"] == own]
    for site, answer in queries.items():
        if role == "admin" or site == own:
            assert "errors" not in answer, answer
        else:
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
