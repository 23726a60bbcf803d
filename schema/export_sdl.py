"""Export the SDL to ``schema/schema.graphql``; ``--check`` fails when the committed file drifts.

Usage: ``python -m schema.export_sdl [--check]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from schema.schema import build_schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def render_sdl() -> str:
    """The schema's SDL, newline-terminated."""
    return build_schema().as_str() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the SDL, or with ``--check`` compare it with the committed file."""
    parser = argparse.ArgumentParser(prog="python -m schema.export_sdl", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed SDL is stale")
    args = parser.parse_args(argv)
    sdl = render_sdl()
    if args.check:
        if not SDL_PATH.exists() or SDL_PATH.read_text(encoding="utf-8") != sdl:
            sys.stderr.write(f"{SDL_PATH} is stale; run: python -m schema.export_sdl\n")
            return 1
        return 0
    SDL_PATH.write_text(sdl, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
