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
import math
import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

import asyncpg
import morecantile.errors
from asyncpg.pool import PoolAcquireContext
from ciso8601 import parse_rfc3339
from cql2 import Expr
from fastapi import Depends, FastAPI, Path, Query
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send
from tipg import collections as tipg_collections
from tipg import dependencies as tipg_dependencies
from tipg import errors as tipg_errors
from tipg import factory as tipg_factory
from tipg.collections import Catalog, Collection, Column, PgCollection, pg_get_collection_index
from tipg.database import connection_factory
from tipg.factory import Endpoints
from tipg.openapi import _update_openapi
from tipg.settings import DatabaseSettings

from hub.api import errors
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

#: The operators and functions of CQL2 (OGC 21-065: basic, advanced comparison, case- and
#: accent-insensitive, spatial, temporal, array, arithmetic), lower-cased.
CQL2_OPERATORS = frozenset({
    "and", "or", "not", "=", "<>", "<", ">", "<=", ">=", "like", "between", "in", "isnull",
    "casei", "accenti",
    "s_intersects", "s_equals", "s_disjoint", "s_touches", "s_within", "s_overlaps",
    "s_crosses", "s_contains",
    "t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals",
    "t_finishedby", "t_finishes", "t_intersects", "t_meets", "t_metby", "t_overlappedby",
    "t_overlaps", "t_startedby", "t_starts",
    "a_equals", "a_contains", "a_containedby", "a_overlaps",
    "+", "-", "*", "/", "%", "^", "div",
})
#: Keys of CQL2-JSON literals other than plain values and GeoJSON geometries.
_CQL2_LITERALS = frozenset({"timestamp", "date", "interval", "bbox"})
_GEOMETRY_KEYS = frozenset({"type", "coordinates", "geometries", "bbox"})

_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint", "int2", "int4", "int8"})
_NUMBER_TYPES = frozenset({"real", "float4", "float8", "double precision", "numeric",
                           "decimal"})
_BOOLEANS = frozenset({"true", "false", "t", "f", "yes", "no", "on", "off", "1", "0"})
#: Query parameters of tipg's own, never property filters or function parameters.
_RESERVED = frozenset({
    "f", "ids", "datetime", "bbox", "properties", "filter", "filter-lang", "geom-column",
    "datetime-column", "limit", "offset", "bbox-only", "simplify", "sortby", "minzoom",
    "maxzoom", "type",
})


# ---- errors ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """How an exception is answered: HTTP status and the contract's code."""

    status: int
    code: str


_BAD = Answer(400, "BAD_USER_INPUT")
_NOT_FOUND = Answer(404, "NOT_FOUND")
_UNAVAILABLE = Answer(503, "UNAVAILABLE")
_INTERNAL = Answer(500, "INTERNAL")


def _http(exc: BaseException) -> Answer:
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return _NOT_FOUND
    return Answer(status, "BAD_USER_INPUT") if 400 <= status < 500 else _INTERNAL


#: Exception class -> answer, looked up along the exception's class hierarchy (the most
#: specific row wins), as hub.graphql.errors does for GraphQL.
OGC_ERRORS: dict[type[BaseException], Answer | Callable[[BaseException], Answer]] = {
    InputError: _BAD,
    RequestValidationError: _BAD,
    HTTPException: _http,
    tipg_errors.NotFound: _NOT_FOUND,
    tipg_errors.InvalidBBox: _BAD,
    tipg_errors.InvalidLimit: _BAD,
    tipg_errors.InvalidDatetime: _BAD,
    tipg_errors.InvalidPropertyName: _BAD,
    tipg_errors.InvalidGeometryColumnName: _BAD,
    tipg_errors.InvalidDatetimeColumnName: _BAD,
    tipg_errors.MissingDatetimeColumn: _BAD,
    tipg_errors.MissingFunctionParameter: _BAD,
    tipg_errors.NoPrimaryKey: _BAD,
    # A tile outside its matrix set (a zoom past the grid, say).
    morecantile.errors.MorecantileError: _BAD,
    # Class 22 (a value of the wrong type, the coverage function's own checks) and class
    # 42 (a filter naming a column or function that does not exist, comparing text with a
    # number) come from what the client sent: the SQL around it is tipg's, over fixed views.
    asyncpg.DataError: _BAD,
    asyncpg.SyntaxOrAccessError: _BAD,
    asyncpg.InsufficientPrivilegeError: _INTERNAL,
    # The statement timeout cancelled it: the same request would fail again.
    asyncpg.QueryCanceledError: Answer(400, "QUERY_TOO_COMPLEX"),
    # The database cannot be reached, is starting or stopping, or has no connection left;
    # a connection not handed over within HUB_POOL_TIMEOUT_S (TimeoutError is an OSError).
    asyncpg.PostgresConnectionError: _UNAVAILABLE,
    asyncpg.OperatorInterventionError: _UNAVAILABLE,
    asyncpg.InsufficientResourcesError: _UNAVAILABLE,
    asyncpg.InvalidAuthorizationSpecificationError: _UNAVAILABLE,
    OSError: _UNAVAILABLE,
}

_TOO_COMPLEX = ("The query took longer than the statement timeout and was cancelled; ask "
                "for less (a smaller limit, a narrower filter).")


def answer_for(exc: BaseException) -> Answer:
    for cls in type(exc).__mro__:
        found = OGC_ERRORS.get(cls)
        if found is not None:
            return found if isinstance(found, Answer) else found(exc)
    return _INTERNAL


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """FastAPI's refusal of a parameter as one line naming it (``limit: ...``)."""
    parts, field = [], None
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
        name = ".".join(loc) or "request"
        field = field or name
        parts.append(f"{name}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "The request is not valid.", field


def _client_message(exc: BaseException) -> tuple[str, str | None]:
    if isinstance(exc, InputError):
        return exc.message, exc.field
    if isinstance(exc, RequestValidationError):
        return _validation_message(exc)
    if isinstance(exc, HTTPException):
        return str(exc.detail), None
    if isinstance(exc, asyncpg.PostgresError):
        return str(getattr(exc, "message", None) or exc), None
    return str(exc), None


def error_response(exc: BaseException, retry_after_s: int) -> Response:
    """The answer to ``exc``, in the shape and with the logging of every HTTP route
    (hub.api.errors); the statement timeout's message says what to ask for instead."""
    found = answer_for(exc)
    extensions: dict[str, Any] = {}
    if found.code == "QUERY_TOO_COMPLEX":
        message = _TOO_COMPLEX
    else:
        message, field = _client_message(exc)
        if field:
            extensions["field"] = field
    return errors.error_response(found.code, message, where="/ogc", exc=exc,
                                 retry_after_s=retry_after_s, status=found.status,
                                 **extensions)


# ---- what a client may send ------------------------------------------------------------------

def _check_value(name: str, value: str, column_type: str) -> None:
    """A property filter's or a function parameter's value against its column type."""
    kind = column_type.lower()
    try:
        if kind.endswith("[]"):
            raise InputError(f"{name}: a list cannot be matched by one value; filter it with "
                             f"CQL2, e.g. filter=A_CONTAINS({name}, ('{value}'))", name)
        if kind in _INTEGER_TYPES:
            int(value)
        elif kind in _NUMBER_TYPES:
            float(value)
        elif kind.startswith("bool"):
            if value.lower() not in _BOOLEANS:
                raise ValueError(value)
        elif kind == "date":
            dt.date.fromisoformat(value)
        elif kind.startswith("timestamp"):
            dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a valid {column_type}", name) from None


def _check_tolerance(value: str) -> None:
    """``simplify`` (tipg passes it to ST_SimplifyPreserveTopology, which fails on a
    negative one as an internal error)."""
    try:
        tolerance = float(value)
    except ValueError:
        tolerance = -1.0
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise InputError(f"simplify: {value!r} must be a tolerance of 0 or more (degrees for "
                         "items, the tile's units for tiles)", "simplify")


def _check_query(collection: Collection, params: QueryParams, max_length: int) -> None:
    """Every value of a property filter or a function parameter fits its column's type."""
    typed = {c.name: c.type for c in collection.properties}
    typed |= {p.name: p.type for p in collection.parameters}
    for name, value in params.multi_items():
        if len(value) > max_length and name != "filter":
            raise InputError(f"{name}: {len(value)} characters; at most {max_length}", name)
        if name == "simplify":
            _check_tolerance(value)
        if name.lower() not in _RESERVED and name in typed:
            _check_value(name, value, typed[name])


def _names(collection: Collection) -> set[str]:
    return {c.name for c in collection.table_columns} | {c.name for c in collection.properties}


def check_cql(node: Any, properties: set[str]) -> None:
    """Raise InputError for anything in a CQL2-JSON tree but the standard's operators and
    functions, literals, and the collection's own properties."""
    if isinstance(node, list):
        for item in node:
            check_cql(item, properties)
        return
    if not isinstance(node, dict):
        return  # a string, number, boolean or null
    if "op" in node:
        op = str(node["op"])
        if op.lower() not in CQL2_OPERATORS:
            raise InputError(f"filter: {op!r} is not an operator or function of CQL2",
                             "filter")
        check_cql(node.get("args", []), properties)
    elif "property" in node:
        name = node["property"]
        if name not in properties:
            raise InputError(f"filter: no property {name!r}; the properties are "
                             f"{', '.join(sorted(properties))}", "filter")
    elif set(node) <= _CQL2_LITERALS or set(node) <= _GEOMETRY_KEYS:
        check_cql(list(node.values()), properties)
    else:
        raise InputError(f"filter: {sorted(node)} is not a CQL2 expression", "filter")


def _catalog(request: Request) -> Catalog:
    catalog: Catalog | None = getattr(request.app.state, "collection_catalog", None)
    if catalog is None:  # OgcApp loads it before the request reaches tipg
        raise tipg_errors.MissingCollectionCatalog("no collection catalog")
    return catalog


def collection_param(
    request: Request,
    collectionId: Annotated[str, Path(description="Collection identifier")],
) -> Collection:
    """The collection named in the path (tipg's own wants ``schema.name``), with the values
    of its property filters and function parameters checked."""
    collections = _catalog(request)["collections"]
    found = collections.get(collectionId)
    if found is None:
        raise HTTPException(404, f"No collection {collectionId!r}; the collections are "
                                 f"{', '.join(sorted(collections))}.")
    settings: Settings = request.app.state.settings
    _check_query(found, request.query_params, settings.max_string_length)
    return found


def nesting(expression: str) -> int:
    """How deep brackets ((), [], {}) nest in a CQL2 text or JSON expression, outside its
    quoted strings."""
    depth = deepest = 0
    quote: str | None = None
    escaped = False
    for char in expression:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def filter_param(
    request: Request,
    collection: Annotated[Collection, Depends(collection_param)],
    query: Annotated[str | None, Query(alias="filter", description="CQL2 filter")] = None,
    filter_lang: Annotated[
        Literal["cql2-text", "cql2-json"] | None,
        Query(alias="filter-lang", description="cql2-text (default) or cql2-json"),
    ] = None,
) -> Expr | None:
    """tipg's filter_query, with the expression checked (see the module docstring)."""
    if query is None:
        return None
    settings: Settings = request.app.state.settings
    depth = nesting(query)
    if depth > settings.ogc_max_filter_depth:
        # cql2's parser recurses on brackets in the native stack: a few thousand crash the
        # process, so the depth is checked before it parses.
        raise InputError(f"filter: brackets nested {depth} deep; at most "
                         f"{settings.ogc_max_filter_depth}", "filter")
    try:
        tree = Expr(query).to_json()
    except Exception as exc:  # cql2 raises plain Exceptions with a caret diagram
        reason = " ".join(str(exc).split())
        raise InputError(f"filter: not a CQL2 expression: {reason}", "filter") from None
    check_cql(tree, _names(collection))
    # Through CQL2-JSON, as tipg does, so geometry literals carry SRID 4326 (a BBOX literal
    # as its polygon: cql2 writes it as an envelope without one).
    return Expr(_bbox_as_polygon(tree))


def _bbox_as_polygon(node: Any) -> Any:
    if isinstance(node, list):
        return [_bbox_as_polygon(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) \
            and len(node["bbox"]) in (4, 6):
        box = node["bbox"]
        west, south, east, north = box if len(box) == 4 else (box[0], box[1], box[3], box[4])
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        return {"type": "Polygon", "coordinates": [ring]}
    return {key: _bbox_as_polygon(value) for key, value in node.items()}


def bbox_param(
    bbox: Annotated[str | None, Query(description="Spatial filter: minLon,minLat,maxLon,maxLat")]
    = None,
) -> list[float] | None:
    """tipg's bbox_query, with what is not four (or six) finite numbers refused by name."""
    if bbox is None or bbox == "":
        return None
    try:
        numbers = [float(part) for part in bbox.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InputError(f"bbox: {bbox!r} is not four (or six) comma-separated numbers",
                         "bbox")
    checked: list[float] | None = tipg_dependencies.bbox_query(bbox)
    return checked


_DATE_ONLY = re.compile(r"^(\d{4}-\d{2}-\d{2})T?$")


def _instant(part: str) -> str:
    """One end of a datetime interval as RFC 3339; a bare date (and GDAL's '2020-01-01T',
    which its OAPIF driver sends for a date) is that day's start in UTC."""
    if part in ("..", ""):
        return part
    date_only = _DATE_ONLY.match(part)
    if date_only:
        return f"{date_only.group(1)}T00:00:00Z"
    parse_rfc3339(part)  # ValueError when it is not a date-time
    return part


def datetime_param(
    datetime: Annotated[str | None, Query(description="Temporal filter (RFC 3339)")] = None,
) -> list[str] | None:
    """tipg's datetime_query, with each end checked (and a bare date taken as a day)."""
    if not datetime:
        return None
    parts = datetime.split("/")
    try:
        if len(parts) > 2:
            raise ValueError(datetime)
        return [_instant(part) for part in parts]
    except ValueError:
        raise InputError(f"datetime: {datetime!r} is not an RFC 3339 date-time or an "
                         "interval of two ('start/end', '..' for open)", "datetime") from None


def tile_param(
    request: Request,
    z: Annotated[int, Path(description="Zoom level (TileMatrix) of the tile")],
    x: Annotated[int, Path(description="Column of the tile in its TileMatrix")],
    y: Annotated[int, Path(description="Row of the tile in its TileMatrix")],
) -> morecantile.Tile:
    """tipg's TileParams, refusing a tile outside its matrix set (tipg answers an empty
    tile), as the hub's /tiles routes do."""
    tms_id = request.path_params.get("tileMatrixSetId", "WebMercatorQuad")
    tile = morecantile.Tile(x, y, z)
    tms = morecantile.tms.get(tms_id) if tms_id in morecantile.tms.list() else None
    if tms is not None and not (tms.minzoom <= z <= tms.maxzoom and tms.is_valid(tile)):
        raise InputError(f"z/x/y: {z}/{x}/{y} lies outside the {tms_id} grid (zoom "
                         f"{tms.minzoom}..{tms.maxzoom}, x and y from 0 to the matrix size "
                         "less one)", "z/x/y")
    return tile


# ---- the FastAPI app and the pool -----------------------------------------------------------

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
            answer_for(exc) == _BAD or isinstance(exc, asyncpg.InternalServerError)):
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
