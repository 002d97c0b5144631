"""Event clashes: the documents' 道 and 市 centres coordinate their seminar dates so that
they do not collide (開催時期、内容が重複しないように調整). A clash is a pair of events that
such coordination is about:

- **different organizers**: no operator organizes (hosts or co-hosts) both. The parties
  who coordinate are the operators (北海道 and 札幌市), not single facilities: two courses
  of the 道 centre are one party's own series, and a 道+市 joint campaign beside a 市
  course is planned by the 市 on both sides, so neither is a clash between organizers;
- **a shared audience**: at least one Audience in common (an NPO course and a teachers'
  course are for different people and do not compete);
- **near in time**: their days (Asia/Tokyo calendar days) overlap, or the gap between the
  last day of the earlier and the first day of the later is at most ``window_days``.

Days, not hours: two seminars on the same date compete for the same people even if one
is in the morning and the other in the afternoon, and a month-precise event (the seed
events, dated to a month by the documents) covers every day of its month. An event ending
exactly at midnight after its start ends on the day before (a whole day given as 00:00 to
00:00 the next day is one day).

``overlap_days`` counts the calendar days both events are held on (0 when they only come
near); ``gap_days`` counts the days from the last day of the earlier to the first day of
the later (0 when they overlap, 1 for consecutive days). Pure: the read side hands in the
events, with each organizer's operator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hub.domain.errors import InputError
from hub.domain.vocabulary import AUDIENCES

TOKYO = ZoneInfo("Asia/Tokyo")

#: The widest windowDays the API accepts: a year either side covers every annual series.
MAX_WINDOW_DAYS = 366


@dataclass(frozen=True)
class EventSpan:
    """What clash detection needs of an event."""

    id: int
    organizer_ids: tuple[int, ...]
    #: The operator of each organizer (any order; repeats allowed).
    operator_ids: tuple[int, ...]
    audiences: tuple[str, ...]
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Clash:
    """Two events that clash; ``a`` starts first (ties by id)."""

    a: EventSpan
    b: EventSpan
    shared_audiences: tuple[str, ...]
    overlap_days: int
    gap_days: int


def event_days(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last Asia/Tokyo calendar day an event is held on."""
    start = starts_at.astimezone(TOKYO)
    end = ends_at.astimezone(TOKYO)
    last = end.date()
    if end > start and end.time() == dt.time(0) and last > start.date():
        last -= dt.timedelta(days=1)
    return start.date(), last


def check_window(window_days: int, field: str = "windowDays",
                 maximum: int = MAX_WINDOW_DAYS) -> int:
    if not 0 <= window_days <= maximum:
        raise InputError(f"{field}: {window_days} is outside 0..{maximum} days", field)
    return window_days


def _in_vocabulary_order(audiences: Iterable[str]) -> tuple[str, ...]:
    rank = {a: n for n, a in enumerate(AUDIENCES)}
    return tuple(sorted(set(audiences), key=lambda a: (rank.get(a, len(rank)), a)))


def clash_of(a: EventSpan, b: EventSpan, window_days: int) -> Clash | None:
    """The clash of two events, or None; ``a`` and ``b`` in either order."""
    if (b.starts_at, b.id) < (a.starts_at, a.id):
        a, b = b, a
    if a.id == b.id or set(a.operator_ids) & set(b.operator_ids):
        return None
    shared = _in_vocabulary_order(set(a.audiences) & set(b.audiences))
    if not shared:
        return None
    a_first, a_last = event_days(a.starts_at, a.ends_at)
    b_first, b_last = event_days(b.starts_at, b.ends_at)
    overlap = (min(a_last, b_last) - max(a_first, b_first)).days + 1
    if overlap > 0:
        return Clash(a, b, shared, overlap, 0)
    gap = (max(a_first, b_first) - min(a_last, b_last)).days
    if gap > window_days:
        return None
    return Clash(a, b, shared, 0, gap)


def clashes(events: Iterable[EventSpan], window_days: int,
            max_window: int = MAX_WINDOW_DAYS) -> list[Clash]:
    """Every clashing pair once, ordered by the start of ``a``, then of ``b`` (ties by id).

    A sweep over the events by first day: each is compared only with those starting no
    later than ``window_days`` after its last day, not with every other event.
    """
    check_window(window_days, maximum=max_window)
    spans = sorted(events, key=lambda e: (e.starts_at, e.id))
    days = [event_days(e.starts_at, e.ends_at) for e in spans]
    by_first = sorted(range(len(spans)), key=lambda n: (days[n][0], spans[n].starts_at,
                                                        spans[n].id))
    found: list[Clash] = []
    for pos, n in enumerate(by_first):
        reach = days[n][1] + dt.timedelta(days=window_days)
        for m in by_first[pos + 1:]:
            if days[m][0] > reach:
                break
            clash = clash_of(spans[n], spans[m], window_days)
            if clash is not None:
                found.append(clash)
    found.sort(key=lambda c: (c.a.starts_at, c.a.id, c.b.starts_at, c.b.id))
    return found
