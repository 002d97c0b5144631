"""Web Mercator vector tiles: the tile grid (z/x/y, XYZ scheme: y grows southwards, as
MapLibre and ``ST_TileEnvelope`` count), the layers and their properties, how much a tile
may simplify its polygons, and the TileJSON document. Pure: the SQL is in
hub.services.reads.tiles, the routes in hub.api.tiles.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.domain.errors import InputError

#: Half the side of the Web Mercator square (EPSG:3857), metres.
MERCATOR_HALF = 20037508.342789244
#: Coordinates per tile side inside a tile (MVT's usual extent).
EXTENT = 4096
#: Tile units kept beyond each edge, so lines and polygons continue under the neighbour's
#: edge and a point near it is in both tiles (a symbol is not cut in half).
BUFFER = 64
#: Degrees of longitude per Web Mercator metre times this: 1° of longitude is this many
#: Web Mercator metres at every latitude.
METRES_PER_DEGREE = MERCATOR_HALF / 180
#: Polygons are simplified by this fraction of the tile's width: 1/1024 is a quarter of a
#: pixel on a 256-pixel tile (half a pixel on a 512-pixel one), so no boundary visibly
#: moves, while a low-zoom tile carries a small fraction of the full-resolution vertices.
SIMPLIFY_FRACTION = 1 / 1024

#: The layers: a layer's name is also the name of the MVT layer in its tiles.
FACILITIES = "facilities"
MUNICIPALITIES = "municipalities"
SERVICE_AREAS = "service_areas"
LAYERS = (FACILITIES, MUNICIPALITIES, SERVICE_AREAS)

#: The query parameters of the municipalities layer beyond the facility filter.
COVERAGE_PARAMETERS = frozenset({"category", "distance"})

#: Each layer's properties and their types (TileJSON ``fields``). A property whose value is
#: unknown (null) is left out of the feature, as MVT has no null.
FIELDS: Mapping[str, Mapping[str, str]] = {
    FACILITIES: {
        "id": "Number", "code": "String", "name_ja": "String", "name_en": "String",
        "category": "String", "operator_level": "String", "location_precision": "String",
        "municipality_code": "String",
    },
    MUNICIPALITIES: {
        "code": "String", "name_ja": "String", "name_en": "String", "subprefecture": "String",
        "population": "Number", "served_by_area": "Boolean", "within_reach": "Boolean",
        "nearest_m": "Number", "gap": "Boolean",
    },
    SERVICE_AREAS: {"id": "Number", "code": "String", "name_ja": "String", "category": "String"},
}

DESCRIPTIONS: Mapping[str, str] = {
    FACILITIES: "Facilities with a location (not archived), matching the filter parameters.",
    MUNICIPALITIES: (
        "Municipalities and Sapporo's wards (Sapporo itself is its wards), with the Northern "
        "Territories villages; with category/distance (or a filter) each coverage unit also "
        "has served_by_area, within_reach, nearest_m and gap as in the GraphQL coverage query."
    ),
    SERVICE_AREAS: "The service area of each facility (not archived) matching the filter.",
}

#: The credits (dataset kinds, table ``dataset``) each layer's data needs: facility
#: positions at a municipality's or ward's point and every service area come from the
#: boundaries.
CREDITS: Mapping[str, tuple[str, ...]] = {
    FACILITIES: ("facility_places", "boundaries"),
    MUNICIPALITIES: ("boundaries", "population"),
    SERVICE_AREAS: ("boundaries",),
}


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    @property
    def width_m(self) -> float:
        """The side of the tile in Web Mercator metres."""
        return 2 * MERCATOR_HALF / float(1 << self.z)

    def bounds_m(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) in EPSG:3857."""
        w = self.width_m
        return (-MERCATOR_HALF + self.x * w, MERCATOR_HALF - (self.y + 1) * w,
                -MERCATOR_HALF + (self.x + 1) * w, MERCATOR_HALF - self.y * w)

    def latitudes(self) -> tuple[float, float]:
        """The southern and northern edge of the tile, degrees."""
        _, south, _, north = self.bounds_m()
        return _latitude(south), _latitude(north)

    def simplify_degrees(self) -> float:
        """The tolerance, in degrees, for simplifying polygons in EPSG:4326 before they are
        projected: a vertex moves at most ``SIMPLIFY_FRACTION`` of the tile's width in Web
        Mercator. 1° is METRES_PER_DEGREE Web Mercator metres along a parallel and more
        along a meridian (by 1/cos(latitude)), so the degrees are scaled by the cosine of
        the tile's latitude farthest from the equator."""
        south, north = self.latitudes()
        steepest = min(math.cos(math.radians(south)), math.cos(math.radians(north)))
        return self.width_m * SIMPLIFY_FRACTION / METRES_PER_DEGREE * steepest


def _latitude(y_m: float) -> float:
    return math.degrees(math.atan(math.sinh(y_m / 6378137.0)))


def parse_tile(z: str, x: str, y: str, max_zoom: int) -> Tile:
    """The tile of a URL's z/x/y, or InputError naming the one that is not an integer or
    lies outside the grid (z in 0..max_zoom, x and y in 0..2^z - 1)."""
    zoom = _integer(z, "z")
    if not 0 <= zoom <= max_zoom:
        raise InputError(f"z: {zoom} is outside 0..{max_zoom}", "z")
    last = 2**zoom - 1
    column, row = _integer(x, "x"), _integer(y, "y")
    if not 0 <= column <= last:
        raise InputError(f"x: {column} is outside 0..{last} at zoom {zoom}", "x")
    if not 0 <= row <= last:
        raise InputError(f"y: {row} is outside 0..{last} at zoom {zoom}", "y")
    return Tile(zoom, column, row)


def _integer(text: str, name: str) -> int:
    # ASCII digits only: int() would also take "+3", " 3", "3_0" and "٣".
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise InputError(f"{name}: {text[:20]!r} is not a tile index (an integer of 0 or more)",
                         name)
    return int(text)


def parse_distance(text: str) -> float:
    """The ``distance`` parameter: metres, finite, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"distance: {text[:20]!r} is not a number of metres",
                         "distance") from None
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"distance: {text[:20]!r} must be a distance of 0 or more metres",
                         "distance")
    return value


def etag(*parts: object) -> str:
    """A strong entity tag from what determines a tile's bytes."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names ``tag`` (or is ``*``); the comparison is weak,
    as RFC 9110 asks for If-None-Match (a ``W/`` prefix is ignored)."""
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == tag for c in candidates)


def canonical_query(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The query parameters in a fixed order, so that the same request written in another
    order has the same entity tag."""
    return tuple(sorted(pairs))


def tilejson(layer: str, tiles_url: str, max_zoom: int,
             bounds: tuple[float, float, float, float] | None, attribution: str
             ) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for one layer."""
    document: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": layer,
        "description": DESCRIPTIONS[layer],
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": max_zoom,
        "attribution": attribution,
        "vector_layers": [{"id": layer, "description": DESCRIPTIONS[layer],
                           "minzoom": 0, "maxzoom": max_zoom, "fields": dict(FIELDS[layer])}],
    }
    if bounds is not None:
        document["bounds"] = list(bounds)
        west, south, east, north = bounds
        document["center"] = [(west + east) / 2, (south + north) / 2, min(6, max_zoom)]
    return document
