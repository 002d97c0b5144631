"""What a client may ask of the facility list, checked: the filter, page sizes, cursors,
points and date ranges. Pure, so the rules are tested without a server."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from hub.domain import vocabulary as vocab
from hub.domain.errors import InputError
from hub.domain.geojson import parse_geometry

MAX_PAGE = 100
MAX_CALENDAR_DAYS = 366
CURSOR_PREFIX = "facility:"


@dataclass(frozen=True)
class FacilityFilter:
    categories: tuple[str, ...] | None = None
    operator_levels: tuple[str, ...] | None = None
    services: tuple[str, ...] | None = None
    municipality_codes: tuple[str, ...] | None = None
    subprefecture: str | None = None
    text: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    within: BaseGeometry | None = None


def _members(
    values: Sequence[str] | None, allowed: Sequence[str], field: str
) -> tuple[str, ...] | None:
    if values is None:
        return None
    for value in values:
        if value not in allowed:
            raise InputError(f"{field}: {value!r} is not one of {', '.join(allowed)}", field)
    return tuple(dict.fromkeys(values))


def make_filter(
    *,
    categories: Sequence[str] | None = None,
    operator_levels: Sequence[str] | None = None,
    services: Sequence[str] | None = None,
    municipality_codes: Sequence[str] | None = None,
    subprefecture: str | None = None,
    text: str | None = None,
    within_bbox: Sequence[float] | None = None,
    within: Any = None,
    field: str = "filter",
) -> FacilityFilter:
    """A checked filter; ``field`` prefixes the names in error messages."""
    codes = None
    if municipality_codes is not None:
        for code in municipality_codes:
            if len(code) != 5 or not code.isdigit():
                raise InputError(
                    f"{field}.municipalityCodes: {code!r} is not a 5-digit municipality code",
                    f"{field}.municipalityCodes",
                )
        codes = tuple(dict.fromkeys(municipality_codes))
    bbox = None
    if within_bbox is not None:
        bbox = check_bbox(within_bbox, f"{field}.withinBbox")
    if text is not None and not text.strip():
        text = None
    return FacilityFilter(
        categories=_members(categories, vocab.FACILITY_CATEGORIES, f"{field}.categories"),
        operator_levels=_members(operator_levels, vocab.OPERATOR_LEVELS,
                                 f"{field}.operatorLevels"),
        services=tuple(dict.fromkeys(services)) if services is not None else None,
        municipality_codes=codes,
        subprefecture=subprefecture,
        text=text.strip() if text else None,
        bbox=bbox,
        within=(
            parse_geometry(within, f"{field}.within", ("Polygon", "MultiPolygon"))
            if within is not None else None
        ),
    )


def check_bbox(values: Sequence[float], field: str) -> tuple[float, float, float, float]:
    if len(values) != 4:
        raise InputError(f"{field}: expected [minLon, minLat, maxLon, maxLat], got "
                         f"{len(values)} numbers", field)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in values)
    check_point(min_lat, min_lon, field)
    check_point(max_lat, max_lon, field)
    if min_lon > max_lon or min_lat > max_lat:
        raise InputError(f"{field}: the minimum must not exceed the maximum", field)
    return min_lon, min_lat, max_lon, max_lat


def check_point(lat: float, lon: float, field: str) -> tuple[float, float]:
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise InputError(f"{field}.lat: latitude {lat} is outside [-90, 90]", f"{field}.lat")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise InputError(f"{field}.lon: longitude {lon} is outside [-180, 180]", f"{field}.lon")
    return lat, lon


def check_first(first: int, field: str = "first", maximum: int = MAX_PAGE) -> int:
    if not 1 <= first <= maximum:
        raise InputError(f"{field}: {first} is outside 1..{maximum}", field)
    return first


def check_distance(meters: float | None, field: str = "maxDistanceMeters") -> float | None:
    if meters is not None and not (math.isfinite(meters) and meters >= 0):
        raise InputError(f"{field}: {meters} must be a distance of 0 or more metres", field)
    return meters


def encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode((CURSOR_PREFIX + code).encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> str:
    """The facility code a cursor stands for; anything not made by encode_cursor is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InputError(f"{field}: {cursor!r} is not a cursor from this API", field) from None
    if not raw.startswith(CURSOR_PREFIX) or len(raw) == len(CURSOR_PREFIX):
        raise InputError(f"{field}: {cursor!r} is not a cursor from this API", field)
    return raw[len(CURSOR_PREFIX):]


def check_calendar_range(first: dt.date, last: dt.date,
                         maximum: int = MAX_CALENDAR_DAYS) -> None:
    if last < first:
        raise InputError("to: must not be before from", "to")
    if (last - first).days + 1 > maximum:
        raise InputError(
            f"to: the range from {first} to {last} is {(last - first).days + 1} days; "
            f"at most {maximum} are allowed", "to"
        )
