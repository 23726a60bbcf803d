"""The loader's subcommands, run through ``loaders.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lake.storage import open_lake
from loaders.cli import main
from tests.loaders.conftest import PATIENTS_CSV, SiteFactory


def test_load_a_directory_of_specs_then_status_queries_quarantine(
    make_site: SiteFactory,
    key_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # rich would elide columns at 80
    make_site(site="IT-AAA", directory="sites/IT-AAA")
    make_site(
        site="IT-BBB",
        directory="sites/IT-BBB",
        patients=PATIENTS_CSV + "P4;X;01/01/2020;50;300;40;No;;;01/01/2024\n",
    )
    lake = str(tmp_path / "lake")
    assert (
        main(
            [
                "load",
                str(tmp_path / "sites"),
                "--lake",
                lake,
                "--key-file",
                str(key_file),
                "--quiet",
            ]
        )
        == 0
    )
    assert open_lake(lake).version == 2
    assert main(["status", "--lake", lake]) == 0
    assert main(["quarantine", "--lake", lake, "--site", "IT-BBB"]) == 0
    assert main(["queries", "--lake", lake]) == 0
    out = capsys.readouterr().out
    assert "IT-AAA" in out
    assert "finalised" in out
    assert "unknown_code" in out
    # as of lake version 1 only IT-AAA had loaded, and it had no quarantine
    assert main(["status", "--lake", lake, "--lake-version", "1"]) == 0
    assert main(["quarantine", "--lake", lake, "--lake-version", "1"]) == 0
    pinned = capsys.readouterr().out
    assert "IT-AAA" in pinned
    assert "IT-BBB" not in pinned
    assert "unknown_code" not in pinned


def test_user_error_exits_2_with_one_line(
    tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "mapping.yaml"
    spec.write_text("format_version: 1\nspec_versio: x\n")
    code = main(["load", str(spec), "--lake", str(tmp_path / "lake"), "--key-file", str(key_file)])
    assert code == 2
    assert "did you mean 'spec_version'" in capsys.readouterr().err.replace("\n", "")
