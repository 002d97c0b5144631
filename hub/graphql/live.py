"""Alerts between consumer centres, and what happens live: publishAlert, alerts, and the
subscriptions alertPublished and facilityChanged (graphql-transport-ws).

A subscription waits on this process's listener (hub.db.listener), which hears every
process's writes through PostgreSQL NOTIFY; each event is read afresh through the read
provider with new DataLoaders, so a long-lived WebSocket never answers from a stale cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from hub.db.listener import ALERTS, FACILITY_CHANGES, Listener
from hub.domain.errors import InputError
from hub.graphql.auth import writer
from hub.graphql.context import Loaders
from hub.graphql.inputs import FacilityFilterInput, to_filter
from hub.graphql.types import Ctx, Facility, Municipality
from hub.graphql.writing import parse_id, run_write
from hub.services.reads.alerts import AlertRow, reaches
from hub.services.writes import alerts as alert_writes


@strawberry.type(description="A notice shared between centres, e.g. a new fraud method.")
class Alert:
    id: strawberry.ID
    title: str
    body: str
    published_at: dt.datetime
    row: strawberry.Private[AlertRow]

    @classmethod
    def of(cls, row: AlertRow) -> Alert:
        return cls(id=strawberry.ID(str(row.id)), title=row.title, body=row.body,
                   published_at=row.published_at, row=row)

    @strawberry.field
    async def published_by(self, info: Ctx) -> Facility:
        row = await info.context.loaders.facility.load(self.row.published_by_id)
        if row is None:  # the publisher was archived since: the alert still names it
            row = await info.context.reads.archived_facility(self.row.published_by_id)
        assert row is not None, "an alert's publisher is a facility (foreign key)"
        return Facility.of(row)

    @strawberry.field(description="Empty: all of Hokkaido.")
    async def audience_municipalities(self, info: Ctx) -> list[Municipality]:
        rows = await info.context.loaders.municipality.load_many(self.row.municipality_codes)
        return [Municipality.of(r) for r in rows if r is not None]


@strawberry.input
class AlertInput:
    title: str
    body: str
    published_by_id: strawberry.ID
    municipality_codes: list[str] | None = None


@strawberry.type(description="CREATED, UPDATED or ARCHIVED, with the facility as it now is.")
class FacilityChange:
    kind: str
    facility: Facility
    version: int


async def _municipality(info: Ctx, code: str | None) -> tuple[str | None, str | None]:
    """The code and its city's code (for a ward), or InputError for an unknown code."""
    if code is None:
        return None, None
    row = await info.context.loaders.municipality.load(code)
    if row is None:
        raise InputError(f"municipalityCode: unknown municipality {code!r}", "municipalityCode")
    return code, row.parent_code


@strawberry.type
class AlertsQuery:
    @strawberry.field(description="Alerts for a municipality (and those for all of "
                      "Hokkaido), newest first; a ward also gets its city's.")
    async def alerts(self, info: Ctx, since: dt.datetime | None = None,
                     municipality_code: str | None = None) -> list[Alert]:
        await _municipality(info, municipality_code)
        return [Alert.of(r) for r in await info.context.reads.alerts(since, municipality_code)]


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Consumer centres' editors (for their own centre) and "
                         "admins; reaches the alertPublished subscribers of every process.")
    async def publish_alert(self, info: Ctx, input: AlertInput) -> Alert:
        who = await writer(info)
        publisher = parse_id(input.published_by_id, "input.publishedById")

        def permit(operator_id: int) -> None:
            who.require_change(operator_id, f"the alerts of facility {publisher}")

        alert_id = await run_write(info, lambda conn: alert_writes.publish_alert(
            conn, input.title, input.body, publisher, input.municipality_codes or [],
            who.name, permit))
        return Alert.of((await info.context.reads.alerts_by_ids([alert_id]))[alert_id])


def _listener(info: Ctx) -> Listener:
    if info.context.listener is None:
        raise RuntimeError("this context has no listener")
    return info.context.listener


def _fresh(info: Ctx) -> None:
    """New DataLoaders for the next event: nothing is cached from one event to the next."""
    info.context.loaders = Loaders(info.context.reads)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each alert as it is published, for this "
                             "municipality (alerts for all of Hokkaido reach every one).")
    async def alert_published(self, info: Ctx, municipality_code: str | None = None
                              ) -> AsyncGenerator[Alert, None]:
        code, parent = await _municipality(info, municipality_code)
        async with _listener(info).subscribe(ALERTS) as notices:
            while True:
                notice: dict[str, Any] = await notices.get()
                if not reaches(notice.get("municipalities", []), code, parent):
                    continue
                _fresh(info)
                found = await info.context.reads.alerts_by_ids([int(notice["id"])])
                if notice["id"] in found:
                    yield Alert.of(found[notice["id"]])

    @strawberry.subscription(description="Each created, updated or archived facility that "
                             "matches the filter, as the change commits.")
    async def facility_changed(self, info: Ctx, filter: FacilityFilterInput | None = None
                               ) -> AsyncGenerator[FacilityChange, None]:
        flt = to_filter(filter)
        await info.context.reads.check_references(flt, "filter")
        async with _listener(info).subscribe(FACILITY_CHANGES) as notices:
            while True:
                notice = await notices.get()
                facility_id = int(notice["id"])
                if not await info.context.reads.facility_matches(flt, facility_id):
                    continue
                _fresh(info)
                row = (await info.context.reads.facilities_by_ids([facility_id])).get(
                    facility_id) or await info.context.reads.archived_facility(facility_id)
                if row is not None:
                    yield FacilityChange(kind=str(notice["kind"]), facility=Facility.of(row),
                                         version=int(notice["version"]))
