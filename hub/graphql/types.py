"""The GraphQL types of the contract, each close to its resolvers. Relations go through the
request's DataLoaders (info.context.loaders), never a query per object."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from hub.domain.closures import read_closures
from hub.domain.opening_hours import availability_note, read_hours
from hub.graphql.context import Context
from hub.graphql.enums import (
    DatePrecision,
    FacilityCategory,
    GeoJSON,
    InitiativeStatus,
    LocationPrecision,
    OperatorLevel,
)
from hub.graphql.inputs import FacilityFilterInput, to_filter_once
from hub.services.reads.catalog import (
    ConsultationRow,
    FacilityMetricRow,
    InitiativeRow,
    MetricRow,
    OperatorRow,
    PartnershipRow,
    RoleDivisionRow,
    ServiceRow,
)
from hub.services.reads.facilities import AliasRow, FacilityRow
from hub.services.reads.municipalities import MunicipalityRow

Ctx = Info[Context, None]


@strawberry.type
class GeoPoint:
    lat: float
    lon: float


@strawberry.type
class Operator:
    id: strawberry.ID
    name: str
    level: OperatorLevel

    @classmethod
    def of(cls, row: OperatorRow) -> Operator:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, level=OperatorLevel(row.level))


@strawberry.type
class Service:
    code: str
    name_ja: str
    name_en: str

    @classmethod
    def of(cls, row: ServiceRow) -> Service:
        return cls(code=row.code, name_ja=row.name_ja, name_en=row.name_en)


@strawberry.type
class Municipality:
    code: str = strawberry.field(description='5-digit 全国地方公共団体コード, e.g. "01100".')
    name_ja: str
    name_kana: str | None
    name_en: str | None
    subprefecture: str
    population: int | None
    population_year: int | None
    northern_territories: bool = strawberry.field(
        description="One of the six Northern Territories villages: not a coverage unit."
    )
    parent_code: strawberry.Private[str | None]

    @classmethod
    def of(cls, row: MunicipalityRow) -> Municipality:
        return cls(code=row.code, name_ja=row.name_ja, name_kana=row.name_kana,
                   name_en=row.name_en, subprefecture=row.subprefecture,
                   population=row.population, population_year=row.population_year,
                   northern_territories=row.northern_territories, parent_code=row.parent_code)

    @strawberry.field(description="The boundary; simplifyMeters (e.g. 100) keeps every vertex "
                      "within that many metres of the full-resolution border.")
    async def boundary(self, info: Ctx, simplify_meters: float | None = None) -> GeoJSON | None:
        result: GeoJSON | None = await info.context.loaders.geometry(
            "boundary", simplify_meters).load(self.code)
        return result

    @strawberry.field(description="The city a ward belongs to.")
    async def parent(self, info: Ctx) -> Municipality | None:
        if self.parent_code is None:
            return None
        row = await info.context.loaders.municipality.load(self.parent_code)
        return Municipality.of(row) if row else None

    @strawberry.field(description="Facilities located here; a city includes its wards.")
    async def facilities(self, info: Ctx, filter: FacilityFilterInput | None = None
                         ) -> list[Facility]:
        flt = to_filter_once(filter, info.path.as_list())
        rows = await info.context.loaders.facilities_in(flt).load(self.code)
        return [Facility.of(row) for row in rows]


@strawberry.type(description="Another name a page uses for a facility, with that page.")
class FacilityAlias:
    name: str
    source: str

    @classmethod
    def of(cls, row: AliasRow) -> FacilityAlias:
        return cls(name=row.name, source=row.source)


@strawberry.type
class Facility:
    id: strawberry.ID
    code: str = strawberry.field(description="Stable human key used in data files.")
    name_ja: str
    name_kana: str | None
    name_en: str | None
    category: FacilityCategory
    address: str | None
    location: GeoPoint | None = strawberry.field(
        description="Null for programmes with no single site."
    )
    location_precision: LocationPrecision
    activity_area: str | None = strawberry.field(
        description='As written in the source, e.g. "江別市内", "全道".'
    )
    established_on: dt.date | None
    legal_basis: str | None
    sources: list[str]
    note: str | None = strawberry.field(
        description="How the data read the documents for this facility, where they leave it open."
    )
    version: int
    updated_at: dt.datetime
    building: str | None = strawberry.field(
        description="方書: the building (floor, room) as the source page writes it."
    )
    postal_code: str | None = strawberry.field(description="郵便番号, as written.")
    phone: str | None = strawberry.field(description="電話番号, as the source page writes it.")
    hours: str | None = strawberry.field(
        description="Opening hours as the source page writes them."
    )
    closed_days: str | None = strawberry.field(
        description="Closed days as the source page writes them; null where no page states them."
    )
    url: str | None = strawberry.field(description="URL of the facility's own page.")
    available_days: str | None = strawberry.field(
        description="利用可能曜日 (e.g. 月火水木金), only where the hours state them plainly."
    )
    opening_time: str | None = strawberry.field(
        description="開始時間 HH:MM, only where the hours are one plain range."
    )
    closing_time: str | None = strawberry.field(
        description="終了時間 HH:MM, only where the hours are one plain range."
    )
    availability_note: str | None = strawberry.field(
        description="利用可能日時特記事項: hours and closed days as written."
    )
    row: strawberry.Private[FacilityRow]

    @classmethod
    def of(cls, row: FacilityRow) -> Facility:
        opening = read_hours(row.hours)
        return cls(
            id=strawberry.ID(str(row.id)), code=row.code, name_ja=row.name_ja,
            name_kana=row.name_kana, name_en=row.name_en,
            category=FacilityCategory(row.category), address=row.address,
            location=GeoPoint(lat=row.lat, lon=row.lon) if row.lat is not None
            and row.lon is not None else None,
            location_precision=LocationPrecision(row.location_precision),
            activity_area=row.activity_area, established_on=row.established_on,
            legal_basis=row.legal_basis, sources=list(row.sources), note=row.note,
            version=row.version,
            updated_at=row.updated_at, building=row.building, postal_code=row.postal_code,
            phone=row.phone, hours=row.hours, closed_days=row.closed_days, url=row.url,
            available_days=opening.days, opening_time=opening.opens,
            closing_time=opening.closes,
            availability_note=availability_note(row.hours, row.closed_days), row=row,
        )

    @strawberry.field(description="Other names pages use (nicknames, official names), each "
                      "with its page; the text filter matches them too.")
    async def aliases(self, info: Ctx) -> list[FacilityAlias]:
        return [FacilityAlias.of(r) for r in await info.context.loaders.aliases.load(self.row.id)]

    @strawberry.field
    async def operator(self, info: Ctx) -> Operator:
        row = await info.context.loaders.operator.load(self.row.operator_id)
        assert row is not None  # a foreign key
        return Operator.of(row)

    @strawberry.field
    async def municipality(self, info: Ctx) -> Municipality | None:
        if self.row.municipality_code is None:
            return None
        row = await info.context.loaders.municipality.load(self.row.municipality_code)
        return Municipality.of(row) if row else None

    @strawberry.field(description="The area the facility serves; simplifyMeters as for "
                      "Municipality.boundary.")
    async def service_area(self, info: Ctx, simplify_meters: float | None = None
                           ) -> GeoJSON | None:
        result: GeoJSON | None = await info.context.loaders.geometry(
            "service_area", simplify_meters).load(self.row.id)
        return result

    @strawberry.field
    async def services(self, info: Ctx) -> list[Service]:
        return [Service.of(r) for r in await info.context.loaders.services.load(self.row.id)]

    @strawberry.field(description="Figures the documents give of the facility itself, e.g. "
                      "貸室利用率 85% 超, each with its source.")
    async def metrics(self, info: Ctx) -> list[FacilityMetric]:
        rows = await info.context.loaders.facility_metrics.load(self.row.id)
        return [FacilityMetric.of(r) for r in rows]

    @strawberry.field
    async def consultations(self, info: Ctx) -> list[Consultation]:
        rows = await info.context.loaders.consultations.load(self.row.id)
        return [Consultation.of(r) for r in rows]

    @strawberry.field(description="The 道/市 partnerships this facility is part of, with the "
                      "partner facility and its services (the documents' mutual PR).")
    async def partnerships(self, info: Ctx) -> list[Partnership]:
        rows = await info.context.loaders.partnerships.load(self.row.id)
        return [Partnership.of(r) for r in rows]


@strawberry.type
class FacilityMetric:
    name: str = strawberry.field(description='As written, e.g. "貸室利用率".')
    value: float
    unit: str
    qualifier: str | None = strawberry.field(
        description='How the value bounds the figure, as written: "超" (over), "約" (about).'
    )
    period: str | None = strawberry.field(description="Null where the source does not date it.")
    note: str | None
    source: str

    @classmethod
    def of(cls, row: FacilityMetricRow) -> FacilityMetric:
        return cls(name=row.name, value=row.value, unit=row.unit, qualifier=row.qualifier,
                   period=row.period, note=row.note, source=row.source)


@strawberry.type
class FacilityEdge:
    cursor: str
    node: Facility


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class FacilityConnection:
    edges: list[FacilityEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class NearbyFacility:
    facility: Facility
    distance_meters: float = strawberry.field(description="Geodesic metres on WGS 84.")


@strawberry.type
class RoleDivision:
    area: str
    note: str | None
    responsible_ids: strawberry.Private[list[int]]

    @strawberry.field
    async def responsible(self, info: Ctx) -> list[Facility]:
        rows = await info.context.loaders.facility.load_many(self.responsible_ids)
        return [Facility.of(r) for r in rows if r is not None]


@strawberry.type
class Metric:
    period: str = strawberry.field(description='"FY2015" for 年度 2015, "2017-08" for a month.')
    value: float
    unit: str
    note: str | None = strawberry.field(description="The period and words as written, e.g. "
                                        '"H29.8現在" or "H29予定: 5回開催予定".')
    as_of: dt.date | None = strawberry.field(
        description="A running total counted as of this month (H29.8現在: 2017-08-01); the "
        "period is then the 年度 it belongs to."
    )
    planned: bool = strawberry.field(
        description="Given as planned (開催予定) by the source, not as achieved."
    )

    @classmethod
    def of(cls, row: MetricRow) -> Metric:
        return cls(period=row.period, value=row.value, unit=row.unit, note=row.note,
                   as_of=row.as_of, planned=row.planned)


@strawberry.type
class Initiative:
    id: strawberry.ID
    title: str
    status: InitiativeStatus
    started_on: dt.date | None = strawberry.field(
        description="First month as the 1st of that month."
    )
    started_precision: DatePrecision | None = strawberry.field(
        description="How precisely startedOn is known: MONTH (H29.8～) or FISCAL_YEAR (H27～)."
    )
    fiscal_year: int | None = strawberry.field(
        description="Gregorian year the 年度 starts, for planned initiatives."
    )
    note: str | None = strawberry.field(
        description="How the data read the documents for this initiative, where they leave it "
        "open (e.g. an item the PDF layout printed under another heading)."
    )
    sources: list[str]
    row: strawberry.Private[InitiativeRow]

    @classmethod
    def of(cls, row: InitiativeRow) -> Initiative:
        return cls(id=strawberry.ID(str(row.id)), title=row.title,
                   status=InitiativeStatus(row.status), started_on=row.started_on,
                   started_precision=DatePrecision(row.started_precision)
                   if row.started_precision else None,
                   fiscal_year=row.fiscal_year, note=row.note,
                   sources=list(row.sources), row=row)

    @strawberry.field
    async def metrics(self, info: Ctx) -> list[Metric]:
        return [Metric.of(r) for r in await info.context.loaders.metrics.load(self.row.id)]

    @strawberry.field
    async def partnership(self, info: Ctx) -> Partnership:
        row = await info.context.loaders.partnership.load(self.row.partnership_id)
        assert row is not None  # a foreign key
        return Partnership.of(row)


@strawberry.type
class Partnership:
    id: strawberry.ID
    theme: str
    category: FacilityCategory
    directions: list[str] = strawberry.field(description="連携・協力の方向性, as written.")
    working_group: str | None = strawberry.field(
        description="The working group whose proposal the directions come from, as named."
    )
    note: str | None = strawberry.field(
        description="How the data read the documents for this partnership (e.g. the order of "
        "headings and bullets in directions)."
    )
    sources: list[str]
    row: strawberry.Private[PartnershipRow]

    @classmethod
    def of(cls, row: PartnershipRow) -> Partnership:
        return cls(id=strawberry.ID(str(row.id)), theme=row.theme,
                   category=FacilityCategory(row.category), directions=list(row.directions),
                   working_group=row.working_group, note=row.note, sources=list(row.sources),
                   row=row)

    @strawberry.field
    async def facilities(self, info: Ctx) -> list[Facility]:
        ids = await info.context.loaders.partnership_facilities.load(self.row.id)
        rows = await info.context.loaders.facility.load_many(ids)
        return [Facility.of(r) for r in rows if r is not None]

    @strawberry.field
    async def role_divisions(self, info: Ctx) -> list[RoleDivision]:
        rows: list[RoleDivisionRow] = await info.context.loaders.role_divisions.load(self.row.id)
        return [RoleDivision(area=r.area, note=r.note, responsible_ids=r.responsible_ids)
                for r in rows]

    @strawberry.field
    async def initiatives(self, info: Ctx, status: InitiativeStatus | None = None
                          ) -> list[Initiative]:
        rows = await info.context.loaders.initiatives.load(self.row.id)
        return [Initiative.of(r) for r in rows if status is None or r.status == status.value]


@strawberry.type
class Consultation:
    id: strawberry.ID
    title: str
    rule: str = strawberry.field(description="RFC 5545 RRULE lines, local time (Asia/Tokyo), "
                                 "with any EXDATE lines that cancel single sessions.")
    reservation_required: bool
    minutes_per_person: int | None
    note: str | None
    row: strawberry.Private[ConsultationRow]

    @classmethod
    def of(cls, row: ConsultationRow) -> Consultation:
        return cls(id=strawberry.ID(str(row.id)), title=row.title, rule=row.rule,
                   reservation_required=row.reservation_required,
                   minutes_per_person=row.minutes_per_person, note=row.note, row=row)

    @strawberry.field
    async def facility(self, info: Ctx) -> Facility:
        row = await info.context.loaders.facility.load(self.row.facility_id)
        assert row is not None  # consultations are only listed for live facilities
        return Facility.of(row)

    @strawberry.field(description="Whether the facility's closed days are known (from a "
                      "source page) and applied to its sessions; false means the calendar "
                      "keeps every date because its closures are unknown.")
    async def closures_known(self, info: Ctx) -> bool:
        # Read from the facility's row through its DataLoader: a calendar of many sessions
        # costs one batched statement (shared with `facility`), not one per session.
        row = await info.context.loaders.facility.load(self.row.facility_id)
        assert row is not None  # consultations are only listed for live facilities
        return read_closures(row.closed_days, row.hours) is not None


@strawberry.type
class ConsultationSession:
    consultation: Consultation
    starts_at: dt.datetime
    ends_at: dt.datetime
    skipped: bool = strawberry.field(
        default=False, description="True for a session the calendar leaves out (listed only "
        "with includeSkipped).")
    skip_reason: str | None = strawberry.field(
        default=None, description="Why it is left out: the holiday's name (e.g. 春分の日), the "
        "closed days as the facility's page writes them (e.g. 日曜日, 年末年始(...)), or "
        "予定の例外 (EXDATE) for an exception of the consultation's own rule; every reason "
        "that applies, separated by 、.")
