"""Command line: ``python -m loaders.synthetic`` and the ``hemalake generate`` subcommand."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from loaders.synthetic.bundle import write_site
from loaders.synthetic.sites import SITES, site

DEFAULT_SEED = 20261122


def add_subcommands(subparsers: Any) -> None:
    """Register ``generate`` on an ``argparse`` subparsers object (the ``hemalake`` CLI)."""
    parser = subparsers.add_parser(
        "generate",
        help="write the seeded synthetic multi-site export bundle",
        description="Write synthetic site exports, mapping.yaml and expected.json per site.",
    )
    configure(parser)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the generator's options to ``parser`` and bind :func:`run`."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("loaders/sites"),
        help="output directory, one folder per site (default: loaders/sites)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--site",
        action="append",
        choices=[s.code for s in SITES],
        help="generate only this site (repeatable; default: all)",
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=None,
        help=(
            "patients drawn per generated site (default: each site's bundled size); a registry "
            "that registers after diagnosis exports only those still followed at entry"
        ),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Generate the requested sites; returns the exit status."""
    codes = args.site or [s.code for s in SITES]
    for code in codes:
        started = time.perf_counter()
        expected = write_site(site(code), args.out, seed=args.seed, n_patients=args.patients)
        seconds = time.perf_counter() - started
        sys.stdout.write(
            f"{code}: {expected['n_patients']} patients, {expected['rows_total']} rows, "
            f"{expected['bad_rows_total']} bad rows in {seconds:.1f} s\n"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m loaders.synthetic``."""
    parser = argparse.ArgumentParser(
        prog="python -m loaders.synthetic", description="Write the synthetic multi-site bundle."
    )
    configure(parser)
    args = parser.parse_args(argv)
    return int(args.run(args))
