"""The generator's command line, standalone and as a subcommand of another parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from loaders.synthetic.cli import add_subcommands, main


def test_generate_subcommand_writes_one_site_at_a_chosen_size(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="hemalake")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        [
            "generate",
            "--out",
            str(tmp_path),
            "--site",
            "DE-MMRW",
            "--patients",
            "300",
            "--seed",
            "5",
        ]
    )
    assert args.run(args) == 0
    expected = json.loads((tmp_path / "DE-MMRW" / "expected.json").read_text(encoding="utf-8"))
    assert expected["n_drawn"] == 300
    # DE-MMRW registers after diagnosis: patients whose follow-up ended before entry are not in
    # the registry (left truncation), so the export holds fewer than were drawn
    assert 200 < expected["n_patients"] == expected["tables"]["patients"] < 300
    assert (tmp_path / "DE-MMRW" / "mapping.yaml").exists()


def test_main_rejects_an_unknown_site(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--site", "NOWHERE"])
