"""Reading municipal boundaries for maps: full resolution for analysis, simplified on request
so that a map does not download 17 MB of polygons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

#: A metric projection for tolerances in metres: UTM zone 54N covers most of Hokkaido
#: (138-144°E) and distorts the rest (to 146°E) by well under 1 %.
METRIC_SRID = 32654
#: Decimal places of GeoJSON coordinates: 1e-6° is about 0.1 m.
COORDINATE_DECIMALS = 6

_BOUNDARIES = text(
    """
    SELECT code, ST_AsGeoJSON(
        CASE WHEN CAST(:tolerance AS float8) IS NULL THEN boundary
             ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_ReducePrecision(
                      ST_Transform(ST_SimplifyPreserveTopology(
                          ST_Transform(boundary, :srid), CAST(:tolerance AS float8)), 4326),
                      :grid)), 3))
        END, :decimals) AS geojson
    FROM municipality
    WHERE code = ANY(:codes) AND boundary IS NOT NULL
    """
)


def boundaries_geojson(
    conn: Connection, codes: Sequence[str], simplify_meters: float | None = None
) -> dict[str, dict[str, Any]]:
    """GeoJSON MultiPolygons by code; with ``simplify_meters`` no vertex moves farther than
    that (Douglas-Peucker with topology kept within each polygon; borders shared with a
    neighbour are simplified separately on each side). Simplified output is snapped to the
    GeoJSON grid and made valid again: parts of an archipelago can touch once simplified."""
    if simplify_meters is not None and simplify_meters < 0:
        raise ValueError("simplify_meters must not be negative")
    rows = conn.execute(
        _BOUNDARIES,
        {"codes": list(codes), "tolerance": simplify_meters, "srid": METRIC_SRID,
         "decimals": COORDINATE_DECIMALS, "grid": 10.0**-COORDINATE_DECIMALS},
    )
    return {code: json.loads(geojson) for code, geojson in rows}
