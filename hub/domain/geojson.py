"""GeoJSON geometry from clients, checked before it reaches the database.

RFC 7946 order is [lon, lat] in WGS 84. A geometry is refused, never silently repaired, when
its type is unknown, a coordinate is not a pair of numbers or lies outside [-180, 180] x
[-90, 90], a ring is not closed or has fewer than four positions, or the polygon is invalid
(self-intersecting, say); the message says which and where.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from hub.domain.errors import InputError

_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3,
          "MultiPolygon": 4}


def _position(value: Any, field: str, where: str) -> None:
    if (not isinstance(value, Sequence) or isinstance(value, str) or len(value) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise InputError(f"{field}: {where} is not a [lon, lat] pair of numbers", field)
    lon, lat = value[0], value[1]
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(f"{field}: {where} is not finite", field)
    if not -180 <= lon <= 180:
        raise InputError(f"{field}: longitude {lon} at {where} is outside [-180, 180]", field)
    if not -90 <= lat <= 90:
        raise InputError(f"{field}: latitude {lat} at {where} is outside [-90, 90]", field)


def _walk(value: Any, depth: int, field: str, where: str) -> None:
    if depth == 1:
        _position(value, field, where)
        return
    if not isinstance(value, list) or not value:
        raise InputError(f"{field}: {where} must be a non-empty list", field)
    for n, item in enumerate(value):
        _walk(item, depth - 1, field, f"{where}[{n}]")


def _flat(value: Any, depth: int) -> Any:
    """The coordinates (checked by _walk) with every position cut to [lon, lat]."""
    if depth == 1:
        return [value[0], value[1]]
    return [_flat(item, depth - 1) for item in value]


def _rings(polygon: list[Any], field: str, where: str) -> None:
    for n, ring in enumerate(polygon):
        if len(ring) < 4:
            raise InputError(f"{field}: ring {where}[{n}] has {len(ring)} positions; "
                             "a closed ring needs at least 4", field)
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise InputError(f"{field}: ring {where}[{n}] is not closed "
                             "(its first and last positions differ)", field)


def check_position_count(value: Any, maximum: int, field: str) -> None:
    """Refuses a value with more than ``maximum`` positions (lists of numbers) anywhere in
    it, before anything looks at them closely; counting stops at the first one too many,
    and no recursion, so any nesting is safe."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            if item and isinstance(item[0], int | float):
                count += 1
                if count > maximum:
                    raise InputError(f"{field}: more than {maximum} positions; at most "
                                     f"{maximum} are allowed", field)
            else:
                stack.extend(item)


def parse_geometry(value: Any, field: str, allowed: Sequence[str],
                   max_positions: int | None = None) -> BaseGeometry:
    """A checked shapely geometry of one of the ``allowed`` types, with at most
    ``max_positions`` positions when given."""
    if not isinstance(value, dict):
        raise InputError(f"{field}: a GeoJSON geometry object is expected", field)
    if max_positions is not None:
        check_position_count(value, max_positions, field)
    kind = value.get("type")
    if kind not in allowed:
        raise InputError(f"{field}: type {kind!r} is not one of {', '.join(allowed)}", field)
    coordinates: Any = value.get("coordinates")
    _walk(coordinates, _DEPTH[str(kind)], field, "coordinates")
    if kind == "Polygon":
        _rings(coordinates, field, "coordinates")
    elif kind == "MultiPolygon":
        for n, polygon in enumerate(coordinates):
            _rings(polygon, field, f"coordinates[{n}]")
    # RFC 7946 lets a position carry an altitude, in some positions and not others; the
    # hub's geometry is 2-D, so altitudes are dropped before shapely sees the positions
    geometry = shape({"type": kind, "coordinates": _flat(coordinates, _DEPTH[str(kind)])})
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise InputError(f"{field}: invalid geometry: {reason}", field)
    return geometry
