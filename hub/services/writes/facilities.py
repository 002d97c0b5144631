"""Facility writes of the API: create, update, archive, each one transaction with one audit
row, checked against the record's version.

A write is validated like a record of facilities.yaml (the same pydantic model,
``hub.domain.seed.FacilitySeed``) and placed like one (``hub.services.loading.placement``):
the same names resolve the same way and a position outside its municipality is refused with
the same words. A pydantic or placement error becomes an InputError naming the API's field.

Optimistic locking: the row is locked (SELECT ... FOR UPDATE) and its version compared with
the caller's; of twenty writers holding the same version, the first wins and the others
read the new version once the lock is free, and get a CONFLICT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geoalchemy2.shape import to_shape
from pydantic import ValidationError
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, select, update

from hub.db.listener import FACILITY_CHANGES
from hub.db.models import Facility, FacilityService, Municipality, Operator, Service
from hub.domain.datafile import DataFileError
from hub.domain.errors import Conflict, InputError, NotFound
from hub.domain.municipalities import polygons_of
from hub.domain.seed import FacilitySeed
from hub.services.loading.placement import Placement, Places, place_facility
from hub.services.loading.sync import audit, table_of
from hub.services.writes import records
from hub.services.writes.notify import notify

#: Columns these writes govern. building, phone, url and hours are set by the bulk import
#: (公共施設一覧 has them; the API's inputs do not, so a mutation keeps what they hold);
#: the others (postal_code, closed_days, note, ... from facility_places.csv and the seed
#: set) are left as they are.
GOVERNED = ("code", "name_ja", "name_kana", "name_en", "category", "operator_id",
            "municipality_code", "address", "location", "location_precision", "activity_area",
            "service_area", "established_on", "legal_basis", "sources",
            "building", "phone", "url", "hours")
#: Of GOVERNED, the plain texts only the import sets; a create leaves out the ones it does
#: not give, so the audit row of a mutation's create holds what it did before.
_IMPORTED_TEXTS = ("building", "phone", "url", "hours")

#: Seed-file field -> the API's input field, for error messages.
API_FIELD = {"name_ja": "nameJa", "name_kana": "nameKana", "name_en": "nameEn",
             "operator": "operatorId", "municipality": "municipalityCode",
             "location_precision": "locationPrecision", "activity_area": "activityArea",
             "services": "serviceCodes", "legal_basis": "legalBasis"}

#: Who may change a record of an operator: raises Forbidden when the caller may not.
Permit = Callable[[int], None]


@dataclass(frozen=True)
class Written:
    kind: str  # CREATED, UPDATED or ARCHIVED, as FacilityChange.kind says
    facility_id: int
    version: int


def _api(field: str | None) -> str | None:
    return None if field is None else API_FIELD.get(field, field)


def _validated(record: Mapping[str, Any]) -> FacilitySeed:
    try:
        return FacilitySeed.model_validate(dict(record))
    except ValidationError as exc:
        first = exc.errors()[0]
        path = [str(p) for p in first["loc"]]
        field = _api(path[0]) if path else None
        where = ".".join([field or "input", *path[1:]])
        raise InputError(f"{where}: {first['msg']}", field) from None


def _placed(seed: FacilitySeed, places: Places, with_area: bool = True) -> Placement:
    try:
        return place_facility(0, seed, places, with_area)
    except DataFileError as exc:
        field = _api(exc.field)
        raise InputError(f"{field}: {exc.reason}", field) from None


def _current(conn: Connection, facility_id: int) -> dict[str, Any]:
    table = table_of(Facility)
    row = conn.execute(
        select(table).where(table.c.id == facility_id, table.c.archived_at.is_(None))
        .with_for_update()).mappings().one_or_none()
    if row is None:
        raise NotFound(f"id: no facility {facility_id}", "id")
    values = {c: row[c] for c in (*GOVERNED, "id", "version", "note")}
    for geometry in ("location", "service_area"):
        if values[geometry] is not None:
            values[geometry] = to_shape(values[geometry])
    services = conn.execute(
        select(FacilityService.service_code, FacilityService.source_text)
        .where(FacilityService.facility_id == facility_id)
        .order_by(FacilityService.service_code)).all()
    values["service_codes"] = [code for code, _ in services]
    values["service_texts"] = dict(services)
    return values


def _seed_record(values: Mapping[str, Any], places: Places, operator_code: str
                 ) -> dict[str, Any]:
    """A facility's values in the shape of a facilities.yaml record."""
    name_of = {code: name for name, code in places.code_by_name.items()}
    municipality = values.get("municipality_code")
    location = values.get("location")
    record: dict[str, Any] = {
        "code": values["code"], "name_ja": values["name_ja"],
        "name_kana": values.get("name_kana"), "name_en": values.get("name_en"),
        "category": values["category"], "operator": operator_code,
        "location_precision": values["location_precision"],
        "municipality": name_of.get(municipality, municipality) if municipality else None,
        "address": values.get("address"), "activity_area": values.get("activity_area"),
        "services": [{"code": c} for c in values.get("service_codes") or []],
        "legal_basis": values.get("legal_basis"), "sources": values.get("sources") or [],
    }
    if location is not None and values["location_precision"] in ("EXACT", "BUILDING"):
        record["location"] = {"lat": location.y, "lon": location.x}
    return record


def _operator_code(conn: Connection, operator_id: int) -> str:
    code = conn.scalar(select(Operator.code).where(Operator.id == operator_id))
    if code is None:
        raise InputError(f"operatorId: no operator {operator_id}", "operatorId")
    return str(code)


def _default_precision(values: Mapping[str, Any], conn: Connection) -> str:
    if values.get("location") is not None:
        return "EXACT"
    code = values.get("municipality_code")
    if code is None:
        return "NONE"
    parent = conn.scalar(select(Municipality.parent_code).where(Municipality.code == code))
    return "WARD" if parent is not None else "MUNICIPALITY"


def _written_values(seed: FacilitySeed, placement: Placement, values: Mapping[str, Any],
                    operator_id: int, area: BaseGeometry | None) -> dict[str, Any]:
    return {
        "code": seed.code, "name_ja": seed.name_ja, "name_kana": seed.name_kana,
        "name_en": seed.name_en, "category": seed.category, "operator_id": operator_id,
        "municipality_code": placement.municipality_code, "address": seed.address,
        "location": placement.location, "location_precision": seed.location_precision,
        "activity_area": seed.activity_area,
        "service_area": area if area is not None else placement.service_area,
        "established_on": values.get("established_on"), "legal_basis": seed.legal_basis,
        "sources": list(seed.sources),
        **{k: values[k] for k in _IMPORTED_TEXTS if k in values},
    }


def _check_services(conn: Connection, codes: list[str]) -> None:
    if not codes:
        return
    known = set(conn.scalars(select(Service.code).where(Service.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InputError(f"serviceCodes: unknown service {unknown[0]!r}", "serviceCodes")


def _multi(area: BaseGeometry) -> MultiPolygon:
    return MultiPolygon(polygons_of(area)[0])


def create_facility(conn: Connection, given: Mapping[str, Any], actor: str,
                    permit: Permit, places: Places | None = None) -> Written:
    """``given``: the FacilityInput's fields by column name (service_codes for the
    services, service_area a checked geometry or None). ``places``: the municipalities as
    read once by a caller writing many facilities in one transaction (the import)."""
    values = dict(given)
    permit(int(values["operator_id"]))
    operator_code = _operator_code(conn, int(values["operator_id"]))
    if conn.scalar(select(Facility.id).where(Facility.code == values["code"])) is not None:
        raise InputError(f"code: a facility {values['code']!r} exists already", "code")
    values.setdefault("location_precision", None)
    values["location_precision"] = values["location_precision"] or _default_precision(
        values, conn)
    _check_services(conn, values.get("service_codes") or [])
    places = places or Places(conn)
    seed = _validated(_seed_record(values, places, operator_code))
    placement = _placed(seed, places)
    area = values.get("service_area")
    row = _written_values(seed, placement, values, int(values["operator_id"]),
                          _multi(area) if area is not None else None)
    services = [{"service_code": s.code, "source_text": None} for s in seed.services]
    saved = records.create(conn, records.FACILITY, row, {"services": services}, seed.code,
                           actor)
    return _told(conn, Written("CREATED", saved.id, saved.version))


def update_facility(conn: Connection, facility_id: int, expected_version: int,
                    patch: Mapping[str, Any], actor: str, permit: Permit,
                    places: Places | None = None) -> Written:
    """``patch``: only the fields to change, by column name; absent fields stay."""
    current = _current(conn, facility_id)
    permit(int(current["operator_id"]))
    _check_version(current, expected_version)
    values = {**current, **patch}
    if "location" in patch and "location_precision" not in patch:
        keep = current["location_precision"] in ("EXACT", "BUILDING")
        values["location_precision"] = (current["location_precision"] if keep else "EXACT") \
            if patch["location"] is not None else _default_precision(
                {**values, "location": None}, conn)
    if "service_codes" in patch:
        _check_services(conn, values.get("service_codes") or [])
    places = places or Places(conn)
    seed = _validated(_seed_record(values, places, _operator_code(conn, current["operator_id"])))
    # The service area follows the activity area (or municipality, when there is none);
    # an area given as GeoJSON replaces it; otherwise it stays as it is.
    area: BaseGeometry | None = current["service_area"]
    recompute = any(k in patch and patch[k] != current[k]
                    for k in ("activity_area", "municipality_code"))
    if patch.get("service_area") is not None:
        area, recompute = _multi(patch["service_area"]), False
    elif recompute:
        area = None
    placement = _placed(seed, places, with_area=recompute)
    row = _written_values(seed, placement, values, int(current["operator_id"]), area)
    texts = current["service_texts"]
    services = [{"service_code": s.code, "source_text": texts.get(s.code)}
                for s in seed.services]
    was = records.Current(facility_id, int(current["version"]), current)
    written = save_facility(conn, was, row, {"services": services}, actor)
    return written or Written("UPDATED", facility_id, int(current["version"]))


def save_facility(conn: Connection, was: records.Current | None, row: Mapping[str, Any],
                  links: Mapping[str, Sequence[Mapping[str, Any]]], actor: str
                  ) -> Written | None:
    """Every facility write (``hub load``, the import, the mutations) goes through here:
    one version and one audit row per change (``records.save``), and every server process
    hears of it once it commits. None when nothing differs."""
    key = str(row["code"]) if "code" in row else None
    saved = records.save(conn, records.FACILITY, was, row, links, key, actor)
    if saved is None:
        return None
    return _told(conn, Written("CREATED" if saved.created else "UPDATED", saved.id,
                               saved.version))


def archive_facility(conn: Connection, facility_id: int, expected_version: int, actor: str,
                     permit: Permit) -> Written:
    current = _current(conn, facility_id)
    permit(int(current["operator_id"]))
    _check_version(current, expected_version)
    version = int(current["version"]) + 1
    now = dt.datetime.now(dt.UTC)
    conn.execute(update(Facility).where(Facility.id == facility_id).values(
        archived_at=now, version=version, updated_at=func.now()))
    audit(conn, "facility", current["code"], "ARCHIVE", actor, {"archived_at": None},
          {"archived_at": now})
    return _told(conn, Written("ARCHIVED", facility_id, version))


def _told(conn: Connection, written: Written) -> Written:
    """Every server process hears of the change once it commits (facilityChanged)."""
    notify(conn, FACILITY_CHANGES, {"kind": written.kind, "id": written.facility_id,
                                    "version": written.version})
    return written


def _check_version(current: Mapping[str, Any], expected: int) -> None:
    if int(current["version"]) != expected:
        raise Conflict(f"expectedVersion: the facility is at version {current['version']}, "
                       f"not {expected}; read it again and retry", "expectedVersion")

