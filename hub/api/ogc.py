"""OGC API - Features and Tiles at /ogc: developmentseed/tipg over the schema ``ogc`` of
public views (migration 0009), mounted in the hub's Starlette app.

tipg does the OGC work (collections, items with CQL2 filters, GeoJSON/CSV, vector tiles,
TileJSON); what is ours around it, and why:

- tipg's own app (``tipg.main``) reads TIPG_* variables when it is imported; the hub builds
  a FastAPI app from tipg's endpoint factory instead, configured from hub.config, so users
  set nothing for tipg. It sees the schema ``ogc`` alone, so no table of the hub shows.
- Collections are named by their view (``facilities``), not ``ogc.facilities``: the names of
  the tile layers, and what QGIS and GDAL show as layer names.
- CQL2 filters are checked before tipg turns them into SQL: cql2 writes any function name
  it does not know as a SQL call (``pg_terminate_backend(1) = true``, ``pg_notify(...)``),
  so only the operators and functions of the CQL2 standard, over the collection's own
  properties, get through. Values of property filters and function parameters are checked
  against the column's type, so a bad one is a 400 naming the parameter.
- Errors leave in the hub's shape (``hub.api.errors``): a client's mistake is
  400 (404 for what does not exist), the database down or the pool busy 503 with
  Retry-After, anything else 500 INTERNAL with a request id under which the traceback is
  logged; never tipg's ``{"detail": str(exception)}`` with a 500 for a bad query parameter.
- HTML is not served: tipg's pages load jQuery, Leaflet and Bootstrap from CDNs (blank on
  a closed network), so ``f=html`` is refused and a browser gets JSON.
- tipg's connection pool (asyncpg) is made on the first request and closed by the hub's
  lifespan (a mounted app's own lifespan never runs). Its connections run under the hub's
  statement timeout and show as ``hub-<pid>-ogc``; a request waits HUB_POOL_TIMEOUT_S at
  most for one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import logging
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from asyncpg.pool import PoolAcquireContext
from fastapi import FastAPI
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send
from tipg import collections as tipg_collections
from tipg import dependencies as tipg_dependencies
from tipg import factory as tipg_factory
from tipg.collections import Catalog, Collection, Column, PgCollection, pg_get_collection_index
from tipg.database import connection_factory
from tipg.factory import Endpoints
from tipg.openapi import _update_openapi
from tipg.settings import DatabaseSettings

from hub.api.ogc_errors import BAD, OGC_ERRORS, answer_for, error_response
from hub.api.ogc_params import (
    bbox_param,
    collection_param,
    datetime_param,
    filter_param,
    tile_param,
)
from hub.config import Settings
from hub.db.pool import application_name
from hub.domain.errors import InputError

log = logging.getLogger("hub.api.ogc")

#: The schema of public views that tipg serves (migration 0009).
SCHEMA = "ogc"
#: How old the catalog (collections, their columns and extents) may grow before it is read
#: again, in the background; a migration run beside a serving hub shows up after this.
CATALOG_TTL_S = 300.0
#: Waited for tipg's connections to be handed back when the hub stops, then they are cut.
CLOSE_TIMEOUT_S = 10.0

#: What tipg reads from the database: only the schema ``ogc``, each table, view and
#: set-returning function in it with a geometry; given in full so no TIPG_DB_* applies.
DATABASE = DatabaseSettings(
    schemas=[SCHEMA], application_schema="pg_temp", tables=None, exclude_tables=None,
    exclude_table_schemas=None, functions=None, exclude_functions=None,
    exclude_function_schemas=None, datetime_extent=True, spatial_extent=True,
    only_spatial_tables=True,
)

def csv_rows(data: Iterable[dict[Any, Any]]) -> Generator[str, None, None]:
    """tipg's create_csv_rows, which raises inside the stream on no rows (the header comes
    from the first row): no rows is an empty file."""
    rows = iter(data)
    first = next(rows, None)
    if first is None:
        return
    writer = csv.DictWriter(_Line(), fieldnames=list(first))
    yield writer.writeheader()
    yield writer.writerow(first)
    for row in rows:
        yield writer.writerow(row)


class _Line:
    """A file for csv.writer whose write hands the line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


def configure_tipg(settings: Settings) -> None:
    """tipg keeps its limits in settings objects made when its modules are imported (from
    TIPG_* variables); they are set from the hub's settings before its routes are built,
    which read them. The MVT layer is named after the collection, as the hub's tile
    layers are. tipg's CSV writer is replaced by one that survives an empty page."""
    for module in (tipg_collections, tipg_factory):
        module.features_settings.max_features_per_query = settings.ogc_max_features
        module.features_settings.default_features_limit = min(10, settings.ogc_max_features)
        module.mvt_settings.max_features_per_tile = settings.ogc_max_features
        module.mvt_settings.set_mvt_layername = True
    tipg_factory.create_csv_rows = csv_rows


async def _answer(request: Request, exc: Exception) -> Response:
    settings: Settings = request.app.state.settings
    if isinstance(exc, asyncpg.PostgresError) and "filter" in request.query_params and (
            answer_for(exc) == BAD or isinstance(exc, asyncpg.InternalServerError)):
        # PostGIS reports a geometry it cannot use (an invalid polygon in a filter, say)
        # as an internal error (XX000); with a filter, that geometry is the client's.
        # The SQL of a filter is the client's expression: name it as the culprit.
        exc = InputError(f"filter: {getattr(exc, 'message', None) or exc}", "filter")
    return error_response(exc, settings.retry_after_s)


async def _api_doc(request: Request) -> RedirectResponse:
    """tipg's landing page links "the API documentation" (Swagger UI, which loads from a
    CDN) by this route's name; it leads to the OpenAPI document instead."""
    return RedirectResponse(str(request.url_for("openapi")))


def _queryable(column: Column) -> bool:
    return column.json_type in ("string", "number", "boolean") and not column.is_geometry


def collection_paths(catalog: Catalog, generic: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI path ``/collections/{name}/items`` for each collection, naming its
    properties (and a function's parameters) as query parameters: OGC API Features Core's
    way to say which properties a client may filter by value, which GDAL's OAPIF driver
    reads to send an attribute filter (``-where "category = 'PARK'"``) to the server."""
    shared = [p for p in generic.get("parameters", []) if p.get("in") != "path"]
    paths: dict[str, Any] = {}
    for name, collection in sorted(catalog["collections"].items()):
        own = [{"name": c.name, "in": "query", "required": False,
                "schema": {"type": c.json_type},
                "description": f"Only features whose {c.name} equals this value."}
               for c in collection.properties if _queryable(c)]
        own += [{"name": p.name, "in": "query", "required": False,
                 "schema": {"type": p.json_type, **({"default": p.default}
                                                    if p.default is not None else {})},
                 "description": f"Parameter {p.name} of the function."}
                for p in collection.parameters]
        paths[f"/collections/{name}/items"] = {"get": {
            **generic, "operationId": f"getItems.{name}",
            "summary": f"Features of {name}", "parameters": shared + own}}
    return paths


def _openapi(api: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's OpenAPI document of tipg's routes, with a path per collection."""
    def openapi() -> dict[str, Any]:
        schema = FastAPI.openapi(api)  # made once, then cached by FastAPI
        catalog: Catalog | None = getattr(api.state, "collection_catalog", None)
        generic = schema["paths"].get("/collections/{collectionId}/items", {}).get("get")
        if catalog is None or generic is None:
            return schema
        return {**schema, "paths": {**schema["paths"], **collection_paths(catalog, generic)}}
    return openapi


def build_api(settings: Settings) -> FastAPI:
    configure_tipg(settings)
    api = FastAPI(title="Hokkaido facility hub: OGC API - Features and Tiles",
                  openapi_url="/api", docs_url=None, redoc_url=None)
    _update_openapi(api)  # the OpenAPI media type OGC API clients look for
    endpoints = Endpoints(title="Hokkaido facility hub: OGC API - Features and Tiles",
                          collection_dependency=collection_param, with_tiles_viewer=False)
    api.include_router(endpoints.router)
    api.add_api_route("/api.html", _api_doc, name="swagger_ui_html", include_in_schema=False)
    api.openapi = _openapi(api)  # type: ignore[method-assign]
    api.dependency_overrides[tipg_dependencies.filter_query] = filter_param
    api.dependency_overrides[tipg_dependencies.bbox_query] = bbox_param
    api.dependency_overrides[tipg_dependencies.datetime_query] = datetime_param
    api.dependency_overrides[tipg_dependencies.TileParams] = tile_param
    for exc_class in (*OGC_ERRORS, Exception):
        api.add_exception_handler(exc_class, _answer)
    api.state.settings = settings
    return api


@dataclass(frozen=True)
class _WaitingPool:
    """What tipg calls ``app.state.pool``: asyncpg's pool, whose ``acquire`` waits
    HUB_POOL_TIMEOUT_S at most (tipg waits for ever)."""

    pool: asyncpg.Pool
    timeout_s: float

    def acquire(self) -> PoolAcquireContext:
        return self.pool.acquire(timeout=self.timeout_s)


async def load_catalog(pool: _WaitingPool) -> Catalog:
    """tipg's catalog of the schema, keyed by view name; a collection without an ``id``
    column (municipalities, coverage) is keyed by its ``code``."""
    async with pool.acquire() as conn:
        # A pooled connection is a proxy standing in for the Connection tipg's hint names.
        found = await pg_get_collection_index(cast(asyncpg.Connection, conn), settings=DATABASE)
    collections: dict[str, Collection] = {}
    for collection in found:
        if not isinstance(collection, PgCollection) or collection.dbschema != SCHEMA:
            continue
        key = collection.id_column or collection.get_column("code")
        collections[collection.table] = collection.model_copy(
            update={"id": collection.table, "id_column": key})
    return Catalog(collections=collections, last_updated=dt.datetime.now())


def _without_html(scope: Scope) -> Scope:
    """The request as if it did not accept HTML (a browser's Accept header names it)."""
    headers = []
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            kept = [part for part in value.split(b",")
                    if not part.strip().lower().startswith((b"text/html",
                                                            b"application/xhtml"))]
            value = b",".join(kept) or b"*/*"
        headers.append((name, value))
    return {**scope, "headers": headers}


class OgcApp:
    """The ASGI app at /ogc: tipg's routes on a pool and a catalog of their own."""

    def __init__(self, database_url: str, settings: Settings) -> None:
        self.database_url = database_url
        self.settings = settings
        self.api = build_api(settings)
        self.pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    def mount(self) -> Mount:
        return Mount("/ogc", app=self, name="ogc")

    async def _open(self) -> _WaitingPool:
        """The pool, made on first use; it connects only when a request needs it (min_size
        0), so the hub starts while the database is down, as the GraphQL pool does."""
        async with self._opening:
            if self.pool is None:
                pool = asyncpg.create_pool(
                    self.database_url, min_size=0, max_size=self.settings.ogc_pool_max,
                    init=connection_factory([SCHEMA], "pg_temp"),
                    timeout=self.settings.pool_connect_timeout_s,
                    server_settings={
                        "application_name": f"{application_name()}-ogc",
                        "statement_timeout": str(self.settings.statement_timeout_ms),
                    })
                await pool
                self.pool = pool
                self.api.state.pool = _WaitingPool(pool, self.settings.pool_timeout_s)
            waiting: _WaitingPool = self.api.state.pool
            return waiting

    async def _reload(self, pool: _WaitingPool) -> None:
        try:
            self.api.state.collection_catalog = await load_catalog(pool)
        except Exception as exc:  # the old catalog serves on; the next request tries again
            log.warning("the OGC catalog could not be read again: %r", exc)

    async def _ensure_catalog(self) -> None:
        pool = await self._open()
        catalog: Catalog | None = getattr(self.api.state, "collection_catalog", None)
        if catalog is None:
            async with self._opening:
                if getattr(self.api.state, "collection_catalog", None) is None:
                    self.api.state.collection_catalog = await load_catalog(pool)
            return
        age = (dt.datetime.now() - catalog["last_updated"]).total_seconds()
        if age > CATALOG_TTL_S and (self._refresh is None or self._refresh.done()):
            self._refresh = asyncio.create_task(self._reload(pool))

    async def close(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
        if self.pool is not None:
            pool, self.pool = self.pool, None
            try:
                await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT_S)
            except TimeoutError:
                pool.terminate()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        # tipg writes links from the base URL and names its routes (request.url_for): both
        # must be /ogc's, where Starlette keeps the outer app's root and router.
        scope = {**_without_html(scope), "app_root_path": scope.get("root_path", "")}
        scope.pop("router", None)
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            if QueryParams(scope.get("query_string", b"").decode("latin-1")).get("f") == "html":
                raise InputError("f: HTML is not served at /ogc (tipg's pages load their "
                                 "scripts from CDNs); use f=json, or f=geojson for items", "f")
            await self._ensure_catalog()
            await self.api(scope, receive, watched)
        except Exception as exc:
            if started:  # FastAPI answered through _answer (and logged it) before re-raising
                return
            await error_response(exc, self.settings.retry_after_s)(scope, receive, send)
