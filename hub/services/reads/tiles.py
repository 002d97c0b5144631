"""Vector tiles (MVT) of facilities, municipalities and service areas, made by PostGIS in one
statement each: ``ST_TileEnvelope`` gives the tile in Web Mercator, ``ST_AsMVTGeom`` clips
and quantises each geometry to the tile's grid, ``ST_AsMVT`` encodes the layer.

- Rows are found by the GIST indexes on the stored EPSG:4326 geometries, with the tile (and
  its buffer) turned into a longitude/latitude box: a Web Mercator rectangle is one exactly.
- Polygons are clipped to that box first (``ST_ClipByBox2D``, linear and cheap), then
  simplified by a fraction of the tile's width (hub.domain.tiles.Tile.simplify_degrees),
  then projected: a zoom-6 tile of all Hokkaido carries a few tens of kB, not the 17.6 MB of
  full-resolution boundaries. From zoom PARTS_FROM_ZOOM on, a service area is built from
  its subdivided parts (``facility_area_part``, at most 256 vertices each) that touch the
  tile, so a street-level tile does not clip a 244,000-vertex Hokkaido five times over.
- The facility filter is hub.services.reads.facilities.where, the same as GraphQL's
  (archived facilities never show).
- Municipalities' coverage properties come from hub.services.reads.coverage, the same
  computation as the GraphQL ``coverage`` query, done once per data version, filter and
  distance (``CoverageMemo``) rather than once per tile.

``data_version`` (the newest audit row: every write of the hub, from ``hub load`` to a
mutation, writes one) lets the API name a tile's content in its entity tag before making it.
"""

from __future__ import annotations

import asyncio
import html
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from hub.db.pool import Database
from hub.domain import tiles
from hub.domain.filters import FacilityFilter
from hub.domain.tiles import Tile
from hub.services.reads import coverage, facilities

#: From this zoom on, service areas are assembled from their parts that touch the tile;
#: below it, the whole area is clipped. Measured on the seed set (five all-Hokkaido areas
#: of 244,000 vertices): at zoom 10 the parts take 20 ms against 65 ms, at zoom 8 400 ms
#: against 60 ms (a low-zoom tile touches tens of thousands of parts).
PARTS_FROM_ZOOM = 10

_BOUNDS = """
bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)
             AS area)"""

_MVT_GEOM = "ST_AsMVTGeom({geom}, b.tile, %(extent)s, %(buffer)s, true)"
_POLYGON = "ST_Transform(ST_Simplify(ST_ClipByBox2D({column}, b.area), %(tolerance)s), 3857)"

FACILITIES = f"""
WITH {_BOUNDS}
SELECT ST_AsMVT(t, 'facilities', %(extent)s, 'geom', 'fid') AS mvt FROM (
    SELECT {_MVT_GEOM.format(geom="ST_Transform(f.location, 3857)")} AS geom,
           f.id AS fid, f.id, f.code, f.name_ja, f.name_en, f.category,
           o.level AS operator_level, f.location_precision, f.municipality_code
    FROM facility f JOIN operator o ON o.id = f.operator_id CROSS JOIN bounds b
    WHERE f.location && b.area AND {{condition}}
    ORDER BY f.code
) t"""

# The municipalities whose boundary is not the union of others' (Sapporo is its wards).
# Coverage comes in as arrays (one element per coverage unit), empty when not asked.
MUNICIPALITIES = f"""
WITH {_BOUNDS},
units AS (
    SELECT * FROM unnest(%(codes)s::text[], %(served)s::boolean[], %(within)s::boolean[],
                         %(nearest)s::float8[], %(gap)s::boolean[])
      AS u(code, served_by_area, within_reach, nearest_m, gap))
SELECT ST_AsMVT(t, 'municipalities', %(extent)s, 'geom') AS mvt FROM (
    SELECT {_MVT_GEOM.format(geom=_POLYGON.format(column="m.boundary"))} AS geom,
           m.code, m.name_ja, m.name_en, m.subprefecture, m.population,
           u.served_by_area, u.within_reach, u.nearest_m, u.gap
    FROM municipality m CROSS JOIN bounds b LEFT JOIN units u ON u.code = m.code
    WHERE m.boundary && b.area
      AND NOT EXISTS (SELECT 1 FROM municipality c WHERE c.parent_code = m.code)
    ORDER BY m.code
) t"""

# Largest first within the tile, so that a map drawing them in order puts the small
# (municipal) areas over the all-Hokkaido ones.
_SERVICE_AREAS = """
SELECT ST_AsMVT(t, 'service_areas', %(extent)s, 'geom', 'fid') AS mvt FROM (
    SELECT geom, fid, id, code, name_ja, category FROM (
        SELECT {mvt_geom} AS geom, f.id AS fid, f.id, f.code, f.name_ja, f.category
        FROM {source}
    ) s WHERE geom IS NOT NULL
    ORDER BY ST_Area(geom) DESC, code
) t"""

SERVICE_AREAS_WHOLE = f"""
WITH {_BOUNDS}
""" + _SERVICE_AREAS.format(
    mvt_geom=_MVT_GEOM.format(geom=_POLYGON.format(column="f.service_area")),
    source="facility f CROSS JOIN bounds b WHERE f.service_area && b.area AND {condition}",
)

SERVICE_AREAS_PARTS = f"""
WITH {_BOUNDS},
parts AS (
    SELECT p.facility_id, ST_Union(ST_ClipByBox2D(p.geom, b.area)) AS geom
    FROM facility_area_part p CROSS JOIN bounds b
    WHERE p.geom && b.area
    GROUP BY p.facility_id)
""" + _SERVICE_AREAS.format(
    mvt_geom=_MVT_GEOM.format(
        geom="ST_Transform(ST_Simplify(p.geom, %(tolerance)s), 3857)"),
    source="facility f JOIN parts p ON p.facility_id = f.id CROSS JOIN bounds b"
           " WHERE {condition}",
)


@dataclass(frozen=True)
class UnitProperties:
    """A coverage unit's properties in the municipalities layer."""

    served_by_area: bool
    within_reach: bool
    nearest_m: float | None
    gap: bool


Coverage = dict[str, UnitProperties]


async def data_version(db: Database) -> int:
    """The id of the newest audit row: it changes with every write to the data."""
    row = await db.fetch_one("SELECT coalesce(max(id), 0) AS version FROM audit_log")
    return int(row["version"]) if row else 0


def _params(tile: Tile) -> dict[str, Any]:
    return {"z": tile.z, "x": tile.x, "y": tile.y, "extent": tiles.EXTENT,
            "buffer": tiles.BUFFER, "margin": tiles.BUFFER / tiles.EXTENT,
            "tolerance": tile.simplify_degrees()}


async def facilities_tile(db: Database, tile: Tile, flt: FacilityFilter | None) -> bytes:
    condition, params = facilities.where(flt)
    query = sql.SQL(FACILITIES).format(condition=condition)
    return await _mvt(db, query, {**params, **_params(tile)})


async def service_areas_tile(db: Database, tile: Tile, flt: FacilityFilter | None) -> bytes:
    condition, params = facilities.where(flt)
    template = SERVICE_AREAS_PARTS if tile.z >= PARTS_FROM_ZOOM else SERVICE_AREAS_WHOLE
    query = sql.SQL(template).format(condition=condition)
    return await _mvt(db, query, {**params, **_params(tile)})


async def municipalities_tile(db: Database, tile: Tile, units: Coverage | None) -> bytes:
    units = units or {}
    codes = list(units)
    params = {
        "codes": codes,
        "served": [units[c].served_by_area for c in codes],
        "within": [units[c].within_reach for c in codes],
        "nearest": [units[c].nearest_m for c in codes],
        "gap": [units[c].gap for c in codes],
    }
    return await _mvt(db, sql.SQL(MUNICIPALITIES), {**params, **_params(tile)})


async def _mvt(db: Database, query: sql.SQL | sql.Composed, params: dict[str, Any]) -> bytes:
    row = await db.fetch_one(query, params)
    return bytes(row["mvt"]) if row and row["mvt"] is not None else b""


async def unit_coverage(db: Database, flt: FacilityFilter | None, reach: float) -> Coverage:
    """The coverage units' properties, as the GraphQL coverage query computes them."""
    report = await coverage.coverage(db, flt, reach)
    return {u.code: UnitProperties(u.served_by_area, u.within_reach, u.nearest_distance,
                                   u.is_gap) for u in report.units}


class CoverageMemo:
    """The last ``size`` coverages by (data version, filter, distance): a map asks for a
    dozen tiles at once with the same parameters, and coverage takes two set-based
    statements over all units. Concurrent requests for one key share one computation, which
    runs as a task of its own (a client that goes away does not cancel it for the others);
    a failed one is forgotten. A new data version is a new key, so nothing stale is served."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], asyncio.Task[Coverage]] = OrderedDict()

    async def get(self, db: Database, version: int, flt: FacilityFilter | None,
                  reach: float) -> Coverage:
        key = (version, flt, reach)
        task = self._entries.get(key)
        if task is None:
            task = asyncio.create_task(unit_coverage(db, flt, reach))
            task.add_done_callback(lambda done: self._forget_failed(key, done))
            self._entries[key] = task
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return await asyncio.shield(task)

    def _forget_failed(self, key: tuple[Any, ...], task: asyncio.Task[Coverage]) -> None:
        if (task.cancelled() or task.exception() is not None) and self._entries.get(key) is task:
            del self._entries[key]


@dataclass(frozen=True)
class TileSetInfo:
    """What a TileJSON document says beyond the layer: the extent of the data and the
    credits to show."""

    bounds: tuple[float, float, float, float] | None
    attribution: str


async def tile_set_info(db: Database, credits: Sequence[str]) -> TileSetInfo:
    """The extent of the municipal boundaries (all the layers lie within Hokkaido) and the
    stored credits of the named data sets, as HTML-escaped text (TileJSON attribution is
    shown as HTML by map libraries)."""
    row = await db.fetch_one(
        "SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east,"
        " ST_YMax(e) AS north, ARRAY(SELECT attribution FROM dataset"
        "   WHERE kind = ANY(%(kinds)s) ORDER BY array_position(%(kinds)s, kind)) AS credits"
        " FROM (SELECT ST_Extent(boundary)::geometry AS e FROM municipality) x",
        {"kinds": list(credits)},
    )
    assert row is not None
    bounds = None
    if row["west"] is not None:
        bounds = (round(row["west"], 6), round(row["south"], 6),
                  round(row["east"], 6), round(row["north"], 6))
    lines = [line.strip() for text in row["credits"] for line in text.splitlines()]
    return TileSetInfo(bounds, " / ".join(html.escape(line) for line in lines if line))
