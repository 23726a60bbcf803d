"""Benchmark: a real uvicorn server over loopback, cached vs uncached cohort+survival queries.

``python -m service.bench [--sizes 100000 1000000] [--requests 200] [--seconds 20]``

For each lake size, seeded model-shaped tables are written as a real Delta lake (one committed
load per site through :func:`lake.storage.commit_site_load`, so reads go through the manifest),
served by the real app on 127.0.0.1, and queried in a bounded loop (at most ``--requests``
requests and ``--seconds`` seconds per row). *First* is the very first query on a fresh server
(whole-lake columns and the endpoint are derived then). *Cached* repeats one query (result cache
hits); *uncached* changes the age bound on every request (every request misses the result
cache: new cohort, new Kaplan-Meier fits and log-rank over the lake's patient-aligned columns).
Each timed row runs ``--clients`` concurrent HTTP clients (threads, one connection each), so
requests/s is the server's throughput, not one client's inverse latency. The per-version column
cache stays warm throughout (it is part of the product: a new query on an unchanged lake version
never rereads Delta); only the result cache is defeated by the uncached row.

*Cached (wrk)* is the server's cached throughput under ``wrk`` (``--connections`` connections for
``--wrk-seconds`` seconds; skipped when ``wrk`` is not installed), beside *plain JSON (wrk)*: a
bare Starlette route answering the very same response bytes, served the same way (uvicorn on
uvloop and httptools, like ``hemalake serve``); its ratio column is cached / plain requests/s.

Baseline: the same question answered in-process by the libraries alone, without HTTP, GraphQL,
disclosure control or audit: Polars filters the cohort and derives OS, lifelines fits one
``KaplanMeierFitter`` per sex and ``multivariate_logrank_test`` (median of ``--baseline-runs``
runs, each with a new age bound). The ratio column is baseline ms / server p50 ms (above 1: the
server answers faster than a script doing the same computation with lifelines).
Prints p50/p99 latency, requests/s and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
from lake.storage import LakeRoot, commit_site_load
from service.app import create_app
from service.cli_serve import UVICORN_HTTP, UVICORN_LOOP
from service.settings import Settings

#: The benchmark's caller: a statistician (governed access, exact answers). Anonymous callers are
#: analysts, whose protected releases would exhaust their privacy budget within a run.
API_KEY = "bench-statistician"
HEADERS = {"x-api-key": API_KEY, "content-type": "application/json"}

QUERY = """query Bench($f: CohortFilterInput) { cohort(filter: $f) {
  size { value }
  survival(endpoint: OS, groupBy: {attribute: SEX}, times: [12, 24]) {
    groups { n events median { estimate } } logrank { pValue } } } }"""


def _shaped(name: str, columns: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(columns).select(
        pl.col(c).cast(t) if c in columns else pl.lit(None, dtype=t).alias(c)
        for c, t in table(name).schema.items()
    )


def generate(n: int, *, seed: int = 7) -> dict[str, pl.DataFrame]:
    """``n`` seeded myeloma patients with a last contact and, for 40 %, a death."""
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
    return {"patients": patients, "events": events}


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


def _age(cached: bool, i: int) -> float:
    return 40.0 if cached else 40.0 + (i % 4000) * 0.001 + 0.0005


def _loop(
    url: str, *, cached: bool, requests: int, seconds: float, clients: int = 1
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
                if i is None:
                    break
                body = {"query": QUERY, "variables": {"f": {"age": {"min": _age(cached, i)}}}}
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


def wrk_rows(n: int, url: str, *, connections: int, seconds: int) -> list[tuple[object, ...]]:
    """The cached query's requests/s under wrk and plain Starlette JSON of the same bytes."""
    body = json.dumps({"query": QUERY, "variables": {"f": {"age": {"min": _age(True, 0)}}}})
    content = httpx.post(url, content=body, headers=HEADERS).content
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
        (n, "cached wrk", cached[0], nan, nan, cached[1], cached[1] / plain[1]),
        (n, "plain wrk", plain[0], nan, nan, plain[1], 1.0),
    ]


def run(
    sizes: Sequence[int],
    *,
    requests: int,
    seconds: float,
    clients: int,
    baseline_runs: int,
    connections: int = 16,
    wrk_seconds: int = 0,
) -> list[tuple[object, ...]]:
    """Rows of (patients, kind, requests, p50 ms, p99 ms, requests/s, ratio): the ratio is
    baseline ms / p50 ms, or for the wrk rows cached / plain JSON requests/s (``wrk_seconds``
    0: no wrk rows)."""
    rows: list[tuple[object, ...]] = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            frames = generate(n)
            write_lake(Path(tmp) / "lake", frames)
            base = baseline_ms(frames, runs=baseline_runs)
            digest = hashlib.sha256(API_KEY.encode()).hexdigest()
            settings = Settings(
                lake_root=Path(tmp) / "lake",
                api_keys={digest: Caller(user="bench", role="statistician")},
                cache_size=1024,
            )
            server, thread = serve_in_thread(create_app(settings=settings), free_port())
            url = f"http://127.0.0.1:{server.config.port}/graphql"
            started = time.perf_counter()
            _loop(url, cached=True, requests=1, seconds=600)  # fills the column cache once
            first_ms = (time.perf_counter() - started) * 1000
            rows.append((n, "first", 1, first_ms, first_ms, 1000 / first_ms, base / first_ms))
            for kind, cached in (("cached", True), ("uncached", False)):
                started = time.perf_counter()
                lat = _loop(url, cached=cached, requests=requests, seconds=seconds, clients=clients)
                elapsed = time.perf_counter() - started
                ms = np.asarray(lat) * 1000
                p50 = float(np.percentile(ms, 50))
                rows.append(
                    (n, kind, len(lat), p50, np.percentile(ms, 99), len(lat) / elapsed, base / p50)
                )
            if wrk_seconds:
                rows += wrk_rows(n, url, connections=connections, seconds=wrk_seconds)
            rows.append((n, "lifelines", baseline_runs, base, base, 1000 / base, 1.0))
            server.should_exit = True
            thread.join(timeout=30)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m service.bench", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200, help="max requests per row")
    parser.add_argument("--seconds", type=float, default=20.0, help="max seconds per row")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--baseline-runs", type=int, default=5, help="lifelines baseline runs")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--wrk-seconds", type=int, default=10, help="seconds of each wrk row (0: no wrk rows)"
    )
    args = parser.parse_args(argv)
    rows = run(
        args.sizes,
        requests=args.requests,
        seconds=args.seconds,
        clients=args.clients,
        baseline_runs=args.baseline_runs,
        connections=args.connections,
        wrk_seconds=args.wrk_seconds,
    )
    out = [
        f"{'patients':>10} {'query':>10} {'requests':>8} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8}"
        f" {'ratio':>8}"
    ]
    out += [
        f"{n:>10} {k:>10} {c:>8} {p50:>9.1f} {p99:>9.1f} {rps:>8.1f} {ratio:>7.2f}x"
        for n, k, c, p50, p99, rps, ratio in rows
    ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
