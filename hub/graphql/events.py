"""The shared event calendar and its clashes (contract: Event, EventConflict, events,
eventConflicts, createEvent; additions: Event.code, datePrecision, note, sources,
EventConflict.gapDays and the organizerId filter of events). What counts as a clash is in
hub.domain.conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from hub.domain.errors import InputError
from hub.graphql.auth import writer
from hub.graphql.enums import Audience, DatePrecision
from hub.graphql.types import Ctx, Facility
from hub.graphql.writing import run_write
from hub.services.reads.events import Conflict, EventRow
from hub.services.writes import events as event_writes


@strawberry.type(description="A seminar, course, co-hosted event or campaign.")
class Event:
    id: strawberry.ID
    code: str | None = strawberry.field(
        description="Key in the seed data (geodata/events.yaml); null for events made "
        "through the API.")
    title: str
    audiences: list[Audience]
    starts_at: dt.datetime
    ends_at: dt.datetime
    date_precision: DatePrecision = strawberry.field(
        description="How precisely the dates are known: MONTH for an event the documents "
        "date to a month (it then spans that whole month), DAY for one given its times.")
    note: str | None
    sources: list[str]
    version: int
    row: strawberry.Private[EventRow]

    @classmethod
    def of(cls, row: EventRow) -> Event:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, title=row.title,
                   audiences=[Audience(a) for a in row.audiences], starts_at=row.starts_at,
                   ends_at=row.ends_at, date_precision=DatePrecision(row.date_precision),
                   note=row.note, sources=list(row.sources), version=row.version, row=row)

    @strawberry.field(description="Host first; co-hosts after. An archived facility is left "
                      "out, as from every read.")
    async def organizers(self, info: Ctx) -> list[Facility]:
        rows = await info.context.loaders.facility.load_many(self.row.organizer_ids)
        return [Facility.of(r) for r in rows if r is not None]

    @strawberry.field
    async def venue(self, info: Ctx) -> Facility | None:
        if self.row.venue_facility_id is None:
            return None
        row = await info.context.loaders.facility.load(self.row.venue_facility_id)
        return Facility.of(row) if row else None


@strawberry.type(description="Two events of different organizers for a shared audience held "
                 "within windowDays of each other; `a` starts first.")
class EventConflict:
    a: Event
    b: Event
    shared_audiences: list[Audience]
    overlap_days: int = strawberry.field(
        description="Calendar days (Asia/Tokyo) both events are held on; 0 when they only "
        "come near.")
    gap_days: int = strawberry.field(
        description="Days from the last day of `a` to the first day of `b`; 0 when they "
        "overlap, 1 for consecutive days.")

    @classmethod
    def of(cls, conflict: Conflict) -> EventConflict:
        return cls(a=Event.of(conflict.a), b=Event.of(conflict.b),
                   shared_audiences=[Audience(a) for a in conflict.shared_audiences],
                   overlap_days=conflict.overlap_days, gap_days=conflict.gap_days)


async def _organizer(info: Ctx, value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    try:
        facility_id = int(value)
    except ValueError:
        raise InputError(f"organizerId: {value!r} is not a facility id", "organizerId") from None
    if not await info.context.reads.facility_exists(facility_id):
        raise InputError(f"organizerId: no facility {facility_id}", "organizerId")
    return facility_id


@strawberry.type
class EventsQuery:
    @strawberry.field(description="Events held on a day from `from` to `to` inclusive "
                      "(Asia/Tokyo; at most HUB_MAX_CALENDAR_DAYS, 366 by default), by "
                      "start; archived events are left out. `audience` and `organizerId` "
                      "(host or co-host) narrow the list.")
    async def events(
        self, info: Ctx,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        audience: Audience | None = None,
        organizer_id: strawberry.ID | None = None,
    ) -> list[Event]:
        organizer = await _organizer(info, organizer_id)
        rows = await info.context.reads.events(from_, to, audience.value if audience else None,
                                               organizer)
        return [Event.of(r) for r in rows]

    @strawberry.field(description="Events of different organizers (no operator organizes "
                      "both) for a shared audience held within `windowDays` days of each "
                      "other (at most HUB_MAX_EVENT_WINDOW_DAYS, 366 by default), or "
                      "overlapping; each pair once, at least one of them held from `from` to "
                      "`to` (at most HUB_MAX_CALENDAR_DAYS).")
    async def event_conflicts(
        self, info: Ctx,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        window_days: int = 14,
    ) -> list[EventConflict]:
        found = await info.context.reads.event_conflicts(from_, to, window_days)
        return [EventConflict.of(c) for c in found]


@strawberry.input
class EventInput:
    title: str
    organizer_ids: list[strawberry.ID] = strawberry.field(
        description="Host first; co-hosts after.")
    audiences: list[Audience]
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue_id: strawberry.ID | None = None


@strawberry.type
class EventMutation:
    @strawberry.mutation(description="Needs a token; an editor's only for events its "
                         "operator hosts (the first organizer).")
    async def create_event(self, info: Ctx, input: EventInput) -> Event:
        who = await writer(info)
        values = {"title": input.title, "organizer_ids": list(input.organizer_ids),
                  "audiences": [a.value for a in input.audiences],
                  "starts_at": input.starts_at, "ends_at": input.ends_at,
                  "venue_id": input.venue_id}

        def permit(operator_id: int) -> None:
            who.require_change(operator_id, f"an event hosted by operator {operator_id}")

        event_id = await run_write(info, lambda conn: event_writes.create_event(
            conn, values, who.name, permit))
        return Event.of((await info.context.reads.events_by_ids([event_id]))[event_id])
