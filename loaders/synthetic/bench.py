"""Benchmark: ``python -m loaders.synthetic.bench --patients 1000000 10000000``.

Times :func:`~loaders.synthetic.generate.generate_truth` per size and disease and reports the
rows produced, the frames' in-memory size and the process's peak resident memory. There is no
library baseline to compare against: the reference point is the 1e7-patient target.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import get_args

from loaders.synthetic.generate import Disease, generate_truth


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one table row per (disease, size)."""
    parser = argparse.ArgumentParser(prog="python -m loaders.synthetic.bench")
    parser.add_argument("--patients", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--disease", choices=get_args(Disease), default="MM")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    out = sys.stdout
    out.write(
        f"{'disease':<8}{'patients':>12}{'rows':>14}{'frames GB':>11}{'seconds':>9}"
        f"{'peak RSS GB':>13}\n"
    )
    for n in args.patients:
        started = time.perf_counter()
        truth = generate_truth(n, args.seed, disease=args.disease)
        seconds = time.perf_counter() - started
        rows = sum(f.height for f in truth.tables.values())
        size = sum(f.estimated_size() for f in truth.tables.values()) / 1e9
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        out.write(
            f"{args.disease:<8}{n:>12,}{rows:>14,}{size:>11.2f}{seconds:>9.1f}{peak:>13.2f}\n"
        )
        del truth
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
