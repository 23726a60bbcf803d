"""The Starlette application factory and its lifespan."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.metadata
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypedDict

import strawberry
from anyio import to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lake.disclosure import DisclosurePolicy
from lake.distributed.engine import LOCAL, DaskEngine
from lake.distributed.gateway import DistributedGateway
from lake.privacy.ledger import PrivacyLedger
from lake.query.gateway import LakeGateway, OpenSnapshot
from lake.storage import LakeOpener
from schema.documents import DocumentCache
from schema.limits import Limits
from schema.schema import build_schema
from service.audit import JsonLinesAuditSink
from service.auth import Authenticator
from service.graphql_app import HemalakeGraphQL
from service.manifest_watch import ManifestWatch
from service.middleware import Metrics, RequestMiddleware
from service.oidc import OidcVerifier, TokenRejected
from service.persisted import PersistedQueries
from service.plots import plot
from service.response_cache import ResponseCache
from service.routes import export, front_door, health, live, metrics
from service.settings import Settings
from service.warmup import LakeWarmer

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).with_name("static")


class State(TypedDict):
    """What the lifespan opens once and every request reads (``request.state``)."""

    gateway: LakeGateway
    audit: JsonLinesAuditSink
    authenticator: Authenticator
    schema: strawberry.Schema
    metrics: Metrics
    warmer: LakeWarmer | None
    responses: ResponseCache | None


def create_app(*, settings: Settings, open_snapshot: OpenSnapshot | None = None) -> Starlette:
    """The hemalake ASGI app; nothing touches the lake until the lifespan starts.

    Parameters
    ----------
    settings
        Validated settings (:func:`service.settings.load_settings`).
    open_snapshot
        Opens the lake at a version; defaults to a :class:`lake.storage.LakeOpener` on
        ``settings.lake_root``. One given here is also asked for the newest version on every
        GraphQL request, on the event loop (the response cache's key): it must answer that
        cheaply, as in-memory lakes do; the default's newest version is read by
        :class:`service.manifest_watch.ManifestWatch` instead.
    """
    schema = build_schema(
        limits=Limits(
            max_depth=settings.max_depth,
            max_fields=settings.max_fields,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
        ),
        documents=DocumentCache(settings.query_cache_bytes),
        introspection=settings.introspection_enabled,
    )
    oidc = OidcVerifier(settings.oidc) if settings.oidc is not None else None
    authenticator = Authenticator(
        api_keys=settings.api_keys, allow_anonymous=settings.allow_anonymous, oidc=oidc
    )
    opener = open_snapshot or LakeOpener(settings.lake)
    responses = (
        ResponseCache(
            max_bytes=settings.response_cache_bytes,
            newest=ManifestWatch(settings.lake)
            if open_snapshot is None
            else lambda: open_snapshot(None).version,
        )
        if settings.response_cache_bytes
        else None
    )
    counters = Metrics()
    software_version = importlib.metadata.version("hemalake")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[State]:
        if oidc is not None:
            try:
                await to_thread.run_sync(oidc.refresh)
            except (OSError, ValueError, KeyError, TokenRejected) as error:
                # not fatal: the keys are fetched again when a token names one
                logger.warning("cannot fetch the OIDC issuer's keys yet: %s", error)
        audit = JsonLinesAuditSink(settings.audit)
        common: dict[str, Any] = {
            "open_snapshot": opener,
            "policy": DisclosurePolicy(min_cell_size=settings.min_cell_size),
            "audit": audit,
            "software_version": software_version,
            "cache_size": settings.cache_size,
            "cache_bytes": settings.cache_bytes,
            "store_bytes": settings.analysis_store_bytes,
            "ledger": PrivacyLedger(settings.ledger_path, settings.privacy),
            "value_rules": settings.esmo_mcbs,
        }
        engine = None
        if settings.engine == LOCAL:
            gateway: LakeGateway = LakeGateway(**common)
        else:
            engine = await to_thread.run_sync(
                functools.partial(DaskEngine.connect, settings.engine, settings.lake)
            )
            gateway = DistributedGateway(engine=engine, **common)
        logger.info(
            "serving lake %s (min cell size %d)", settings.lake_root, settings.min_cell_size
        )
        # What exists at startup (modules, the schema) is left out of the cyclic collector: a
        # full collection, which the allocations of one large document can trigger, then walks
        # only what requests made, and holds the event loop for a fraction of the time
        gc.freeze()
        warmer = None
        # warming builds the columns in process; on Dask the workers build theirs on first use
        if settings.warm_interval_seconds and engine is None:
            warmer = LakeWarmer(gateway, interval=settings.warm_interval_seconds)
            warmer.start()
        try:
            yield State(
                gateway=gateway,
                audit=audit,
                authenticator=authenticator,
                schema=schema,
                metrics=counters,
                warmer=warmer,
                responses=responses,
            )
        finally:
            if warmer is not None:
                warmer.stop()
            audit.close()
            if engine is not None:
                engine.close()

    graphql = HemalakeGraphQL(
        schema=schema,
        authenticator=authenticator,
        static_prefix="/static/graphiql",
        persisted=PersistedQueries(settings.query_cache_bytes),
        graphiql=settings.graphiql_enabled,
        responses=responses,
    )
    cors = (
        [
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-api-key", "x-request-id"],
                expose_headers=["x-request-id"],
                max_age=600,
            )
        ]
        if settings.cors_origins
        else []
    )
    return Starlette(
        routes=[
            # first: the router tries the routes in order, and most requests are GraphQL
            Route("/graphql", graphql),  # every method: the view answers 405 with a code
            Route("/", front_door),
            Route("/livez", live),
            Route("/readyz", health),
            Route("/health", health),
            Route("/metrics", functools.partial(metrics, roles=settings.metrics_roles)),
            Route("/export.{fmt:str}", export),
            Route("/plot.{fmt:str}", plot),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            *cors,
            Middleware(RequestMiddleware, metrics=counters, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
