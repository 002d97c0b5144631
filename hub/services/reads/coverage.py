"""Coverage for planners: for every coverage unit (the municipalities but Sapporo, plus its
wards; not the Northern Territories), whether a matching facility's service area holds its
representative point, its nearest matching facility, whether that is within reach, and its
two-step floating catchment (2SFCA) accessibility.

Computed in the database in two set-based queries, whatever the number of units: one for
service areas and 2SFCA (unit-facility pairs within the catchment, by the geography
index), one for the nearest facility of every unit (the geography index's nearest on the
sphere, measured on the spheroid; the rare unit the bound cannot decide is settled by the
exact search of hub.services.reads.facilities). Hypothetical sites (``addSites``) count as
facilities with a location and no service area; nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql
from psycopg.rows import class_row

from hub.db.pool import Database
from hub.domain.covering import Pick, greedy_cover
from hub.domain.filters import FacilityFilter
from hub.services.reads import facilities
from hub.services.reads.facilities import SPHERE_SLACK, FacilityRow

#: Nearest candidates per unit taken from the index before the bound is checked.
CANDIDATES = 20

UNITS = """
    SELECT m.code, coalesce(m.population, 0)::int AS population, m.representative_point AS pt,
           m.representative_point::geography AS g
    FROM municipality m
    WHERE m.boundary IS NOT NULL AND NOT m.northern_territories
      AND m.code NOT IN (SELECT parent_code FROM municipality WHERE parent_code IS NOT NULL)
"""

SITES = """
    SELECT -n AS id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS g
    FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS a(lon, lat, n)
"""

# Served by area, and 2SFCA: R_j = 1 / (population within the catchment of facility j),
# A_i = 10,000 * sum of R_j over the facilities within the catchment of unit i.
AREA_AND_ACCESS = """
WITH units AS ({units}),
pairs AS (
    SELECT u.code, f.id, u.population FROM units u
    JOIN facility f ON f.location IS NOT NULL AND {condition}
     AND ST_DWithin(f.location::geography, u.g, %(reach)s)
    UNION ALL
    SELECT u.code, s.id, u.population FROM units u
    JOIN ({sites}) s ON ST_DWithin(s.g, u.g, %(reach)s)
),
ratio AS (
    SELECT id, 1.0::float8 / sum(population) AS r FROM pairs GROUP BY id
    HAVING sum(population) > 0
),
access AS (
    SELECT p.code, 10000.0 * sum(r.r) AS a FROM pairs p JOIN ratio r USING (id)
    GROUP BY p.code
)
SELECT u.code, u.population, ST_Y(u.pt) AS lat, ST_X(u.pt) AS lon,
       EXISTS (SELECT 1 FROM facility_area_part p JOIN facility f ON f.id = p.facility_id
               WHERE {condition} AND ST_Intersects(p.geom, u.pt)) AS served_by_area,
       coalesce(a.a, 0.0)::float8 AS accessibility
FROM units u LEFT JOIN access a USING (code)
ORDER BY u.code
"""

NEAREST_PER_UNIT = """
WITH units AS ({units})
SELECT u.code, c.id, c.facility_code, c.distance, c.sphere
FROM units u
CROSS JOIN LATERAL (
    SELECT f.id, f.code AS facility_code, ST_Distance(f.location::geography, u.g) AS distance,
           f.location::geography <-> u.g AS sphere
    FROM facility f
    WHERE f.location IS NOT NULL AND {condition}
    ORDER BY f.location::geography <-> u.g
    LIMIT %(candidates)s
) c
UNION ALL
SELECT u.code, s.id, NULL, ST_Distance(s.g, u.g), NULL FROM units u, ({sites}) s
"""


@dataclass
class UnitCoverage:
    code: str
    population: int
    lat: float
    lon: float
    served_by_area: bool
    accessibility: float
    nearest: FacilityRow | None = None
    nearest_distance: float | None = None
    #: The nearest hypothetical site (1-based index into addSites) and its distance.
    nearest_site: int | None = None
    nearest_site_distance: float | None = None
    within_reach: bool = False

    @property
    def is_gap(self) -> bool:
        return not (self.served_by_area or self.within_reach)


@dataclass
class Report:
    units: list[UnitCoverage]
    total_population: int
    population_in_gaps: int
    gaps: list[UnitCoverage]


async def coverage(db: Database, flt: FacilityFilter | None, reach: float,
                   sites: Sequence[tuple[float, float]] = ()) -> Report:
    condition, params = facilities.where(flt)
    params |= {"reach": reach, "candidates": CANDIDATES,
               "lats": [lat for lat, _ in sites], "lons": [lon for _, lon in sites]}
    parts = {"units": sql.SQL(UNITS), "sites": sql.SQL(SITES), "condition": condition}
    rows = await db.fetch_all(sql.SQL(AREA_AND_ACCESS).format(**parts), params,
                              row=class_row(UnitCoverage))
    units = {u.code: u for u in rows}
    candidates: dict[str, list[tuple[float, str, int, float]]] = {code: [] for code in units}
    for r in await db.fetch_all(sql.SQL(NEAREST_PER_UNIT).format(**parts), params):
        unit, distance = units[r["code"]], float(r["distance"])
        if r["id"] < 0:  # a hypothetical site
            if unit.nearest_site_distance is None or distance < unit.nearest_site_distance:
                unit.nearest_site, unit.nearest_site_distance = -int(r["id"]), distance
        else:
            candidates[r["code"]].append(
                (distance, r["facility_code"], int(r["id"]), float(r["sphere"]))
            )
    nearest_ids: dict[str, int] = {}
    for code, found in candidates.items():
        if not found:
            continue
        unit = units[code]
        distance, _, fid, _ = min(found)  # nearest, ties by code
        farthest_sphere = max(sphere for *_, sphere in found)
        if len(found) < CANDIDATES or distance < farthest_sphere * (1 - SPHERE_SLACK):
            nearest_ids[code], unit.nearest_distance = fid, distance
        else:  # undecided by the bound: the exact search settles it
            exact = await facilities.nearest(db, unit.lat, unit.lon, 1, flt, None)
            unit.nearest, unit.nearest_distance = exact[0]
    rows_by_id = await facilities.by_ids(db, sorted(set(nearest_ids.values())))
    for code, fid in nearest_ids.items():
        units[code].nearest = rows_by_id[fid]
    for unit in units.values():
        distances = [d for d in (unit.nearest_distance, unit.nearest_site_distance)
                     if d is not None]
        unit.within_reach = bool(distances) and min(distances) <= reach
    ordered = list(units.values())
    gaps = sorted((u for u in ordered if u.is_gap), key=lambda u: (-u.population, u.code))
    return Report(
        units=ordered,
        total_population=sum(u.population for u in ordered),
        population_in_gaps=sum(u.population for u in gaps),
        gaps=gaps,
    )


CANDIDATE_REACH = """
WITH units AS ({units})
SELECT c.code AS site, u.code AS unit
FROM units c JOIN units u ON ST_DWithin(c.g, u.g, %(reach)s)
WHERE u.code = ANY(%(gaps)s)
"""


async def suggest_sites(db: Database, flt: FacilityFilter | None, reach: float, count: int
                        ) -> tuple[Report, list[Pick]]:
    """Up to ``count`` new sites among the units' representative points, each covering the
    most population still in a gap (greedy maximal covering)."""
    report = await coverage(db, flt, reach)
    gaps = {u.code: u.population for u in report.gaps}
    rows = await db.fetch_all(sql.SQL(CANDIDATE_REACH).format(units=sql.SQL(UNITS)),
                              {"reach": reach, "gaps": list(gaps)})
    reach_of: dict[str, list[str]] = {u.code: [] for u in report.units}
    for r in rows:
        reach_of[r["site"]].append(r["unit"])
    return report, greedy_cover(reach_of, gaps, count)
