"""Benchmark: local Polars, Dask and DuckDB on one Delta lake; cohort + Kaplan-Meier + log-rank.

``python -m service.bench_scale --sizes 100000 1000000 10000000 --lakes /work/bench-lakes``
(``--lakes s3://bucket/prefix``: the lakes on object storage, with the ``AWS_*`` variables)

The question: patients aged 40 or more at diagnosis, overall survival by sex (Kaplan-Meier per
sex, survival at 1 and 2 years, log-rank). Each size's lake is ``<lakes>/dask-<n>``
(:mod:`service.bench_scale_lake`, 8 sites, generated once and reused). Engines:

- *local*: :class:`lake.query.gateway.LakeGateway` in process (Polars, 2 threads);
- *dask-W*: :class:`lake.distributed.gateway.DistributedGateway` on a ``LocalCluster`` of W
  worker processes on 127.0.0.1, one thread and one Polars thread each (cluster start-up is not
  timed: a deployment keeps its cluster running);
- *duckdb*: DuckDB SQL over the Parquet files of the pinned Delta versions
  (``DeltaTable.file_uris()``: DuckDB's ``delta`` extension downloads at first use, and this
  machine has no internet) computes the cohort, OS from the last contact and death, and the
  counts per (sex, day, death); the same :mod:`lake.survival` estimators then fit those counts.
  Its OS is the plain one (death, else last contact) the generated lake makes equal to the
  lake's derivation: the n and events per sex are checked against the local engine's.
  On object storage DuckDB needs its ``httpfs`` extension, also a download: no DuckDB row.

*cold*: the first query of a fresh engine (Delta read, endpoint derivation, filter, estimators);
*warm*: median of ``--warm`` queries with a new age bound each (new cohort, no result cache;
local and Dask keep their per-version columns, DuckDB rereads the files).

``--steps`` prints instead the local engine's cost per step (the capacity plan's table):
read (patient ids, sex, age), derive (the OS endpoint), filter (a cohort mask), Kaplan-Meier
(both sexes), log-rank and Cox (sex + age), each the median of ``--warm`` runs after the first.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import duckdb
import numpy as np
import polars as pl
from deltalake import DeltaTable
from distributed import Client, LocalCluster

from lake.access import AuditRecord, Caller
from lake.cohort.columns import CohortColumns
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import NumericRange, compile_filter
from lake.cohort.survival import Grouping, SurvivalRequest, SurvivalSummary
from lake.disclosure import DisclosurePolicy
from lake.distributed.engine import DaskEngine
from lake.distributed.gateway import DistributedGateway
from lake.location import LakeLocation, locate
from lake.query.gateway import LakeGateway
from lake.storage import LakeOpener, open_lake
from lake.survival import CoxPHFitter, KaplanMeierFitter, logrank_test
from service.bench_scale_lake import build

STATISTICIAN = Caller(user="bench", role="statistician")
REQUEST = SurvivalRequest(
    EndpointKey("OS", "diagnosis"), Grouping(attribute="sex"), (365.0, 730.0), "days", "log"
)


class NoAudit:
    def record(self, entry: AuditRecord) -> None:
        """The benchmark times the engines; audit writing is the same on every path."""


def _bound(i: int) -> float:
    return 40.0 + i * 0.001


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _gateway_question(gateway: LakeGateway, i: int) -> SurvivalSummary:
    (cohort,) = gateway.cohorts([(None, NumericRange("age_at_diagnosis", minimum=_bound(i)))])
    if isinstance(cohort, Exception):
        raise cohort
    return gateway.survival(STATISTICIAN, cohort, request=REQUEST).value


def _runs(ask: Callable[[int], object], warm: int) -> tuple[float, float]:
    """Seconds of ``ask(0)`` (the first), and the median of ``ask(1..warm)``."""
    cold = _timed(partial(ask, 0))
    return cold, statistics.median(_timed(partial(ask, i)) for i in range(1, warm + 1))


def _gateway_kwargs(root: LakeLocation) -> dict[str, Any]:
    return {
        "open_snapshot": LakeOpener(root),
        "policy": DisclosurePolicy(min_cell_size=5),
        "audit": NoAudit(),
        "software_version": "bench",
    }


def run_local(root: LakeLocation, warm: int) -> tuple[float, float, SurvivalSummary]:
    """Cold and warm seconds of the local engine, and its answer at the first bound."""
    gateway = LakeGateway(**_gateway_kwargs(root))
    cold, warm_s = _runs(lambda i: _gateway_question(gateway, i), warm)
    return cold, warm_s, _gateway_question(gateway, 0)


def run_dask(root: LakeLocation, workers: int, warm: int) -> tuple[float, float, SurvivalSummary]:
    """Cold and warm seconds on a fresh ``LocalCluster`` of ``workers`` processes."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            env={"POLARS_MAX_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        gateway = DistributedGateway(engine=DaskEngine(client, root), **_gateway_kwargs(root))
        cold, warm_s = _runs(lambda i: _gateway_question(gateway, i), warm)
        return cold, warm_s, _gateway_question(gateway, 0)


DUCKDB_SQL = """
WITH p AS (SELECT patient_id, sex, age_at_diagnosis, diagnosis_date FROM read_parquet($patients)),
e AS (SELECT patient_id, event_type, event_date FROM read_parquet($events)),
last AS (SELECT patient_id, max(event_date) AS last_date FROM e GROUP BY patient_id),
death AS (SELECT patient_id, min(event_date) AS death_date FROM e
          WHERE event_type = 'death' GROUP BY patient_id)
SELECT sex, date_diff('day', diagnosis_date, coalesce(death_date, last_date)) AS time_days,
       (death_date IS NOT NULL)::INTEGER AS status, count(*) AS n
FROM p LEFT JOIN last USING (patient_id) LEFT JOIN death USING (patient_id)
WHERE age_at_diagnosis >= $bound
GROUP BY ALL
"""


def delta_files(root: LakeLocation) -> dict[str, list[str]]:
    """The Parquet files of the newest lake version's ``patients`` and ``events``."""
    snapshot = open_lake(root)
    return {
        name: DeltaTable(root.uri(name), version=snapshot.table_versions[name]).file_uris()
        for name in ("patients", "events")
    }


def duckdb_question(
    connection: duckdb.DuckDBPyConnection, files: dict[str, list[str]], i: int
) -> dict[str, tuple[int, int]]:
    """DuckDB counts, then Kaplan-Meier per sex and the log-rank test; (n, events) per sex."""
    counts = pl.from_arrow(
        connection.sql(DUCKDB_SQL, params={**files, "bound": _bound(i)}).to_arrow_table()
    )
    assert isinstance(counts, pl.DataFrame)
    counts = counts.drop_nulls("time_days")
    repeats = counts.get_column("n").to_numpy()
    times = np.repeat(counts.get_column("time_days").to_numpy(), repeats)
    status = np.repeat(counts.get_column("status").to_numpy(), repeats)
    sex = np.repeat(counts.get_column("sex").to_numpy(), repeats)
    answer = {}
    for group in sorted(set(sex.tolist())):
        rows = sex == group
        fit = KaplanMeierFitter().fit(times[rows], status[rows])
        fit.survival_at(list(REQUEST.times))
        answer[str(group)] = (int(rows.sum()), int(status[rows].sum()))
    logrank_test(times, status, sex)
    return answer


def run_duckdb(root: LakeLocation, warm: int) -> tuple[float, float, dict[str, tuple[int, int]]]:
    """Cold (new connection, file listing included) and warm seconds of DuckDB."""
    state: dict[str, Any] = {}

    def ask(i: int) -> None:
        if i == 0:
            state["files"] = delta_files(root)
            state["connection"] = duckdb.connect(config={"threads": 2, "memory_limit": "6GB"})
        state["answer"] = duckdb_question(state["connection"], state["files"], i)

    cold, warm_s = _runs(ask, warm)
    duckdb_question(state["connection"], state["files"], 0)
    return cold, warm_s, duckdb_question(state["connection"], state["files"], 0)


def _per_group(summary: SurvivalSummary) -> dict[str, tuple[int, int]]:
    return {str(g.group): (int(g.n or 0), int(g.events or 0)) for g in summary.groups}


def compare(
    n: int, root: LakeLocation, workers: Sequence[int], warm: int
) -> Iterator[tuple[object, ...]]:
    """Rows (patients, engine, cold s, warm s, same answer as local), each when measured."""
    cold, warm_s, local = run_local(root, warm)
    yield (n, "local", cold, warm_s, "-")
    gc.collect()
    for w in workers:
        cold, warm_s, answer = run_dask(root, w, warm)
        yield (n, f"dask-{w}", cold, warm_s, answer == local)
        gc.collect()
    if root.local is not None:
        cold, warm_s, counted = run_duckdb(root, warm)
        yield (n, "duckdb", cold, warm_s, counted == _per_group(local))


def steps(n: int, root: LakeLocation, warm: int) -> list[tuple[object, ...]]:
    """Rows (patients, step, first s, median later s) of the local engine's steps."""
    columns = CohortColumns(open_lake(root))
    rows: list[tuple[object, ...]] = []

    def step(name: str, action: Callable[[int], object]) -> None:
        rows.append((n, name, *_runs(action, warm)))

    step("read", lambda _: columns.attributes(["sex", "age_at_diagnosis"]))
    step("derive", lambda _: columns.endpoint(REQUEST.endpoint))
    ages = columns.attributes(["age_at_diagnosis"])
    step(
        "filter",
        lambda i: ages.select(
            compile_filter(NumericRange("age_at_diagnosis", minimum=_bound(i)))
        ).to_series(),
    )
    mask = ages.select(compile_filter(NumericRange("age_at_diagnosis", minimum=40.0))).to_series()
    frame = columns.frame(
        mask,
        columns.attributes(["sex", "age_at_diagnosis"]),
        columns.endpoint(REQUEST.endpoint),
    ).drop_nulls("time_days")
    t = frame.get_column("time_days").to_numpy()
    d = frame.get_column("status").to_numpy()
    male = (frame.get_column("sex") == "M").cast(pl.Int8).to_numpy()  # group codes

    def km(_: int) -> None:
        for group in (0, 1):
            KaplanMeierFitter().fit(t[male == group], d[male == group]).survival_at([365, 730])

    step("kaplan-meier", km)
    step("log-rank", lambda _: logrank_test(t, d, male))
    design = frame.select(
        "time_days",
        "status",
        male=(pl.col("sex") == "M").cast(pl.Float64),
        age=pl.col("age_at_diagnosis"),
    )
    step(
        "cox",
        lambda _: CoxPHFitter().fit(design, duration_col="time_days", event_col="status"),
    )
    return rows


def _print(header: Sequence[str], rows: Iterable[tuple[object, ...]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [f"{c:.3f}" if isinstance(c, float) else str(c) for c in row]
        print("| " + " | ".join(cells) + " |", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the lakes if missing, then print the comparison (or the steps) table."""
    parser = argparse.ArgumentParser(prog="python -m service.bench_scale", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--lakes", default="bench-lakes", help="a directory or s3://bucket/prefix")
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--warm", type=int, default=3, help="warm queries per engine")
    parser.add_argument("--steps", action="store_true", help="the local engine's steps")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores", flush=True)
    for n in args.sizes:
        root = locate(f"{args.lakes}/dask-{n}")
        load = build(root, n, 8)
        if load:
            print(f"{n} patients: lake written in {load:.1f} s", flush=True)
        if args.steps:
            _print(("patients", "step", "first s", "later s"), steps(n, root, args.warm))
        else:
            _print(
                ("patients", "engine", "cold s", "warm s", "same answer"),
                compare(n, root, args.workers, args.warm),
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
