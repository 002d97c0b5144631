"""The Starlette application: /graphql (with GraphiQL in a browser), /health and /ready."""

from __future__ import annotations

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from hub.graphql.schema import schema


def create_app(database_url: str) -> Starlette:
    """The ASGI app for one database; ``hub serve`` runs it under uvicorn."""

    async def health(_: Request) -> JSONResponse:
        """The process is up (it does not look at the database: that is /ready)."""
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> JSONResponse:
        """The database answers; load balancers send traffic only when it does."""
        try:
            conn = await psycopg.AsyncConnection.connect(database_url, connect_timeout=3)
            async with conn:
                await conn.execute("SELECT 1")
        except psycopg.Error:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    graphql_app: GraphQL[None, None] = GraphQL(schema, graphql_ide="graphiql")
    return Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
        ],
    )
