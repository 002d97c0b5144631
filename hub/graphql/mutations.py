"""The contract's facility writes: createFacility, updateFacility, archiveFacility.

Each needs a token (hub.graphql.auth.writer); an editor's token may change only its own
operator's facilities. The write itself is synchronous SQLAlchemy (the path ``hub load``
uses, hub.services.writes.facilities) and runs in a worker thread, one transaction each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import strawberry
from shapely.geometry import Point

from hub.domain.errors import NotFound
from hub.domain.filters import check_point
from hub.domain.geojson import parse_geometry
from hub.domain.tokens import Principal
from hub.graphql.auth import writer
from hub.graphql.enums import FacilityCategory, GeoJSON, LocationPrecision
from hub.graphql.inputs import GeoPointInput
from hub.graphql.types import Ctx, Facility
from hub.graphql.writing import parse_id, run_write
from hub.services.writes import facilities as writes


@strawberry.input
class FacilityInput:
    code: str
    name_ja: str
    name_kana: str | None = None
    name_en: str | None = None
    category: FacilityCategory
    operator_id: strawberry.ID
    municipality_code: str | None = None
    address: str | None = None
    location: GeoPointInput | None = None
    location_precision: LocationPrecision | None = None
    activity_area: str | None = None
    service_area: GeoJSON | None = None
    service_codes: list[str] | None = None
    established_on: dt.date | None = None
    legal_basis: str | None = None
    sources: list[str] | None = None


@strawberry.input(description="Absent fields stay as they are.")
class FacilityPatch:
    name_ja: str | None = strawberry.UNSET
    name_kana: str | None = strawberry.UNSET
    name_en: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    location: GeoPointInput | None = strawberry.UNSET
    location_precision: LocationPrecision | None = strawberry.UNSET
    activity_area: str | None = strawberry.UNSET
    service_area: GeoJSON | None = strawberry.UNSET
    service_codes: list[str] | None = strawberry.UNSET
    sources: list[str] | None = strawberry.UNSET


AREA_TYPES = ("Polygon", "MultiPolygon")


def _point(value: GeoPointInput | None, field: str) -> Point | None:
    if value is None:
        return None
    lat, lon = check_point(value.lat, value.lon, field)
    return Point(lon, lat)


def _area(value: Any, field: str) -> Any:
    return None if value is None else parse_geometry(value, field, AREA_TYPES)


def _created(given: FacilityInput) -> dict[str, Any]:
    return {
        "code": given.code, "name_ja": given.name_ja, "name_kana": given.name_kana,
        "name_en": given.name_en, "category": given.category.value,
        "operator_id": parse_id(given.operator_id, "input.operatorId"),
        "municipality_code": given.municipality_code, "address": given.address,
        "location": _point(given.location, "input.location"),
        "location_precision": given.location_precision.value
        if given.location_precision else None,
        "activity_area": given.activity_area,
        "service_area": _area(given.service_area, "input.serviceArea"),
        "service_codes": given.service_codes or [], "established_on": given.established_on,
        "legal_basis": given.legal_basis, "sources": given.sources or [],
    }


def _patch(given: FacilityPatch) -> dict[str, Any]:
    converters: dict[str, Callable[[Any], Any]] = {
        "location": lambda v: _point(v, "patch.location"),
        "location_precision": lambda v: v.value if v is not None else None,
        "service_area": lambda v: _area(v, "patch.serviceArea"),
        "service_codes": lambda v: v or [],
        "sources": lambda v: v or [],
    }
    patch: dict[str, Any] = {}
    for name in ("name_ja", "name_kana", "name_en", "address", "location",
                 "location_precision", "activity_area", "service_area", "service_codes",
                 "sources"):
        value = getattr(given, name)
        if value is strawberry.UNSET:
            continue
        patch[name] = converters.get(name, lambda v: v)(value)
    return patch


async def _facility(info: Ctx, facility_id: int) -> Facility:
    """The facility as the write left it (read afresh: the request's DataLoader may hold
    the row from before)."""
    row = (await info.context.reads.facilities_by_ids([facility_id])).get(facility_id)
    if row is None:  # archived: the write's own answer is the row as it now is
        row = await info.context.reads.archived_facility(facility_id)
    if row is None:
        raise NotFound(f"id: no facility {facility_id}", "id")
    return Facility.of(row)


def _permit(who: Principal) -> Callable[[int], None]:
    return lambda operator_id: who.require_change(operator_id, "a facility of operator "
                                                  f"{operator_id}")


@strawberry.type
class FacilityMutation:
    @strawberry.mutation(description="Needs a token; an editor's only for its operator.")
    async def create_facility(self, info: Ctx, input: FacilityInput) -> Facility:
        who = await writer(info)
        given = _created(input)
        written = await run_write(info, lambda conn: writes.create_facility(
            conn, given, who.name, _permit(who)))
        return await _facility(info, written.facility_id)

    @strawberry.mutation(description="A stale expectedVersion is CONFLICT and changes nothing.")
    async def update_facility(self, info: Ctx, id: strawberry.ID, expected_version: int,
                              patch: FacilityPatch) -> Facility:
        who = await writer(info)
        facility_id, changes = parse_id(id, "id"), _patch(patch)
        written = await run_write(info, lambda conn: writes.update_facility(
            conn, facility_id, expected_version, changes, who.name, _permit(who)))
        return await _facility(info, written.facility_id)

    @strawberry.mutation(description="Gone from reads, kept in facilityHistory.")
    async def archive_facility(self, info: Ctx, id: strawberry.ID,
                               expected_version: int) -> Facility:
        who = await writer(info)
        facility_id = parse_id(id, "id")
        written = await run_write(info, lambda conn: writes.archive_facility(
            conn, facility_id, expected_version, who.name, _permit(who)))
        return await _facility(info, written.facility_id)
