"""The ``hemalake`` console command: one subcommand per job.

Subcommands are contributed by the layer that owns the job (loaders, the synthetic generator, the
service); this module only assembles them, so nothing heavy is imported before a job runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from lake.dictionary.entries import render_markdown
from lake.errors import HemalakeError
from loaders.cli import add_subcommands as add_loader_commands
from loaders.synthetic.cli import add_subcommands as add_generator_commands
from service.cli_analyse import add_subcommands as add_analyse_commands
from service.cli_serve import add_subcommands as add_serve_commands
from service.demo import add_subcommands as add_demo_commands


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
    add_demo_commands(sub)
    add_loader_commands(sub)
    add_generator_commands(sub)
    add_serve_commands(sub)
    add_analyse_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; the exit code is the subcommand's, 2 for an error the user can fix."""
    args = build_parser().parse_args(argv)
    try:
        if hasattr(args, "handler"):
            return int(args.handler(args, Console()))
        return int(args.run(args))
    except HemalakeError as exc:
        # escaped: a message naming a TOML table ([oidc]) is not markup
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
