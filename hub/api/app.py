"""The Starlette application: /graphql (GraphiQL in a browser), /health, /ready, the
web map at / (hub/api/web.py), vector tiles at /tiles, exports at /export and the OGC
API at /ogc."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from hub import localdb
from hub.api import web
from hub.api.exports import export_routes
from hub.api.graphql_view import HubGraphQL
from hub.api.limits import BodyLimit
from hub.api.metrics import LagProbe, Metrics, MetricsMiddleware
from hub.api.ogc import OgcApp
from hub.api.tiles import tiles_mount
from hub.config import Settings, get_settings
from hub.db import lag
from hub.db.listener import Listener
from hub.db.pool import Database
from hub.services.reads.provider import Reads
from hub.services.writes.runner import Writes

_FROZEN: list[bool] = []


def _freeze_once() -> None:
    """At the first app's start in a process: what is built by then (the schema, tipg, the
    libraries' modules) lives as long as the process, so it is put out of the garbage
    collector's sight, and a full collection no longer walks it; that walk held requests up
    for tens of milliseconds (p99 of nearestFacilities at 1M: 170 ms before, 42 ms after;
    benchmarks/README.md). Once only: a process that builds more apps (the tests) would
    otherwise keep each one's objects forever."""
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN.append(True)


def create_app(database_url: str, settings: Settings | None = None, *,
               replica_lag: LagProbe | None = None) -> Starlette:
    """The ASGI app for one database (the real data, or the synthetic facilities of ``hub dev
    synth`` in theirs); ``hub serve`` runs it under uvicorn. ``replica_lag`` feeds the
    replica-lag gauge of /metrics: by default the replica's own (``hub.db.lag.replica_lag``)
    when HUB_DATABASE_READ_URL is set; without a replica the gauge is absent."""
    settings = settings or Settings()
    db = Database.from_settings(database_url, settings)
    # With a read replica, queries read there and the primary keeps a pool of its own for
    # what must read its own writes (hub.graphql.routing); without one they are the same.
    replica = (Database.from_settings(settings.database_read_url, settings)
               if settings.database_read_url else None)
    databases = {"primary": db} if replica is None else {"primary": db, "replica": replica}
    writes = Writes(database_url, settings)
    listener = Listener(database_url, settings.pool_connect_timeout_s)
    ogc = OgcApp(database_url, settings)
    # The read pool is the replica's when there is one; the primary's pool beside it then
    # serves mutations, subscriptions and requests with a token.
    pools = ({"read": db.pool.get_stats} if replica is None
             else {"read": replica.pool.get_stats, "primary": db.pool.get_stats})
    if replica_lag is None and replica is not None:
        replica_lag = lag.replica_lag(replica)
    metrics = Metrics(settings, pools, replica_lag) if settings.metrics else None

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for database in databases.values():
            await database.open()
        if metrics:
            metrics.start()
        _freeze_once()
        try:
            yield
        finally:
            if metrics:
                await metrics.stop()
            await ogc.close()
            await listener.close()
            for database in databases.values():
                await database.close()
            writes.close()

    async def health(_: Request) -> JSONResponse:
        """The process is up (it does not look at the database: that is /ready)."""
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> JSONResponse:
        """The database answers through the pool; load balancers send traffic only when it
        does. Through the pool, so that /ready sees what requests see (and opens no
        connections of its own); a pool that stays full for HUB_READY_TIMEOUT_S is not ready
        either, which steers traffic away from a saturated process. With a read replica both
        must answer: queries need the one, mutations the other."""
        down = []
        for name, database in databases.items():
            try:
                await database.ping(settings.ready_timeout_s)
            except psycopg.Error:
                down.append(name)
        if down:
            status = ("database unreachable" if replica is None
                      else f"database unreachable: {' and '.join(down)}")
            return JSONResponse({"status": status}, status_code=503,
                                headers={"Retry-After": str(settings.retry_after_s)})
        return JSONResponse({"status": "ready"})

    primary_reads = Reads(db, settings)
    graphql_app = HubGraphQL(
        Reads(replica, settings) if replica is not None else primary_reads, writes, listener,
        settings, primary=primary_reads if replica is not None else None)
    app = Starlette(
        middleware=[
            # Outermost, so that it times and counts every answer, refusals included.
            *([Middleware(MetricsMiddleware, metrics=metrics)] if metrics else []),
            # Answers of HUB_GZIP_MIN_BYTES or more, to clients that accept gzip: geometries,
            # long lists, exports, tiles.
            *([Middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)]
              if settings.gzip_min_bytes else []),
            Middleware(
                CORSMiddleware, allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Authorization"],
                max_age=3600,
            ),
            # Inside CORS, so that a browser can read the 413 too.
            # An upload (importFacilities) may carry a file of HUB_MAX_IMPORT_BYTES and its
            # form around it.
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       upload_max_bytes=settings.max_import_bytes + 65_536),
        ],
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            # Subscriptions (graphql-transport-ws); each event gets new DataLoaders
            # (hub.graphql.live), so the connection's context caches nothing for long.
            WebSocketRoute("/graphql", graphql_app),
            *web.routes(settings),
            *export_routes(graphql_app.reads, settings),
            tiles_mount(graphql_app.reads, settings),
            ogc.mount(),
            *([Route("/metrics", metrics.endpoint)] if metrics else []),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.read_db = replica or db
    app.state.listener = listener
    app.state.graphql = graphql_app  # tests read which path answered (served)
    return app


def app_from_environment() -> Starlette:
    """For ``hub serve --workers N``: each worker process builds its app from the settings
    (the embedded cluster is already running by then; serve started it)."""
    settings = get_settings()
    return create_app(localdb.database_url(settings, report=lambda _: None), settings)
