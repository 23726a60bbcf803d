"""The ``hemalake`` console command: one subcommand per job.

Subcommands are contributed by the layer that owns the job (loaders, the synthetic generator, the
service); this module only assembles them, so nothing heavy is imported before a job runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lake.dictionary import render_markdown


def _dictionary(_: argparse.Namespace) -> int:
    sys.stdout.write(render_markdown() + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="hemalake",
        description="Harmonised haematological-malignancy data lake and its GraphQL service.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dictionary = sub.add_parser("dictionary", help="print the data dictionary as Markdown")
    dictionary.set_defaults(run=_dictionary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; the exit code is the subcommand's."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
