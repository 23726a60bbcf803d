"""``hemalake demo``: build the demo lake from the bundled sites, then serve it.

The demo lake lives in ``.demo/lake`` and its pseudonymisation key in ``.demo/pseudonym.key``
(outside the lake, created once with 32 random bytes). Every bundled site in ``loaders/sites`` is
loaded through the real loaders; a rebuild of unchanged sources writes nothing, so running the
demo twice is cheap. The service then listens on 127.0.0.1 with GraphiQL at ``/graphql`` and
anonymous callers admitted as analysts: protected access (differentially private releases,
:mod:`lake.privacy`), all anonymous callers sharing one user's budget, large enough
(:data:`DEMO_PRIVACY`) for many distinct questions; asking an example again costs nothing.
The privacy ledger sits beside the lake in ``.demo/lake-privacy.sqlite``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from pathlib import Path

from rich.console import Console

from lake.privacy.budget import PrivacySettings
from loaders.cli import spec_paths
from loaders.load import load_site
from loaders.reporting import RichReporter
from loaders.result import LoadResult

BUNDLED_SITES = Path(__file__).resolve().parents[1] / "loaders" / "sites"
DEMO_DIR = Path(".demo")
#: The demo's budgets: 200 survival answers (ε = 1 each) a month for the anonymous user.
DEMO_PRIVACY = PrivacySettings(user_budget=200.0, deployment_budget=2000.0)


def ensure_key(path: Path) -> Path:
    """Create a 32-byte random pseudonymisation key at ``path`` unless one exists."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return path


def build_demo_lake(
    *, sites: Path, lake: Path, key_file: Path, console: Console
) -> list[LoadResult]:
    """Load every bundled site spec into ``lake``; returns one result per site."""
    reporter = RichReporter(console=console)
    return [
        load_site(spec, lake_root=lake, key_file=ensure_key(key_file), reporter=reporter)
        for spec in spec_paths(sites)
    ]


def _demo(args: argparse.Namespace) -> int:
    console = Console()
    lake = args.dir / "lake"
    started = time.perf_counter()
    results = build_demo_lake(
        sites=args.sites, lake=lake, key_file=args.dir / "pseudonym.key", console=console
    )
    seconds = time.perf_counter() - started
    rows_in = sum(r.rows_in for r in results)
    quarantined = sum(r.rows_quarantined for r in results)
    version = max(r.lake_version for r in results)
    console.print(
        f"demo lake {lake} at version {version}: {len(results)} sites, {rows_in} rows in, "
        f"{quarantined} quarantined, built in {seconds:.1f} s"
    )
    if args.no_serve:
        return 0
    from service.cli_serve import serve  # noqa: PLC0415 - uvicorn only when serving

    console.print(f"GraphiQL: http://{args.host}:{args.port}/graphql")
    return serve(lake=lake, host=args.host, port=args.port, anonymous=True, privacy=DEMO_PRIVACY)


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``demo`` on the ``hemalake`` command's subparsers."""
    demo = subparsers.add_parser(
        "demo", help="build the demo lake from the bundled sites and serve it on 127.0.0.1"
    )
    demo.add_argument("--sites", type=Path, default=BUNDLED_SITES, help="site specs directory")
    demo.add_argument("--dir", type=Path, default=DEMO_DIR, help="demo directory (.demo)")
    demo.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    demo.add_argument("--no-serve", action="store_true", help="build the lake and stop")
    demo.set_defaults(run=_demo)
