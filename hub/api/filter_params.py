"""The FacilityFilter of the GraphQL contract as URL query parameters, for the routes that
are plain HTTP (tiles, exports): the same names, the same checks (``make_filter``), the same
limits as a GraphQL request (strings, lists, polygon vertices).

A list is given comma-separated (``categories=PARK,CONSUMER``) or by repeating the
parameter; ``withinBbox`` is ``minLon,minLat,maxLon,maxLat``; ``within`` is a GeoJSON
polygon, as JSON text. An unknown parameter is refused rather than ignored, so that a typo
(``category=`` on the facilities layer) does not silently return everything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from starlette.datastructures import QueryParams

from hub.config import Settings
from hub.domain.errors import InputError
from hub.domain.filters import FacilityFilter, make_filter
from hub.domain.geojson import check_position_count

FILTER_PARAMETERS = frozenset({"categories", "operatorLevels", "services", "municipalityCodes",
                               "subprefecture", "text", "withinBbox", "within"})


def check_known(params: QueryParams, allowed: Iterable[str]) -> None:
    known = set(allowed)
    for name in params:
        if name not in known:
            raise InputError(f"{name}: unknown parameter; known are "
                             f"{', '.join(sorted(known))}", name)


def _text(params: QueryParams, name: str, settings: Settings) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise InputError(f"{name}: given {len(values)} times; give it once", name)
    if not values:
        return None
    if len(values[0]) > settings.max_string_length:
        raise InputError(f"{name}: {len(values[0])} characters; at most "
                         f"{settings.max_string_length} are allowed", name)
    return values[0]


def _list(params: QueryParams, name: str, settings: Settings) -> list[str] | None:
    raw = params.getlist(name)
    if not raw:
        return None
    items = [item.strip() for value in raw for item in value.split(",")]
    if len(items) > settings.max_list_length:
        raise InputError(f"{name}: {len(items)} values; at most {settings.max_list_length} "
                         "are allowed", name)
    if any(not item for item in items):
        raise InputError(f"{name}: an empty value in the list", name)
    return items


def _numbers(text: str, name: str) -> list[float]:
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a comma-separated list of numbers",
                         name) from None
    if not all(math.isfinite(n) for n in numbers):
        raise InputError(f"{name}: numbers must be finite", name)
    return numbers


def facility_filter(params: QueryParams, settings: Settings) -> FacilityFilter | None:
    """The filter the query parameters give, checked; None when they give none. Other
    parameters are the caller's to check (``check_known``)."""
    if not FILTER_PARAMETERS & set(params):
        return None
    bbox_text = _text(params, "withinBbox", settings)
    within_text = params.get("within")
    within = None
    if within_text is not None:
        if len(params.getlist("within")) > 1:
            raise InputError("within: given more than once; give it once", "within")
        try:
            within = json.loads(within_text)
        except ValueError:
            raise InputError("within: not JSON (a GeoJSON Polygon or MultiPolygon is "
                             "expected)", "within") from None
        check_position_count(within, settings.max_polygon_vertices, "within")
    try:
        return make_filter(
            categories=_list(params, "categories", settings),
            operator_levels=_list(params, "operatorLevels", settings),
            services=_list(params, "services", settings),
            municipality_codes=_list(params, "municipalityCodes", settings),
            subprefecture=_text(params, "subprefecture", settings),
            text=_text(params, "text", settings),
            within_bbox=_numbers(bbox_text, "withinBbox") if bbox_text is not None else None,
            within=within, field="filter")
    except InputError as exc:  # named as the GraphQL input; here it is a parameter
        field = exc.field.removeprefix("filter.") if exc.field else None
        raise InputError(exc.message.removeprefix("filter."), field) from None
