"""The /graphql view's fast path: a GET or JSON POST whose operation the compiled path
handles (hub.graphql.compiled) is answered with the bytes PostgreSQL builds, without
Strawberry's request machinery; anything else returns None and goes through the view as
before. Errors never come from here but a fault of the database (UNAVAILABLE, INTERNAL) or
the request deadline, given exactly as the executor gives them: any refusal of the client's
request is left to the executor, so it reads the same on both paths."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLSchema
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from hub.api.metrics import note_operation
from hub.api.persisted import resolve
from hub.config import Settings
from hub.domain.errors import InputError
from hub.graphql.compiled import Plans, prepare
from hub.services.persisted_queries import PersistedQueries
from hub.services.reads.provider import Reads


@dataclass
class FastPath:
    settings: Settings
    schema: GraphQLSchema
    reads: Reads
    primary: Reads | None
    persisted: PersistedQueries
    #: How the view answers an error result (classified, with its status): its own.
    answer_error: Callable[[Request, ExecutionResult], Awaitable[Response]]

    def __post_init__(self) -> None:
        self.plans = Plans(self.settings, self.schema)

    async def answer(self, request: Request) -> Response | None:
        data = await _request_data(request)
        if data is None:
            return None
        if (data.extensions or {}).get("persistedQuery") is not None:
            try:
                resolved = await resolve(self.persisted, self.settings, self.schema, data)
            except Exception:
                return None  # the view gives the refusal or the fault
            if isinstance(resolved, ExecutionResult):
                return None
            data = resolved
        if not isinstance(data.query, str):
            return None
        planned = self.plans.get(data.query, data.operation_name)
        if planned is None:
            return None
        prepared = prepare(self.settings, self.schema, planned, data.variables)
        if prepared is None:
            return None
        # Routing as hub.graphql.routing: a request with a token reads its own writes.
        reads = (self.primary if self.primary is not None
                 and "authorization" in request.headers else self.reads)
        note_operation(request.scope, data.operation_name, data.query)
        try:
            async with asyncio.timeout(self.settings.request_timeout_ms / 1000):
                for flt in prepared.filters:
                    await reads.check_references(flt, "filter")
                body, exact = await reads.json_answer(prepared.text, prepared.params)
        except InputError:
            return None
        except TimeoutError:
            return await self.answer_error(request, deadline_result(
                self.settings.request_timeout_ms))
        except Exception as exc:  # the database down, the pool full: as a resolver's fault
            return await self.answer_error(request, ExecutionResult(data=None, errors=[
                GraphQLError(str(exc), original_error=exc)]))
        if not exact:
            return None  # the nearest search needs its further steps: the executor's
        return Response(body.encode(), media_type="application/json")


def deadline_result(timeout_ms: int) -> ExecutionResult:
    message = f"The request took longer than {timeout_ms} ms and was stopped; ask for less."
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={
        "code": "QUERY_TOO_COMPLEX", "limit": timeout_ms})])


async def _request_data(request: Request) -> GraphQLRequestData | None:
    """The request's query, variables, operation name and extensions, when it is a plain
    GET or JSON POST the fast path may take; None leaves it to the view (GraphiQL, uploads,
    batches, anything malformed)."""
    if request.method == "GET":
        if "text/html" in request.headers.get("accept", ""):
            return None
        params = request.query_params
        try:
            variables = orjson.loads(params["variables"]) if "variables" in params else None
            extensions = (orjson.loads(params["extensions"]) if "extensions" in params
                          else None)
        except orjson.JSONDecodeError:
            return None
        return _checked(params.get("query"), variables, params.get("operationName"),
                        extensions)
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if request.method != "POST" or content_type != "application/json":
        return None
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    return _checked(body.get("query"), body.get("variables"), body.get("operationName"),
                    body.get("extensions"))


def _checked(query: Any, variables: Any, operation_name: Any, extensions: Any
             ) -> GraphQLRequestData | None:
    if not (query is None or isinstance(query, str)) \
            or not (variables is None or isinstance(variables, dict)) \
            or not (operation_name is None or isinstance(operation_name, str)) \
            or not (extensions is None or isinstance(extensions, dict)):
        return None
    return GraphQLRequestData(query=query, variables=variables, operation_name=operation_name,
                              extensions=extensions, protocol="http")
