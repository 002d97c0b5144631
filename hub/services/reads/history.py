"""A facility's history: its audit rows, oldest first, archived facilities included (an
archived facility is gone from every other read, but what happened to it stays readable)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row

from hub.db.pool import Database


@dataclass(frozen=True)
class AuditRow:
    id: int
    action: str
    actor: str
    at: dt.datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


_HISTORY = """
SELECT a.id, a.action, a.actor, a.at, a.before, a.after
  FROM audit_log a JOIN facility f ON f.code = a.row_key
 WHERE a.table_name = 'facility' AND f.id = %(id)s
 ORDER BY a.at, a.id
"""


async def of_facility(db: Database, facility_id: int) -> list[AuditRow] | None:
    """None when no facility, archived or not, has this id."""
    known = await db.fetch_one("SELECT 1 AS one FROM facility WHERE id = %(id)s",
                               {"id": facility_id})
    if known is None:
        return None
    return await db.fetch_all(_HISTORY, {"id": facility_id}, row=class_row(AuditRow))
