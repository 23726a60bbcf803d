"""The fault suite: broken, hostile and full worlds, through real ``hemalake load`` processes.

Each test runs the CLI in a subprocess on real files and checks the exit code, the message,
that the lake version is intact, that source rows = accepted + quarantined, and that no
unreferenced file outlives the next load. Disk full is reached two ways: test-only injection
points (:data:`lake.storage.FAULT_FULL_ENV`) for every order of failure, and a real per-file
size limit (``RLIMIT_FSIZE``, settable without root; a size-limited *directory* would need a
mount, which the tests cannot make).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from lake.storage import FAULT_FULL_ENV, lake_lock, open_lake, read_latest, vacuum_lake
from tests.loaders.conftest import PATIENTS_CSV, SPEC, SiteFactory

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _hemalake(
    *args: str | Path,
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *map(str, args)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
        check=False,
    )


def _load(
    spec: Path,
    lake: Path,
    key_file: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return _hemalake(
        "load",
        spec,
        "--lake",
        lake,
        "--key-file",
        key_file,
        "--quiet",
        *extra,
        env=env,
        preexec=preexec,
        timeout=timeout,
    )


def _clean(run: subprocess.CompletedProcess[str]) -> str:
    """Both streams; asserts no traceback and no Rust panic line reached the user."""
    text = run.stdout + run.stderr
    assert "Traceback" not in text
    assert "panicked at" not in text
    return text


def _conserved(lake: Path) -> None:
    """The newest log row's rows in = accepted + quarantined."""
    log = read_latest(lake, "_load_log")
    assert log is not None
    row = log.filter(pl.col("status") == "committed").sort("finished_at").row(-1, named=True)
    assert row["rows_in"] == row["rows_accepted"] + row["rows_quarantined"]


def _generated(n: int) -> str:
    rows = [f"G{i};F;01/01/2020;{40 + i % 40};300;40;No;;;01/01/2024" for i in range(n)]
    return PATIENTS_CSV + "\n".join(rows) + "\n"


def _no_orphans(lake: Path) -> None:
    everything = open_lake(lake).history().get_column("lake_version").to_list()
    assert vacuum_lake(lake, keep=everything, dry_run=True) == []


# --- data that silently goes missing ------------------------------------------------------


def test_a_record_cut_short_is_quarantined_with_the_reason(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    cut = PATIENTS_CSV.rstrip("\n")[:-25]  # the last line loses its last fields
    spec = make_site(patients=cut)
    lake = tmp_path / "lake"
    run = _load(spec, lake, key_file)
    assert run.returncode == 0, _clean(run)
    quarantine = open_lake(lake).scan("_quarantine").collect()
    short = quarantine.filter(pl.col("check") == "short_record")
    assert short.get_column("row").unique().to_list() == [4]
    assert "fewer than the header" in short.item(0, "message")
    assert open_lake(lake).scan("patients").collect().height == 2
    _conserved(lake)


def test_a_load_that_empties_a_site_is_refused_unless_confirmed(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    assert _load(make_site(), lake, key_file).returncode == 0
    header_only = make_site(patients=PATIENTS_CSV.splitlines()[0] + "\n")
    run = _load(header_only, lake, key_file)
    text = _clean(run)
    assert run.returncode == 2
    assert "with 0 accepted patients, down from 3" in text
    assert "--allow-shrink" in text
    assert open_lake(lake).version == 1
    assert open_lake(lake).scan("patients").collect().height == 3

    confirmed = _load(header_only, lake, key_file, "--allow-shrink")
    assert confirmed.returncode == 0, _clean(confirmed)
    assert open_lake(lake).scan("patients").collect().height == 0


def test_a_spec_edit_without_a_version_bump_reloads_with_a_warning(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    assert _load(make_site(), lake, key_file).returncode == 0
    swapped = SPEC.replace("REC: disease, INF: infection", "REC: infection, INF: disease")
    run = _load(make_site(spec=swapped), lake, key_file)
    text = _clean(run)
    assert run.returncode == 0
    assert "spec_version is still '2026.1'" in " ".join(text.split())
    assert open_lake(lake).version == 2
    events = open_lake(lake).scan("events").filter(pl.col("event_type") == "death").collect()
    assert events.get_column("death_cause").to_list() == ["infection"]


def test_unchanged_loads_are_logged_and_status_tells_the_last_committed_version(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    assert _load(spec, lake, key_file).returncode == 0
    assert _load(spec, lake, key_file).returncode == 0
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert log.sort("finished_at").get_column("status").to_list() == ["committed", "unchanged"]

    (spec.parent / "pazienti.csv").write_bytes(b"\x00\x01binary" * 100)
    assert _load(spec, lake, key_file).returncode == 2
    status = _hemalake("status", "--lake", lake)
    text = _clean(status)
    assert "committed version" in text
    row = next(line for line in text.splitlines() if "IT-TST" in line)
    assert "failed" in row
    assert "│ 1 " in row  # the committed version, not hidden by the failure


# --- resource exhaustion -----------------------------------------------------------------


#: Runs the CLI and reports its own peak RSS at exit: VmHWM, the high-water mark of the process's
#: memory since its exec (ru_maxrss would keep the forking test process's size, and
#: RUSAGE_CHILDREN of the test process the largest child of the whole session).
_MEASURED = (
    "import atexit, re, runpy, sys; "
    "atexit.register(lambda: print('peak_rss_kib', re.search(r'VmHWM:\\s+(\\d+)', "
    "open('/proc/self/status').read()).group(1), file=sys.stderr)); "
    "runpy.run_module('service.cli', run_name='__main__', alter_sys=True)"
)


def _peak_rss_mib(spec: Path, lake: Path, key_file: Path) -> float:
    args = ("load", spec, "--lake", lake, "--key-file", key_file, "--quiet")
    run = subprocess.run(
        [sys.executable, "-c", _MEASURED, *map(str, args)],
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, _clean(run)
    peak = next(line for line in run.stderr.splitlines() if line.startswith("peak_rss_kib"))
    return int(peak.split()[1]) / 1024


def test_repeated_ids_are_quarantined_in_linear_memory(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    header, first = PATIENTS_CSV.splitlines()[:2]
    peaks = []
    for copies in (1_500, 300):
        spec = make_site(patients=header + "\n" + (first + "\n") * copies, site=f"IT-D{copies}")
        lake = tmp_path / f"lake{copies}"
        peaks.append(_peak_rss_mib(spec, lake, key_file))
        duplicates = (
            open_lake(lake)
            .scan("_quarantine")
            .filter((pl.col("check") == "duplicate_key") & (pl.col("table") == "patients"))
            .collect()
        )
        assert duplicates.height == copies
        assert "and 1495 more" in duplicates.item(0, "message") or copies == 300
        _conserved(lake)
    # quadratic messages made 1,500 copies cost ~1 GiB more than 300; linear costs little
    assert peaks[0] < 600, peaks


def _xlsx_declaring(path: Path, ref: str) -> None:
    pl.DataFrame({"codice": ["P1"], "sesso": ["M"]}).write_excel(path, worksheet="Pazienti")
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(
        b'<dimension ref="A1:B2"/>', f'<dimension ref="{ref}"/>'.encode()
    )
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_an_xlsx_declaring_the_whole_grid_is_refused_unread(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    spec = make_site()
    _xlsx_declaring(spec.parent / "pazienti.xlsx", "A1:XFD1048576")
    text = spec.read_text().replace(
        '  - path: pazienti.csv\n    format: csv\n    separator: ";"\n    decimal_comma: true\n',
        "  - path: pazienti.xlsx\n    format: xlsx\n    sheet: Pazienti\n",
    )
    spec.write_text(text)
    run = _load(spec, tmp_path / "lake", key_file)
    message = _clean(run)
    assert run.returncode == 2
    assert "declares 1,048,576 rows x 16,384 columns" in " ".join(message.split())


@pytest.mark.parametrize(
    "case",
    [
        ("table", 2, "lake version 1 is intact"),
        ("manifest", 2, "lake version 1 is intact"),
        ("log", 0, "lake version 2 is committed and intact"),
        ("table,log", 2, "could not be recorded"),
    ],
)
def test_disk_full_in_every_order_tells_the_truth(
    make_site: SiteFactory,
    key_file: Path,
    tmp_path: Path,
    case: tuple[str, int, str],
) -> None:
    points, expected_code, expected = case
    lake = tmp_path / "lake"
    spec = make_site()
    assert _load(spec, lake, key_file).returncode == 0
    (spec.parent / "pazienti.csv").write_text(_generated(500))
    run = _load(spec, lake, key_file, env={FAULT_FULL_ENV: points})
    text = " ".join(_clean(run).split())
    assert run.returncode == expected_code, text
    assert expected in text
    committed = expected_code == 0
    assert open_lake(lake).version == (2 if committed else 1)
    status = " ".join(_clean(_hemalake("status", "--lake", lake)).split())
    assert f"│ {2 if committed else 1} │" in status  # the manifest's truth, log or not

    retry = _load(spec, lake, key_file)
    assert retry.returncode == 0, _clean(retry)
    assert open_lake(lake).scan("patients").collect().height == 503
    _no_orphans(lake)  # the failed load's files went at the retry


def test_a_real_file_size_limit_fails_cleanly(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    assert _load(spec, lake, key_file).returncode == 0
    (spec.parent / "pazienti.csv").write_text(_generated(20_000))
    limit = 32 << 10

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    run = _load(spec, lake, key_file, preexec=limit_file_size)
    text = " ".join(_clean(run).split())
    assert run.returncode == 2, text
    assert "lake version 1 is intact" in text
    assert open_lake(lake).version == 1
    assert _load(spec, lake, key_file).returncode == 0
    _no_orphans(lake)


def test_vacuum_keeps_retained_and_pinned_versions_and_removes_the_rest(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    spec = make_site()
    for n in (10, 20, 30):
        (spec.parent / "pazienti.csv").write_text(_generated(n))
        assert _load(spec, lake, key_file).returncode == 0
    dry = _hemalake("vacuum", "--lake", lake, "--retain-days", "0", "--pin", "1", "--dry-run")
    assert dry.returncode == 0, _clean(dry)
    assert "would delete" in dry.stdout
    run = _hemalake("vacuum", "--lake", lake, "--retain-days", "0", "--pin", "1")
    assert run.returncode == 0, _clean(run)
    assert open_lake(lake).scan("patients").collect().height == 33
    assert open_lake(lake, 1).scan("patients").collect().height == 13
    with pytest.raises(OSError, match="No such file"):  # version 2: neither retained nor pinned
        open_lake(lake, 2).scan("patients").collect()
    assert vacuum_lake(lake, keep=[1, 3], dry_run=True) == []


def test_a_held_lock_is_waited_for_visibly_then_times_out_naming_the_holder(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    with lake_lock(lake):
        run = _load(make_site(), lake, key_file, "--lock-timeout", "2", timeout=90)
    text = " ".join(_clean(run).split())
    assert run.returncode == 2
    assert "waiting for the lake lock" in text
    assert f"pid {os.getpid()}" in text
    assert "still held by" in text


# --- privacy and safety of what loaders print and store -----------------------------------


def test_an_unbalanced_quote_is_located_without_quoting_the_rows(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    assert _load(make_site(), lake, key_file).returncode == 0
    broken = PATIENTS_CSV.replace("P2;F", '"SECRETID-2;F') + "SECRETID-9;F;01/01/2020;50\n"
    run = _load(make_site(patients=broken), lake, key_file)
    text = " ".join(_clean(run).split())
    assert run.returncode == 2
    assert "SECRETID" not in text
    assert "row 3 (line 3): a quote opens a value that is never closed" in text
    log = read_latest(lake, "_load_log")
    assert log is not None
    assert not log.get_column("message").str.contains("SECRETID").any()


def test_a_binary_or_foreign_file_is_not_dumped(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    spec = make_site()
    (spec.parent / "pazienti.csv").write_bytes(bytes(range(256)) * 40)
    run = _load(spec, tmp_path / "lake", key_file)
    assert run.returncode == 2
    assert "not a CSV text file" in _clean(run)
    assert len(run.stderr) < 600

    (spec.parent / "pazienti.csv").write_text("password=hunter2\nx\n")
    run = _load(spec, tmp_path / "lake", key_file)
    assert run.returncode == 2
    assert "hunter2" not in _clean(run)


@pytest.mark.parametrize("link", [False, True])
def test_spec_paths_outside_the_site_folder_are_refused(
    make_site: SiteFactory, key_file: Path, tmp_path: Path, link: bool
) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(PATIENTS_CSV)
    spec = make_site()
    if link:
        (spec.parent / "pazienti.csv").unlink()
        (spec.parent / "pazienti.csv").symlink_to(outside)
    else:
        spec.write_text(spec.read_text().replace("path: pazienti.csv", "path: ../elsewhere.csv"))
    run = _load(spec, tmp_path / "lake", key_file)
    assert run.returncode == 2
    assert "leads outside the site folder" in _clean(run)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            PATIENTS_CSV.replace("P2;F;", "P2;F;x;"),
            ["row 3 (line 3) has 11 fields, the header 10", "`separator:`"],
        ),
        (
            PATIENTS_CSV.encode("utf-8").replace("Sì".encode(), "Sì".encode("latin-1")),
            ["byte offset", "(line 2) is not valid UTF-8", "`encoding: latin-1`"],
        ),
    ],
)
def test_parse_errors_name_the_row_and_the_spec_setting(
    make_site: SiteFactory,
    key_file: Path,
    tmp_path: Path,
    content: str | bytes,
    expected: list[str],
) -> None:
    spec = make_site()
    target = spec.parent / "pazienti.csv"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    run = _load(spec, tmp_path / "lake", key_file)
    text = " ".join(_clean(run).split())
    assert run.returncode == 2
    for phrase in expected:
        assert phrase in text
    assert "truncate_ragged_lines" not in text
