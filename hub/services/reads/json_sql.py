"""Reads whose answer PostgreSQL writes itself: one statement that builds the response's JSON
(json_build_object / json_agg) for a selection of the facility graph, so the hub passes the
bytes on instead of building Python objects from rows and turning them back into JSON.

The selection is a tree of ``Pick``: a response key, the contract's name of the field, and
what is picked below it. Each supported field has its SQL here, next to the query the
Strawberry resolvers run for it (hub/services/reads/facilities.py, catalog.py,
municipalities.py): the same rows, in the same order, formatted as Strawberry formats them.
hub.graphql.compiled decides which operations come here; everything else is answered by the
Strawberry executor, so a field missing here costs speed, never an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from psycopg import sql
from psycopg.rows import tuple_row

from hub.db.pool import Database
from hub.domain.filters import CURSOR_PREFIX, FacilityFilter
from hub.services.reads.facilities import SPHERE_SLACK, where

#: PostgreSQL's json_build_object takes at most 100 arguments: 50 keys.
MAX_KEYS = 50


@dataclass(frozen=True)
class Pick:
    """One key of a JSON object: ``key`` (the response key), the field's contract name, and
    the picks of the object it holds (empty for a scalar)."""

    key: str
    name: str
    picks: tuple[Pick, ...] = ()


class Unsupported(Exception):
    """The selection asks for something this module does not build."""


# --- the objects and their fields ----------------------------------------------------------

# timestamptz as Python's datetime.isoformat() writes it in the session's time zone (what
# Strawberry sends): no fraction when it is zero, else six digits; the offset as +HH:MM.
_ISO_TIME = ("to_char({0}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN to_char({0}, 'US') = "
             "'000000' THEN '' ELSE '.' || to_char({0}, 'US') END || to_char({0}, 'TZH:TZM')")

# A Float as Python's json writes it: a whole number with ".0" (PostgreSQL writes 0 for a
# float8 0, which a client's JSON reader may take for an integer).
def _float(expression: str) -> str:
    return (f"CASE WHEN {expression} = trunc({expression}) AND abs({expression}) < 1e15"
            f" THEN ({expression}::text || '.0')::json ELSE to_json({expression}) END")


#: Scalar fields: the SQL of each over the object's alias ``{t}``.
SCALARS: dict[str, dict[str, str]] = {
    "Facility": {
        "id": "{t}.id::text", "code": "{t}.code", "nameJa": "{t}.name_ja",
        "nameKana": "{t}.name_kana", "nameEn": "{t}.name_en", "category": "{t}.category",
        "address": "{t}.address", "locationPrecision": "{t}.location_precision",
        "activityArea": "{t}.activity_area", "establishedOn": "{t}.established_on",
        "legalBasis": "{t}.legal_basis", "sources": "{t}.sources", "note": "{t}.note",
        "version": "{t}.version", "updatedAt": _ISO_TIME.format("{t}.updated_at"),
        "building": "{t}.building", "postalCode": "{t}.postal_code", "phone": "{t}.phone",
        "hours": "{t}.hours", "closedDays": "{t}.closed_days", "url": "{t}.url",
    },
    "GeoPoint": {"lat": _float("ST_Y({t})"), "lon": _float("ST_X({t})")},
    "Operator": {"id": "{t}.id::text", "name": "{t}.name", "level": "{t}.level"},
    "Municipality": {
        "code": "{t}.code", "nameJa": "{t}.name_ja", "nameKana": "{t}.name_kana",
        "nameEn": "{t}.name_en", "subprefecture": "{t}.subprefecture",
        "population": "{t}.population", "populationYear": "{t}.population_year",
        "northernTerritories": "{t}.northern_territories",
    },
    "Service": {"code": "{t}.code", "nameJa": "{t}.name_ja", "nameEn": "{t}.name_en"},
    "FacilityAlias": {"name": "{t}.name", "source": "{t}.source"},
}

#: Object fields of a facility: the type below, and the SQL of the value given the built
#: object's SQL (``{obj}``, over the alias in the third item) and the facility's alias ``{t}``.
RELATIONS: dict[str, tuple[str, str, str]] = {
    "location": ("GeoPoint", "CASE WHEN {t}.location IS NULL THEN NULL ELSE {obj} END",
                 "{t}.location"),
    "operator": ("Operator", "(SELECT {obj} FROM operator o WHERE o.id = {t}.operator_id)",
                 "o"),
    "municipality": ("Municipality", "(SELECT {obj} FROM municipality m"
                     " WHERE m.code = {t}.municipality_code)", "m"),
    "services": ("Service", "coalesce((SELECT json_agg({obj} ORDER BY s.code)"
                 " FROM facility_service fs JOIN service s ON s.code = fs.service_code"
                 " WHERE fs.facility_id = {t}.id), '[]'::json)", "s"),
    "aliases": ("FacilityAlias", "coalesce((SELECT json_agg({obj} ORDER BY a.name)"
                " FROM facility_alias a WHERE a.facility_id = {t}.id), '[]'::json)", "a"),
}


def supports(type_name: str, name: str) -> bool:
    """Whether a field of the contract can be built here."""
    if name == "__typename":
        return True
    if type_name == "Facility" and name in RELATIONS:
        return True
    return name in SCALARS.get(type_name, {}) or name in _WRAPPERS.get(type_name, {})


def _json_object(type_name: str, picks: tuple[Pick, ...],
                 value: Callable[[Pick], str]) -> str:
    if not picks or len(picks) > MAX_KEYS:
        raise Unsupported(f"{type_name}: {len(picks)} keys")
    parts = []
    for pick in picks:
        if pick.name == "__typename":
            parts.append(f"'{pick.key}', '{type_name}'::text")
        else:
            parts.append(f"'{pick.key}', {value(pick)}")
    return f"json_build_object({', '.join(parts)})"


def object_sql(type_name: str, picks: tuple[Pick, ...], alias: str) -> str:
    """The JSON of one object of ``type_name`` whose row (or, for GeoPoint, geometry) is
    ``alias``."""
    scalars = SCALARS[type_name]

    def value(pick: Pick) -> str:
        if pick.name in scalars:
            return scalars[pick.name].format(t=alias)
        if type_name == "Facility" and pick.name in RELATIONS:
            inner_type, template, inner_alias = RELATIONS[pick.name]
            inner = object_sql(inner_type, pick.picks, inner_alias.format(t=alias))
            return template.format(obj=inner, t=alias)
        raise Unsupported(f"{type_name}.{pick.name}")

    return _json_object(type_name, picks, value)


# --- the wrappers around facilities (NearbyFacility, the connection) -----------------------

#: Fields of the objects that hold facilities, over the row of the list they come from.
_WRAPPERS: dict[str, dict[str, str]] = {
    "NearbyFacility": {"distanceMeters": _float("b.distance"), "facility": ""},
    "FacilityConnection": {"edges": "", "pageInfo": "", "totalCount": "pg.total"},
    "FacilityEdge": {"cursor": "", "node": ""},
    "PageInfo": {"hasNextPage": "pg.has_next", "endCursor": ""},
}

# A cursor as hub.domain.filters.encode_cursor writes it: urlsafe base64 of the prefix and
# the code (PostgreSQL's base64 breaks lines every 76 characters; they are taken out).
def _cursor(code: str) -> str:
    prefix = sql.Literal(CURSOR_PREFIX).as_string()
    return (f"translate(encode(convert_to({prefix} || {code}, 'UTF8'), 'base64'),"
            " E'+/\\n', '-_')")


def _nearby_sql(picks: tuple[Pick, ...]) -> str:
    def value(pick: Pick) -> str:
        if pick.name == "facility":
            return object_sql("Facility", pick.picks, "f")
        return _WRAPPERS["NearbyFacility"][pick.name]

    return _json_object("NearbyFacility", picks, value)


def _connection_sql(picks: tuple[Pick, ...], p: str) -> str:
    def edge(pick: Pick) -> str:
        if pick.name == "node":
            return object_sql("Facility", pick.picks, "f")
        return _cursor("f.code")

    def page_info(pick: Pick) -> str:
        if pick.name == "endCursor":
            return (f"(SELECT {_cursor('e.code')} FROM {p}edges e"
                    " ORDER BY e.code DESC LIMIT 1)")
        return _WRAPPERS["PageInfo"][pick.name]

    def value(pick: Pick) -> str:
        if pick.name == "edges":
            edge_sql = _json_object("FacilityEdge", pick.picks, edge)
            return (f"coalesce((SELECT json_agg({edge_sql} ORDER BY f.code) FROM {p}edges e"
                    " JOIN facility f ON f.id = e.id), '[]'::json)")
        if pick.name == "pageInfo":
            return _json_object("PageInfo", pick.picks, page_info)
        return _WRAPPERS["FacilityConnection"][pick.name]

    return _json_object("FacilityConnection", picks, value)


# --- the root fields -----------------------------------------------------------------------
#
# Each root field is a subquery giving one row: its JSON (``value``) and whether the answer
# is known to be the one the Strawberry path gives (``exact``); when it is not, the caller
# answers the whole operation through Strawberry. Only the nearest search can say no: its
# single indexed query decides most points, and the rest take the service's further steps.

_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"

_NEAREST = f"""
SELECT coalesce((SELECT json_agg({{nearby}} ORDER BY b.distance, b.code)
                 FROM {{p}}best b JOIN facility f ON f.id = b.id), '[]'::json) AS value,
       bound.n < %(candidates)s
       OR (SELECT CASE WHEN count(*) = %(first)s THEN max(b.distance)
                       ELSE %(max_distance)s::float8 END FROM {{p}}best b)
          < bound.farthest * {1 - SPHERE_SLACK} AS exact
FROM (SELECT count(*) AS n, max(sphere) AS farthest FROM {{p}}c) bound
"""
_NEAREST_CTES = f"""
{{p}}c AS (
    SELECT f.id, f.code, ST_Distance(f.location::geography, {_POINT}::geography) AS distance,
           f.location::geography <-> {_POINT}::geography AS sphere
    FROM facility f
    WHERE f.location IS NOT NULL AND {{condition}}
    ORDER BY f.location::geography <-> {_POINT}::geography
    LIMIT %(candidates)s),
{{p}}best AS (
    SELECT * FROM {{p}}c c
    WHERE %(max_distance)s::float8 IS NULL OR c.distance <= %(max_distance)s::float8
    ORDER BY c.distance, c.code LIMIT %(first)s)
"""

_PAGE_CTES = """
{p}matching AS (SELECT f.id, f.code FROM facility f WHERE {condition}),
{p}edges AS (
    SELECT m.id, m.code FROM {p}matching m
    WHERE %(after)s::text IS NULL OR m.code > %(after)s
    ORDER BY m.code LIMIT %(first)s),
{p}pg AS (
    SELECT (SELECT count(*) FROM {p}matching) AS total,
           EXISTS (SELECT 1 FROM {p}matching m WHERE (%(after)s::text IS NULL OR m.code > %(after)s)
                   AND m.code > (SELECT max(e.code) FROM {p}edges e)) AS has_next)
"""

_SERVING = f"""
SELECT coalesce(json_agg({{facility}} ORDER BY
           CASE WHEN f.location IS NULL THEN NULL
                ELSE ST_Distance(f.location::geography, {_POINT}::geography) END NULLS LAST,
           f.code), '[]'::json) AS value, true AS exact
FROM facility f
WHERE {{condition}} AND f.id IN (
    SELECT p.facility_id FROM facility_area_part p WHERE ST_Intersects(p.geom, {_POINT}))
"""

_BY_ID = ("SELECT (SELECT {facility} FROM facility f WHERE f.id = %(id)s"
          " AND f.archived_at IS NULL) AS value, true AS exact")
_BY_CODE = ("SELECT (SELECT {facility} FROM facility f WHERE f.code = %(code)s"
            " AND f.archived_at IS NULL) AS value, true AS exact")


@dataclass(slots=True)
class Root:
    """One root field to answer: what it is (``kind``), its picks, and its checked
    arguments (a point as lat/lon, ``first``, a filter, ...)."""

    key: str
    kind: str
    picks: tuple[Pick, ...]
    arguments: Mapping[str, Any] = field(default_factory=dict)
    filter: FacilityFilter | None = None


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _prefixed(text: str, prefix: str) -> str:
    """The statement's placeholders renamed, so that two root fields' parameters differ."""
    return _PLACEHOLDER.sub(lambda m: f"%({prefix}{m.group(1)})s", text)


def _shape(flt: FacilityFilter | None) -> tuple[str, ...] | None:
    """Which filter fields are set: the condition's text depends on nothing else."""
    if flt is None:
        return None
    return tuple(f.name for f in fields(flt) if getattr(flt, f.name) is not None)


def _root_params(root: Root) -> dict[str, Any]:
    args = dict(root.arguments)
    params = where(root.filter)[1] if root.filter is not None else {}
    if root.kind == "nearestFacilities":
        args["candidates"] = 2 * args["first"] + 10
    return params | args


def _root_text(root: Root, prefix: str) -> tuple[str, str]:
    """The CTEs (may be empty) and the one-row subquery of one root field."""
    condition = where(root.filter)[0].as_string()
    ctes = ""
    if root.kind == "hubVersion":
        body = "SELECT to_json(%(version)s::text) AS value, true AS exact"
    elif root.kind == "__typename":
        body = "SELECT to_json('Query'::text) AS value, true AS exact"
    elif root.kind == "nearestFacilities":
        ctes = _NEAREST_CTES.format(condition=condition, p=prefix)
        body = _NEAREST.format(nearby=_nearby_sql(root.picks), p=prefix)
    elif root.kind == "facilities":
        ctes = _PAGE_CTES.format(condition=condition, p=prefix)
        body = (f"SELECT {_connection_sql(root.picks, prefix)} AS value, true AS exact"
                f" FROM {prefix}pg pg")
    elif root.kind == "facilitiesServing":
        body = _SERVING.format(facility=object_sql("Facility", root.picks, "f"),
                               condition=condition)
    elif root.kind == "facility":
        template = _BY_ID if "id" in root.arguments else _BY_CODE
        body = template.format(facility=object_sql("Facility", root.picks, "f"))
    else:
        raise Unsupported(root.kind)
    return _prefixed(ctes, prefix), _prefixed(body, prefix)


def _text(roots: tuple[Root, ...]) -> str:
    ctes: list[str] = []
    froms: list[str] = []
    keys: list[str] = []
    exact: list[str] = []
    for index, root in enumerate(roots):
        root_ctes, body = _root_text(root, f"r{index}_")
        if root_ctes.strip():
            ctes.append(root_ctes.strip())
        froms.append(f"({body}) r{index}")
        keys.append(f"'{root.key}', r{index}.value")
        exact.append(f"r{index}.exact")
    if len(keys) > MAX_KEYS:
        raise Unsupported(f"{len(keys)} root fields")
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    return (f"{with_clause}SELECT json_build_object('data', json_build_object("
            f"{', '.join(keys)}))::text AS body, ({' AND '.join(exact)}) IS TRUE AS exact"
            f" FROM {', '.join(froms)}")


def statement(roots: tuple[Root, ...], texts: dict[Any, str]) -> tuple[str, dict[str, Any]]:
    """The one statement answering every root field (``{"data": {...}}`` as text, and
    whether every part of it is exact) and its parameters. The text depends only on the
    roots' picks, which arguments they have and which filter fields are set, and is kept in
    ``texts`` (the operation's own: its roots and picks are always the same) under the
    latter two."""
    key = tuple((tuple(r.arguments), _shape(r.filter)) for r in roots)
    text = texts.get(key)
    if text is None:
        text = texts[key] = _text(roots)
    params: dict[str, Any] = {}
    for index, root in enumerate(roots):
        prefix = f"r{index}_"
        params.update((prefix + name, value) for name, value in _root_params(root).items())
    return text, params


async def run(db: Database, text: str, params: dict[str, Any]) -> tuple[str, bool]:
    """The answer's JSON text and whether it is exact (else the caller asks Strawberry).
    A nearest search its candidates cannot decide is asked again with ten times as many,
    as hub.services.reads.facilities.nearest does; its third step (everything within the
    reach, for a crowd at one distance) is left to the executor."""
    row = await db.fetch_one(text, params, row=tuple_row)
    assert row is not None  # the statement always gives one row
    if not row[1] and any(name.endswith("_candidates") for name in params):
        wider = {name: 20 * params[name.removesuffix("candidates") + "first"] + 100
                 if name.endswith("_candidates") else value for name, value in params.items()}
        row = await db.fetch_one(text, wider, row=tuple_row)
        assert row is not None
    return row[0], bool(row[1])
