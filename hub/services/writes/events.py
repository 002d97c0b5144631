"""Event writes of the API: createEvent, one transaction with one audit row.

An event is checked by the rules the seed events (geodata/events.yaml, hub.domain.seed
EventSeed) keep where they apply: a title that is not blank (kept without surrounding
blanks), organizers that exist and are not repeated, audiences from the vocabulary and not
repeated; and for what only the API gives: at least one organizer (the host, whose
operator must permit the write) and one audience (an event for nobody can neither be
found by audience nor clash), times with an offset (the contract's DateTime), the end not
before the start, a venue that exists. Organizers and venue must be live facilities (an
archived one is gone from every read). The event is dated to the DAY, at the times given.

Events made here have no code (that is the seed files' key), so their audit rows are keyed
by the event's id; the seed's are keyed by its code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import Connection, select

from hub.db.models import Facility
from hub.domain.errors import InputError
from hub.domain.seed import Text
from hub.domain.vocabulary import Audience
from hub.services.writes import records

#: Who may change a record of an operator: raises Forbidden when the caller may not.
Permit = Callable[[int], None]

#: Field of ``values`` -> the EventInput field, for error messages.
API_FIELD = {"organizer_ids": "organizerIds", "starts_at": "startsAt", "ends_at": "endsAt",
             "venue_id": "venueId"}


def _facility_id(value: Any) -> int:
    """An id as the API's ID gives it (digits) or as a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f"{value!r} is not a facility id")


FacilityId = Annotated[int, PlainValidator(_facility_id)]


def _listed_once(what: str) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Some, each once (the seed's words for a repeat)."""
    def check(items: tuple[Any, ...]) -> tuple[Any, ...]:
        if not items:
            raise ValueError(f"give at least one {what}")
        if len(set(items)) != len(items):
            raise ValueError(f"lists a {what} twice")
        return items

    return check


class EventDraft(BaseModel):
    """A new event as the API gives it, before the database is asked about its facilities."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Text
    organizer_ids: Annotated[tuple[FacilityId, ...], AfterValidator(_listed_once("facility"))]
    audiences: Annotated[tuple[Audience, ...], AfterValidator(_listed_once("audience"))]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue_id: FacilityId | None = None
    note: Text | None = None
    sources: tuple[Text, ...] = ()

    @field_validator("ends_at")
    @classmethod
    def _not_before_start(cls, ends: dt.datetime, info: ValidationInfo) -> dt.datetime:
        starts = info.data.get("starts_at")
        if starts is not None and ends < starts:
            raise ValueError(f"{ends.isoformat()} is before startsAt {starts.isoformat()}")
        return ends


def _api(field: str) -> str:
    return API_FIELD.get(field, field)


def validated(values: Mapping[str, Any]) -> EventDraft:
    """``values`` checked, or an InputError naming the EventInput field."""
    try:
        return EventDraft.model_validate(dict(values))
    except ValidationError as exc:
        first = exc.errors()[0]
        path = [str(p) for p in first["loc"]]
        field = _api(path[0]) if path else "input"
        ctx = first.get("ctx") or {}
        reason = str(ctx["error"]) if first["type"] == "value_error" else first["msg"]
        if first["type"] == "extra_forbidden":
            reason = "unknown field"
        where = "[".join([field, *[p + "]" for p in path[1:]]])
        raise InputError(f"{where}: {reason}", field) from None


def _live_facilities(conn: Connection, ids: tuple[int, ...]) -> dict[int, tuple[int, bool]]:
    """Each known facility of ``ids``: its operator, and whether it is archived."""
    rows = conn.execute(select(Facility.id, Facility.operator_id, Facility.archived_at)
                        .where(Facility.id.in_(ids)))
    return {int(i): (int(op), archived is not None) for i, op, archived in rows}


def _check_live(found: Mapping[int, tuple[int, bool]], facility_id: int, field: str) -> None:
    if facility_id not in found:
        raise InputError(f"{field}: no facility {facility_id}", field)
    if found[facility_id][1]:
        raise InputError(f"{field}: facility {facility_id} is archived", field)


def create_event(conn: Connection, values: Mapping[str, Any], actor: str,
                 permit: Permit) -> int:
    """``values``: the EventInput's fields (title, organizer_ids, audiences, starts_at,
    ends_at, venue_id; note and sources may be given too). Returns the new event's id."""
    draft = validated(values)
    wanted = (*draft.organizer_ids, *([draft.venue_id] if draft.venue_id is not None else []))
    found = _live_facilities(conn, tuple(wanted))
    for facility_id in draft.organizer_ids:
        _check_live(found, facility_id, "organizerIds")
    permit(found[draft.organizer_ids[0]][0])
    if draft.venue_id is not None:
        _check_live(found, draft.venue_id, "venueId")
    row: dict[str, Any] = {
        "title": draft.title, "starts_at": draft.starts_at, "ends_at": draft.ends_at,
        "date_precision": "DAY", "venue_facility_id": draft.venue_id, "note": draft.note,
        "sources": list(draft.sources),
    }
    links: dict[str, list[dict[str, Any]]] = {
        "organizers": [{"facility_id": f, "position": n}
                       for n, f in enumerate(draft.organizer_ids)],
        "audiences": [{"audience": a} for a in draft.audiences],
    }
    return records.create(conn, records.EVENT, row, links, None, actor).id
