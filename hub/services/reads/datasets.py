"""The loaded data sets and the credit each requires (see hub.services.loading.attribution)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg.rows import class_row

from hub.db.pool import Database


@dataclass(frozen=True)
class DatasetRow:
    kind: str
    name: str
    as_of: dt.date | None
    attribution: str


async def listing(db: Database) -> list[DatasetRow]:
    return await db.fetch_all("SELECT kind, name, as_of, attribution FROM dataset ORDER BY kind",
                              row=class_row(DatasetRow))
