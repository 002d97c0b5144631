"""The one way a facility or an event is written, whoever writes it.

``hub load`` (facilities.yaml, events.yaml), the bulk import and the API's mutations all end
here: a record and its link rows (services, aliases and figures of a facility; organizers
and audiences of an event) are inserted, or compared with what the database holds and
updated, in the caller's transaction. A change, however many columns and links it touches,
is one new version and one audit row with the values before and after; a record that does
not differ is left alone and writes nothing, so loading the same data twice changes
nothing.

Geometries are compared by the digest of their WKB (``sync.wkb_md5``), the way ``hub load``
compares boundaries, so an all-Hokkaido service area is not read back to learn that it has
not changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import ColumnElement, Connection, func, insert, literal, select, update

from hub.db.models import (
    Base,
    Event,
    EventAudience,
    EventOrganizer,
    Facility,
    FacilityAlias,
    FacilityMetric,
    FacilityService,
    Initiative,
    InitiativeMetric,
    Partnership,
    PartnershipFacility,
)
from hub.services.loading.sync import audit, bindable, comparable, sync_links, table_of


@dataclass(frozen=True)
class Kind:
    """A kind of record this module writes: its table, its audit name, its link tables."""

    model: type[Base]
    audit_table: str
    parent_column: str
    links: Mapping[str, type[Base]]
    #: Whether the table keeps a version (and updated_at); partnerships and initiatives,
    #: which only ``hub load`` writes, do not.
    versioned: bool = True


FACILITY = Kind(Facility, "facility", "facility_id",
                {"services": FacilityService, "aliases": FacilityAlias,
                 "metrics": FacilityMetric})
EVENT = Kind(Event, "event", "event_id",
             {"organizers": EventOrganizer, "audiences": EventAudience})
PARTNERSHIP = Kind(Partnership, "partnership", "partnership_id",
                   {"facilities": PartnershipFacility}, versioned=False)
INITIATIVE = Kind(Initiative, "initiative", "initiative_id", {"metrics": InitiativeMetric},
                  versioned=False)


@dataclass(frozen=True)
class Current:
    """A record as the database holds it, locked until the transaction ends: its values
    (geometries as WKB digests), by the columns asked for."""

    id: int
    version: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Saved:
    id: int
    version: int
    created: bool


def current(conn: Connection, kind: Kind, where: ColumnElement[bool],
            columns: Sequence[str]) -> Current | None:
    """The record ``where`` selects, locked (SELECT ... FOR UPDATE), or None."""
    table = table_of(kind.model)
    version = table.c.version if kind.versioned else literal(0).label("version")
    selected: list[Any] = [table.c.id, version]
    for name in columns:
        col = table.c[name]
        selected.append(func.md5(func.ST_AsBinary(col)).label(name)
                        if isinstance(col.type, Geometry) else col)
    row = conn.execute(select(*selected).where(where).with_for_update()).mappings().one_or_none()
    if row is None:
        return None
    return Current(int(row["id"]), int(row["version"]),
                   {name: row[name] for name in columns})


def create(conn: Connection, kind: Kind, row: Mapping[str, Any],
           links: Mapping[str, Sequence[Mapping[str, Any]]], key: str | None, actor: str
           ) -> Saved:
    """Insert ``row`` with ``links``; ``key`` names it in the audit log (its code; a record
    without one is named by its id)."""
    table = table_of(kind.model)
    bound = {name: bindable(table, name, value) for name, value in row.items()}
    new_id = int(conn.execute(insert(table).values(bound).returning(table.c.id)).scalar_one())
    for name, rows in links.items():
        if rows:
            link_table = table_of(kind.links[name])
            conn.execute(insert(link_table), [
                {**{k: bindable(link_table, k, v) for k, v in r.items()},
                 kind.parent_column: new_id} for r in rows])
    after = {**{k: comparable(v) for k, v in row.items()},
             **{name: [dict(r) for r in rows] for name, rows in links.items()}}
    audit(conn, kind.audit_table, key or str(new_id), "INSERT", actor, None, after)
    return Saved(new_id, 1 if kind.versioned else 0, created=True)


def save(conn: Connection, kind: Kind, was: Current | None, row: Mapping[str, Any],
         links: Mapping[str, Sequence[Mapping[str, Any]]], key: str | None, actor: str
         ) -> Saved | None:
    """Create the record (``was`` None) or make the record ``was`` hold ``row`` and
    ``links``: ``row`` holds the columns this writer governs (others stay as they are),
    ``links`` the link rows of the kinds it governs, each kind replaced whole when it
    differs. None when nothing differs."""
    if was is None:
        return create(conn, kind, row, links, key, actor)
    table = table_of(kind.model)
    changed = sorted(name for name, value in row.items()
                     if comparable(value) != comparable(was.values.get(name)))
    before = {name: comparable(was.values.get(name)) for name in changed}
    after = {name: comparable(row[name]) for name in changed}
    for name, rows in links.items():
        change = sync_links(conn, kind.links[name], kind.parent_column, {was.id: rows})
        if was.id in change:
            before[name], after[name] = change[was.id].before, change[was.id].after
    if not before:
        return None
    values = {name: bindable(table, name, row[name]) for name in changed}
    version = was.version + 1 if kind.versioned else 0
    if kind.versioned:
        values.update(version=version, updated_at=func.now())
    if values:
        conn.execute(update(table).where(table.c.id == was.id).values(values))
    audit(conn, kind.audit_table, key or str(was.id), "UPDATE", actor, before, after)
    return Saved(was.id, version, created=False)
