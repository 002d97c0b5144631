"""Input types, and their conversion into the checked values the services take."""

from __future__ import annotations

from typing import Any

import strawberry

from hub.domain.filters import FacilityFilter, check_point, make_filter
from hub.graphql.enums import FacilityCategory, GeoJSON, OperatorLevel
from hub.graphql.limits import request_memo


@strawberry.input
class GeoPointInput:
    lat: float
    lon: float


@strawberry.input(name="FacilityFilter")
class FacilityFilterInput:
    categories: list[FacilityCategory] | None = None
    operator_levels: list[OperatorLevel] | None = None
    services: list[str] | None = strawberry.field(
        default=None, description="Service codes; a facility matches when it offers all."
    )
    municipality_codes: list[str] | None = strawberry.field(
        default=None, description="Located in any of these (a city code includes its wards)."
    )
    subprefecture: str | None = strawberry.field(
        default=None, description="Located in this 振興局 (Japanese name)."
    )
    text: str | None = strawberry.field(
        default=None, description="Substring of any name (ja, kana, en), case-insensitive."
    )
    within_bbox: list[float] | None = strawberry.field(
        default=None, description="[minLon, minLat, maxLon, maxLat]"
    )
    within: GeoJSON | None = strawberry.field(
        default=None, description="Location inside this Polygon or MultiPolygon."
    )


def to_filter(value: FacilityFilterInput | None, field: str = "filter") -> FacilityFilter | None:
    if value is None:
        return None
    return make_filter(
        categories=[c.value for c in value.categories]
        if value.categories is not None else None,
        operator_levels=[o.value for o in value.operator_levels]
        if value.operator_levels is not None else None,
        services=value.services,
        municipality_codes=value.municipality_codes,
        subprefecture=value.subprefecture,
        text=value.text,
        within_bbox=value.within_bbox,
        within=value.within,
        field=field,
    )


def to_filter_once(value: FacilityFilterInput | None, path: list[str | int],
                   field: str = "filter") -> FacilityFilter | None:
    """``to_filter`` once per request for each field of the response: a nested filter
    (Municipality.facilities) has the same value under every parent, and its ``within``
    polygon would otherwise be parsed and checked again for each of them. The field is its
    response path without list indices (fields merged under one response key have the same
    arguments: GraphQL validation sees to that)."""
    memo = request_memo.get()
    if memo is None:
        return to_filter(value, field)
    key = ("filter", *(part for part in path if isinstance(part, str)))
    if key not in memo:
        try:
            memo[key] = to_filter(value, field)
        except Exception as exc:
            memo[key] = exc
    found: Any = memo[key]
    if isinstance(found, Exception):
        raise found
    result: FacilityFilter | None = found
    return result


def to_point(value: GeoPointInput, field: str) -> tuple[float, float]:
    return check_point(value.lat, value.lon, field)
