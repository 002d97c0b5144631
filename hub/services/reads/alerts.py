"""Alerts for a municipality: those addressed to it (or to its city, for a ward) and those
for all of Hokkaido (no municipality named), newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg.rows import class_row

from hub.db.pool import Database


@dataclass(frozen=True)
class AlertRow:
    id: int
    title: str
    body: str
    published_by_id: int
    published_at: dt.datetime
    municipality_codes: list[str]


_SELECT = """
SELECT a.id, a.title, a.body, a.published_by_id, a.published_at,
       coalesce(array_agg(m.municipality_code ORDER BY m.municipality_code)
                FILTER (WHERE m.municipality_code IS NOT NULL), '{}') AS municipality_codes
  FROM alert a LEFT JOIN alert_municipality m ON m.alert_id = a.id
"""

_FOR = """
 WHERE (%(since)s::timestamptz IS NULL OR a.published_at >= %(since)s)
   AND (%(code)s::text IS NULL
        OR NOT EXISTS (SELECT 1 FROM alert_municipality x WHERE x.alert_id = a.id)
        OR EXISTS (SELECT 1 FROM alert_municipality x JOIN municipality u
                     ON u.code = %(code)s
                    WHERE x.alert_id = a.id
                      AND x.municipality_code IN (u.code, u.parent_code)))
 GROUP BY a.id ORDER BY a.published_at DESC, a.id DESC
"""


async def listing(db: Database, since: dt.datetime | None, code: str | None) -> list[AlertRow]:
    return await db.fetch_all(_SELECT + _FOR, {"since": since, "code": code},
                              row=class_row(AlertRow))


async def by_ids(db: Database, ids: Sequence[int]) -> dict[int, AlertRow]:
    rows = await db.fetch_all(_SELECT + " WHERE a.id = ANY(%(ids)s) GROUP BY a.id",
                              {"ids": list(ids)}, row=class_row(AlertRow))
    return {r.id: r for r in rows}


def reaches(row_codes: Sequence[str], code: str | None, parent: str | None) -> bool:
    """Whether an alert for ``row_codes`` (empty: all of Hokkaido) reaches a subscriber of
    ``code`` (whose city is ``parent``, for a ward); a subscriber of no code hears all."""
    return code is None or not row_codes or code in row_codes or (
        parent is not None and parent in row_codes)
