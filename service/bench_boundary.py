"""Benchmark: one uncached cohort + OS by sex + log-rank at the lake boundary, without HTTP.

``python -m service.bench_boundary [--sizes 100000 1000000] [--runs 7]``

The lake is :mod:`service.bench`'s seeded generator written as a real Delta lake. *Warm* builds
the version's common columns (:func:`lake.query.warmup.warm`, what the service does at start and
after a load). Each run then asks :meth:`lake.query.gateway.LakeGateway.survival` for a new
cohort (a new age bound, so neither the cohort nor the result cache can answer), as a governed
caller: what an uncached GraphQL query costs in the lake, without parsing, HTTP or JSON. The
baseline is the same question answered by Polars + lifelines in-process
(:func:`service.bench.baseline_ms`); *ratio* is baseline / p50 (above 1: faster).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lake.access import AuditRecord, Caller
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import NumericRange
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.disclosure import DisclosurePolicy
from lake.query.gateway import LakeGateway
from lake.query.warmup import warm
from lake.storage import LakeOpener
from service.bench import baseline_ms, generate, write_lake

CALLER = Caller(user="bench", role="statistician")
REQUEST = SurvivalRequest(
    endpoint=EndpointKey(endpoint="OS", origin="diagnosis", landmark_days=0, line_number=None),
    grouping=Grouping(attribute="sex"),
    times=(12.0, 24.0),
    time_unit="months",
    conf_type="log",
)


class _Discard:
    def record(self, entry: AuditRecord) -> None:
        """Audit nothing: the benchmark measures the statistics."""


def run(n: int, runs: int, root: Path) -> tuple[float, float, float]:
    """(warm s, uncached p50 ms, lifelines baseline ms) for a lake of ``n`` patients."""
    frames = generate(n)
    write_lake(root, frames)
    gateway = LakeGateway(
        open_snapshot=LakeOpener(root),
        policy=DisclosurePolicy(min_cell_size=5),
        audit=_Discard(),
        software_version="bench",
    )
    warmed = warm(gateway)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        (cohort,) = gateway.cohorts([(None, NumericRange("age_at_diagnosis", minimum=20 + i))])
        assert not isinstance(cohort, Exception), cohort
        gateway.survival(CALLER, cohort, request=REQUEST)
        times.append((time.perf_counter() - started) * 1000)
    return warmed.seconds, float(np.median(times)), baseline_ms(frames, runs=3)


def main(argv: Sequence[str] | None = None) -> int:
    """Print one row per lake size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{'patients':>10} {'warm s':>8} {'uncached p50 ms':>16} {'lifelines ms':>13} ratio")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            warm_s, p50, base = run(n, args.runs, Path(tmp) / "lake")
        print(f"{n:>10} {warm_s:>8.2f} {p50:>16.1f} {base:>13.1f} {base / p50:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
