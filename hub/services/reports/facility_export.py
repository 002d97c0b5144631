"""Facilities as open-data files, for ``/export/facilities.csv|.geojson`` and ``hub export
facilities`` alike: CSV in the 公共施設一覧 layout (``hub.domain.public_facility_writer``)
and GeoJSON with every field of GraphQL's Facility.

Both are written as a stream of chunks, one per batch of facilities read in code order, so
that an export of any size holds one batch in memory; the number of rows is checked against
its limit first (HUB_MAX_EXPORT_ROWS), before a byte is written. A batch's relations are
read the way the API's DataLoaders read them: one statement per relation per batch. The
batches are separate statements, not one snapshot: a facility written while an export
streams appears as it was when its batch was read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from hub.domain.closures import read_closures
from hub.domain.errors import HubError
from hub.domain.filters import FacilityFilter
from hub.domain.opening_hours import availability_note, read_hours
from hub.domain.public_facility_writer import PublicFacility, cells, csv_text, header
from hub.services.reads.catalog import (
    ConsultationRow,
    FacilityMetricRow,
    OperatorRow,
    PartnershipRow,
    ServiceRow,
)
from hub.services.reads.facilities import AliasRow, FacilityRow
from hub.services.reads.municipalities import MunicipalityRow
from hub.services.reads.provider import Reads

ExportFormat = Literal["csv", "geojson"]
#: Facilities read (and written) at a time: about ten statements a batch.
BATCH = 500
MEDIA_TYPES: dict[ExportFormat, str] = {"csv": "text/csv; charset=utf-8",
                                        "geojson": "application/geo+json"}


class ExportTooLarge(HubError):
    """More facilities match than one export may hold (HUB_MAX_EXPORT_ROWS)."""

    code = "QUERY_TOO_COMPLEX"

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class FacilityExport:
    """A facility and the records around it that an export writes."""

    row: FacilityRow
    operator: OperatorRow
    municipality: MunicipalityRow | None = None
    parent: MunicipalityRow | None = None
    services: list[ServiceRow] = field(default_factory=list)
    aliases: list[AliasRow] = field(default_factory=list)
    consultations: list[ConsultationRow] = field(default_factory=list)
    partnerships: list[tuple[PartnershipRow, list[FacilityRow]]] = field(default_factory=list)
    metrics: list[FacilityMetricRow] = field(default_factory=list)
    service_area: dict[str, Any] | None = None


async def check(reads: Reads, flt: FacilityFilter | None, max_rows: int) -> int:
    """How many facilities the export will hold; unknown codes in the filter and an export
    over the limit are refused (InputError, ExportTooLarge) before anything is written."""
    try:
        await reads.check_references(flt, "filter")
    except HubError as exc:  # the filter is given as parameters here, not as an input
        field_name = exc.field.removeprefix("filter.") if exc.field else None
        raise type(exc)(exc.message.removeprefix("filter."), field_name) from None
    total = await reads.export_count(flt)
    if total > max_rows:
        raise ExportTooLarge(f"{total:,} facilities match; an export holds at most "
                             f"{max_rows:,} (HUB_MAX_EXPORT_ROWS): narrow it with a filter, "
                             "e.g. categories or municipalityCodes", max_rows)
    return total


async def batches(reads: Reads, flt: FacilityFilter | None, *, full: bool,
                  simplify_meters: float = 0.0) -> AsyncIterator[list[FacilityExport]]:
    """The matching facilities in code order, a batch at a time, with what the CSV needs
    (``full=False``: operator, municipality, services, aliases) or every relation."""
    after: str | None = None
    while True:
        rows = await reads.export_batch(flt, after, BATCH)
        if not rows:
            return
        yield await _related(reads, rows, full, simplify_meters)
        if len(rows) < BATCH:
            return
        after = rows[-1].code


async def _related(reads: Reads, rows: list[FacilityRow], full: bool, simplify_meters: float
                   ) -> list[FacilityExport]:
    ids = [r.id for r in rows]
    operators = await reads.operators(sorted({r.operator_id for r in rows}))
    places = await reads.municipalities_by_codes(
        sorted({r.municipality_code for r in rows if r.municipality_code}))
    parents = await reads.municipalities_by_codes(
        sorted({m.parent_code for m in places.values() if m.parent_code} - set(places)))
    places = places | parents
    services = await reads.services_of(ids)
    aliases = await reads.aliases_of(ids)
    consultations: dict[int, list[ConsultationRow]] = {}
    partnerships: dict[int, list[PartnershipRow]] = {}
    members: dict[int, list[int]] = {}
    partners: dict[int, FacilityRow] = {}
    metrics: dict[int, list[FacilityMetricRow]] = {}
    areas: dict[int, dict[str, Any]] = {}
    if full:
        consultations = await reads.consultations_of(ids)
        partnerships = await reads.partnerships_of(ids)
        members = await reads.facility_ids_of(
            sorted({p.id for found in partnerships.values() for p in found}))
        partners = await reads.facilities_by_ids(
            sorted({i for found in members.values() for i in found}))
        metrics = await reads.facility_metrics_of(ids)
        areas = await reads.export_service_areas(ids, simplify_meters)
    out = []
    for r in rows:
        place = places.get(r.municipality_code or "")
        out.append(FacilityExport(
            row=r, operator=operators[r.operator_id], municipality=place,
            parent=places.get(place.parent_code) if place and place.parent_code else None,
            services=services.get(r.id, []), aliases=aliases.get(r.id, []),
            consultations=consultations.get(r.id, []),
            partnerships=[(p, [partners[i] for i in members.get(p.id, []) if i in partners])
                          for p in partnerships.get(r.id, [])],
            metrics=metrics.get(r.id, []), service_area=areas.get(r.id)))
    return out


# ---- CSV: the 公共施設一覧 layout ---------------------------------------------------------------

def public_facility(export: FacilityExport) -> PublicFacility:
    r = export.row
    return PublicFacility(
        code=r.code, name_ja=r.name_ja, category=r.category,
        operator_name=export.operator.name, location_precision=r.location_precision,
        municipality_code=r.municipality_code,
        municipality_name=export.municipality.name_ja if export.municipality else None,
        name_kana=r.name_kana, aliases=tuple(a.name for a in export.aliases),
        address=r.address, building=r.building, lat=r.lat, lon=r.lon, phone=r.phone,
        hours=r.hours, closed_days=r.closed_days, url=r.url,
        service_names=tuple(s.name_ja for s in export.services),
        activity_area=r.activity_area)


async def csv_chunks(reads: Reads, flt: FacilityFilter | None) -> AsyncIterator[bytes]:
    """The file in pieces: BOM and header, then one piece per batch."""
    yield header().encode()
    number = 0
    async for found in batches(reads, flt, full=False):
        rows = []
        for export in found:
            number += 1
            rows.append(cells(public_facility(export), number))
        yield csv_text(rows).encode()


# ---- GeoJSON: every field of GraphQL's Facility ------------------------------------------------

def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _municipality(row: MunicipalityRow, parent: MunicipalityRow | None) -> dict[str, Any]:
    return {"code": row.code, "nameJa": row.name_ja, "nameKana": row.name_kana,
            "nameEn": row.name_en, "subprefecture": row.subprefecture,
            "population": row.population, "populationYear": row.population_year,
            "northernTerritories": row.northern_territories,
            "parent": {"code": parent.code, "nameJa": parent.name_ja} if parent else None}


def _consultation(row: ConsultationRow, facility: FacilityRow) -> dict[str, Any]:
    return {"id": str(row.id), "title": row.title, "rule": row.rule,
            "reservationRequired": row.reservation_required,
            "minutesPerPerson": row.minutes_per_person, "note": row.note,
            "closuresKnown": read_closures(facility.closed_days, facility.hours) is not None}


def _partnership(row: PartnershipRow, facilities: list[FacilityRow]) -> dict[str, Any]:
    return {"id": str(row.id), "theme": row.theme, "category": row.category,
            "directions": list(row.directions), "workingGroup": row.working_group,
            "note": row.note, "sources": list(row.sources),
            "facilities": [{"id": str(f.id), "code": f.code, "nameJa": f.name_ja}
                           for f in facilities]}


def properties(export: FacilityExport) -> dict[str, Any]:
    """Every field of GraphQL's Facility by its GraphQL name: the contract's, then the
    hub's additions. Objects are nested with their own fields; a facility another record
    points to (a partner) is its id, code and name; the service area is simplified
    (HUB_EXPORT_SIMPLIFY_METERS)."""
    r = export.row
    located = r.lat is not None and r.lon is not None
    opening = read_hours(r.hours)
    return {
        "id": str(r.id), "code": r.code, "nameJa": r.name_ja, "nameKana": r.name_kana,
        "nameEn": r.name_en, "category": r.category,
        "operator": {"id": str(export.operator.id), "name": export.operator.name,
                     "level": export.operator.level},
        "municipality": _municipality(export.municipality, export.parent)
        if export.municipality else None,
        "address": r.address,
        "location": {"lat": r.lat, "lon": r.lon} if located else None,
        "locationPrecision": r.location_precision, "activityArea": r.activity_area,
        "serviceArea": export.service_area,
        "services": [{"code": s.code, "nameJa": s.name_ja, "nameEn": s.name_en}
                     for s in export.services],
        "establishedOn": _date(r.established_on), "legalBasis": r.legal_basis,
        "consultations": [_consultation(c, r) for c in export.consultations],
        "partnerships": [_partnership(p, members) for p, members in export.partnerships],
        "sources": list(r.sources), "version": r.version,
        "updatedAt": r.updated_at.isoformat(),
        "note": r.note, "building": r.building, "postalCode": r.postal_code,
        "phone": r.phone, "hours": r.hours, "closedDays": r.closed_days, "url": r.url,
        "availableDays": opening.days, "openingTime": opening.opens,
        "closingTime": opening.closes,
        "availabilityNote": availability_note(r.hours, r.closed_days),
        "aliases": [{"name": a.name, "source": a.source} for a in export.aliases],
        "metrics": [{"name": m.name, "value": m.value, "unit": m.unit,
                     "qualifier": m.qualifier, "period": m.period, "note": m.note,
                     "source": m.source} for m in export.metrics],
    }


def feature(export: FacilityExport) -> dict[str, Any]:
    """An RFC 7946 Feature: the facility's location as its Point (null for a programme with
    no single site), its fields as properties."""
    r = export.row
    geometry = ({"type": "Point", "coordinates": [r.lon, r.lat]}
                if r.lat is not None and r.lon is not None else None)
    return {"type": "Feature", "id": str(r.id), "geometry": geometry,
            "properties": properties(export)}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def geojson_chunks(reads: Reads, flt: FacilityFilter | None, simplify_meters: float
                         ) -> AsyncIterator[bytes]:
    """A FeatureCollection in pieces, with the credits the data requires (``attribution``,
    a foreign member: the publishers' terms, table ``dataset``)."""
    credits = [d.attribution for d in await reads.datasets()]
    yield ('{"type":"FeatureCollection","attribution":' + _json(credits)
           + ',"features":[').encode()
    first = True
    async for found in batches(reads, flt, full=True, simplify_meters=simplify_meters):
        text = ",".join(_json(feature(e)) for e in found)
        yield (("" if first else ",") + text).encode()
        first = False
    yield b"]}\n"


def chunks(reads: Reads, flt: FacilityFilter | None, format: ExportFormat,
           simplify_meters: float) -> AsyncIterator[bytes]:
    """The export in ``format`` as pieces to send or write one after another."""
    writers: dict[ExportFormat, Callable[[], AsyncIterator[bytes]]] = {
        "csv": lambda: csv_chunks(reads, flt),
        "geojson": lambda: geojson_chunks(reads, flt, simplify_meters),
    }
    return writers[format]()
