"""Finding facilities: the list with its filter, the nearest ones, the ones serving a point.

Distances are geodesic metres on WGS 84 (PostGIS geography, spheroid). Every query sees
only live facilities (not archived). Synthetic facilities (``hub dev synth``) live in a
database of their own, so a hub serves them by being pointed at it (HUB_DATABASE_URL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from psycopg import sql
from psycopg.rows import class_row, kwargs_row

from hub.db.pool import Database
from hub.domain.errors import InputError
from hub.domain.filters import FacilityFilter
from hub.services.reads.geometry import geometries

COLUMNS = sql.SQL(
    "f.id, f.code, f.name_ja, f.name_kana, f.name_en, f.category, f.operator_id,"
    " f.municipality_code, f.address, ST_Y(f.location) AS lat, ST_X(f.location) AS lon,"
    " f.location_precision, f.activity_area, f.established_on, f.legal_basis, f.sources,"
    " f.version, f.updated_at, f.note, f.building, f.postal_code, f.phone, f.hours,"
    " f.closed_days, f.url"
)


@dataclass(frozen=True, slots=True)
class FacilityRow:
    id: int
    code: str
    name_ja: str
    name_kana: str | None
    name_en: str | None
    category: str
    operator_id: int
    municipality_code: str | None
    address: str | None
    lat: float | None
    lon: float | None
    location_precision: str
    activity_area: str | None
    established_on: dt.date | None
    legal_basis: str | None
    sources: list[str]
    version: int
    updated_at: dt.datetime
    note: str | None = None
    building: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    hours: str | None = None
    closed_days: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class AliasRow:
    """Another name of a facility and the page that uses it."""

    name: str
    source: str


_FACILITY = class_row(FacilityRow)


def _measured(distance: float, **columns: Any) -> tuple[FacilityRow, float]:
    return FacilityRow(**columns), float(distance)


_MEASURED = kwargs_row(_measured)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A row of the nearest candidates query: how many candidates there were, the sphere
    distance of the farthest, and one of the best with its distance (None in the lone row
    the query gives when nothing matches)."""

    n: int
    farthest: float
    found: tuple[FacilityRow, float] | None


def _candidate(n: int, farthest: float | None, distance: float | None, sphere: float | None,
               **columns: Any) -> _Candidate:
    found = (FacilityRow(**columns), float(distance or 0.0)) if columns["id"] is not None else None
    return _Candidate(int(n), 0.0 if farthest is None else float(farthest), found)


_CANDIDATE = kwargs_row(_candidate)


@dataclass(frozen=True)
class Page:
    rows: list[FacilityRow]
    has_next: bool
    total: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where(flt: FacilityFilter | None, archived: bool = False
          ) -> tuple[sql.Composable, dict[str, Any]]:
    """The WHERE condition for a filter, over ``facility f``, with its parameters; archived
    facilities match only when asked (a subscription hears of an archival)."""
    parts: list[sql.Composable] = [sql.SQL("TRUE" if archived else "f.archived_at IS NULL")]
    params: dict[str, Any] = {}
    if flt is None:
        return parts[0], params
    if flt.categories is not None:
        parts.append(sql.SQL("f.category = ANY(%(categories)s)"))
        params["categories"] = list(flt.categories)
    if flt.operator_levels is not None:
        parts.append(sql.SQL(
            "f.operator_id IN (SELECT id FROM operator WHERE level = ANY(%(levels)s))"
        ))
        params["levels"] = list(flt.operator_levels)
    if flt.services is not None:
        parts.append(sql.SQL(
            "%(services)s::text[] <@ ARRAY(SELECT s.service_code FROM facility_service s"
            " WHERE s.facility_id = f.id)"
        ))
        params["services"] = list(flt.services)
    if flt.municipality_codes is not None:
        parts.append(sql.SQL(
            "f.municipality_code IN (SELECT code FROM municipality"
            " WHERE code = ANY(%(mcodes)s) OR parent_code = ANY(%(mcodes)s))"
        ))
        params["mcodes"] = list(flt.municipality_codes)
    if flt.subprefecture is not None:
        parts.append(sql.SQL(
            "f.municipality_code IN (SELECT code FROM municipality"
            " WHERE subprefecture = %(subprefecture)s)"
        ))
        params["subprefecture"] = flt.subprefecture
    if flt.text is not None:
        parts.append(sql.SQL(
            "((f.name_ja || ' ' || coalesce(f.name_kana, '') || ' ' || coalesce(f.name_en, ''))"
            " ILIKE %(text)s OR EXISTS (SELECT 1 FROM facility_alias a"
            " WHERE a.facility_id = f.id AND a.name ILIKE %(text)s))"
        ))
        params["text"] = f"%{_escape_like(flt.text)}%"
    if flt.bbox is not None:
        parts.append(sql.SQL(
            "f.location && ST_MakeEnvelope(%(x1)s, %(y1)s, %(x2)s, %(y2)s, 4326)"
        ))
        params.update(zip(("x1", "y1", "x2", "y2"), flt.bbox, strict=True))
    if flt.within is not None:
        parts.append(sql.SQL("ST_Intersects(f.location, ST_GeomFromWKB(%(within)s, 4326))"))
        params["within"] = shapely.to_wkb(flt.within)
    return sql.SQL(" AND ").join(parts), params


async def check_references(db: Database, flt: FacilityFilter | None, field: str) -> None:
    """Unknown service codes, municipality codes or subprefectures are the client's mistake."""
    if flt is None or (flt.services is None and flt.municipality_codes is None
                       and flt.subprefecture is None):
        return
    row = await db.fetch_one(
        "SELECT"
        " ARRAY(SELECT x FROM unnest(%(services)s::text[]) x"
        "   WHERE x NOT IN (SELECT code FROM service)) AS services,"
        " ARRAY(SELECT x FROM unnest(%(mcodes)s::text[]) x"
        "   WHERE x NOT IN (SELECT code FROM municipality)) AS mcodes,"
        " %(subprefecture)s::text IS NULL OR EXISTS (SELECT 1 FROM municipality"
        "   WHERE subprefecture = %(subprefecture)s) AS subprefecture",
        {"services": list(flt.services or []), "mcodes": list(flt.municipality_codes or []),
         "subprefecture": flt.subprefecture},
    )
    assert row is not None
    if row["services"]:
        raise InputError(f"{field}.services: unknown service codes {row['services']}",
                         f"{field}.services")
    if row["mcodes"]:
        raise InputError(f"{field}.municipalityCodes: unknown municipality codes "
                         f"{row['mcodes']}", f"{field}.municipalityCodes")
    if not row["subprefecture"]:
        raise InputError(f"{field}.subprefecture: unknown subprefecture {flt.subprefecture!r}",
                         f"{field}.subprefecture")


def _with_total(total: int, **columns: Any) -> tuple[FacilityRow, int]:
    return FacilityRow(**columns), int(total)


async def page(db: Database, flt: FacilityFilter | None, first: int, after: str | None
               ) -> Page:
    """One page of the list in code order (stable), and how many match in all."""
    condition, params = where(flt)
    query = sql.SQL(
        "WITH matching AS (SELECT {columns} FROM facility f WHERE {condition})"
        " SELECT m.*, (SELECT count(*) FROM matching) AS total FROM matching m"
        " WHERE %(after)s::text IS NULL OR m.code > %(after)s"
        " ORDER BY m.code LIMIT %(limit)s"
    ).format(columns=COLUMNS, condition=condition)
    records = await db.fetch_all(query, {**params, "after": after, "limit": first + 1},
                                 row=kwargs_row(_with_total))
    total = records[0][1] if records else await _count(db, condition, params)
    return Page([row for row, _ in records[:first]], len(records) > first, total)


async def _count(db: Database, condition: sql.Composable, params: dict[str, Any]) -> int:
    row = await db.fetch_one(
        sql.SQL("SELECT count(*) AS n FROM facility f WHERE {}").format(condition), params
    )
    return int(row["n"]) if row else 0


# The k nearest by geodesic distance, exactly, in one indexed query nearly always.
#
# The geography GIST index orders by sphere distance (<->); the answer is by spheroid
# distance (ST_Distance). Between the two lies at most the spread of the Earth's radii of
# curvature around PostGIS's mean radius, under 0.6 % (SPHERE_SLACK). So the query takes
# the 2k + 10 nearest on the sphere, measures them on the spheroid, returns the k nearest
# of those, and the answer is exact when its k-th distance is below (1 - SPHERE_SLACK)
# times the sphere distance of the farthest candidate: nothing outside the candidates can
# be nearer. When that does not hold, ten times as many candidates are taken; if even that
# cannot decide (a crowd of facilities at one distance), everything within the k-th
# distance is measured (ST_DWithin, the same index) and sorted.
SPHERE_SLACK = 0.006
_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"

NEAREST_CANDIDATES = f"""
WITH c AS (
    SELECT {{columns}},
           ST_Distance(f.location::geography, {_POINT}) AS distance,
           f.location::geography <-> {_POINT} AS sphere
    FROM facility f
    WHERE f.location IS NOT NULL AND {{condition}}
    ORDER BY f.location::geography <-> {_POINT}
    LIMIT %(candidates)s),
bound AS (SELECT count(*) AS n, max(sphere) AS farthest FROM c)
SELECT bound.n, bound.farthest, best.*
FROM bound LEFT JOIN LATERAL (
    SELECT * FROM c
    WHERE %(max_distance)s::float8 IS NULL OR c.distance <= %(max_distance)s::float8
    ORDER BY c.distance, c.code LIMIT %(first)s) best ON true
"""

NEAREST_WITHIN = f"""
SELECT {{columns}}, ST_Distance(f.location::geography, {_POINT}) AS distance
FROM facility f
WHERE f.location IS NOT NULL AND {{condition}}
  AND ST_DWithin(f.location::geography, {_POINT}, %(radius)s)
"""


async def nearest(db: Database, lat: float, lon: float, first: int,
                  flt: FacilityFilter | None, max_distance: float | None
                  ) -> list[tuple[FacilityRow, float]]:
    condition, params = where(flt)
    params |= {"lat": lat, "lon": lon, "first": first, "max_distance": max_distance}
    candidates_query = sql.SQL(NEAREST_CANDIDATES).format(columns=COLUMNS, condition=condition)
    reach: float | None = None
    for candidates in (2 * first + 10, 20 * first + 100):
        # One row per found facility, nearest first, each with how many candidates there
        # were and the sphere distance of the farthest; a lone row of nulls when none.
        records = await db.fetch_all(candidates_query, params | {"candidates": candidates},
                                     row=_CANDIDATE)
        found = [r.found for r in records if r.found is not None]
        if records[0].n < candidates:
            return found  # every matching facility was a candidate
        # All candidates matched, so fewer than k found means max_distance cut them.
        reach = found[-1][1] if len(found) == first else max_distance
        assert reach is not None
        if reach < records[0].farthest * (1 - SPHERE_SLACK):
            return found
    # Still undecided: measure everything within the reach (1 m of slack: ST_DWithin and
    # ST_Distance round differently), then sort as above.
    assert reach is not None
    measured = await db.fetch_all(
        sql.SQL(NEAREST_WITHIN).format(columns=COLUMNS, condition=condition),
        params | {"radius": reach + 1.0}, row=_MEASURED,
    )
    return _best(measured, first, max_distance)


def _best(measured: list[tuple[FacilityRow, float]], first: int, max_distance: float | None
          ) -> list[tuple[FacilityRow, float]]:
    ranked = sorted(
        (m for m in measured if max_distance is None or m[1] <= max_distance),
        key=lambda m: (m[1], m[0].code),
    )
    return ranked[:first]


_SERVING = """
WITH q AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT {columns}
FROM facility f, q
WHERE {condition} AND f.id IN (
    -- q joined here, not referred to from outside: else the planner scans every facility
    SELECT p.facility_id FROM facility_area_part p, q WHERE ST_Intersects(p.geom, q.g))
ORDER BY CASE WHEN f.location IS NULL THEN NULL
              ELSE ST_Distance(f.location::geography, q.g::geography) END NULLS LAST, f.code
"""


async def serving(db: Database, lat: float, lon: float, flt: FacilityFilter | None
                  ) -> list[FacilityRow]:
    """Facilities whose service area holds the point: nearest first, programmes last."""
    condition, params = where(flt)
    query = sql.SQL(_SERVING).format(columns=COLUMNS, condition=condition)
    return await db.fetch_all(query, {**params, "lat": lat, "lon": lon}, row=_FACILITY)


async def by_ids(db: Database, ids: Sequence[int]) -> dict[int, FacilityRow]:
    query = sql.SQL(
        "SELECT {columns} FROM facility f WHERE f.id = ANY(%(ids)s) AND f.archived_at IS NULL"
    ).format(columns=COLUMNS)
    return {r.id: r for r in await db.fetch_all(query, {"ids": list(ids)}, row=_FACILITY)}


async def by_code(db: Database, code: str) -> FacilityRow | None:
    query = sql.SQL(
        "SELECT {columns} FROM facility f WHERE f.code = %(code)s AND f.archived_at IS NULL"
    ).format(columns=COLUMNS)
    return await db.fetch_one(query, {"code": code}, row=_FACILITY)


async def matches(db: Database, flt: FacilityFilter | None, facility_id: int) -> bool:
    """Whether the facility (archived or not) matches the filter."""
    condition, params = where(flt, archived=True)
    query = sql.SQL("SELECT 1 AS one FROM facility f WHERE f.id = %(id)s AND {}").format(
        condition)
    return await db.fetch_one(query, {**params, "id": facility_id}) is not None


async def archived_by_id(db: Database, facility_id: int) -> FacilityRow | None:
    query = sql.SQL(
        "SELECT {columns} FROM facility f WHERE f.id = %(id)s AND f.archived_at IS NOT NULL"
    ).format(columns=COLUMNS)
    return await db.fetch_one(query, {"id": facility_id}, row=_FACILITY)


def _asked(asked: str, **columns: Any) -> tuple[str, FacilityRow]:
    return asked, FacilityRow(**columns)


async def in_municipalities(db: Database, codes: Sequence[str], flt: FacilityFilter | None
                            ) -> dict[str, list[FacilityRow]]:
    """Facilities located in each municipality; a city includes its wards."""
    condition, params = where(flt)
    query = sql.SQL(
        "SELECT m.code AS asked, {columns} FROM municipality m"
        " JOIN facility f ON f.municipality_code = m.code OR f.municipality_code IN"
        "   (SELECT w.code FROM municipality w WHERE w.parent_code = m.code)"
        " WHERE m.code = ANY(%(asked)s) AND {condition} ORDER BY f.code"
    ).format(columns=COLUMNS, condition=condition)
    found: dict[str, list[FacilityRow]] = {code: [] for code in codes}
    for asked, row in await db.fetch_all(query, {**params, "asked": list(codes)},
                                         row=kwargs_row(_asked)):
        found[asked].append(row)
    return found


async def service_areas(db: Database, ids: Sequence[int], simplify_meters: float | None
                        ) -> dict[int, dict[str, Any]]:
    return await geometries(db, "facility", "id", "service_area", ids, simplify_meters)


async def aliases_of(db: Database, facility_ids: Sequence[int]) -> dict[int, list[AliasRow]]:
    """The other names of each facility, by name."""
    rows = await db.fetch_all(
        "SELECT facility_id, name, source FROM facility_alias"
        " WHERE facility_id = ANY(%(ids)s) ORDER BY facility_id, name",
        {"ids": list(facility_ids)},
    )
    found: dict[int, list[AliasRow]] = {fid: [] for fid in facility_ids}
    for row in rows:
        found[row["facility_id"]].append(AliasRow(row["name"], row["source"]))
    return found
