"""The records around facilities, read in batches keyed by what asks for them: the functions
behind the API's DataLoaders (one statement per batch, whatever its size)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg.rows import class_row, kwargs_row

from hub.db.pool import Database

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class OperatorRow:
    id: int
    name: str
    level: str


@dataclass(frozen=True, slots=True)
class ServiceRow:
    code: str
    name_ja: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ConsultationRow:
    id: int
    facility_id: int
    title: str
    rule: str
    timezone: str
    duration_minutes: int
    reservation_required: bool
    minutes_per_person: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class PartnershipRow:
    id: int
    code: str
    theme: str
    category: str
    directions: list[str]
    working_group: str | None
    note: str | None
    sources: list[str]


@dataclass(frozen=True, slots=True)
class RoleDivisionRow:
    id: int
    partnership_id: int
    area: str
    note: str | None
    responsible_ids: list[int]


@dataclass(frozen=True, slots=True)
class InitiativeRow:
    id: int
    partnership_id: int
    title: str
    status: str
    started_on: dt.date | None
    started_precision: str | None
    fiscal_year: int | None
    note: str | None
    sources: list[str]


@dataclass(frozen=True, slots=True)
class MetricRow:
    initiative_id: int
    period: str
    value: float
    unit: str
    note: str | None
    as_of: dt.date | None
    planned: bool


@dataclass(frozen=True, slots=True)
class FacilityMetricRow:
    facility_id: int
    name: str
    value: float
    unit: str
    qualifier: str | None
    period: str | None
    note: str | None
    source: str


def _of_facility(cls: Callable[..., Row]) -> Callable[..., tuple[int, Row]]:
    """Rows that carry the facility asking for them beside the columns of ``cls``."""

    def make(facility_id: int, **columns: Any) -> tuple[int, Row]:
        return facility_id, cls(**columns)

    return make


def _grouped(rows: list[Any], key: str, keys: Sequence[Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return {k: grouped.get(k, []) for k in keys}


async def operators(db: Database, ids: Sequence[int]) -> dict[int, OperatorRow]:
    rows = await db.fetch_all("SELECT id, name, level FROM operator WHERE id = ANY(%(ids)s)",
                              {"ids": list(ids)}, row=class_row(OperatorRow))
    return {r.id: r for r in rows}


async def services_of(db: Database, facility_ids: Sequence[int]) -> dict[int, list[ServiceRow]]:
    rows = await db.fetch_all(
        "SELECT fs.facility_id, s.code, s.name_ja, s.name_en FROM facility_service fs"
        " JOIN service s ON s.code = fs.service_code"
        " WHERE fs.facility_id = ANY(%(ids)s) ORDER BY s.code",
        {"ids": list(facility_ids)}, row=kwargs_row(_of_facility(ServiceRow)),
    )
    found: dict[int, list[ServiceRow]] = {fid: [] for fid in facility_ids}
    for facility_id, service in rows:
        found[facility_id].append(service)
    return found


async def consultations_of(db: Database, facility_ids: Sequence[int]
                           ) -> dict[int, list[ConsultationRow]]:
    rows = await db.fetch_all(
        "SELECT id, facility_id, title, rule, timezone, duration_minutes, reservation_required,"
        " minutes_per_person, note FROM consultation WHERE facility_id = ANY(%(ids)s)"
        " ORDER BY id",
        {"ids": list(facility_ids)}, row=class_row(ConsultationRow),
    )
    return _grouped(rows, "facility_id", facility_ids)


async def consultations(db: Database, facility_ids: Sequence[int] | None
                        ) -> list[ConsultationRow]:
    """Every consultation of live facilities, or of the facilities named."""
    return await db.fetch_all(
        "SELECT c.id, c.facility_id, c.title, c.rule, c.timezone, c.duration_minutes,"
        " c.reservation_required, c.minutes_per_person, c.note FROM consultation c"
        " JOIN facility f ON f.id = c.facility_id"
        " WHERE f.archived_at IS NULL"
        " AND (%(ids)s::bigint[] IS NULL OR c.facility_id = ANY(%(ids)s)) ORDER BY c.id",
        {"ids": list(facility_ids) if facility_ids is not None else None},
        row=class_row(ConsultationRow),
    )


_PARTNERSHIP = (
    "p.id, p.code, p.theme, p.category, p.directions, p.working_group, p.note, p.sources"
)


async def partnerships(db: Database, category: str | None) -> list[PartnershipRow]:
    return await db.fetch_all(
        f"SELECT {_PARTNERSHIP} FROM partnership p"
        " WHERE %(category)s::text IS NULL OR p.category = %(category)s ORDER BY p.id",
        {"category": category}, row=class_row(PartnershipRow),
    )


async def partnerships_by_ids(db: Database, ids: Sequence[int]) -> dict[int, PartnershipRow]:
    rows = await db.fetch_all(
        f"SELECT {_PARTNERSHIP} FROM partnership p WHERE p.id = ANY(%(ids)s)", {"ids": list(ids)},
        row=class_row(PartnershipRow),
    )
    return {r.id: r for r in rows}


async def partnerships_of(db: Database, facility_ids: Sequence[int]
                          ) -> dict[int, list[PartnershipRow]]:
    rows = await db.fetch_all(
        f"SELECT pf.facility_id, {_PARTNERSHIP} FROM partnership_facility pf"
        " JOIN partnership p ON p.id = pf.partnership_id"
        " WHERE pf.facility_id = ANY(%(ids)s) ORDER BY p.id",
        {"ids": list(facility_ids)}, row=kwargs_row(_of_facility(PartnershipRow)),
    )
    found: dict[int, list[PartnershipRow]] = {fid: [] for fid in facility_ids}
    for facility_id, partnership in rows:
        found[facility_id].append(partnership)
    return found


async def facility_ids_of(db: Database, partnership_ids: Sequence[int]
                          ) -> dict[int, list[int]]:
    """The facilities of each partnership, the 道 one first (as the data set lists them)."""
    records = await db.fetch_all(
        "SELECT partnership_id, facility_id FROM partnership_facility"
        " WHERE partnership_id = ANY(%(ids)s) ORDER BY partnership_id, position",
        {"ids": list(partnership_ids)},
    )
    found: dict[int, list[int]] = {pid: [] for pid in partnership_ids}
    for r in records:
        found[r["partnership_id"]].append(r["facility_id"])
    return found


async def role_divisions_of(db: Database, partnership_ids: Sequence[int]
                            ) -> dict[int, list[RoleDivisionRow]]:
    rows = await db.fetch_all(
        "SELECT d.id, d.partnership_id, d.area, d.note,"
        " ARRAY(SELECT facility_id FROM role_division_facility r WHERE r.role_division_id = d.id"
        "       ORDER BY facility_id) AS responsible_ids"
        " FROM role_division d WHERE d.partnership_id = ANY(%(ids)s) ORDER BY d.position",
        {"ids": list(partnership_ids)}, row=class_row(RoleDivisionRow),
    )
    return _grouped(rows, "partnership_id", partnership_ids)


_INITIATIVE = (
    "i.id, i.partnership_id, i.title, i.status, i.started_on, i.started_precision,"
    " i.fiscal_year, i.note, i.sources"
)


async def initiatives(db: Database, status: str | None, fiscal_year: int | None
                      ) -> list[InitiativeRow]:
    return await db.fetch_all(
        f"SELECT {_INITIATIVE} FROM initiative i"
        " WHERE (%(status)s::text IS NULL OR i.status = %(status)s)"
        " AND (%(fy)s::int IS NULL OR i.fiscal_year = %(fy)s) ORDER BY i.id",
        {"status": status, "fy": fiscal_year}, row=class_row(InitiativeRow),
    )


async def initiatives_of(db: Database, partnership_ids: Sequence[int]
                         ) -> dict[int, list[InitiativeRow]]:
    rows = await db.fetch_all(
        f"SELECT {_INITIATIVE} FROM initiative i WHERE i.partnership_id = ANY(%(ids)s)"
        " ORDER BY i.id",
        {"ids": list(partnership_ids)}, row=class_row(InitiativeRow),
    )
    return _grouped(rows, "partnership_id", partnership_ids)


async def metrics_of(db: Database, initiative_ids: Sequence[int]) -> dict[int, list[MetricRow]]:
    rows = await db.fetch_all(
        "SELECT initiative_id, period, value::float8 AS value, unit, note, as_of, planned"
        " FROM initiative_metric"
        " WHERE initiative_id = ANY(%(ids)s) ORDER BY initiative_id, position",
        {"ids": list(initiative_ids)}, row=class_row(MetricRow),
    )
    return _grouped(rows, "initiative_id", initiative_ids)


async def facility_metrics_of(db: Database, facility_ids: Sequence[int]
                              ) -> dict[int, list[FacilityMetricRow]]:
    rows = await db.fetch_all(
        "SELECT facility_id, name, value::float8 AS value, unit, qualifier, period, note, source"
        " FROM facility_metric WHERE facility_id = ANY(%(ids)s) ORDER BY facility_id, position",
        {"ids": list(facility_ids)}, row=class_row(FacilityMetricRow),
    )
    return _grouped(rows, "facility_id", facility_ids)
