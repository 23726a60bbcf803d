"""The terminal reporter prints the per-file summary and the quarantine reasons."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from loaders.load import load_site
from loaders.reporting import RichReporter
from tests.loaders.conftest import PATIENTS_CSV, SiteFactory


def test_rich_reporter_summarises_the_load(
    make_site: SiteFactory, key_file: Path, tmp_path: Path
) -> None:
    out = io.StringIO()
    reporter = RichReporter(console=Console(file=out, width=200))
    spec = make_site(patients=PATIENTS_CSV + "P4;X;01/01/2020;50;300;40;No;;;01/01/2024\n")
    load_site(spec, lake_root=tmp_path / "lake", key_file=key_file, reporter=reporter)
    text = out.getvalue()
    assert "IT-TST: lake version 1 (committed)" in text
    assert "pazienti.csv" in text
    assert "patients" in text
    assert "1 issue(s) of check unknown_code" in text
