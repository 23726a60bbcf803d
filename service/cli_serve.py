"""The ``hemalake serve`` and ``hemalake healthcheck`` subcommands: the GraphQL service on
uvicorn, and the container's health probe.

Settings come from the environment (:mod:`service.settings_env`: ``HEMALAKE_SETTINGS`` names a
TOML file, ``HEMALAKE_*`` variables set single settings over it); ``--settings`` and ``--lake``
stand for ``HEMALAKE_SETTINGS`` and ``HEMALAKE_LAKE_ROOT``. ``HEMALAKE_HOST`` and
``HEMALAKE_PORT`` are the defaults of ``--host`` and ``--port``.

Registered by ``service/cli.py`` through :func:`add_subcommands`; uvicorn and the app are only
imported when the command runs. uvicorn runs on uvloop's event loop and parses HTTP with
httptools (:data:`UVICORN_LOOP`, :data:`UVICORN_HTTP`), not asyncio's loop and h11.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Final

#: uvicorn's event loop and HTTP parser: uvloop and httptools (``--loop``, ``--http``)
UVICORN_LOOP: Final = "uvloop"
UVICORN_HTTP: Final = "httptools"

if TYPE_CHECKING:
    from lake.privacy.budget import PrivacySettings


def serve(
    *,
    lake: str | None,
    settings_file: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    anonymous: bool = False,
    privacy: PrivacySettings | None = None,
    loop: str = UVICORN_LOOP,
    http: str = UVICORN_HTTP,
) -> int:
    """Serve the lake with uvicorn until interrupted; returns the exit status."""
    # imported only when the command runs: the console command starts fast
    import uvicorn  # noqa: PLC0415

    from lake.errors import ConfigError  # noqa: PLC0415
    from service.app import create_app  # noqa: PLC0415
    from service.logs import configure_logging  # noqa: PLC0415
    from service.settings_env import SETTINGS_FILE_VARIABLE, settings_from_environment  # noqa: PLC0415

    environ = dict(os.environ)
    if settings_file is not None:
        environ[SETTINGS_FILE_VARIABLE] = str(settings_file)
    if lake is not None:
        environ["HEMALAKE_LAKE_ROOT"] = str(lake)
    if SETTINGS_FILE_VARIABLE not in environ and "HEMALAKE_LAKE_ROOT" not in environ:
        raise ConfigError(
            "hemalake serve: give --lake DIR or --settings FILE "
            "(or HEMALAKE_LAKE_ROOT / HEMALAKE_SETTINGS: docs/deployment.md)"
        )
    settings = settings_from_environment(environ)
    if anonymous:
        settings = dataclasses.replace(settings, allow_anonymous=True)
    if privacy is not None:
        settings = dataclasses.replace(settings, privacy=privacy)
    configure_logging(logging.INFO)
    # log_config=None: uvicorn's loggers keep the JSON handler instead of its own format
    uvicorn.run(
        create_app(settings=settings),
        host=host,
        port=port,
        log_config=None,
        loop=loop,
        http=http,
    )
    return 0


def healthcheck(*, port: int, path: str) -> int:
    """``0`` when ``http://127.0.0.1:PORT/PATH`` answers ``200`` within 4 s, else ``1``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


def _serve(args: argparse.Namespace) -> int:
    return serve(
        lake=args.lake,
        settings_file=args.settings,
        host=args.host,
        port=args.port,
        anonymous=args.anonymous,
        loop=args.loop,
        http=args.http,
    )


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve`` on the ``hemalake`` command's subparsers."""
    serve = subparsers.add_parser("serve", help="serve the GraphQL API (GraphiQL at /graphql)")
    serve.add_argument(
        "--lake",
        default=None,
        help="lake root: a directory, file:///path or s3://bucket/prefix (S3 settings: the "
        "[storage] table of --settings, or the AWS_* environment)",
    )
    serve.add_argument("--settings", type=Path, default=None, help="TOML settings file")
    host = os.environ.get("HEMALAKE_HOST", "127.0.0.1")
    port = int(os.environ.get("HEMALAKE_PORT", "8000"))
    serve.add_argument("--host", default=host, help=f"bind address (HEMALAKE_HOST, now {host})")
    serve.add_argument("--port", type=int, default=port, help=f"port (HEMALAKE_PORT, now {port})")
    serve.add_argument(
        "--anonymous",
        action="store_true",
        help="let callers without an API key in as analysts (local demo only)",
    )
    serve.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default=UVICORN_LOOP,
        help=f"event loop (default {UVICORN_LOOP})",
    )
    serve.add_argument(
        "--http",
        choices=["httptools", "h11"],
        default=UVICORN_HTTP,
        help=f"HTTP parser (default {UVICORN_HTTP})",
    )
    serve.set_defaults(run=_serve)
    check = subparsers.add_parser(
        "healthcheck", help="exit 0 when the local server is ready (the container's HEALTHCHECK)"
    )
    check.add_argument("--port", type=int, default=port, help=f"port (HEMALAKE_PORT, now {port})")
    check.add_argument("--path", default="/readyz", help="route to ask (default /readyz)")
    check.set_defaults(run=lambda args: healthcheck(port=args.port, path=args.path))
