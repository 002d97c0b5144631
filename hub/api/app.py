"""The Starlette application: /graphql (GraphiQL in a browser), /health and /ready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from hub import localdb
from hub.config import Settings, get_settings
from hub.db.pool import Database
from hub.graphql.context import Context, Loaders
from hub.graphql.errors import classify
from hub.graphql.schema import schema
from hub.services.reads.provider import Reads


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, reads: Reads) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.reads = reads

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = classify(result.errors)
        return await super().process_result(request, result)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket
                          ) -> Context:
        return Context(reads=self.reads, loaders=Loaders(self.reads))


def create_app(database_url: str, settings: Settings | None = None) -> Starlette:
    """The ASGI app for one database (the real data, or the synthetic facilities of ``hub dev
    synth`` in theirs); ``hub serve`` runs it under uvicorn."""
    settings = settings or Settings()
    db = Database(database_url, settings.statement_timeout_ms, settings.pool_min,
                  settings.pool_max)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await db.open()
        try:
            yield
        finally:
            await db.close()

    async def health(_: Request) -> JSONResponse:
        """The process is up (it does not look at the database: that is /ready)."""
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> JSONResponse:
        """The database answers; load balancers send traffic only when it does. A connection
        of its own, so that a full pool does not read as a dead database."""
        try:
            conn = await psycopg.AsyncConnection.connect(database_url, connect_timeout=3)
            async with conn:
                await conn.execute("SELECT 1")
        except psycopg.Error:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    graphql_app = HubGraphQL(Reads(db))
    app = Starlette(
        middleware=[Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Authorization"],
            max_age=3600,
        )],
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    return app


def app_from_environment() -> Starlette:
    """For ``hub serve --workers N``: each worker process builds its app from the settings
    (the embedded cluster is already running by then; serve started it)."""
    settings = get_settings()
    return create_app(localdb.database_url(settings, report=lambda _: None), settings)
