"""One calendar of consultation sessions: every rule of every centre expanded in its own
time zone (Asia/Tokyo) and merged, so that both centres' sessions come in one list (the
documents' 両者の相談事業が一覧できるよう).

A session that falls on a day its facility is closed (the facility's closed days as its
source page writes them, read by hub.domain.closures) or that the rule's EXDATE cancels is
left out; asked for, it is returned marked skipped with its reason, so that a desk can see
why a date is missing. A facility whose closed days are unknown keeps every session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg.rows import class_row

from hub.db.pool import Database
from hub.domain.closures import ClosureRule, closure_reason, read_closures
from hub.domain.filters import MAX_CALENDAR_DAYS, check_calendar_range
from hub.domain.schedule import cancelled, occurrences
from hub.services.reads.catalog import ConsultationRow, consultations

#: The reason given for a session the rule's own EXDATE line cancels.
CANCELLED_BY_RULE = "予定の例外 (EXDATE)"


@dataclass(frozen=True)
class Session:
    consultation: ConsultationRow
    starts_at: dt.datetime
    ends_at: dt.datetime
    #: Why the calendar leaves this session out (holiday name or closure), None if it is held.
    skip_reason: str | None = None


@dataclass(frozen=True, slots=True)
class _ClosureText:
    id: int
    closed_days: str | None
    hours: str | None


async def closure_rules(db: Database, facility_ids: Sequence[int]
                        ) -> dict[int, ClosureRule | None]:
    """Each facility's closure rule; None where its closed days are unknown."""
    rows = await db.fetch_all(
        "SELECT id, closed_days, hours FROM facility WHERE id = ANY(%(ids)s)",
        {"ids": list(facility_ids)}, row=class_row(_ClosureText))
    found: dict[int, ClosureRule | None] = dict.fromkeys(facility_ids)
    found.update({r.id: read_closures(r.closed_days, r.hours) for r in rows})
    return found


async def sessions(db: Database, first: dt.date, last: dt.date,
                   facility_ids: Sequence[int] | None, include_skipped: bool = False,
                   max_days: int = MAX_CALENDAR_DAYS) -> list[Session]:
    """Sessions starting from ``first`` to ``last`` inclusive, sorted by start; with
    ``include_skipped`` also the ones closures and EXDATEs remove, marked with the reason."""
    check_calendar_range(first, last, max_days)
    found = []
    rows = await consultations(db, facility_ids)
    rules = await closure_rules(db, sorted({c.facility_id for c in rows}))
    for consultation in rows:
        length = dt.timedelta(minutes=consultation.duration_minutes)
        rule = rules[consultation.facility_id]
        held = occurrences(consultation.rule, first, last, consultation.timezone)
        # Asked for, a session the rule's EXDATE cancels comes back too, with every reason
        # (an exception that falls on a holiday is both).
        excepted = (set(cancelled(consultation.rule, first, last, consultation.timezone))
                    if include_skipped else set())
        for start in sorted({*held, *excepted}):
            reasons = [closure_reason(rule, start.date()) if rule is not None else None,
                       CANCELLED_BY_RULE if start in excepted else None]
            reason = "、".join(r for r in reasons if r is not None) or None
            if reason is None or include_skipped:
                found.append(Session(consultation, start, start + length, reason))
    found.sort(key=lambda s: (s.starts_at, s.consultation.id))
    return found
