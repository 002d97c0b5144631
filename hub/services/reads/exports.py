"""Facilities for the open-data exports: how many a filter matches, then the matching ones
in code order, a batch at a time (keyset on the code, so a batch costs the same wherever it
lies in a large set), and their service areas at map scale."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from psycopg import sql
from psycopg.rows import class_row

from hub.db.pool import Database
from hub.domain.filters import FacilityFilter
from hub.services.reads.facilities import COLUMNS, FacilityRow, where

#: Metres per degree of latitude (the most a degree of either axis spans): a tolerance in
#: degrees of metres / this moves no vertex farther than that many metres.
_METRES_PER_DEGREE = 111_320.0


async def count(db: Database, flt: FacilityFilter | None) -> int:
    condition, params = where(flt)
    row = await db.fetch_one(
        sql.SQL("SELECT count(*) AS n FROM facility f WHERE {}").format(condition), params)
    return int(row["n"]) if row else 0


async def batch(db: Database, flt: FacilityFilter | None, after: str | None, limit: int
                ) -> list[FacilityRow]:
    """Up to ``limit`` matching facilities with codes after ``after``, in code order."""
    condition, params = where(flt)
    query = sql.SQL(
        "SELECT {columns} FROM facility f WHERE {condition}"
        " AND (%(after)s::text IS NULL OR f.code > %(after)s) ORDER BY f.code LIMIT %(limit)s"
    ).format(columns=COLUMNS, condition=condition)
    return await db.fetch_all(query, {**params, "after": after, "limit": limit},
                              row=class_row(FacilityRow))


async def service_areas(db: Database, ids: Sequence[int], simplify_meters: float
                        ) -> dict[int, dict[str, Any]]:
    """Service areas as GeoJSON, simplified in degrees (ST_Simplify, which drops rings
    smaller than the tolerance): an area of all Hokkaido has 8,498 islands and rocks, which
    the topology-keeping simplification of GraphQL's ``serviceArea(simplifyMeters)`` keeps,
    at about 0.5 s an area; this takes milliseconds and leaves about 5 kB of it."""
    records = await db.fetch_all(
        "SELECT id, ST_AsGeoJSON(CASE WHEN %(tolerance)s::float8 = 0 THEN service_area"
        "  ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid("
        "    ST_Simplify(service_area, %(tolerance)s::float8)), 3)) END, 6) AS geojson"
        " FROM facility WHERE id = ANY(%(ids)s) AND service_area IS NOT NULL",
        {"ids": list(ids), "tolerance": simplify_meters / _METRES_PER_DEGREE},
    )
    return {r["id"]: json.loads(r["geojson"]) for r in records}
