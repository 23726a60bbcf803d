"""Benchmark of the risk engine: ``python -m lake.risk.bench [--sizes 1000000 10000000]``.

Generates seeded synthetic cohorts (numpy, ~5% of every input unknown), computes the myeloma
scores and then every registered score with :func:`lake.risk.registry.compute`, and prints the
time and rows/s. The library baseline computes ISS and R-ISS with DuckDB SQL ``CASE`` expressions
when duckdb is importable, else with plain numpy; the ratio column is baseline time / engine time
for the same two scores (the engine's ISS + R-ISS include ``missing_inputs``, the baseline does
not, so the comparison favours the baseline).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from lake.model import MARKER_CODES
from lake.risk.registry import REGISTRY

logger = logging.getLogger(__name__)
MM_SCORES = (
    "iss",
    "riss",
    "r2iss",
    "mm_cytogenetic_risk",
    "ldh",
    "crcl",
    "egfr",
    "imwg_response",
)


def synthetic_cohort(n: int, *, seed: int = 20260101, unknown_share: float = 0.05) -> pl.DataFrame:
    """A seeded cohort frame with every column a registered score reads."""
    rng = np.random.default_rng(seed)

    def lab(mean: float, sd: float, low: float, high: float) -> np.ndarray:
        values = np.clip(rng.normal(mean, sd, n), low, high)
        values[rng.random(n) < unknown_share] = np.nan
        return values

    def markers(p_present: float) -> pl.Series:
        codes = np.where(rng.random(n) < p_present, 0, 1).astype(np.uint8)
        codes[rng.random(n) < unknown_share] = 2
        return pl.Series(codes).replace_strict(
            dict(enumerate(MARKER_CODES)), return_dtype=pl.String
        )

    columns: dict[str, np.ndarray | pl.Series] = {
        "beta2m_mg_l": lab(4.0, 2.0, 0.5, 30),
        "albumin_g_dl": lab(3.6, 0.6, 1.0, 6.0),
        "ldh_u_l": lab(220, 80, 50, 2000),
        "ldh_uln_u_l": np.full(n, 250.0),
        "creatinine_mg_dl": lab(1.2, 0.6, 0.3, 12),
        "weight_kg": lab(75, 15, 35, 200),
        "age_at_diagnosis": lab(65, 10, 18, 100),
        "sex": pl.Series(np.where(rng.random(n) < 0.55, "M", "F")),
        "best_response": pl.Series(
            rng.choice(["PD", "SD", "MR", "PR", "VGPR", "CR", "sCR", "NE"], n)
        ),
    }
    for name in ("del17p", "t4_14", "t14_16", "gain1q"):
        columns[name] = markers(0.1)
    return pl.DataFrame(columns).with_columns(pl.selectors.float().fill_nan(None))


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _engine(frame: pl.DataFrame, names: Sequence[str]) -> Callable[[], object]:
    return lambda: REGISTRY.compute(frame.lazy(), names).collect()


def _baseline(frame: pl.DataFrame) -> tuple[str, Callable[[], object]]:
    try:
        import duckdb  # noqa: PLC0415 - optional dev dependency, numpy baseline without it
    except ImportError:
        return "numpy ISS+R-ISS", lambda: _numpy_iss_riss(frame)
    connection = duckdb.connect()
    connection.register("cohort", frame.to_arrow())
    sql = """
        WITH s AS (SELECT *, CASE WHEN beta2m_mg_l >= 5.5 THEN 'III'
                 WHEN beta2m_mg_l < 3.5 AND albumin_g_dl >= 3.5 THEN 'I'
                 WHEN beta2m_mg_l IS NULL OR albumin_g_dl IS NULL THEN NULL ELSE 'II' END AS iss,
                 CASE WHEN del17p = 'present' OR t4_14 = 'present' OR t14_16 = 'present' THEN 1
                 WHEN del17p = 'absent' AND t4_14 = 'absent' AND t14_16 = 'absent' THEN 0 END AS hr,
                 CASE WHEN ldh_u_l > ldh_uln_u_l THEN 1 WHEN ldh_u_l <= ldh_uln_u_l THEN 0 END AS hl
                 FROM cohort)
        SELECT iss, CASE WHEN iss = 'I' AND hr = 0 AND hl = 0 THEN 'I'
                 WHEN iss = 'III' AND (hr = 1 OR hl = 1) THEN 'III'
                 WHEN iss IS NULL OR hr IS NULL OR hl IS NULL THEN NULL ELSE 'II' END AS riss
        FROM s
    """
    return "duckdb SQL ISS+R-ISS", lambda: connection.sql(sql).arrow()


def _numpy_iss_riss(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    b2m = frame.get_column("beta2m_mg_l").to_numpy()
    alb = frame.get_column("albumin_g_dl").to_numpy()
    iss = np.where(b2m >= 5.5, 3, np.where((b2m < 3.5) & (alb >= 3.5), 1, 2))
    hr = np.zeros(frame.height, dtype=bool)
    for name in ("del17p", "t4_14", "t14_16"):
        hr |= frame.get_column(name).to_numpy() == "present"
    high_ldh = frame.get_column("ldh_u_l").to_numpy() > frame.get_column("ldh_uln_u_l").to_numpy()
    riss = np.where((iss == 1) & ~hr & ~high_ldh, 1, np.where((iss == 3) & (hr | high_ldh), 3, 2))
    return iss, riss


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args(argv)
    header = f"{'rows':>10}  {'workload':<34}{'seconds':>9}{'rows/s':>14}{'baseline/engine':>17}"
    print(header)
    for n in args.sizes:
        frame = synthetic_cohort(n)
        baseline_name, baseline = _baseline(frame)
        baseline_s = _timed(baseline)
        iss_riss_s = _timed(_engine(frame, ["iss", "riss"]))
        rows = [
            ("engine ISS+R-ISS", iss_riss_s, f"{baseline_s / iss_riss_s:.2f}"),
            (baseline_name, baseline_s, "1.00"),
            (f"engine all MM scores ({len(MM_SCORES)})", _timed(_engine(frame, MM_SCORES)), ""),
        ]
        for name, seconds, ratio in rows:
            line = f"{n:>10}  {name:<34}{seconds:>9.3f}{n / seconds:>14,.0f}{ratio:>17}"
            print(line)


if __name__ == "__main__":
    main()
