"""Idempotent, audited writes of whole records: the heart of ``hub load``.

A loader hands in the rows a data file describes, keyed by a stable code. Rows whose key is
new are inserted, rows that differ are updated (their version goes up), equal rows are left
alone; each insert and update writes an audit row with the values before and after. Running
the same load twice therefore changes nothing and says so.

Geometries are compared by the MD5 of their WKB, so that a 17 MB boundary file is not sent
back and forth to learn that nothing changed; the audit rows carry that digest too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import shapely
from geoalchemy2 import Geometry
from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Table, func, insert, select, update

from hub.db.models import AuditLog, Base


@dataclass
class SyncStats:
    """What a sync did, by key."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.left)} left"

    def __iadd__(self, other: SyncStats) -> SyncStats:
        self.added += other.added
        self.changed += other.changed
        self.left += other.left
        return self


def wkb_md5(geometry: BaseGeometry) -> str:
    """The digest PostGIS computes as ``md5(ST_AsBinary(g))`` for the same geometry."""
    return hashlib.md5(shapely.to_wkb(geometry, byte_order=1, output_dimension=2)).hexdigest()


def jsonable(value: Any) -> Any:
    """A value as it is written into an audit row."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, BaseGeometry):
        return {"wkb_md5": wkb_md5(value)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def comparable(value: Any) -> Any:
    if isinstance(value, BaseGeometry):
        return wkb_md5(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def bindable(table: Table, column: str, value: Any) -> Any:
    if isinstance(value, BaseGeometry):
        srid = getattr(table.c[column].type, "srid", 4326)
        return from_shape(value, srid=srid)
    if isinstance(value, tuple):
        return list(value)
    return value


def audit(
    conn: Connection,
    table: str,
    key: str,
    action: str,
    actor: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    conn.execute(
        insert(AuditLog).values(
            table_name=table,
            row_key=key,
            action=action,
            actor=actor,
            before=None if before is None else {k: jsonable(v) for k, v in before.items()},
            after=None if after is None else {k: jsonable(v) for k, v in after.items()},
        )
    )


def _existing(
    conn: Connection, table: Table, key: str, columns: Sequence[str]
) -> dict[str, dict[str, Any]]:
    selected: list[Any] = []
    for name in columns:
        col = table.c[name]
        if isinstance(col.type, Geometry):
            selected.append(func.md5(func.ST_AsBinary(col)).label(name))
        else:
            selected.append(col)
    rows = conn.execute(select(*selected)).mappings()
    return {str(row[key]): {k: comparable(v) for k, v in row.items()} for row in rows}


def table_of(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def sync_rows(
    conn: Connection,
    model: type[Base],
    key: str,
    rows: Sequence[Mapping[str, Any]],
    actor: str,
) -> SyncStats:
    """Insert, update or leave each row of ``rows`` (all with the same columns) by ``key``."""
    table = table_of(model)
    stats = SyncStats()
    if not rows:
        return stats
    columns = list(rows[0])
    if key not in columns:
        raise ValueError(f"rows for {table.name} lack their key {key!r}")
    existing = _existing(conn, table, key, columns)
    has_version = "version" in table.c
    has_updated_at = "updated_at" in table.c
    for row in rows:
        row_key = str(row[key])
        new = {name: comparable(row[name]) for name in columns}
        old = existing.get(row_key)
        values = {name: bindable(table, name, row[name]) for name in columns}
        if old is None:
            conn.execute(insert(table).values(values))
            audit(conn, table.name, row_key, "INSERT", actor, None, new)
            stats.added.append(row_key)
            continue
        changed = {name for name in columns if old.get(name) != new[name]}
        if not changed:
            stats.left.append(row_key)
            continue
        assignments: dict[str, Any] = {name: values[name] for name in changed}
        if has_version:
            assignments["version"] = table.c.version + 1
        if has_updated_at:
            assignments["updated_at"] = func.now()
        conn.execute(update(table).where(table.c[key] == row[key]).values(assignments))
        audit(
            conn,
            table.name,
            row_key,
            "UPDATE",
            actor,
            {name: old[name] for name in sorted(changed)},
            {name: new[name] for name in sorted(changed)},
        )
        stats.changed.append(row_key)
    return stats


def ids_by(conn: Connection, model: type[Base], key: str = "code") -> dict[str, int]:
    table = table_of(model)
    rows = conn.execute(select(table.c[key], table.c.id))
    return {str(k): int(i) for k, i in rows}


@dataclass(frozen=True)
class LinkChange:
    """The link rows of one parent before and after a sync, for its audit row."""

    before: list[dict[str, Any]]
    after: list[dict[str, Any]]


def sync_links(
    conn: Connection,
    model: type[Base],
    parent_column: str,
    wanted: Mapping[int, Sequence[Mapping[str, Any]]],
) -> dict[int, LinkChange]:
    """Make the link rows of each parent in ``wanted`` exactly the ones given.

    Only the columns the given rows name are compared (an identity column is not). Returns
    the parents whose links changed, with the rows before and after, so that their owners
    can bump their version and write an audit row.
    """
    table = table_of(model)
    changes: dict[int, LinkChange] = {}
    for parent_id, links in wanted.items():
        columns = sorted({name for link in links for name in link}) or None
        current_rows = [
            dict(row)
            for row in conn.execute(
                select(table).where(table.c[parent_column] == parent_id)
            ).mappings()
        ]
        names = columns or sorted(set().union(*current_rows) - {parent_column, "id"})

        def project(row: Mapping[str, Any], names: list[str] = names) -> dict[str, Any]:
            return {name: comparable(row.get(name)) for name in names}

        before = sorted((project(r) for r in current_rows), key=repr)
        after = sorted((project(link) for link in links), key=repr)
        if before == after:
            continue
        conn.execute(table.delete().where(table.c[parent_column] == parent_id))
        if links:
            conn.execute(
                insert(table),
                [{**{k: bindable(table, k, v) for k, v in link.items()},
                  parent_column: parent_id} for link in links],
            )
        changes[parent_id] = LinkChange(before, after)
    return changes
