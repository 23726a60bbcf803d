"""Seeded benchmark lakes of 1e5-1e7 patients over several sites, generated once and reused.

``python -m service.bench_scale_lake --patients 1000000 --sites 8 --root lakes/1e6``

The patients and events are :func:`service.bench.generate`'s (myeloma patients, a last contact
for all, a death for 40 %); each patient is then assigned to one of ``sites`` sites (round
robin), so the lake has ``sites`` Delta partitions per table, the unit the distributed engine
(:mod:`lake.distributed`) works on. One committed load per site, through the real
:func:`lake.storage.commit_site_load`. The load's wall time is printed (the capacity plan's
*load* step).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import polars as pl

from lake.storage import LakeRoot, manifest_log_version
from service.bench import generate, write_lake


def site_frames(n: int, sites: int, *, seed: int = 7) -> dict[str, pl.DataFrame]:
    """:func:`service.bench.generate`'s tables with every patient in one of ``sites`` sites."""
    frames = generate(n, seed=seed)
    names = np.array([f"S{i:02d}" for i in range(sites)])
    patients = frames["patients"].with_columns(site=pl.Series(names[np.arange(n) % sites]))
    site_of = patients.select("patient_id", new_site="site")
    events = (
        frames["events"]
        .join(site_of, on="patient_id", how="left")
        .with_columns(site=pl.col("new_site"))
        .drop("new_site")
    )
    return {"patients": patients, "events": events}


def build(root: LakeRoot, n: int, sites: int) -> float:
    """Write the lake of ``n`` patients at ``root`` (a directory or URL) unless one exists;
    returns load seconds (0.0 when the lake was already there)."""
    if manifest_log_version(root) is not None:
        return 0.0
    frames = site_frames(n, sites)
    started = time.perf_counter()
    write_lake(root, frames)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    """Generate one benchmark lake and print its load time."""
    parser = argparse.ArgumentParser(prog="python -m service.bench_scale_lake", description=__doc__)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--root", required=True, help="a directory or s3://bucket/prefix")
    args = parser.parse_args(argv)
    seconds = build(args.root, args.patients, args.sites)
    print(f"{args.patients} patients, {args.sites} sites: load {seconds:.1f} s -> {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
