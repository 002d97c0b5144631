"""The rows of ``python -m benchmarks``: what the hub is asked (a GraphQL operation or a tile
URL per stream item) and the floor's fallback, the statements the services send for it.

The fallback names each statement's varying inputs as ``Col(field)`` (a field of the stream's
items, see benchmarks/stream.py); everything else is a literal. When the compiled fast path
(hub.graphql.compiled.sql_for) plans the operation, benchmarks/floor.py uses its statement
instead, so the floor is whatever the hub actually sends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from benchmarks.stream import Item
from hub.domain.filters import make_filter
from hub.domain.tiles import Tile
from hub.services.reads import facilities as reads
from hub.services.reads.tiles import tile_query


@dataclass(frozen=True)
class Col:
    """A parameter taken from the stream item's ``field`` (one per request)."""

    field: str
    array: bool = False  # ``ARRAY[value]``: the services pass id lists


Statement = tuple[sql.Composable | str, dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    name: str
    label: str
    #: The GraphQL document (None: an HTTP GET of ``path``).
    query: str | None
    variables: Callable[[Item], dict[str, Any]]
    fallback: Callable[[int], list[Statement]]
    path: Callable[[Item, int], str] | None = None


POINT = {"lat": Col("lat"), "lon": Col("lon")}
FIRST = 10


def _nearest(categories: list[str] | None) -> Callable[[int], list[Statement]]:
    def statements(_zoom: int) -> list[Statement]:
        flt = make_filter(categories=categories) if categories else None
        condition, params = reads.where(flt)
        query = sql.SQL(reads.NEAREST_CANDIDATES).format(columns=reads.COLUMNS,
                                                          condition=condition)
        # the first of the candidate queries (2k + 10); the second, larger one is needed
        # only where many facilities crowd at one distance, which random points never meet
        return [(query, params | POINT | {"first": FIRST, "max_distance": None,
                                          "candidates": 2 * FIRST + 10})]
    return statements


def _bbox(_zoom: int) -> list[Statement]:
    condition, params = reads.where(make_filter(within_bbox=[140.0, 42.0, 141.0, 43.0]))
    query = sql.SQL(
        "WITH matching AS (SELECT {columns} FROM facility f WHERE {condition})"
        " SELECT m.*, (SELECT count(*) FROM matching) AS total FROM matching m"
        " WHERE %(after)s::text IS NULL OR m.code > %(after)s"
        " ORDER BY m.code LIMIT %(limit)s"
    ).format(columns=reads.COLUMNS, condition=condition)
    # the statement of hub.services.reads.facilities.page
    params |= {"x1": Col("x1"), "y1": Col("y1"), "x2": Col("x2"), "y2": Col("y2")}
    return [(query, params | {"after": None, "limit": 51})]


def _by_code(_zoom: int) -> list[Statement]:
    """facility(code) and the loaders of its relations, one statement each."""
    by_code = sql.SQL("SELECT {columns} FROM facility f WHERE f.code = %(code)s"
                      " AND f.archived_at IS NULL").format(columns=reads.COLUMNS)
    ids = {"ids": Col("fid", array=True)}
    return [
        (by_code, {"code": Col("code")}),
        ("SELECT id, name, level FROM operator WHERE id = ANY(%(ids)s)",
         {"ids": Col("operator_id", array=True)}),
        ("SELECT code, name_ja, name_kana, name_en, subprefecture, parent_code,"
         " northern_territories, population, population_year FROM municipality"
         " WHERE code = ANY(%(codes)s)", {"codes": Col("mcode", array=True)}),
        ("SELECT fs.facility_id, s.code, s.name_ja, s.name_en FROM facility_service fs"
         " JOIN service s ON s.code = fs.service_code"
         " WHERE fs.facility_id = ANY(%(ids)s) ORDER BY s.code", ids),
        ("SELECT facility_id, name, source FROM facility_alias"
         " WHERE facility_id = ANY(%(ids)s) ORDER BY facility_id, name", ids),
    ]


def _serving(_zoom: int) -> list[Statement]:
    condition, params = reads.where(None)
    query = sql.SQL(reads._SERVING).format(columns=reads.COLUMNS, condition=condition)
    return [(query, params | POINT)]


def _tile(zoom: int) -> list[Statement]:
    query, params = tile_query("facilities", Tile(zoom, 0, 0))
    return [(query, params | {"x": Col("tx"), "y": Col("ty")})]


def _point(item: Item) -> dict[str, Any]:
    return {"lat": item.lat, "lon": item.lon}


_NEAREST = ("query Nearest($lat: Float!, $lon: Float!) {{ nearestFacilities(near: {{lat: $lat,"
            " lon: $lon}}, first: 10{filter}) {{ distanceMeters facility {{ id code nameJa"
            " category }} }} }}")

OPERATIONS = (
    Operation("nearest", "nearestFacilities first 10",
              _NEAREST.format(filter=""), _point, _nearest(None)),
    Operation("nearest_category", "nearestFacilities first 10, categories [PARK]",
              _NEAREST.format(filter=", filter: {categories: [PARK]}"), _point,
              _nearest(["PARK"])),
    Operation("bbox", "facilities withinBbox (3 km), first 50",
              "query Bbox($bbox: [Float!]) { facilities(filter: {withinBbox: $bbox}, first: 50)"
              " { totalCount edges { node { id code nameJa category } } } }",
              lambda item: {"bbox": item.bbox}, _bbox),
    Operation("by_code", "facility(code) with operator, municipality, services, aliases",
              "query One($code: String!) { facility(code: $code) { id code nameJa category"
              " operator { id name level } municipality { code nameJa }"
              " services { code nameJa } aliases { name source } } }",
              lambda item: {"code": item.code}, _by_code),
    Operation("serving", "facilitiesServing(point)",
              "query Serving($lat: Float!, $lon: Float!) { facilitiesServing(point:"
              " {lat: $lat, lon: $lon}) { id code nameJa } }", _point, _serving),
    Operation("tile", "tile /tiles/facilities/{z}/{x}/{y}.mvt", None, lambda item: {}, _tile,
              path=lambda item, zoom: f"/tiles/facilities/{zoom}/{item.tx}/{item.ty}.mvt"),
)
