"""The Query root's reads of facilities, municipalities, partnerships, initiatives, the
consultation calendar and the data sources; coverage is in hub.graphql.coverage, events
and their clashes in hub.graphql.events, alerts in hub.graphql.live."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from hub.domain.errors import InputError, NotFound
from hub.domain.filters import check_distance, check_first, decode_cursor, encode_cursor
from hub.graphql.enums import FacilityCategory, InitiativeStatus
from hub.graphql.inputs import FacilityFilterInput, GeoPointInput, to_filter, to_point
from hub.graphql.types import (
    Consultation,
    ConsultationSession,
    Ctx,
    Facility,
    FacilityConnection,
    FacilityEdge,
    Initiative,
    Municipality,
    NearbyFacility,
    PageInfo,
    Partnership,
)


@strawberry.type(description="One change of a facility, as its audit row holds it.")
class AuditEntry:
    action: str = strawberry.field(description="INSERT, UPDATE or ARCHIVE.")
    actor: str = strawberry.field(description="The token's name, or the loader (hub load).")
    at: dt.datetime
    before: JSON | None = strawberry.field(
        description="The changed fields before, by column (geometries as the MD5 of their WKB).")
    after: JSON | None = strawberry.field(description="The same fields after.")


@strawberry.type
class DataSource:
    kind: str
    name: str
    as_of: dt.date | None
    attribution: str = strawberry.field(description="The credit to show with this data.")


def _facility_id(value: strawberry.ID, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{field}: {value!r} is not a facility id", field) from None


@strawberry.type
class Query:
    @strawberry.field(description="Version of the hub package serving this API.")
    def hub_version(self) -> str:
        return version("hub")

    @strawberry.field(description="One facility by id or by code.")
    async def facility(self, info: Ctx, id: strawberry.ID | None = None,
                       code: str | None = None) -> Facility | None:
        if (id is None) == (code is None):
            raise InputError("facility: give exactly one of id and code", "id")
        if id is not None:
            row = await info.context.loaders.facility.load(_facility_id(id, "id"))
        else:
            row = await info.context.reads.facility_by_code(code or "")
        return Facility.of(row) if row else None

    @strawberry.field(description="Facilities in code order, a page at a time.")
    async def facilities(self, info: Ctx, filter: FacilityFilterInput | None = None,
                         first: int | None = 50, after: str | None = None
                         ) -> FacilityConnection:
        first = check_first(50 if first is None else first)
        code = decode_cursor(after) if after is not None else None
        flt = to_filter(filter)
        await info.context.reads.check_references(flt, "filter")
        found = await info.context.reads.facility_page(flt, first, code)
        edges = [FacilityEdge(cursor=encode_cursor(r.code), node=Facility.of(r))
                 for r in found.rows]
        return FacilityConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=found.has_next,
                               end_cursor=edges[-1].cursor if edges else None),
            total_count=found.total,
        )

    @strawberry.field(description="Facilities with a location, nearest first (geodesic metres; "
                      "ties by code).")
    async def nearest_facilities(self, info: Ctx, near: GeoPointInput, first: int | None = 5,
                                 filter: FacilityFilterInput | None = None,
                                 max_distance_meters: float | None = None
                                 ) -> list[NearbyFacility]:
        lat, lon = to_point(near, "near")
        first = check_first(5 if first is None else first)
        check_distance(max_distance_meters)
        flt = to_filter(filter)
        await info.context.reads.check_references(flt, "filter")
        found = await info.context.reads.nearest(lat, lon, first, flt, max_distance_meters)
        return [NearbyFacility(facility=Facility.of(row), distance_meters=distance)
                for row, distance in found]

    @strawberry.field(description="Facilities whose service area contains the point: the ones "
                      "responsible for a resident there; nearest first, programmes last.")
    async def facilities_serving(self, info: Ctx, point: GeoPointInput,
                                 filter: FacilityFilterInput | None = None) -> list[Facility]:
        lat, lon = to_point(point, "point")
        flt = to_filter(filter)
        await info.context.reads.check_references(flt, "filter")
        rows = await info.context.reads.serving(lat, lon, flt)
        return [Facility.of(r) for r in rows]

    @strawberry.field
    async def municipality(self, info: Ctx, code: str) -> Municipality | None:
        row = await info.context.loaders.municipality.load(code)
        return Municipality.of(row) if row else None

    @strawberry.field(description="Municipalities and Sapporo's wards in code order.")
    async def municipalities(self, info: Ctx, subprefecture: str | None = None
                             ) -> list[Municipality]:
        rows = await info.context.reads.municipalities(subprefecture)
        if subprefecture is not None and not rows:
            raise InputError(f"subprefecture: unknown subprefecture {subprefecture!r}",
                             "subprefecture")
        return [Municipality.of(r) for r in rows]

    @strawberry.field
    async def partnerships(self, info: Ctx, category: FacilityCategory | None = None
                           ) -> list[Partnership]:
        rows = await info.context.reads.partnerships(category.value if category else None)
        return [Partnership.of(r) for r in rows]

    @strawberry.field
    async def initiatives(self, info: Ctx, status: InitiativeStatus | None = None,
                          fiscal_year: int | None = None) -> list[Initiative]:
        rows = await info.context.reads.initiatives(status.value if status else None,
                                                    fiscal_year)
        return [Initiative.of(r) for r in rows]

    @strawberry.field(description="Every session of every consultation rule from `from` to "
                      "`to` inclusive (Asia/Tokyo), both centres in one list, by start. "
                      "Sessions on the facility's closed days (holidays included where its "
                      "rule names 祝日) or cancelled by the rule's EXDATE are left out; with "
                      "`includeSkipped` they are listed too, with `skipped` and `skipReason`.")
    async def consultation_sessions(
        self, info: Ctx,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        facility_ids: list[strawberry.ID] | None = None,
        include_skipped: bool = False,
    ) -> list[ConsultationSession]:
        ids = ([_facility_id(i, "facilityIds") for i in facility_ids]
               if facility_ids is not None else None)
        found = await info.context.reads.sessions(from_, to, ids, include_skipped)
        return [ConsultationSession(consultation=Consultation.of(s.consultation),
                                    starts_at=s.starts_at, ends_at=s.ends_at,
                                    skipped=s.skip_reason is not None,
                                    skip_reason=s.skip_reason) for s in found]

    @strawberry.field(description="Where the loaded data comes from, with the credit to show.")
    async def data_sources(self, info: Ctx) -> list[DataSource]:
        return [DataSource(kind=d.kind, name=d.name, as_of=d.as_of, attribution=d.attribution)
                for d in await info.context.reads.datasets()]

    @strawberry.field(description="Every change of a facility, oldest first; archived "
                      "facilities keep theirs. NOT_FOUND for an id no facility ever had.")
    async def facility_history(self, info: Ctx, id: strawberry.ID) -> list[AuditEntry]:
        rows = await info.context.reads.facility_history(_facility_id(id, "id"))
        if rows is None:
            raise NotFound(f"id: no facility {id}", "id")
        return [AuditEntry(action=r.action, actor=r.actor, at=r.at,
                           before=cast(JSON | None, r.before), after=cast(JSON | None, r.after))
                for r in rows]
