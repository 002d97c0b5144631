"""The schema ``ogc``: what the OGC API (tipg, mounted at /ogc) may show, and nothing else

tipg serves every table, view and set-returning function of the schemas it is given. It is
given only this one, which holds views of the public fields of live records (archived
facilities are left out, as in every read) and one function:

- ``ogc.facilities``: the located facilities, one point each, with what a map shows of them
  (the contract's fields, the operator's name and level, the municipality's names, the
  service codes). One date column only (established_on): OGC clients such as GDAL send
  any date comparison as the one ``datetime`` parameter, which tipg applies to the first
  date column, so a second one (updated_at) would be filtered by the wrong column;
- ``ogc.municipalities``: the municipalities and Sapporo's wards that have a boundary;
- ``ogc.service_areas``: the facilities' service areas (a programme without a site too);
- ``ogc.coverage(category, distance)``: the coverage units with the coverage of the
  GraphQL ``coverage`` query (hub/services/reads/coverage.py) for facilities of one
  category (every category when empty) and a reach in metres, computed the same way:
  served by area at the representative point, the nearest facility by geodesic distance
  (the geography index's candidates, measured on the spheroid, decided by the same bound,
  else measured against every facility), within reach, 2SFCA accessibility.

Views run with their owner's rights, so a reader of the schema needs no right on the tables.
A later migration that changes a column these views use must drop and recreate them.

Revision ID: 0009_public_views
Revises: 0008_shared_area_parts
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_public_views"
down_revision: str | None = "0008_shared_area_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The categories as this revision knows them (a migration does not follow later code).
CATEGORIES = ("CITIZEN_ACTIVITY", "GENDER_EQUALITY", "CONSUMER", "PARK",
              "INDUSTRY_VOCATIONAL", "PUBLIC_HOUSING")

FACILITIES = """
CREATE VIEW ogc.facilities AS
SELECT f.id, f.code, f.name_ja, f.name_kana, f.name_en, f.category,
       o.name AS operator_name, o.level AS operator_level,
       f.municipality_code, m.name_ja AS municipality_name_ja,
       m.name_en AS municipality_name_en,
       f.postal_code, f.address, f.building, f.phone, f.hours, f.closed_days, f.url,
       f.location_precision, f.activity_area, f.established_on, f.legal_basis,
       ARRAY(SELECT s.service_code FROM public.facility_service s
             WHERE s.facility_id = f.id ORDER BY s.service_code) AS services,
       f.version,
       f.location AS geom
FROM public.facility f
JOIN public.operator o ON o.id = f.operator_id
LEFT JOIN public.municipality m ON m.code = f.municipality_code
WHERE f.archived_at IS NULL AND f.location IS NOT NULL
"""

MUNICIPALITIES = """
CREATE VIEW ogc.municipalities AS
SELECT m.code, m.name_ja, m.name_kana, m.name_en, m.municipality_type, m.subprefecture,
       m.parent_code, m.northern_territories, m.population, m.population_year,
       m.boundary AS geom
FROM public.municipality m
WHERE m.boundary IS NOT NULL
"""

SERVICE_AREAS = """
CREATE VIEW ogc.service_areas AS
SELECT f.id, f.code, f.name_ja, f.name_en, f.category, o.level AS operator_level,
       f.activity_area, f.service_area AS geom
FROM public.facility f
JOIN public.operator o ON o.id = f.operator_id
WHERE f.archived_at IS NULL AND f.service_area IS NOT NULL
"""

# plpgsql for the checks; its output columns are variables too, so the body names columns
# by table alias and reads the arguments through locals (#variable_conflict use_column).
COVERAGE = """
CREATE FUNCTION ogc.coverage(category text DEFAULT '', distance double precision DEFAULT 20000)
RETURNS TABLE (
    code text, name_ja text, name_en text, subprefecture text, population integer,
    served_by_area boolean, within_reach boolean, gap boolean,
    nearest_facility_id bigint, nearest_facility_code text, nearest_m double precision,
    accessibility double precision, geom geometry)
LANGUAGE plpgsql STABLE
AS $fn$
#variable_conflict use_column
DECLARE
    wanted text := nullif(btrim(coalesce(coverage.category, '')), '');
    reach double precision := coverage.distance;
    categories text[] := ARRAY[{categories}];
BEGIN
    IF wanted IS NOT NULL AND wanted <> ALL (categories) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('category: %s is not a facility category (one of %s)',
                             quote_literal(wanted), array_to_string(categories, ', '));
    END IF;
    IF reach IS NULL OR reach < 0 OR reach = 'Infinity'::float8 OR reach = 'NaN'::float8 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('distance: %s must be a distance of 0 or more metres',
                             coalesce(reach::text, 'null'));
    END IF;
    RETURN QUERY
    WITH units AS (
        SELECT m.code::text AS unit, m.name_ja AS u_name_ja, m.name_en AS u_name_en,
               m.subprefecture AS u_subprefecture,
               coalesce(m.population, 0)::int AS u_population,
               m.representative_point AS pt, m.representative_point::geography AS g,
               m.boundary AS u_boundary
        FROM public.municipality m
        WHERE m.boundary IS NOT NULL AND NOT m.northern_territories
          AND m.code NOT IN (SELECT p.parent_code FROM public.municipality p
                             WHERE p.parent_code IS NOT NULL)
    ),
    -- 2SFCA: R_j = 1 / (population within reach of facility j),
    -- A_i = 10,000 * sum of R_j over the facilities within reach of unit i.
    pairs AS (
        SELECT u.unit, f.id AS fid, u.u_population
        FROM units u
        JOIN public.facility f ON f.location IS NOT NULL AND f.archived_at IS NULL
         AND (wanted IS NULL OR f.category = wanted)
         AND ST_DWithin(f.location::geography, u.g, reach)
    ),
    ratio AS (
        SELECT pr.fid, 1.0::float8 / sum(pr.u_population) AS r FROM pairs pr
        GROUP BY pr.fid HAVING sum(pr.u_population) > 0
    ),
    access AS (
        SELECT pr.unit, 10000.0 * sum(ra.r) AS a
        FROM pairs pr JOIN ratio ra ON ra.fid = pr.fid GROUP BY pr.unit
    ),
    -- The nearest: 20 candidates from the geography index (sphere), measured on the
    -- spheroid; decided when fewer matched or the best lies inside the bound
    -- (hub.services.reads.facilities.SPHERE_SLACK), else measured against every facility.
    candidates AS (
        SELECT u.unit, c.fid, c.fcode, c.d, c.s
        FROM units u
        CROSS JOIN LATERAL (
            SELECT f.id AS fid, f.code AS fcode,
                   ST_Distance(f.location::geography, u.g) AS d,
                   f.location::geography <-> u.g AS s
            FROM public.facility f
            WHERE f.location IS NOT NULL AND f.archived_at IS NULL
              AND (wanted IS NULL OR f.category = wanted)
            ORDER BY f.location::geography <-> u.g
            LIMIT 20) c
    ),
    bound AS (
        SELECT c.unit, count(*) AS n, max(c.s) AS far FROM candidates c GROUP BY c.unit
    ),
    best AS (
        SELECT DISTINCT ON (c.unit) c.unit, c.fid, c.fcode, c.d
        FROM candidates c ORDER BY c.unit, c.d, c.fcode
    ),
    decided AS (
        SELECT b.unit, b.fid, b.fcode, b.d FROM best b JOIN bound bd ON bd.unit = b.unit
        WHERE bd.n < 20 OR b.d < bd.far * (1 - 0.006)
    ),
    measured AS (
        SELECT u.unit, x.fid, x.fcode, x.d
        FROM units u
        JOIN best b ON b.unit = u.unit
        CROSS JOIN LATERAL (
            SELECT f.id AS fid, f.code AS fcode,
                   ST_Distance(f.location::geography, u.g) AS d
            FROM public.facility f
            WHERE f.location IS NOT NULL AND f.archived_at IS NULL
              AND (wanted IS NULL OR f.category = wanted)
            ORDER BY 3, 2
            LIMIT 1) x
        WHERE u.unit NOT IN (SELECT dc.unit FROM decided dc)
    ),
    nearest AS (SELECT * FROM decided UNION ALL SELECT * FROM measured)
    SELECT u.unit, u.u_name_ja, u.u_name_en, u.u_subprefecture, u.u_population,
           s.served, coalesce(n.d <= reach, false),
           NOT (s.served OR coalesce(n.d <= reach, false)),
           n.fid, n.fcode, n.d,
           coalesce(a.a, 0.0)::float8,
           u.u_boundary::geometry
    FROM units u
    LEFT JOIN access a ON a.unit = u.unit
    LEFT JOIN nearest n ON n.unit = u.unit
    CROSS JOIN LATERAL (
        SELECT EXISTS (
            SELECT 1 FROM public.facility_area_part p
            JOIN public.facility f ON f.id = p.facility_id
            WHERE f.archived_at IS NULL AND (wanted IS NULL OR f.category = wanted)
              AND ST_Intersects(p.geom, u.pt)) AS served) s
    ORDER BY u.unit;
END
$fn$
"""


def upgrade() -> None:
    op.execute("CREATE SCHEMA ogc")
    op.execute("COMMENT ON SCHEMA ogc IS 'Public views served by the OGC API at /ogc (tipg): "
               "public fields of live records only.'")
    for statement in (FACILITIES, MUNICIPALITIES, SERVICE_AREAS):
        op.execute(statement)
    op.execute(COVERAGE.replace(
        "{categories}", ", ".join(f"'{c}'" for c in CATEGORIES)))
    op.execute("COMMENT ON VIEW ogc.facilities IS "
               "'Facilities with a location (not archived): their public fields.'")
    op.execute("COMMENT ON VIEW ogc.municipalities IS "
               "'Municipalities and Sapporo''s wards with a boundary; population from the "
               "loaded table.'")
    op.execute("COMMENT ON VIEW ogc.service_areas IS "
               "'The service area of each facility (not archived) that has one.'")
    op.execute("COMMENT ON FUNCTION ogc.coverage(text, double precision) IS "
               "'Coverage units (municipalities but Sapporo, plus its wards) for facilities "
               "of one category (empty: every category) within distance metres, as the "
               "GraphQL coverage query computes it.'")


def downgrade() -> None:
    op.execute("DROP SCHEMA ogc CASCADE")
