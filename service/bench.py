"""Benchmark: a real uvicorn server over loopback, cached vs uncached cohort+survival queries.

``python -m service.bench [--sizes 100000 1000000 10000000] [--lakes /work/bench-lakes]
[--clients 1 4] [--requests 200] [--seconds 20] [--after-load]``

For each lake size, seeded model-shaped tables (patients, events, baseline labs and FISH, so
R-ISS is computed) are written as a real Delta lake (one committed load per site through
:func:`lake.storage.commit_site_load`, so reads go through the manifest); with ``--lakes`` a lake
is written once to ``<lakes>/<size>/lake`` and reused by later runs. The real app serves it on
127.0.0.1 from a child process (its peak resident memory, ``VmHWM``, is reported) and is queried
in bounded loops (at most ``--requests`` requests and ``--seconds`` seconds per row).

Rows, each run with 1 and with 4 concurrent HTTP clients (``--clients``; threads, one
connection each, so requests/s is the server's throughput):

- *first*: the very first query on a fresh server (the lake version's columns are derived then,
  or by the background warm-up if it got there first);
- *cached*: one query repeated (result cache hits);
- *uncached*: the age bound changes on every request (new cohort, new Kaplan-Meier fits and
  log-rank over the analysis store's columns); the store stays warm throughout (a new query on
  an unchanged lake version never rereads Delta), only the result cache is defeated;
- *riss*, *cox* (sizes up to ``--models-max``): OS by R-ISS stage with log-rank, and a Cox
  model of OS on sex and age, both uncached;
- *after load* (``--after-load``): one site reloaded (a committed load of the same rows: a new
  lake version), then the first uncached query on it, timed from the commit;
- *cached wrk* / *plain wrk*: the cached query under ``wrk`` beside a bare Starlette route
  answering the very same bytes (uvicorn on uvloop and httptools, like ``hemalake serve``).

Baselines of the same run, printed beside each figure: *lifelines*, the question answered
in-process by Polars (filter, derive OS) and lifelines (one ``KaplanMeierFitter`` per sex and
``multivariate_logrank_test``); *floor*, the same with precomputed numpy columns and Kaplan-Meier
and log-rank counted by ``np.bincount`` on whole days (a script with no kept index); each the median
of ``--baseline-runs`` runs, each with a new age bound. ``x lifelines`` is lifelines ms / p50 ms.

Measured (issue 11, stop 11, quiet 2-core machine; ``--sizes 100000 1000000 --requests 60
--seconds 15 --clients 1 4 --wrk-seconds 8 --baseline-runs 3`` and ``--sizes 1000000 10000000
... --models-max 1000000 --after-load``; p50 ms, the lifelines script beside it):

==========================  =========  =========  =========  ==========
row (1 client)              1e6 before 1e6 after  1e7 after  1e7 script
==========================  =========  =========  =========  ==========
uncached                       56.2       21.2       83.7     13,158
R-ISS, uncached                60.2       23.5          -          -
Cox (sex, age), uncached    3,016.7      563.4          -          -
cached wrk / plain wrk        0.39x      0.44x      0.50x          -
first query after a load         -       822     12,159          -
server peak RSS (MB)            969        849      2,558          -
==========================  =========  =========  =========  ==========

Where the uncached time went (``gateway.survival`` in process, cProfile, cumulative ms of one
query; before at 1e6 / 1e7): grouped_counts 11.5 / 123 (float copies, validation, tabulation of
the cohort's rows), endpoint_rows 9.2 / 77 (group codes), survival_arrays 4.0 / 53, median
follow-up 3.9 / 32, the cohort frame 3.1 / 24.5, disclosure loops 7.6 / 7.7. Now a cohort is
counted from the version's kept cell index (:mod:`lake.cohort.counting`: one filter of 32-bit
cell numbers by the mask's bits, one bincount, the smaller side of the mask) and the same
estimators read the counts: at 1e7 the count is about 10 ms and the mask about 10 ms. What is
left at 1e5-1e6 (about 7 ms, whatever the size) is per-curve work over the ~3,000 distinct days
(quantiles, the log-rank over day slots, step columns, disclosure, footprint) and, through HTTP,
Strawberry's argument conversion and thread hops (about 6 ms more). The *uncached* rows with 4
clients put 4 new questions at once on 2 cores, so their p50 is about 4 times one client's.

Cached answers (issue 11, the *cached wrk* row over *plain wrk*, 1e5 lake, same loaded machine):
one hit called in process (thread CPU time, min of 15 rounds) took 66-72 us, now 47-49 us, by
one ASGI layer for request id, security headers, metrics and body limit instead of four (the
stack outside the view 40-45 -> about 25 us) and the manifest watch's check relative to the log
directory held open (the view 26 -> 21-24 us). Under ``wrk``, runs alternated: 0.40-0.46x
(one outlier 0.72x) before, 0.50-0.55x (one 0.80x) after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import multiprocessing
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx
import numpy as np
import polars as pl
import uvicorn
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lake.access import Caller
from lake.model import table
from lake.storage import LakeRoot, commit_site_load, lake_lock, open_lake
from service.app import create_app
from service.cli_serve import UVICORN_HTTP, UVICORN_LOOP
from service.settings import Settings

#: The benchmark's caller: a statistician (governed access, exact answers). Anonymous callers are
#: analysts, whose protected releases would exhaust their privacy budget within a run.
API_KEY = "bench-statistician"
HEADERS = {"x-api-key": API_KEY, "content-type": "application/json"}
#: The operator's key: reads /metrics, to see when the background warm-up is done.
ADMIN_KEY = "bench-admin"

QUERY = """query Bench($f: CohortFilterInput) { cohort(filter: $f) {
  size { value }
  survival(endpoint: OS, groupBy: {attribute: SEX}, times: [12, 24]) {
    groups { n events median { estimate } } logrank { pValue } } } }"""
#: OS by R-ISS stage with the log-rank test.
RISS_QUERY = """query Riss($f: CohortFilterInput) { cohort(filter: $f) {
  survival(endpoint: OS, groupBy: {score: "riss"}, times: [12, 24]) {
    groups { group n events median { estimate } } logrank { pValue } } } }"""
#: A Cox model of OS on sex and age at diagnosis.
COX_QUERY = """query Cox($f: CohortFilterInput) { cohort(filter: $f) {
  coxModel(endpoint: OS, covariates: [{attribute: SEX}, {numeric: AGE_AT_DIAGNOSIS}]) {
    n events coefficients { name hazardRatio } } } }"""
#: The tables :func:`generate` writes.
TABLES = ("patients", "events", "baseline", "genetics")


def _shaped(name: str, columns: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(columns).select(
        pl.col(c).cast(t) if c in columns else pl.lit(None, dtype=t).alias(c)
        for c, t in table(name).schema.items()
    )


def generate(n: int, *, seed: int = 7) -> dict[str, pl.DataFrame]:
    """``n`` seeded myeloma patients with a last contact and, for 40 %, a death; baseline
    beta-2 microglobulin, albumin and LDH and FISH calls (5 % of each unknown), for R-ISS."""
    rng = np.random.default_rng(seed)
    ids = pl.Series([f"p{i:07d}" for i in range(n)])
    diagnosis = pl.Series(rng.integers(0, 3000, n)).cast(pl.Int32)
    start = pl.lit(dt.date(2012, 1, 1))
    patients = _shaped(
        "patients",
        {
            "patient_id": ids,
            "site": rng.choice(["AMS", "ROT", "UTR"], n),
            "source_study": ["BENCH"] * n,
            "data_origin": ["real_world"] * n,
            "sex": rng.choice(["M", "F"], n),
            "age_at_diagnosis": rng.uniform(35, 90, n),
            "disease": ["MM"] * n,
            "diagnosis_date": pl.select(start + pl.duration(days=pl.lit(diagnosis))).to_series(),
        },
    )
    follow = diagnosis + pl.Series(rng.integers(10, 3000, n)).cast(pl.Int32)
    dates = pl.select(start + pl.duration(days=pl.lit(follow))).to_series()
    died = rng.random(n) < 0.4
    last = {"patient_id": ids, "site": patients["site"], "event_date": dates}
    events = pl.concat(
        [
            _shaped("events", {**last, "event_type": ["last_follow_up"] * n}),
            _shaped("events", {**last, "event_type": ["death"] * n}).filter(pl.Series(died)),
        ]
    )
    site = patients["site"]

    def unknown(values: np.ndarray) -> pl.Series:
        return pl.Series(values).set(pl.Series(rng.random(n) < 0.05), None)

    baseline = _shaped(
        "baseline",
        {
            "patient_id": ids,
            "site": site,
            "beta2m_mg_l": unknown(rng.lognormal(1.2, 0.6, n)),
            "albumin_g_dl": unknown(rng.normal(3.6, 0.5, n)),
            "ldh_u_l": unknown(rng.lognormal(5.3, 0.35, n)),
            "ldh_uln_u_l": [250.0] * n,
        },
    )
    fish = {
        name: unknown(rng.choice(["present", "absent"], n, p=[share, 1 - share]))
        for name, share in (("del17p", 0.08), ("t4_14", 0.12), ("t14_16", 0.03))
    }
    genetics = _shaped("genetics", {"patient_id": ids, "site": site, **fish})
    return {"patients": patients, "events": events, "baseline": baseline, "genetics": genetics}


def write_lake(root: LakeRoot, frames: dict[str, pl.DataFrame]) -> int:
    """Write ``frames`` as a Delta lake, one committed load per site; returns the lake version."""
    version = 0
    for site in frames["patients"].get_column("site").unique().sort():
        tables = {name: f.filter(pl.col("site") == site) for name, f in frames.items()}
        version = commit_site_load(
            root, site=site, load_id=f"bench-{site}", tables=tables, metadata={"source": "bench"}
        )
    return version


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


#: Numbers the uncached requests of a whole run, so no row repeats another's question (a
#: repeated age bound would be answered from the result cache).
_FRESH = itertools.count()


def _age(cached: bool, i: int) -> float:
    return 40.0 if cached else 40.0 + (i % 1_000_000) * 1e-6 + 0.0005


def _loop(
    url: str,
    *,
    cached: bool,
    requests: int,
    seconds: float,
    clients: int = 1,
    query: str = QUERY,
) -> list[float]:
    """Latencies of at most ``requests`` queries within ``seconds``, from ``clients`` threads."""
    deadline = time.perf_counter() + seconds
    counter = iter(range(requests))
    lock = threading.Lock()

    def client() -> list[float]:
        latencies: list[float] = []
        with httpx.Client(timeout=600, headers=HEADERS) as http:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(counter, None)
                    fresh = next(_FRESH)
                if i is None:
                    break
                body = {"query": query, "variables": {"f": {"age": {"min": _age(cached, fresh)}}}}
                started = time.perf_counter()
                response = http.post(url, json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    raise RuntimeError(f"benchmark query failed: {response.text[:300]}")
        return latencies

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda _: client(), range(clients)))
    return [latency for result in results for latency in result]


def baseline_ms(frames: dict[str, pl.DataFrame], *, runs: int) -> float:
    """Median ms of the benchmark question answered by Polars + lifelines in-process."""
    events = frames["events"]
    last = events.group_by("patient_id").agg(pl.col("event_date").max().alias("last"))
    death = (
        events.filter(pl.col("event_type") == "death")
        .group_by("patient_id")
        .agg(pl.col("event_date").min().alias("death"))
    )
    times: list[float] = []
    for i in range(runs):
        started = time.perf_counter()
        cohort = (
            frames["patients"]
            .filter(pl.col("age_at_diagnosis") >= _age(False, i))
            .join(last, on="patient_id", how="left")
            .join(death, on="patient_id", how="left")
            .select(
                "sex",
                months=(pl.coalesce("death", "last") - pl.col("diagnosis_date")).dt.total_days()
                / (365.25 / 12),
                died=pl.col("death").is_not_null(),
            )
        )
        for _, group in cohort.group_by("sex"):
            fit = KaplanMeierFitter().fit(group["months"].to_numpy(), group["died"].to_numpy())
            _ = fit.median_survival_time_, fit.survival_function_at_times([12, 24])
        multivariate_logrank_test(
            cohort["months"].to_numpy(), cohort["sex"].to_numpy(), cohort["died"].to_numpy()
        )
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def floor_ms(frames: dict[str, pl.DataFrame], *, runs: int) -> float:
    """Median ms of the benchmark question on precomputed numpy columns, counted on whole days.

    Per sex, Kaplan-Meier S at 12 and 24 months and the median from ``np.bincount`` of
    (sex, day) cells, and the log-rank statistic from the same two tables: the floor of any
    implementation (no cohort resolution, no disclosure, no confidence limits).
    """
    events = frames["events"]
    derived = (
        frames["patients"]
        .join(
            events.group_by("patient_id").agg(last=pl.col("event_date").max()),
            on="patient_id",
            how="left",
        )
        .join(
            events.filter(pl.col("event_type") == "death")
            .group_by("patient_id")
            .agg(death=pl.col("event_date").min()),
            on="patient_id",
            how="left",
        )
        .select(
            age=pl.col("age_at_diagnosis"),
            sex=(pl.col("sex") == "M").cast(pl.Int64),
            days=(pl.coalesce("death", "last") - pl.col("diagnosis_date")).dt.total_days(),
            died=pl.col("death").is_not_null(),
        )
    )
    age, sex = derived["age"].to_numpy(), derived["sex"].to_numpy()
    days, died = derived["days"].to_numpy(), derived["died"].to_numpy()
    span = int(days.max()) + 1
    times: list[float] = []
    for i in range(runs):
        started = time.perf_counter()
        keep = age >= _age(False, i)
        key = sex[keep] * span + days[keep]
        at = np.bincount(key, minlength=2 * span).reshape(2, span)
        dead = np.bincount(key[died[keep]], minlength=2 * span).reshape(2, span)
        risk = at.sum(axis=1, keepdims=True) - np.cumsum(at, axis=1) + at
        with np.errstate(divide="ignore", invalid="ignore"):
            surv = np.cumprod(1.0 - np.where(risk > 0, dead / risk, 0.0), axis=1)
            _ = surv[:, [365, 730]], (surv <= 0.5).argmax(axis=1)
            total, pooled = risk.sum(axis=0), dead.sum(axis=0)
            expected = np.nansum(risk[0] * pooled / total)
            variance = np.nansum(
                risk[0] * risk[1] * pooled * (total - pooled) / (total**2 * (total - 1))
            )
        _ = (dead[0].sum() - expected) ** 2 / variance
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def serve_in_thread(
    app: Starlette, port: int, *, timeout: float = 120.0
) -> tuple[uvicorn.Server, threading.Thread]:
    """Serve ``app`` on 127.0.0.1:``port`` from a daemon thread; returns once it listens."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", loop=UVICORN_LOOP, http=UVICORN_HTTP
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.perf_counter() + timeout
    while not server.started:
        if not thread.is_alive() or time.perf_counter() > deadline:
            raise RuntimeError(f"the benchmark server did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    return server, thread


def wrk_requests_per_second(
    url: str, body: bytes, *, connections: int, seconds: int
) -> tuple[int, float] | None:
    """Requests and requests/s of ``wrk`` POSTing ``body`` to ``url`` (one thread, bounded by
    ``seconds``); ``None`` when ``wrk`` is not installed. Any non-2xx answer is an error."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        # a JSON string of ASCII text is a valid Lua string literal
        script.write(
            f"wrk.method = 'POST'\nwrk.body = {json.dumps(body.decode('ascii'))}\n"
            + "".join(f"wrk.headers['{k}'] = '{v}'\n" for k, v in HEADERS.items())
        )
    try:
        command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s"]
        command += ["-s", script.name, url]
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    finally:
        Path(script.name).unlink()
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    total = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if total is None or rate is None:  # pragma: no cover - wrk's output format
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return int(total.group(1)), float(rate.group(1))


def plain_json_app(content: bytes) -> Starlette:
    """A bare Starlette app answering ``content`` as JSON to POST /graphql (the ceiling)."""

    async def answer(_: Request) -> Response:
        return Response(content, media_type="application/json")

    return Starlette(routes=[Route("/graphql", answer, methods=["POST"])])


def wrk_rows(n: int, url: str, *, connections: int, seconds: int) -> list[Row]:
    """The cached query's requests/s under wrk and plain Starlette JSON of the same bytes
    (rows of :func:`run`; ``wrk`` runs ``connections`` connections)."""
    body = json.dumps({"query": QUERY, "variables": {"f": {"age": {"min": _age(True, 0)}}}})
    content = httpx.post(url, content=body, headers=HEADERS, timeout=600).content
    cached = wrk_requests_per_second(url, body.encode(), connections=connections, seconds=seconds)
    if cached is None:
        sys.stderr.write("wrk is not installed: the wrk rows are skipped\n")
        return []
    server, thread = serve_in_thread(plain_json_app(content), free_port())
    try:
        plain_url = f"http://127.0.0.1:{server.config.port}/graphql"
        plain = wrk_requests_per_second(
            plain_url, body.encode(), connections=connections, seconds=seconds
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert plain is not None  # wrk ran a moment ago
    nan = float("nan")
    return [
        (n, "cached wrk", connections, cached[0], nan, nan, cached[1]),
        (n, "plain wrk", connections, plain[0], nan, nan, plain[1]),
    ]


def lake_root(n: int, lakes: Path) -> Path:
    """The lake of ``n`` patients under ``lakes``, generated and written once, then reused."""
    root = lakes / str(n) / "lake"
    if not (root / "_manifest").exists():
        write_lake(root, generate(n))
    return root


def read_frames(root: Path) -> dict[str, pl.DataFrame]:
    """The newest rows of the lake's patients and events (for the in-process baselines)."""
    source = open_lake(root)
    return {name: source.scan(name).collect() for name in ("patients", "events")}


def reload_site(root: Path, site: str) -> int:
    """Commit a load of ``site``'s own rows again (a new lake version, same data)."""
    source = open_lake(root)
    tables = {name: source.scan(name).filter(pl.col("site") == site).collect() for name in TABLES}
    with lake_lock(root):
        return commit_site_load(
            root, site=site, load_id=f"bench-reload-{site}", tables=tables, metadata={}
        )


def _serve(settings: Settings, port: int) -> None:  # pragma: no cover - in the child process
    uvicorn.run(
        create_app(settings=settings),
        host="127.0.0.1",
        port=port,
        log_level="error",
        loop=UVICORN_LOOP,
        http=UVICORN_HTTP,
    )


def wait_warm(url: str, *, timeout: float = 900.0) -> None:
    """Wait until the server at ``url`` (its /graphql) has warmed a lake version in the
    background (``/metrics``), so
    the rows measure queries, not the warm-up competing with them for the CPUs."""
    deadline = time.perf_counter() + timeout
    with httpx.Client(timeout=60, headers={"x-api-key": ADMIN_KEY}) as http:
        metrics = url.removesuffix("/graphql") + "/metrics"
        while "hemalake_warm_lake_version" not in http.get(metrics).text:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the server at {url} was not warm after {timeout:.0f} s")
            time.sleep(0.2)


def start_server(root: Path, *, timeout: float = 300.0) -> tuple[BaseProcess, str]:
    """The app serving ``root`` from a child process (so its memory is its own) and its URL."""
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    admin = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    settings = Settings(
        lake_root=root,
        api_keys={
            digest: Caller(user="bench", role="statistician"),
            admin: Caller(user="bench-admin", role="admin"),
        },
        cache_size=1024,
        audit_log=root.parent / "audit.jsonl",
        privacy_ledger=root.parent / "privacy.sqlite",
        warm_interval_seconds=1,
    )
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(settings, port), daemon=True
    )
    process.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.perf_counter() + timeout
    while True:
        try:
            if httpx.get(f"{base}/livez", timeout=5).status_code == 200:
                return process, f"{base}/graphql"
        except httpx.TransportError:
            pass
        if not process.is_alive() or time.perf_counter() > deadline:
            process.kill()
            raise RuntimeError(f"the benchmark server did not start on {base}")
        time.sleep(0.1)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (``VmHWM`` of /proc/PID/status), MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s*(\d+) kB", status)
    return float("nan") if found is None else int(found.group(1)) / 1024


Row = tuple[int, str, int, int, float, float, float]


def _timed(n: int, kind: str, clients: int, latencies: list[float], elapsed: float) -> Row:
    ms = np.asarray(latencies) * 1000
    p50, p99 = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
    return (n, kind, clients, len(latencies), p50, p99, len(latencies) / elapsed)


def run(
    sizes: Sequence[int],
    *,
    lakes: Path | None,
    requests: int,
    seconds: float,
    clients: Sequence[int],
    baseline_runs: int,
    connections: int = 16,
    wrk_seconds: int = 0,
    models_max: int = 1_000_000,
    after_load: bool = False,
    report: Callable[[list[tuple[Row, float, float]]], None] | None = None,
) -> list[tuple[Row, float, float]]:
    """Rows of (patients, kind, clients, requests, p50 ms, p99 ms, requests/s), each with the
    same run's lifelines and floor ms (wrk rows: requests/s of plain Starlette JSON instead of
    lifelines ms, the floor NaN; the *server* row's p50 is its peak RSS in MB). ``report`` is
    given each size's rows as soon as they are measured."""
    out: list[tuple[Row, float, float]] = []
    nan = float("nan")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = lake_root(n, lakes if lakes is not None else Path(tmp))
            frames = read_frames(root)
            base = baseline_ms(frames, runs=baseline_runs)
            floor = floor_ms(frames, runs=baseline_runs)
            del frames
            rows: list[Row] = []
            process, url = start_server(root)
            try:
                started = time.perf_counter()
                _loop(url, cached=True, requests=1, seconds=600)
                first = time.perf_counter() - started
                rows.append(_timed(n, "first", 1, [first], first))
                wait_warm(url)
                for count in clients:
                    for kind, cached in (("cached", True), ("uncached", False)):
                        started = time.perf_counter()
                        lat = _loop(
                            url, cached=cached, requests=requests, seconds=seconds, clients=count
                        )
                        rows.append(_timed(n, kind, count, lat, time.perf_counter() - started))
                if n <= models_max:
                    for kind, query in (("riss", RISS_QUERY), ("cox", COX_QUERY)):
                        _loop(url, cached=True, requests=1, seconds=600, query=query)  # columns
                        started = time.perf_counter()
                        lat = _loop(
                            url, cached=False, requests=requests, seconds=seconds, query=query
                        )
                        rows.append(_timed(n, kind, 1, lat, time.perf_counter() - started))
                done = [(row, base, floor) for row in rows]
                if wrk_seconds:  # on the lake version the cached rows ran on
                    wrk = wrk_rows(n, url, connections=connections, seconds=wrk_seconds)
                    done += [(row, wrk[-1][-1], nan) for row in wrk]
                if after_load:
                    started = time.perf_counter()
                    reload_site(root, "AMS")
                    loaded = time.perf_counter()
                    lat = _loop(url, cached=False, requests=1, seconds=600)
                    done.append(
                        (_timed(n, "after load", 1, lat, time.perf_counter() - loaded), base, floor)
                    )
                    sys.stderr.write(f"reloading one site took {loaded - started:.1f} s\n")
                rss = peak_rss_mb(process.pid or 0)
                done.append(((n, "server", 1, 1, rss, rss, nan), base, floor))
                out += done
                if report is not None:
                    report(done)
            finally:
                process.terminate()
                process.join(timeout=30)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m service.bench", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--lakes", type=Path, help="write each lake once here and reuse it")
    parser.add_argument("--requests", type=int, default=200, help="max requests per row")
    parser.add_argument("--seconds", type=float, default=20.0, help="max seconds per row")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4], help="HTTP clients")
    parser.add_argument("--baseline-runs", type=int, default=5, help="baseline runs")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--wrk-seconds", type=int, default=10, help="seconds of each wrk row (0: no wrk rows)"
    )
    parser.add_argument(
        "--models-max", type=int, default=1_000_000, help="largest size of the riss/cox rows"
    )
    parser.add_argument(
        "--after-load", action="store_true", help="time the first query after a site reload"
    )
    args = parser.parse_args(argv)
    header = (
        f"{'patients':>10} {'query':>11} {'clients':>7} {'requests':>8} {'p50 ms':>9} "
        f"{'p99 ms':>9} {'req/s':>8} {'lifelines':>10} {'floor':>8} {'x lifelines':>11}\n"
    )
    sys.stdout.write(header)
    run(
        args.sizes,
        lakes=args.lakes,
        requests=args.requests,
        seconds=args.seconds,
        clients=args.clients,
        baseline_runs=args.baseline_runs,
        connections=args.connections,
        wrk_seconds=args.wrk_seconds,
        models_max=args.models_max,
        after_load=args.after_load,
        report=_print,
    )
    return 0


def _print(rows: list[tuple[Row, float, float]]) -> None:
    """Print the table lines of ``rows`` (see :func:`run`) now."""
    out = []
    for (n, kind, clients, count, p50, p99, rps), base, floor in rows:
        if kind.endswith("wrk"):
            out.append(
                f"{n:>10} {kind:>11} {clients:>7} {count:>8} {'':>9} {'':>9} "
                f"{rps:>8.1f} {'plain':>10} {base:>8.1f} {rps / base:>10.2f}x"
            )
        elif kind == "server":
            out.append(f"{n:>10} {'peak RSS':>11} {'':>7} {'':>8} {p50:>6.0f} MB")
        else:
            out.append(
                f"{n:>10} {kind:>11} {clients:>7} {count:>8} {p50:>9.1f} {p99:>9.1f} "
                f"{rps:>8.1f} {base:>10.1f} {floor:>8.1f} {base / p50:>10.1f}x"
            )
    sys.stdout.write("".join(f"{line}\n" for line in out))
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
