"""The checks /ogc puts in front of tipg's query parameters: a CQL2 filter may use only the
standard's operators and functions over the collection's own properties (cql2 would write
any other name as a SQL call) and nest only so deep (its parser overflows the stack), and
property filters, function parameters, bbox, datetime and tile parameters must be values of
their type, so that a bad one is a 400 naming it."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

import morecantile.errors
from ciso8601 import parse_rfc3339
from cql2 import Expr
from fastapi import Depends, Path, Query
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from tipg import dependencies as tipg_dependencies
from tipg import errors as tipg_errors
from tipg.collections import Catalog, Collection

from hub.config import Settings
from hub.domain.errors import InputError

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
