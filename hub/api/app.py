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


def _unavailable(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    """Whether an answer carries an UNAVAILABLE error (the database is down or the pool is
    full): then the whole answer is a 503, so clients and proxies retry it later."""
    answers = data if isinstance(data, list) else [data]
    return any(isinstance(error, dict)
               and (error.get("extensions") or {}).get("code") == "UNAVAILABLE"
               for answer in answers for error in answer.get("errors") or [])


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, reads: Reads, retry_after_s: int = 5) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.reads = reads
        self.retry_after_s = retry_after_s

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if _unavailable(response_data):
            response.status_code = 503
            response.headers["Retry-After"] = str(self.retry_after_s)
        return response

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
    db = Database.from_settings(database_url, settings)

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
        """The database answers through the pool; load balancers send traffic only when it
        does. Through the pool, so that /ready sees what requests see (and opens no
        connections of its own); a pool that stays full for HUB_READY_TIMEOUT_S is not ready
        either, which steers traffic away from a saturated process."""
        try:
            await db.ping(settings.ready_timeout_s)
        except psycopg.Error:
            return JSONResponse({"status": "database unreachable"}, status_code=503,
                                headers={"Retry-After": str(settings.retry_after_s)})
        return JSONResponse({"status": "ready"})

    graphql_app = HubGraphQL(Reads(db), settings.retry_after_s)
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
