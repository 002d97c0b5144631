"""One calendar of consultation sessions: every rule of every centre expanded in its own
time zone (Asia/Tokyo) and merged, so that both centres' sessions come in one list (the
documents' 両者の相談事業が一覧できるよう)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hub.db.pool import Database
from hub.domain.filters import check_calendar_range
from hub.domain.schedule import occurrences
from hub.services.reads.catalog import ConsultationRow, consultations


@dataclass(frozen=True)
class Session:
    consultation: ConsultationRow
    starts_at: dt.datetime
    ends_at: dt.datetime


async def sessions(db: Database, first: dt.date, last: dt.date,
                   facility_ids: Sequence[int] | None) -> list[Session]:
    """Sessions starting from ``first`` to ``last`` inclusive, sorted by start."""
    check_calendar_range(first, last)
    found = []
    for consultation in await consultations(db, facility_ids):
        length = dt.timedelta(minutes=consultation.duration_minutes)
        for start in occurrences(consultation.rule, first, last, consultation.timezone):
            found.append(Session(consultation, start, start + length))
    found.sort(key=lambda s: (s.starts_at, s.consultation.id))
    return found
