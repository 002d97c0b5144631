"""Vector tiles (MVT) of facilities, municipalities and service areas, made by PostGIS in one
statement each: ``ST_TileEnvelope`` gives the tile in Web Mercator, ``ST_AsMVTGeom`` clips
and quantises each geometry to the tile's grid, ``ST_AsMVT`` encodes the layer.

- Rows are found by the GIST indexes on the stored EPSG:4326 geometries, with the tile (and
  its buffer) turned into a longitude/latitude box: a Web Mercator rectangle is one exactly.
- Polygons are clipped to that box first (``ST_ClipByBox2D``, linear and cheap), then
  simplified by a fraction of the tile's width (hub.domain.tiles.Tile.simplify_degrees),
  then projected: a zoom-6 tile of all Hokkaido carries a few tens of kB, not the 17.6 MB of
  full-resolution boundaries. Where few parts of the subdivided service areas
  (``facility_area_part``) touch the tile, the areas are built from those parts
  (PARTS_LIMIT), so a street-level tile does not clip a 244,000-vertex Hokkaido five
  times over.
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

#: A tile touching at most this many service-area parts (``facility_area_part``, at most
#: 256 vertices each) assembles its areas from them; a tile touching more clips the whole
#: areas. Measured on the seed set (five all-Hokkaido areas of 244,000 vertices): the union
#: of 100-200 parts takes 15-45 ms against 110-180 ms for clipping, 1,300 parts 260 ms
#: against 180 ms, and a zoom-6 tile touches tens of thousands.
PARTS_LIMIT = 500

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

# Service areas, made one of two ways (see PARTS_LIMIT), chosen in the statement: the
# count of parts is an InitPlan, and the branch it rules out is never run (a one-time
# filter). The shapes are MATERIALIZED so that each is made once: PostgreSQL would
# otherwise copy the ST_AsMVTGeom expression into the filter and the sort, and with a low
# row estimate for facility it may run the parts' union once per facility. Largest first
# within the tile, so that a map drawing them in order puts the small (municipal) areas
# over the all-Hokkaido ones.
SERVICE_AREAS = f"""
WITH {_BOUNDS},
crowded AS (
    SELECT count(*) > %(parts_limit)s AS yes FROM (
        SELECT 1 FROM facility_area_part p CROSS JOIN bounds b WHERE p.geom && b.area
        LIMIT %(parts_limit)s + 1) touching),
parts AS MATERIALIZED (
    SELECT p.facility_id, ST_Union(ST_ClipByBox2D(p.geom, b.area)) AS geom
    FROM facility_area_part p JOIN facility f ON f.id = p.facility_id CROSS JOIN bounds b
    WHERE NOT (SELECT yes FROM crowded) AND p.geom && b.area AND {{condition}}
    GROUP BY p.facility_id),
shapes AS MATERIALIZED (
    SELECT {_MVT_GEOM.format(geom=_POLYGON.format(column="f.service_area"))} AS geom,
           f.id AS fid, f.id, f.code, f.name_ja, f.category
    FROM facility f CROSS JOIN bounds b
    WHERE (SELECT yes FROM crowded) AND f.service_area && b.area AND {{condition}}
    UNION ALL
    SELECT {_MVT_GEOM.format(geom="ST_Transform(ST_Simplify(p.geom, %(tolerance)s), 3857)")},
           f.id, f.id, f.code, f.name_ja, f.category
    FROM parts p JOIN facility f ON f.id = p.facility_id CROSS JOIN bounds b)
SELECT ST_AsMVT(t, 'service_areas', %(extent)s, 'geom', 'fid') AS mvt FROM (
    SELECT * FROM shapes WHERE geom IS NOT NULL ORDER BY ST_Area(geom) DESC, code
) t"""


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
            "tolerance": tile.simplify_degrees(), "parts_limit": PARTS_LIMIT}


def tile_query(layer: str, tile: Tile, flt: FacilityFilter | None = None,
               units: Coverage | None = None) -> tuple[sql.Composed, dict[str, Any]]:
    """The one statement that makes a tile of ``layer``, and its parameters (also what
    benchmarks/tiles.py runs directly). ``flt`` chooses facilities and service areas;
    ``units`` are the municipalities' coverage properties, if asked."""
    if layer == tiles.MUNICIPALITIES:
        units = units or {}
        codes = list(units)
        params: dict[str, Any] = {
            "codes": codes,
            "served": [units[c].served_by_area for c in codes],
            "within": [units[c].within_reach for c in codes],
            "nearest": [units[c].nearest_m for c in codes],
            "gap": [units[c].gap for c in codes],
        }
        return sql.SQL(MUNICIPALITIES).format(), {**params, **_params(tile)}
    condition, params = facilities.where(flt)
    template = FACILITIES if layer == tiles.FACILITIES else SERVICE_AREAS
    return sql.SQL(template).format(condition=condition), {**params, **_params(tile)}


async def make_tile(db: Database, layer: str, tile: Tile, flt: FacilityFilter | None = None,
                    units: Coverage | None = None) -> bytes:
    """The tile's bytes; empty when no feature lies in it."""
    query, params = tile_query(layer, tile, flt, units)
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
