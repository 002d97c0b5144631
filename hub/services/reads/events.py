"""Events and their clashes for the API: the shared calendar the 道 and 市 centres
coordinate their seminars on.

Dates are Asia/Tokyo calendar days. An event is in [first, last] when a day it is held on
(hub.domain.conflicts.event_days) is: it starts before the day after ``last`` begins and
ends after ``first`` begins (an event of no length at exactly that midnight included).
Archived events are left out. Clashes are computed by hub.domain.conflicts over the events
that could clash with one in the range (the range widened by the window on both sides), and
a pair is reported when at least one of its events is in the range: a clash across the
range's edge (a 道 course on 31 March, a 市 one on 5 April) concerns both fiscal years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from psycopg.rows import class_row

from hub.db.pool import Database
from hub.domain.conflicts import (
    MAX_WINDOW_DAYS,
    TOKYO,
    Clash,
    EventSpan,
    check_window,
    clashes,
    event_days,
)
from hub.domain.filters import MAX_CALENDAR_DAYS, check_calendar_range
from hub.domain.vocabulary import AUDIENCES


@dataclass(frozen=True)
class EventRow:
    id: int
    code: str | None
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    date_precision: str
    venue_facility_id: int | None
    note: str | None
    sources: list[str]
    version: int
    #: Host first, co-hosts after.
    organizer_ids: list[int]
    #: The operator of each organizer, in the same order.
    operator_ids: list[int]
    audiences: list[str]

    def span(self) -> EventSpan:
        return EventSpan(self.id, tuple(self.organizer_ids), tuple(self.operator_ids),
                         tuple(self.audiences), self.starts_at, self.ends_at)


@dataclass(frozen=True)
class Conflict:
    a: EventRow
    b: EventRow
    shared_audiences: tuple[str, ...]
    overlap_days: int
    gap_days: int


_SELECT = """
SELECT e.id, e.code, e.title, e.starts_at, e.ends_at, e.date_precision, e.venue_facility_id,
       e.note, e.sources, e.version,
       ARRAY(SELECT o.facility_id FROM event_organizer o
              WHERE o.event_id = e.id ORDER BY o.position) AS organizer_ids,
       ARRAY(SELECT f.operator_id FROM event_organizer o JOIN facility f ON f.id = o.facility_id
              WHERE o.event_id = e.id ORDER BY o.position) AS operator_ids,
       ARRAY(SELECT a.audience FROM event_audience a
              WHERE a.event_id = e.id ORDER BY a.audience) AS audiences
  FROM event e
 WHERE e.archived_at IS NULL
"""

_HELD = _SELECT + """
   AND e.starts_at < %(until)s
   AND (e.ends_at > %(since)s OR e.starts_at >= %(since)s)
   AND (%(audience)s::text IS NULL OR EXISTS (
        SELECT 1 FROM event_audience a WHERE a.event_id = e.id AND a.audience = %(audience)s))
   AND (%(organizer)s::bigint IS NULL OR EXISTS (
        SELECT 1 FROM event_organizer o
         WHERE o.event_id = e.id AND o.facility_id = %(organizer)s))
 ORDER BY e.starts_at, e.id
"""

_BY_IDS = _SELECT + " AND e.id = ANY(%(ids)s)"

_RANK = {a: n for n, a in enumerate(AUDIENCES)}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TOKYO)


def _shifted(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days``, stopping at the calendar's ends (year 1 and 9999) instead
    of failing: a range at the edge of the calendar simply has nothing beyond it."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def _day_after(day: dt.date) -> dt.datetime:
    if day == dt.date.max:
        return dt.datetime.max.replace(tzinfo=TOKYO)
    return _midnight(day + dt.timedelta(days=1))


def _in_tokyo(row: EventRow) -> EventRow:
    """Times as Sapporo reads them, audiences in the vocabulary's order."""
    return replace(row, starts_at=row.starts_at.astimezone(TOKYO),
                   ends_at=row.ends_at.astimezone(TOKYO),
                   audiences=sorted(row.audiences, key=lambda a: _RANK.get(a, len(_RANK))))


async def _held(db: Database, first: dt.date, last: dt.date, audience: str | None,
                organizer_id: int | None) -> list[EventRow]:
    rows = await db.fetch_all(_HELD, {
        "since": _midnight(first), "until": _day_after(last),
        "audience": audience, "organizer": organizer_id}, row=class_row(EventRow))
    return [_in_tokyo(r) for r in rows]


async def listing(db: Database, first: dt.date, last: dt.date, audience: str | None = None,
                  organizer_id: int | None = None, max_days: int = MAX_CALENDAR_DAYS
                  ) -> list[EventRow]:
    """Events held on a day from ``first`` to ``last`` inclusive, not archived, by start;
    only those for ``audience`` and with ``organizer_id`` among their organizers when
    given."""
    check_calendar_range(first, last, max_days)
    return await _held(db, first, last, audience, organizer_id)


async def by_ids(db: Database, ids: Sequence[int]) -> dict[int, EventRow]:
    """Events by id, archived ones left out (what createEvent answers with)."""
    rows = await db.fetch_all(_BY_IDS, {"ids": list(ids)}, row=class_row(EventRow))
    return {r.id: _in_tokyo(r) for r in rows}


async def facility_exists(db: Database, facility_id: int) -> bool:
    """Archived or not: an archived centre's events stay in the calendar."""
    found = await db.fetch_one("SELECT 1 AS one FROM facility WHERE id = %(id)s",
                               {"id": facility_id})
    return found is not None


async def conflicts(db: Database, first: dt.date, last: dt.date, window_days: int,
                    max_days: int = MAX_CALENDAR_DAYS, max_window: int = MAX_WINDOW_DAYS
                    ) -> list[Conflict]:
    """Clashing pairs with at least one event held from ``first`` to ``last``."""
    check_calendar_range(first, last, max_days)
    check_window(window_days, maximum=max_window)
    rows = await _held(db, _shifted(first, -window_days), _shifted(last, window_days), None,
                       None)
    by_id = {r.id: r for r in rows}

    def in_range(clash: Clash) -> bool:
        for span in (clash.a, clash.b):
            held_first, held_last = event_days(span.starts_at, span.ends_at)
            if held_first <= last and held_last >= first:
                return True
        return False

    return [Conflict(by_id[c.a.id], by_id[c.b.id], c.shared_audiences, c.overlap_days,
                     c.gap_days)
            for c in clashes((r.span() for r in rows), window_days, max_window) if in_range(c)]
