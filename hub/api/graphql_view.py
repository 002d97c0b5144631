"""/graphql: strawberry's ASGI view with the hub's ways: errors in the contract's shape with
the right HTTP status, the request deadline, persisted queries and HTTP caching of GET
reads, the metrics' notes, and GraphiQL on local packages."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from hub.api import web
from hub.api.compiled import FastPath, deadline_result
from hub.api.http_cache import cached, no_store
from hub.api.limits import error_body, send_error
from hub.api.metrics import note_errors, note_operation
from hub.api.persisted import PersistedQueryRefused, resolve
from hub.config import Settings
from hub.db.listener import Listener
from hub.graphql.context import Context, Loaders
from hub.graphql.errors import classify
from hub.graphql.schema import make_schema
from hub.services.persisted_queries import PersistedQueries
from hub.services.reads.provider import Reads
from hub.services.writes.runner import Writes


def _unavailable(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    """Whether an answer carries an UNAVAILABLE error (the database is down or the pool is
    full): then the whole answer is a 503, so clients and proxies retry it later."""
    answers = data if isinstance(data, list) else [data]
    return any(isinstance(error, dict)
               and (error.get("extensions") or {}).get("code") == "UNAVAILABLE"
               for answer in answers for error in answer.get("errors") or [])


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, reads: Reads, writes: Writes, listener: Listener,
                 settings: Settings, primary: Reads | None = None) -> None:
        """``reads`` serve queries; ``primary`` (when ``reads`` are a replica's) serves what
        must see its own writes (hub.graphql.routing) and the persisted queries, which a
        GET may register."""
        # Browsers apply no CORS to WebSockets; strawberry checks a cross-origin handshake
        # against allowed_origins, the same list as CORS (HUB_CORS_ORIGINS).
        schema = make_schema(settings)
        super().__init__(schema, graphql_ide="graphiql",
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         allowed_origins=settings.cors_origins,
                         multipart_uploads_enabled=True)
        self.reads = reads
        self.primary = primary
        self.graphql_schema = schema._schema
        self.persisted = PersistedQueries((primary or reads).db,
                                          settings.persisted_query_cache_size)
        self.writes = writes
        self.listener = listener
        self.settings = settings
        self.retry_after_s = settings.retry_after_s
        self.timeout_ms = settings.request_timeout_ms
        #: Operations answered by each path: "compiled" (hub.api.compiled) or "executor".
        self.served: Counter[str] = Counter()
        self.fast = (FastPath(settings, self.graphql_schema, reads, primary, self.persisted,
                              self.error_response) if settings.compiled_queries else None)

    async def render_graphql_ide(self, request: Request) -> Response:
        """strawberry's GraphiQL page on the hub's own copies of its packages (no CDN)."""
        return HTMLResponse(web.graphiql_page())

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        answers = response_data if isinstance(response_data, list) else [response_data]
        if any(answer.get("errors") for answer in answers):
            no_store(response)
        if _unavailable(response_data):
            response.status_code = 503
            response.headers["Retry-After"] = str(self.retry_after_s)
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's refusals of a request (not JSON, no query, ...) in the usual GraphQL
        error shape rather than plain text."""
        if scope["type"] == "websocket":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        response = await self.fast.answer(request) if self.fast is not None else None
        if response is not None:
            self.served["compiled"] += 1
            response = cached(request, response, self.settings.graphql_max_age_s)
            await response(scope, receive, send)
            return
        try:
            response = await self.run(request)
        except HTTPException as exc:
            await send_error(send, exc.status_code, error_body(exc.reason, "BAD_USER_INPUT"))
            return
        except StarletteHTTPException as exc:  # a malformed multipart body (an upload)
            await send_error(send, exc.status_code, error_body(
                f"The multipart request cannot be read: {exc.detail}", "BAD_USER_INPUT"))
            return
        except PersistedQueryRefused as exc:
            await send_error(send, 400, error_body(exc.message, "BAD_USER_INPUT",
                                                   field=exc.field))
            return
        response = cached(request, response, self.settings.graphql_max_age_s)
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET by a persisted query's hash, which has no query parameter either
        (curl's Accept: */* would get the page)."""
        return (super().should_render_graphql_ide(request)
                and request.query_params.get("extensions") is None)

    async def execute_single(self, request: Request, request_adapter: Any,
                             sub_response: Response, context: Context,
                             root_value: None, request_data: GraphQLRequestData
                             ) -> ExecutionResult:
        """A request with a persisted query's hash runs the registered text (APQ,
        hub.api.persisted); strawberry then refuses a mutation by GET as for any text."""
        self.served["executor"] += 1
        note_operation(request.scope, request_data.operation_name, request_data.query)
        if (request_data.extensions or {}).get("persistedQuery") is not None:
            try:
                resolved = await resolve(self.persisted, self.settings, self.graphql_schema,
                                         request_data)
            except PersistedQueryRefused:
                raise
            except Exception as exc:
                # The table's database is down or the pool full (UNAVAILABLE, a 503), or a
                # fault of ours (INTERNAL): classified like any error of a resolver.
                return ExecutionResult(data=None, errors=[
                    GraphQLError(str(exc), original_error=exc)])
            if isinstance(resolved, ExecutionResult):
                return resolved
            request_data = resolved
            # A request by hash alone: the name is in the registered text.
            note_operation(request.scope, request_data.operation_name, request_data.query)
        return await super().execute_single(request, request_adapter, sub_response, context,
                                            root_value, request_data)

    def encode_json(self, data: object) -> str | bytes:
        """orjson: several times faster than the standard library's encoder on large
        answers; anything it cannot write (an integer over 64 bits in a JSON scalar) falls
        back to that encoder. Text, not bytes: strawberry sends bytes over a WebSocket as
        binary frames, which graphql-transport-ws clients do not read."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return super().encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        """A JSON object (or a list, which strawberry refuses as a batch), else HTTP 400:
        bytes that are not UTF-8 or nesting too deep for the decoder are the client's."""
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError):
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object")
        return decoded

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """Within the request deadline; on expiry the running statements are cancelled
        (their tasks are, and psycopg cancels the statement on the server)."""
        try:
            async with asyncio.timeout(self.timeout_ms / 1000):
                return await super().execute_operation(*args, **kwargs)
        except TimeoutError:
            return deadline_result(self.timeout_ms)

    async def error_response(self, request: Request, result: ExecutionResult) -> Response:
        """An error result answered as any other: classified, counted, with its status."""
        return self.create_response(await self.process_result(request, result),
                                    await self.get_sub_response(request))

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = classify(result.errors)
        note_errors(request.scope, result.errors)
        return await super().process_result(request, result)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket
                          ) -> Context:
        return Context(reads=self.reads, loaders=Loaders(self.reads), writes=self.writes,
                       request=request, listener=self.listener, settings=self.settings,
                       primary=self.primary)
