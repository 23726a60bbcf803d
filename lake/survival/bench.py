"""Benchmark: this engine vs lifelines vs R for Kaplan–Meier, log-rank and Cox (Efron).

Run: ``.venv/bin/python -m lake.survival.bench`` (optionally ``--sizes 100000 1000000``,
``--no-r``, ``--no-lifelines``). Data: seeded synthetic cohorts, exponential survival times in
whole days (so tied times occur as in registry data), uniform censoring, two groups and one
continuous covariate. R receives the same data through a binary file and is timed with
``system.time`` around ``survfit``, ``survdiff`` and ``coxph`` only (not the read). lifelines Cox is
skipped at 1e7 rows (minutes); Cox is run at 1e7 for this engine and R only. The last columns give
the largest relative difference of the Cox coefficients to R's. Harrell's C is not part of the
timed Cox fit (computed on first access of ``concordance_``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from lifelines import CoxPHFitter as LifelinesCox
from lifelines import KaplanMeierFitter as LifelinesKM
from lifelines.statistics import logrank_test as lifelines_logrank
from rich.console import Console
from rich.table import Table

from lake.survival._typing import FloatArray
from lake.survival.cox import CoxPHFitter
from lake.survival.kaplan_meier import KaplanMeierFitter
from lake.survival.logrank import logrank_test

logger = logging.getLogger(__name__)

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); path <- args[1]; do_cox <- args[3] == "1"
con <- file(path, "rb"); v <- readBin(con, "double", 4 * n); close(con)
d <- data.frame(time = v[1:n], status = v[(n+1):(2*n)], grp = v[(2*n+1):(3*n)],
                age = v[(3*n+1):(4*n)])
cat("km", system.time(survfit(Surv(time, status) ~ 1, data = d))[["elapsed"]], "\n")
cat("logrank", system.time(survdiff(Surv(time, status) ~ grp, data = d))[["elapsed"]], "\n")
if (do_cox) {
  tt <- system.time(fit <- coxph(Surv(time, status) ~ grp + age, data = d))[["elapsed"]]
  cat("cox", tt, "\n")
  cat("coef", sprintf("%.17g", coef(fit)), "\n")
}
"""


def cohort(n: int, seed: int = 7) -> dict[str, FloatArray]:
    """Seeded cohort: HR 1.5 for group 1, HR 1.2 per 10 years of age, days, ~35% censored."""
    rng = np.random.default_rng(seed)
    grp = rng.integers(0, 2, n).astype(np.float64)
    age = rng.normal(65.0, 10.0, n)
    rate = 0.0005 * np.exp(np.log(1.5) * grp + np.log(1.2) * (age - 65.0) / 10.0)
    event_time = rng.exponential(1.0 / rate)
    censor = rng.uniform(30.0, 3650.0, n)
    time_days = np.ceil(np.minimum(event_time, censor))
    status = (event_time <= censor).astype(np.float64)
    return {"time": time_days, "status": status, "grp": grp, "age": age}


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_r(data: dict[str, FloatArray], *, cox: bool) -> dict[str, object]:
    """Time survfit/survdiff/coxph in R on the same data; {} if Rscript is missing."""
    if shutil.which("Rscript") is None:
        return {}
    n = data["time"].size
    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp) / "data.bin"
        np.concatenate([data[k] for k in ("time", "status", "grp", "age")]).tofile(blob)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(blob), str(n), "1" if cox else "0"],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        ).stdout
    result: dict[str, object] = {}
    for line in out.splitlines():
        key, *values = line.split()
        result[key] = [float(v) for v in values] if key == "coef" else float(values[0])
    return result


def run_size(n: int, *, use_r: bool, use_lifelines: bool, cox_max: int) -> list[list[str]]:
    """One row per method at size ``n``: engine, lifelines, R, ratios, Cox agreement."""
    data = cohort(n)
    repeat = 3 if n <= 100_000 else 1
    frame = pl.DataFrame({k: data[k] for k in ("time", "status", "grp", "age")})
    ours: dict[str, float] = {
        "KM": timed(lambda: KaplanMeierFitter().fit(data["time"], data["status"]), repeat),
        "log-rank": timed(lambda: logrank_test(data["time"], data["status"], data["grp"]), repeat),
    }
    do_cox = n <= cox_max
    fit: CoxPHFitter | None = None
    if do_cox:

        def cox() -> None:
            nonlocal fit
            fit = CoxPHFitter().fit(frame, duration_col="time", event_col="status")

        ours["Cox (Efron)"] = timed(cox, repeat)
    theirs: dict[str, float | None] = dict.fromkeys(ours)
    lifelines_coef: FloatArray | None = None
    if use_lifelines:
        g1 = data["grp"] == 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs["KM"] = timed(lambda: LifelinesKM().fit(data["time"], data["status"]), repeat)
            theirs["log-rank"] = timed(
                lambda: lifelines_logrank(
                    data["time"][g1], data["time"][~g1], data["status"][g1], data["status"][~g1]
                ),
                repeat,
            )
            if do_cox and n <= 1_000_000:
                pdf = frame.to_pandas()
                holder: list[FloatArray] = []
                theirs["Cox (Efron)"] = timed(
                    lambda: holder.append(
                        LifelinesCox()
                        .fit(pdf, duration_col="time", event_col="status")
                        .params_.to_numpy()
                    ),
                    1,
                )
                lifelines_coef = holder[-1]
    r_times = run_r(data, cox=do_cox) if use_r else {}
    r_key = {"KM": "km", "log-rank": "logrank", "Cox (Efron)": "cox"}
    rows = []
    for method, mine in ours.items():
        other = theirs.get(method)
        r_time = r_times.get(r_key[method])
        agreement = ""
        if method.startswith("Cox") and fit is not None:
            coef = r_times.get("coef")
            if isinstance(coef, list):
                agreement = f"R {np.max(np.abs(fit.params_ / np.array(coef) - 1)):.1e}"
            if lifelines_coef is not None:
                gap = np.max(np.abs(lifelines_coef / fit.params_ - 1))
                agreement += f"; lifelines {gap:.1e}"
        rows.append(
            [
                f"{n:.0e}",
                method,
                f"{mine:.3f}",
                "skipped" if other is None else f"{other:.3f}",
                "" if other is None else f"{other / mine:.1f}x",
                "" if not isinstance(r_time, float) else f"{r_time:.3f}",
                "" if not isinstance(r_time, float) else f"{r_time / max(mine, 1e-9):.1f}x",
                agreement,
            ]
        )
    return rows


def main() -> None:
    """Parse arguments, run every size and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    parser.add_argument("--cox-max", type=float, default=1e7, help="largest n for Cox")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--no-lifelines", action="store_true")
    args = parser.parse_args()
    table = Table(title="hemalake survival engine vs lifelines vs R (seconds, best of runs)")
    for column in (
        "rows",
        "method",
        "engine s",
        "lifelines s",
        "lifelines/engine",
        "R s",
        "R/engine",
        "Cox max rel. diff",
    ):
        table.add_column(column)
    for size in args.sizes:
        for row in run_size(
            int(size),
            use_r=not args.no_r,
            use_lifelines=not args.no_lifelines,
            cox_max=int(args.cox_max),
        ):
            table.add_row(*row)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
