"""Benchmark: end-to-end site load throughput versus a bare ``write_deltalake`` of the rows.

``python -m loaders.bench [--sizes 100000 1000000] [--only timing|memory]`` generates a seeded
wide-layout patient export (CSV: demographics, two labs in non-canonical units with decimal
commas, a FISH marker, death and follow-up dates), loads it with
:func:`loaders.load.load_site` (read + map + pseudonymise + validate + write + manifest) and
compares with writing the same harmonised
tables straight to Delta. Stage times come from running the stages separately.

Measured on the 2-core build machine (shared), 1e6 patients = 4.3 M lake rows: end to end
5.2-5.5 s (~185k patients/s, ~0.8 M lake rows/s) beside 2.6 s for the bare Delta write of the
same rows (1.65 M rows/s); before the throughput work it was 17-37 s. The bare write is the
floor: even with free mapping and validation a site load cannot pass ~385k patients/s here.
Where the time went and what moved it: pseudonymisation once per source row instead of per
harmonised part and HMAC in Rust (``polars-hash``), date-order checks joining only the columns
they read, counts without a pass over every row, data queries on the integer patient key,
columns null in every row left to delta-rs to fill (:func:`lake.storage.commit_site_load`;
measured 8.8 -> 8.1 s CPU per 1e6-patient load, mean of four interleaved runs each, the shared
machine's wall times being too noisy to resolve it).

Peak memory (``--only memory``): each load runs as its own ``python -m loaders.cli load``
process and its peak RSS is the kernel's high-water mark for that child (``wait4``'s
``ru_maxrss``). Measured 2026-12-07 on the shared machine (load average ~10, so the seconds are
slow): 1e5 patients 330 MiB, 1e6 patients 1,123 MiB (target: under 2 GiB), of which ~200 MiB is
an idle process with Polars and delta-rs loaded. The adversarial inputs of issue 14, which used
1.0-4.9 GiB for 1,000-3,000 copies of one row and over 8 GiB for a 2.3 MB XLSX of identical
rows: 3,000 copies 338 MiB, 30,000 copies 437 MiB, a 2.5 MB XLSX of 100,000 identical rows
886 MiB (every copy quarantined as ``duplicate_key``); an XLSX declaring ``A1:XFD1048576``
(which aborted asking for 512 GiB) is refused unread, exit 2, 392 MiB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Final, TypeVar

import numpy as np
import polars as pl
from deltalake import write_deltalake
from rich.console import Console
from rich.table import Table

from loaders.load import load_site
from loaders.prepare import read_and_map
from loaders.pseudonym import load_key
from loaders.spec import parse_spec
from loaders.validate import validate

T = TypeVar("T")

SPEC = """\
format_version: 1
spec_version: "bench"
site: BENCH
name: Benchmark site
ldh_uln_u_l: 248
files:
  - path: patients.csv
    format: csv
    separator: ";"
    decimal_comma: true
    date_format: "%d/%m/%Y"
    id_column: id
    constants: {patients.disease: MM, patients.data_origin: real_world, patients.source_study: B}
    columns:
      sex: {to: patients.sex, codes: {"1": M, "2": F}}
      diagnosed: {to: patients.diagnosis_date}
      age: {to: patients.age_at_diagnosis}
      b2m: {to: baseline.beta2m_mg_l, unit: nmol/L}
      alb: {to: baseline.albumin_g_dl, unit: g/L}
      del17p: {to: genetics.del17p, codes: {"pos": present, "neg": absent, "nd": not_tested}}
      died: {event: death}
      last_seen: {event: last_follow_up}
"""


def generate_export(directory: Path, n: int, *, seed: int = 20261122) -> Path:
    """Write a seeded ``n``-patient export and its spec; returns the spec path."""
    rng = np.random.default_rng(seed)
    diagnosed = np.datetime64("2008-01-01") + rng.integers(0, 3000, n).astype("timedelta64[D]")
    last_seen = diagnosed + rng.integers(30, 3000, n).astype("timedelta64[D]")
    dead = rng.random(n) < 0.3
    frame = pl.DataFrame(
        {
            "id": np.char.add("P", np.arange(n).astype(str)),
            "sex": rng.choice(["1", "2"], n),
            "diagnosed": diagnosed,
            "age": np.round(rng.normal(66, 9, n).clip(30, 95), 1),
            "b2m": np.round(rng.lognormal(np.log(300), 0.5, n), 1),
            "alb": np.round(rng.normal(38, 5, n).clip(20, 55), 1),
            "del17p": rng.choice(["pos", "neg", "nd"], n, p=[0.1, 0.7, 0.2]),
            "last_seen": last_seen,
        }
    ).with_columns(
        pl.col("diagnosed", "last_seen").dt.strftime("%d/%m/%Y"),
        pl.when(pl.Series(dead)).then(pl.col("last_seen").dt.strftime("%d/%m/%Y")).alias("died"),
        pl.col("age", "b2m", "alb").cast(pl.String).str.replace(".", ",", literal=True),
    )
    frame.write_csv(directory / "patients.csv", separator=";")
    spec = directory / "mapping.yaml"
    spec.write_text(SPEC)
    return spec


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def run(n: int, work: Path) -> dict[str, float]:
    """Seconds per stage for an ``n``-patient load (fresh lake each time)."""
    key_file = work / "key"
    key_file.write_text("b" * 64)
    spec_path = generate_export(work, n)
    spec = parse_spec(spec_path)
    mapping_s, parts = _timed(lambda: read_and_map(spec, load_key(key_file)))
    validate_s, validated = _timed(lambda: validate(parts, site="BENCH", load_id="bench"))

    def raw_write() -> None:
        for name, frame in validated.tables.items():
            write_deltalake(
                str(work / "raw" / name), frame.to_arrow(), mode="overwrite", partition_by=["site"]
            )

    raw_s, _ = _timed(raw_write)
    total_s, result = _timed(
        lambda: load_site(spec_path, lake_root=work / "lake", key_file=key_file)
    )
    if result.rows_quarantined:
        raise RuntimeError(f"benchmark data quarantined {result.rows_quarantined} rows")
    return {
        "read+map+pseudonymise": mapping_s,
        "validate": validate_s,
        "end-to-end load": total_s,
        "raw write_deltalake": raw_s,
        "rows": float(sum(f.height for f in validated.tables.values())),
    }


def _measured_load(spec: Path, lake: Path, key_file: Path) -> tuple[int, float, int]:
    """Run ``hemalake load`` in a child process; its exit code, wall seconds and peak RSS in
    bytes (``ru_maxrss`` from ``wait4``: the kernel's high-water mark, VmHWM, of that child
    alone)."""
    command = [sys.executable, "-m", "loaders.cli", "load", str(spec), "--lake", str(lake)]
    start = time.perf_counter()
    child = subprocess.Popen(
        [*command, "--key-file", str(key_file), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - start, usage.ru_maxrss * 1024


def _repeated_rows(directory: Path, copies: int, *, xlsx: bool) -> Path:
    """One patient's row ``copies`` times (every copy but one is a duplicate to quarantine),
    as CSV or as an XLSX of identical rows."""
    spec = generate_export(directory, 1)
    patients = pl.read_csv(directory / "patients.csv", separator=";", infer_schema=False)
    repeated = pl.concat([patients] * copies)
    if not xlsx:
        repeated.write_csv(directory / "patients.csv", separator=";")
        return spec
    dotted = repeated.with_columns(pl.col("age", "b2m", "alb").str.replace(",", ".", literal=True))
    dotted.write_excel(directory / "patients.xlsx", worksheet="patients")
    spec.write_text(SPEC.replace(_CSV_ENTRY, _XLSX_ENTRY))
    return spec


def _whole_grid(directory: Path) -> Path:
    """An XLSX of one row whose sheet declares ``A1:XFD1048576`` (refused before reading)."""
    spec = _repeated_rows(directory, 1, xlsx=True)
    path = directory / "patients.xlsx"
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(
        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', parts[sheet]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return spec


_CSV_ENTRY = """\
  - path: patients.csv
    format: csv
    separator: ";"
    decimal_comma: true
"""
_XLSX_ENTRY = """\
  - path: patients.xlsx
    format: xlsx
"""
#: Adversarial memory cases of issue 14: name -> (source rows, writes the export and returns
#: its spec).
MEMORY_CASES: Final[dict[str, tuple[int, Callable[[Path], Path]]]] = {
    "3,000 copies of one row (CSV)": (3_000, partial(_repeated_rows, copies=3_000, xlsx=False)),
    "30,000 copies of one row (CSV)": (30_000, partial(_repeated_rows, copies=30_000, xlsx=False)),
    "100,000 identical rows (XLSX)": (100_000, partial(_repeated_rows, copies=100_000, xlsx=True)),
    "XLSX declaring A1:XFD1048576": (1, _whole_grid),
}


def memory_table(sizes: Sequence[int]) -> Table:
    """Peak RSS of ``hemalake load`` processes: seeded exports of ``sizes`` patients and the
    adversarial cases of :data:`MEMORY_CASES`, each into a fresh lake. An idle ``hemalake``
    process (Python, Polars, delta-rs loaded) is ~200 MiB of it."""
    table = Table(title="peak RSS of one `hemalake load` process (fresh lake each)")
    for header in ("input", "source rows", "input bytes", "exit", "seconds", "peak RSS MiB"):
        table.add_column(header, justify="left" if header == "input" else "right")
    cases: list[tuple[str, int, Callable[[Path], Path]]] = [
        (f"{n:,} patients (CSV)", n, partial(generate_export, n=n)) for n in sizes
    ]
    cases += [(name, rows, make) for name, (rows, make) in MEMORY_CASES.items()]
    for name, rows, make in cases:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            spec = make(work)
            key_file = work / "key"
            key_file.write_text("b" * 64)
            size = sum(p.stat().st_size for p in work.glob("patients.*"))
            code, seconds, peak = _measured_load(spec, work / "lake", key_file)
        table.add_row(
            name, f"{rows:,}", f"{size:,}", str(code), f"{seconds:.1f}", f"{peak / 2**20:,.0f}"
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    """Print the benchmark tables (timing, then peak memory)."""
    parser = argparse.ArgumentParser(prog="python -m loaders.bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--only", choices=("timing", "memory"), default=None, help="run one of the two tables"
    )
    args = parser.parse_args(argv)
    console = Console(width=180)
    if args.only != "memory":
        console.print(timing_table(args.sizes))
    if args.only != "timing":
        console.print(memory_table(args.sizes))


def timing_table(sizes: Sequence[int]) -> Table:
    """Stage and end-to-end seconds per size, beside a bare ``write_deltalake``."""
    table = Table(title="hemalake site load vs bare write_deltalake (seconds; rates per second)")
    for header in (
        "patients",
        "lake rows",
        "read+map+pseudo",
        "validate",
        "end-to-end",
        "patients/s e2e",
        "lake rows/s e2e",
        "raw write",
        "raw rows/s",
        "e2e / raw",
    ):
        table.add_column(header, justify="right")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t = run(n, Path(tmp))
        table.add_row(
            f"{n:,}",
            f"{int(t['rows']):,}",
            f"{t['read+map+pseudonymise']:.2f}",
            f"{t['validate']:.2f}",
            f"{t['end-to-end load']:.2f}",
            f"{n / t['end-to-end load']:,.0f}",
            f"{t['rows'] / t['end-to-end load']:,.0f}",
            f"{t['raw write_deltalake']:.2f}",
            f"{t['rows'] / t['raw write_deltalake']:,.0f}",
            f"{t['end-to-end load'] / t['raw write_deltalake']:.1f}x",
        )
    return table


if __name__ == "__main__":
    main()
