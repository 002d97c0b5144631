"""Geometry as GeoJSON for clients: full resolution, or simplified to a tolerance in metres
so that a map does not download megabytes of polygons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from psycopg import sql

from hub.db.pool import Database
from hub.domain.errors import InputError

#: A metric projection for tolerances in metres: UTM zone 54N covers most of Hokkaido
#: (138-144°E) and distorts the rest (to 146°E) by well under 1 %.
METRIC_SRID = 32654
#: Decimal places of GeoJSON coordinates: 1e-6° is about 0.1 m.
COORDINATE_DECIMALS = 6


def geojson(column: str) -> sql.Composable:
    """``column`` as GeoJSON text; with a tolerance no vertex moves farther than it
    (Douglas-Peucker keeping each polygon's topology; a border shared with a neighbour is
    simplified on each side separately). Simplified output is made valid again (parts of an
    archipelago can touch once simplified) and then snapped to the GeoJSON grid, which
    GEOS does keeping it valid."""
    col = sql.SQL(column)
    return sql.SQL(
        "ST_AsGeoJSON(CASE WHEN %(tolerance)s::float8 IS NULL THEN {col}"
        " ELSE ST_Multi(ST_CollectionExtract(ST_ReducePrecision(ST_MakeValid("
        "   ST_Transform(ST_SimplifyPreserveTopology(ST_Transform({col}, %(srid)s),"
        "     %(tolerance)s::float8), 4326)), %(grid)s), 3)) END, %(decimals)s)"
    ).format(col=col)


def geojson_params(simplify_meters: float | None, field: str = "simplifyMeters") -> dict[str, Any]:
    if simplify_meters is not None and not simplify_meters >= 0:
        raise InputError(f"{field}: {simplify_meters} must be 0 or more metres", field)
    return {"tolerance": simplify_meters, "srid": METRIC_SRID,
            "grid": 10.0**-COORDINATE_DECIMALS, "decimals": COORDINATE_DECIMALS}


async def geometries(db: Database, table: str, key: str, column: str, keys: Sequence[Any],
                     simplify_meters: float | None) -> dict[Any, dict[str, Any]]:
    """``column`` of the rows of ``table`` whose ``key`` is in ``keys``, as GeoJSON."""
    query = sql.SQL(
        "SELECT {key} AS key, {geojson} AS geojson FROM {table}"
        " WHERE {key} = ANY(%(keys)s) AND {column} IS NOT NULL"
    ).format(key=sql.Identifier(key), table=sql.Identifier(table),
             column=sql.Identifier(column), geojson=geojson(column))
    records = await db.fetch_all(query, {"keys": list(keys), **geojson_params(simplify_meters)})
    return {r["key"]: json.loads(r["geojson"]) for r in records}
