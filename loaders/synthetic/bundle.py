"""Write one synthetic site: export files, ``mapping.yaml`` and ``expected.json``.

``expected.json`` records, per file, the rows written, the bad rows injected (kind, 0-based
data-row index, the loader's ``_row`` number, column and value) and, per harmonised table, the
rows a correct loader accepts (= the truth, since bad rows are extra rows), plus the latent risk
group counts and the planted hazards.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from lake.model import MODEL_VERSION

from loaders.synthetic.corrupt import BadRow, inject_bad_rows
from loaders.synthetic.file_corruptions import file_corruptions, fresh_patient_id
from loaders.synthetic.generate import generate_truth, stream
from loaders.synthetic.hazards import PLANTED_HAZARDS
from loaders.synthetic.omop import omop_corruptions, omop_tables
from loaders.synthetic.profile import FileProfile, SiteProfile
from loaders.synthetic.render import PER_PATIENT_TABLES, render_frame
from loaders.synthetic.spec_writer import write_spec
from loaders.synthetic.truth import Truth
from loaders.synthetic.writers import write_csv, write_parquet, write_workbook

logger = logging.getLogger(__name__)

BAD_RATE = (0.015, 0.04)
CONVENTIONS = {
    "bad_rows": "extra rows; accepted rows of each harmonised table equal the truth",
    "wide_file_bad_row": "copy of a real row under a fresh id '<id>-B<n>' that appears nowhere else",
    "long_file_bad_row": "copy of a real row of the same patient with one spoiled cell",
    "duplicate_id": "placed after the row it repeats; the loader keeps the first occurrence",
    "index": "0-based data row (header excluded); source_row = loader _row (csv/xlsx +2, parquet +1)",
    "omop_measurement_bad_row": "an extra measurement row; the sample or baseline value built "
    "from the remaining rows is still accepted",
}


def write_site(site: SiteProfile, out: Path, *, seed: int, n_patients: int | None = None) -> dict[str, Any]:
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
    expected = _expected(site, truth, files, seed=seed)
    text = json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
    (directory / "expected.json").write_text(text, encoding="utf-8")
    logger.info("wrote %s: %d patients, %d bad rows", site.code, n, expected["bad_rows_total"])
    return expected


def _write_files(site: SiteProfile, truth: Truth, directory: Path, rng: np.random.Generator) -> list[dict[str, Any]]:
    records = []
    sheets: dict[str, list[tuple[str, pl.DataFrame]]] = defaultdict(list)
    for file in site.files:
        frame = render_frame(truth, file, rng)
        fresh = fresh_patient_id if file.table is None else None
        spoiled, bad = inject_bad_rows(frame, file_corruptions(file, frame), id_column=file.id_column,
                                       fresh_id=fresh, rate=float(rng.uniform(*BAD_RATE)), rng=rng)
        path = directory / file.path
        if file.format == "csv":
            write_csv(spoiled, path, file)
        elif file.format == "parquet":
            write_parquet(spoiled, path)
        else:
            sheets[file.path].append((file.sheet or "Sheet1", spoiled))
        records.append(_file_record(file.path, file.sheet, file.format, spoiled.height, frame.height, bad,
                                    _tables_fed(file, truth)))
    for name, frames in sheets.items():
        write_workbook(frames, directory / name)
    return records


def _write_omop(site: SiteProfile, truth: Truth, directory: Path, rng: np.random.Generator) -> list[dict[str, Any]]:
    omop = site.omop
    if omop is None:
        raise ValueError(f"site {site.code} has no OMOP profile")
    folder = directory / omop.path
    folder.mkdir(parents=True, exist_ok=True)
    tables = omop_tables(truth, omop)
    corruptions = omop_corruptions(tables, truth, omop)
    records = []
    for name, frame in tables.items():
        spoiled, bad = inject_bad_rows(frame, corruptions.get(name, []), id_column="person_id",
                                       fresh_id=None, rate=float(rng.uniform(*BAD_RATE)), rng=rng)
        text = spoiled.write_csv(line_terminator="\n")
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8"))
        records.append(_file_record(f"{omop.path}{name}.csv", None, "omop", spoiled.height,
                                    frame.height, bad, {}))
    return records


def _tables_fed(file: FileProfile, truth: Truth) -> dict[str, int]:
    if file.table is not None:
        frame = truth.tables[file.table]
        if file.event_types is not None:
            frame = frame.filter(pl.col("event_type").is_in(list(file.event_types)))
        return {file.table: frame.height}
    fed = {c.to.split(".")[0] for c in file.columns if c.to} | {k.split(".")[0] for k in file.constants}
    counts = {t: truth.tables[t].height for t in PER_PATIENT_TABLES if t in fed}
    events = {c.event for c in file.columns if c.event}
    if events:
        counts["events"] = truth.tables["events"].filter(pl.col("event_type").is_in(list(events))).height
    return counts


def _file_record(path: str, sheet: str | None, fmt: str, rows: int, truth_rows: int,
                 bad: list[BadRow], tables: dict[str, int]) -> dict[str, Any]:
    offset = 1 if fmt == "parquet" else 2
    return {
        "path": path, "sheet": sheet, "format": fmt, "rows": rows, "truth_rows": truth_rows,
        "bad_rows": dict(sorted(Counter(b.kind for b in bad).items())),
        "bad": [{"index": b.index, "source_row": b.index + offset, "kind": b.kind,
                 "column": b.column, "value": b.value} for b in bad],
        "feeds": tables,
    }


def _expected(site: SiteProfile, truth: Truth, files: list[dict[str, Any]], *, seed: int) -> dict[str, Any]:
    tables: Counter[str] = Counter()
    for record in files:
        tables.update(record["feeds"])
    if site.omop is not None:
        tables.update(_omop_accepted(truth))
    exported_events = _exported_event_types(site, truth)
    events = truth.tables["events"].filter(pl.col("event_type").is_in(exported_events))
    kinds: Counter[str] = Counter()
    for record in files:
        kinds.update(record["bad_rows"])
    rows_total = sum(r["rows"] for r in files)
    bad_total = sum(kinds.values())
    group_columns = [c for c, t in truth.groups.schema.items() if t == pl.Int64 and c.endswith(("iss", "group", "eln2022"))]
    return {
        "site": site.code, "name": site.name, "language": site.language, "seed": seed,
        "model_version": MODEL_VERSION, "n_patients": truth.n_patients,
        "conventions": CONVENTIONS, "files": files,
        "tables": dict(sorted(tables.items())),
        "events_by_type": dict(sorted(Counter(events["event_type"].to_list()).items())),
        "bad_rows_by_kind": dict(sorted(kinds.items())),
        "bad_rows_total": bad_total, "rows_total": rows_total,
        "bad_fraction": round(bad_total / rows_total, 5),
        "risk_groups": {c: {str(k): v for k, v in sorted(Counter(truth.groups[c].to_list()).items())}
                        for c in group_columns},
        "planted_hazards": [h.as_json() for h in PLANTED_HAZARDS
                            if h.disease == truth.tables["patients"]["disease"][0]],
    }


def _omop_accepted(truth: Truth) -> dict[str, int]:
    events = truth.tables["events"].filter(pl.col("event_type").is_in(["death", "last_follow_up"]))
    return {"patients": truth.n_patients, "baseline": truth.n_patients,
            "treatment_lines": truth.tables["treatment_lines"].height,
            "bcr_abl1": truth.tables["bcr_abl1"].height, "events": events.height}


def _exported_event_types(site: SiteProfile, truth: Truth) -> list[str]:
    if site.omop is not None:
        return ["death", "last_follow_up"]
    types: set[str] = set()
    all_types = set(truth.tables["events"]["event_type"].unique().to_list())
    for file in site.files:
        types |= {c.event for c in file.columns if c.event}
        if file.table == "events":
            types |= set(file.event_types or all_types)
    return sorted(types)
