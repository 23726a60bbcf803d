"""Write one synthetic site: export files, ``mapping.yaml`` and ``expected.json``.

``expected.json`` records, per file, the rows written, the bad rows injected (kind, 0-based
data-row index, the loader's ``_row`` number, column and value) and, per harmonised table, the
rows a correct loader accepts (= the truth, since bad rows are extra rows), plus the latent risk
group counts, the planted hazards and the registry-entry rule. ``n_drawn`` is the number of
patients drawn (what :func:`~loaders.synthetic.generate.generate_truth` takes to reproduce the
truth), ``n_patients`` those in the site's export (fewer when registration left-truncates).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from lake.model import MODEL_VERSION

from loaders.synthetic.corrupt import BadRow, inject_bad_rows
from loaders.synthetic.file_corruptions import file_corruptions, fresh_patient_id
from loaders.synthetic.generate import generate_truth, stream
from loaders.synthetic.hazards import PLANTED_HAZARDS, PLANTED_INCIDENCES
from loaders.synthetic.omop import omop_corruptions, omop_tables
from loaders.synthetic.profile import FileProfile, SiteProfile
from loaders.synthetic.render import PER_PATIENT_TABLES, render_frame
from loaders.synthetic.spec_writer import write_spec
from loaders.synthetic.truth import Truth
from loaders.synthetic.truth_allo import AlloCohort
from loaders.synthetic.truth_mm import MyelomaCohort
from loaders.synthetic.writers import (
    require_sheet_fits,
    write_csv,
    write_parquet,
    write_workbook,
)

BAD_RATE = (0.015, 0.04)
#: The measurement table holds ~90% of an OMOP extract's rows; a lower rate keeps the site's
#: bad fraction in 1-5% without spoiling most patients' baseline values.
OMOP_MEASUREMENT_RATE = 0.012
CONVENTIONS = {
    "quarantine_unit": "one harmonised row (one file row feeds one row per table it maps to); "
    "rows of other tables whose patients row is quarantined are orphans and quarantined too",
    "tables": "accepted rows per harmonised table = truth minus the lost_table rows of "
    "in-place bad rows",
    "wide_file_patient_bad_row": "extra copy of a real row under a fresh id '<id>-B<n>' with a "
    "spoiled patients cell: its patients row is quarantined, its other rows are orphans",
    "wide_file_in_place": "a baseline / genetics / comorbidities / wide-event cell of a real "
    "patient spoiled in place: only that harmonised row is quarantined (lost_table)",
    "long_file_bad_row": "extra copy of a real row of the same patient with one spoiled cell",
    "duplicate_id": "a pair of extra rows sharing a key no real row has (fresh id, new line "
    "number or key date moved 1-3 days); every copy of a duplicated key is quarantined",
    "death_before_diagnosis": "wide files: an alive patient's empty death cell set before "
    "diagnosis in place; OMOP: an extra death row for an alive person. Only that death event "
    "is quarantined; a quarantined death must not void the patient's other rows",
    "omop": "person bad rows use fresh person ids; measurement bad rows are in place",
    "index": "0-based data row (header excluded); source_row is the loader's _row "
    "(csv/xlsx index + 2, parquet index + 1)",
}


def write_site(
    site: SiteProfile, out: Path, *, seed: int, n_patients: int | None = None
) -> dict[str, Any]:
    """Generate ``site`` into ``out/<site code>/`` and return its expected.json content."""
    n = n_patients or site.n_patients
    directory = out / site.code
    directory.mkdir(parents=True, exist_ok=True)
    truth = generate_truth(n, seed, site=site)
    rng = stream(seed, site.code, 1)
    if site.omop is not None:
        files = _write_omop(site, truth, directory, rng)
    else:
        files = _write_files(site, truth, directory, rng)
    write_spec(site, directory / "mapping.yaml")
    expected = _expected(site, truth, files, seed=seed, n_drawn=n)
    text = json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
    (directory / "expected.json").write_text(text, encoding="utf-8")
    return expected


def _write_files(
    site: SiteProfile, truth: Truth, directory: Path, rng: np.random.Generator
) -> list[dict[str, Any]]:
    records = []
    sheets: dict[str, list[tuple[str, pl.DataFrame]]] = defaultdict(list)
    for file in site.files:
        frame = render_frame(truth, file, rng)
        fresh = fresh_patient_id if file.table is None else None
        spoiled, bad = inject_bad_rows(
            frame,
            file_corruptions(file, frame),
            id_column=file.id_column,
            fresh_id=fresh,
            rate=float(rng.uniform(*BAD_RATE)),
            rng=rng,
        )
        path = directory / file.path
        if file.format == "csv":
            write_csv(spoiled, path, file)
        elif file.format == "parquet":
            write_parquet(spoiled, path)
        else:  # refused now, before the site's remaining files are rendered and written
            require_sheet_fits(spoiled, path, file.sheet or "Sheet1")
            sheets[file.path].append((file.sheet or "Sheet1", spoiled))
        records.append(
            _file_record(
                file.path,
                file.sheet,
                fmt=file.format,
                rows=spoiled.height,
                truth_rows=frame.height,
                bad=bad,
                tables=_tables_fed(file, truth),
            )
        )
    for name, frames in sheets.items():
        write_workbook(frames, directory / name)
    return records


def _write_omop(
    site: SiteProfile, truth: Truth, directory: Path, rng: np.random.Generator
) -> list[dict[str, Any]]:
    omop = site.omop
    if omop is None:
        raise ValueError(f"site {site.code} has no OMOP profile")
    folder = directory / omop.path
    folder.mkdir(parents=True, exist_ok=True)
    tables = omop_tables(truth, omop)
    corruptions = omop_corruptions(tables, truth, omop)
    records = []
    for name, frame in tables.items():
        rate = OMOP_MEASUREMENT_RATE if name == "measurement" else float(rng.uniform(*BAD_RATE))
        spoiled, bad = inject_bad_rows(
            frame,
            corruptions.get(name, []),
            id_column="person_id",
            fresh_id=None,
            rate=rate,
            rng=rng,
        )
        text = spoiled.write_csv(line_terminator="\n")
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8"))
        records.append(
            _file_record(
                f"{omop.path}{name}.csv",
                None,
                fmt="omop",
                rows=spoiled.height,
                truth_rows=frame.height,
                bad=bad,
                tables={},
            )
        )
    return records


def _tables_fed(file: FileProfile, truth: Truth) -> dict[str, int]:
    if file.table is not None:
        frame = truth.tables[file.table]
        if file.event_types is not None:
            frame = frame.filter(pl.col("event_type").is_in(list(file.event_types)))
        return {file.table: frame.height}
    fed = {c.to.split(".")[0] for c in file.columns if c.to} | {
        k.split(".")[0] for k in file.constants
    }
    counts: dict[str, int] = {t: truth.tables[t].height for t in PER_PATIENT_TABLES if t in fed}
    events = {c.event for c in file.columns if c.event}
    if events:
        counts["events"] = (
            truth.tables["events"].filter(pl.col("event_type").is_in(list(events))).height
        )
    return counts


def _file_record(
    path: str,
    sheet: str | None,
    *,
    fmt: str,
    rows: int,
    truth_rows: int,
    bad: list[BadRow],
    tables: dict[str, int],
) -> dict[str, Any]:
    offset = 1 if fmt == "parquet" else 2
    return {
        "path": path,
        "sheet": sheet,
        "format": fmt,
        "rows": rows,
        "truth_rows": truth_rows,
        "bad_rows": dict(sorted(Counter(b.kind for b in bad).items())),
        "bad": [
            {
                "index": b.index,
                "source_row": b.index + offset,
                "kind": b.kind,
                "column": b.column,
                "value": b.value,
                "in_place": b.in_place,
                "lost_table": b.lost_table,
            }
            for b in bad
        ],
        "feeds": tables,
    }


def _expected(
    site: SiteProfile, truth: Truth, files: list[dict[str, Any]], *, seed: int, n_drawn: int
) -> dict[str, Any]:
    tables: Counter[str] = Counter()
    for record in files:
        tables.update(record["feeds"])
        tables.subtract(Counter(b["lost_table"] for b in record["bad"] if b["lost_table"]))
    if site.omop is not None:
        tables.update(_omop_accepted(site, truth))
    exported_events = _exported_event_types(site, truth)
    events = truth.tables["events"].filter(pl.col("event_type").is_in(exported_events))
    kinds: Counter[str] = Counter()
    for record in files:
        kinds.update(record["bad_rows"])
    rows_total = sum(r["rows"] for r in files)
    bad_total = sum(kinds.values())
    disease = truth.tables["patients"]["disease"][0]
    group_columns = [
        c
        for c, t in truth.groups.schema.items()
        if t == pl.Int64 and c.endswith(("iss", "group", "eln2022"))
    ]
    return {
        "site": site.code,
        "name": site.name,
        "language": site.language,
        "seed": seed,
        "model_version": MODEL_VERSION,
        "n_patients": truth.n_patients,
        "n_drawn": n_drawn,
        "conventions": CONVENTIONS,
        "files": files,
        "tables": dict(sorted(tables.items())),
        "events_by_type": dict(sorted(Counter(events["event_type"].to_list()).items())),
        "bad_rows_by_kind": dict(sorted(kinds.items())),
        "bad_rows_total": bad_total,
        "rows_total": rows_total,
        "bad_fraction": round(bad_total / rows_total, 5),
        "risk_groups": {
            c: {str(k): v for k, v in sorted(Counter(truth.groups[c].to_list()).items())}
            for c in group_columns
        },
        "planted_hazards": [h.as_json() for h in PLANTED_HAZARDS if h.disease == disease],
        "planted_incidences": [
            p.as_json()
            for p in PLANTED_INCIDENCES
            if p.disease == disease and isinstance(site.cohort, AlloCohort)
        ],
        "registry_entry": _registry_entry(site),
    }


def _registry_entry(site: SiteProfile) -> dict[str, object] | None:
    """How the site's registry registers patients after diagnosis (``None``: at diagnosis)."""
    if not isinstance(site.cohort, MyelomaCohort) or site.cohort.registry_entry is None:
        return None
    return site.cohort.registry_entry.as_json()


def _omop_accepted(site: SiteProfile, truth: Truth) -> dict[str, int]:
    exported = _exported_event_types(site, truth)
    events = truth.tables["events"].filter(pl.col("event_type").is_in(exported))
    accepted = {
        "patients": truth.n_patients,
        "baseline": truth.n_patients,
        "treatment_lines": truth.tables["treatment_lines"].height,
        "bcr_abl1": truth.tables["bcr_abl1"].height,
        "events": events.height,
    }
    if site.omop is not None and site.omop.transcript_source is not None:
        accepted["genetics"] = truth.tables["genetics"].height
    return accepted


def _exported_event_types(site: SiteProfile, truth: Truth) -> list[str]:
    if site.omop is not None:
        stops = ["tki_restart", "tki_stop"] if site.omop.tki_stop_reason is not None else []
        return ["death", "last_follow_up", *stops]
    types: set[str] = set()
    all_types = set(truth.tables["events"]["event_type"].unique().to_list())
    for file in site.files:
        types |= {c.event for c in file.columns if c.event}
        if file.table == "events":
            types |= set(file.event_types or all_types)
    return sorted(types)
