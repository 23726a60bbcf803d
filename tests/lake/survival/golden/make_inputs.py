"""Write the seeded input CSVs that make_golden.R reads (run once; outputs are committed).

Usage: ``.venv/bin/python tests/lake/survival/golden/make_inputs.py``

Hand-made cases are the worked examples of 05-survival-statistics.md §5.9 (D1, D2, D3) plus
edge cases; simulated cohorts use numpy's PCG64 with fixed seeds:

- ``mm_os``: 3,000 myeloma patients, OS by ISS stage I/II/III with true HR 1 / 1.6 / 2.6,
  age (per 10 y, HR 1.3) and sex; a second staging system (R-ISS-like, partly concordant);
  times rounded to whole days, so ties occur.
- ``allo``: 2,000 allo-HSCT patients, relapse (cause 1) vs NRM (cause 2) by donor group and
  conditioning, administrative censoring at 5 years, whole days.
- ``tdc``: 1,500 AML patients in first remission; ~40% are transplanted at a random day; the
  death hazard halves after transplant (true HR 0.5 for the time-dependent covariate).

The ``demo_*`` inputs are the demo lake's study cohorts: every bundled site of ``loaders/sites``
loaded through the real loaders into a temporary lake (as ``hemalake demo --no-serve`` does,
with a throw-away pseudonym key), each cohort derived by ``tests/lake/survival/demo_cohorts.py``
and written without patient ids, rows sorted by every column.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console

from lake.storage import open_lake
from service.demo import BUNDLED_SITES, build_demo_lake
from tests.lake.survival.demo_cohorts import demo_cohorts

HERE = Path(__file__).parent / "inputs"


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (HERE / f"{name}.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def hand_made() -> None:
    d1_time = [2, 3, 3, 5, 6, 7, 8, 10, 12, 15, 16, 20]
    d1_status = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0]
    d1_grp = list("ABABABABABAB")
    d1_strat = [1] * 6 + [2] * 6
    write(
        "d1",
        ["time", "status", "grp", "strat"],
        [list(r) for r in zip(d1_time, d1_status, d1_grp, d1_strat, strict=True)],
    )
    write(
        "d2",
        ["time", "status", "x"],
        [
            list(r)
            for r in zip(
                [1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7],
                [1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0],
                [0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
                strict=True,
            )
        ],
    )
    write(
        "d3",
        ["time", "status", "grp"],
        [
            list(r)
            for r in zip(
                range(1, 13),
                [1, 2, 0, 1, 2, 1, 0, 2, 1, 0, 0, 0],
                list("ABABABABABAB"),
                strict=True,
            )
        ],
    )
    write("e3", ["time", "status"], [[t, 1] for t in range(1, 11)])
    write("all_censored", ["time", "status", "grp"], [[t, 0, "AB"[t % 2]] for t in range(1, 9)])
    write("all_tied", ["time", "status", "grp"], [[5, 1, "AB"[i % 2]] for i in range(6)])
    write(
        "delayed",
        ["tstart", "tstop", "status", "x"],
        [
            [0, 5, 1, 0],
            [0, 8, 0, 1],
            [2, 6, 1, 1],
            [3, 9, 1, 0],
            [1, 4, 0, 1],
            [4, 12, 1, 1],
            [0, 7, 1, 0],
            [6, 10, 0, 0],
            [5, 11, 1, 1],
            [2, 3, 1, 0],
        ],
    )


def mm_os(rng: np.random.Generator, n: int = 3000) -> None:
    stage = rng.choice([1, 2, 3], size=n, p=[0.35, 0.40, 0.25])
    age10 = rng.normal(6.5, 0.9, size=n)
    sex = rng.integers(0, 2, size=n)
    lp = np.log([1.0, 1.6, 2.6])[stage - 1] + np.log(1.3) * (age10 - 6.5) + 0.1 * sex
    event_time = rng.exponential(1.0 / (0.00045 * np.exp(lp)))
    censor = rng.uniform(200, 3650, size=n)
    time = np.ceil(np.minimum(event_time, censor))
    status = (event_time <= censor).astype(int)
    # second system: agrees with ISS 70% of the time, otherwise a neighbouring stage
    shift = rng.choice([-1, 0, 1], size=n, p=[0.15, 0.70, 0.15])
    riss = np.clip(stage + shift, 1, 3)
    write(
        "mm_os",
        ["time", "status", "iss", "riss", "age10", "sex"],
        [
            [int(t), int(s), int(i), int(r), round(float(a), 4), int(x)]
            for t, s, i, r, a, x in zip(time, status, stage, riss, age10, sex, strict=True)
        ],
    )


def allo(rng: np.random.Generator, n: int = 2000) -> None:
    donor = rng.choice(["MRD", "MUD", "HAPLO"], size=n, p=[0.4, 0.4, 0.2])
    ric = rng.integers(0, 2, size=n)
    rel_rate = 0.0007 * np.exp(0.35 * ric) * np.where(donor == "HAPLO", 0.8, 1.0)
    nrm_rate = 0.0003 * np.exp(-0.3 * ric) * np.where(donor == "MUD", 1.4, 1.0)
    t_rel = rng.exponential(1 / rel_rate)
    t_nrm = rng.exponential(1 / nrm_rate)
    censor = np.minimum(rng.uniform(100, 2500, size=n), 1826)
    first = np.minimum(t_rel, t_nrm)
    time = np.ceil(np.minimum(first, censor))
    cause = np.where(first > censor, 0, np.where(t_rel < t_nrm, 1, 2))
    write(
        "allo",
        ["time", "cause", "donor", "ric"],
        [
            [int(t), int(c), str(d), int(r)]
            for t, c, d, r in zip(time, cause, donor, ric, strict=True)
        ],
    )


def tdc(rng: np.random.Generator, n: int = 1500) -> None:
    base = 0.0012
    transplanted = rng.uniform(size=n) < 0.4
    tx_day = np.where(transplanted, rng.uniform(30, 300, size=n), np.inf)
    pre = rng.exponential(1 / base, size=n)
    # piecewise-exponential: after transplant the hazard is halved
    post = tx_day + rng.exponential(1 / (0.5 * base), size=n)
    death = np.where(pre < tx_day, pre, post)
    censor = rng.uniform(365, 2000, size=n)
    time = np.ceil(np.minimum(death, censor))
    status = (death <= censor).astype(int)
    tx = np.where(np.ceil(tx_day) < time, np.ceil(tx_day), np.nan)
    write(
        "tdc",
        ["time", "status", "transplant_day"],
        [
            [int(t), int(s), "" if np.isnan(x) else int(x)]
            for t, s, x in zip(time, status, tx, strict=True)
        ],
    )


def weighted(rng: np.random.Generator, n: int = 400) -> None:
    """Two arms with a confounder (age) and case weights (as propensity weights are): weighted
    Kaplan-Meier and Cox with the robust variance; integer days with ties."""
    age = rng.normal(62, 10, size=n)
    arm = (rng.uniform(size=n) < 1 / (1 + np.exp(-(age - 62) / 8))).astype(int)
    event_time = np.ceil(rng.exponential(1 / (0.0015 * np.exp(-0.4 * arm + 0.03 * (age - 62)))))
    censor = np.ceil(rng.uniform(200, 2500, size=n))
    time = np.minimum(event_time, censor).astype(int)
    status = (event_time <= censor).astype(int)
    weight = np.round(rng.uniform(0.2, 4.0, size=n), 6)
    write(
        "weighted",
        ["time", "status", "arm", "age", "w"],
        [
            [int(t), int(s), int(a), round(float(g), 6), float(w)]
            for t, s, a, g, w in zip(time, status, arm, age, weight, strict=True)
        ],
    )


def demo_lake() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp) / "lake"
        build_demo_lake(
            sites=BUNDLED_SITES,
            lake=lake,
            key_file=Path(tmp) / "pseudonym.key",
            console=Console(quiet=True),
        )
        for name, frame in demo_cohorts(open_lake(lake)).items():
            frame.write_csv(HERE / f"{name}.csv")


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    hand_made()
    mm_os(np.random.default_rng(20240501))
    allo(np.random.default_rng(20240502))
    tdc(np.random.default_rng(20240503))
    weighted(np.random.default_rng(20240504))
    demo_lake()
