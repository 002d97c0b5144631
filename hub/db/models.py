"""The data model: SQLAlchemy 2 tables with GeoAlchemy2 geometry, mirrored by migrations/.

The rules the data must keep are constraints here, not only checks in Python: an import
that bypasses the API still cannot store a facility of an unknown category, a geometry in
the wrong SRID, or a ward whose parent does not exist. Every geometry is WGS 84
(EPSG:4326); distances are computed on the geography type at query time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.domain import codes
from hub.domain import vocabulary as vocab

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values``."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def _point() -> Geometry:
    return Geometry("POINT", srid=4326, spatial_index=False)


def _area() -> Geometry:
    return Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _sources() -> Any:
    return mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))


VALID_AREA = "{col} IS NULL OR (ST_IsValid({col}) AND NOT ST_IsEmpty({col}))"
LONLAT = "{col} IS NULL OR (ST_X({col}) BETWEEN -180 AND 180 AND ST_Y({col}) BETWEEN -90 AND 90)"


class Municipality(Base):
    """A municipality or a Sapporo ward; Sapporo (01100) itself is the union of its wards."""

    __tablename__ = "municipality"
    __table_args__ = (
        CheckConstraint(codes.MUNICIPALITY_CODE.check_sql("code"), name="code_5_digits"),
        CheckConstraint("code6 IS NULL OR " + codes.MUNICIPALITY_CODE6.check_sql("code6"),
                        name="code6_6_digits"),
        CheckConstraint("code6 IS NULL OR left(code6, 5) = code", name="code6_extends_code"),
        CheckConstraint(
            "municipality_type IS NULL OR " + one_of("municipality_type", vocab.MUNICIPALITY_TYPES),
            name="municipality_type",
        ),
        CheckConstraint("population IS NULL OR population >= 0", name="population_not_negative"),
        CheckConstraint("parent_code IS NULL OR parent_code <> code", name="not_own_parent"),
        CheckConstraint(VALID_AREA.format(col="boundary"), name="boundary_valid"),
        Index("ix_municipality_boundary", "boundary", postgresql_using="gist"),
        Index("ix_municipality_representative_point", "representative_point",
              postgresql_using="gist"),
        Index("ix_municipality_subprefecture", "subprefecture"),
        Index("ix_municipality_parent_code", "parent_code"),
    )

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    code6: Mapped[str | None] = mapped_column(String(6), unique=True)
    name_ja: Mapped[str] = mapped_column(Text, nullable=False)
    name_kana: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    municipality_type: Mapped[str | None] = mapped_column(Text)
    subprefecture: Mapped[str] = mapped_column(Text, nullable=False)
    gun: Mapped[str | None] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("municipality.code", ondelete="RESTRICT")
    )
    #: The six Northern Territories villages: in N03, not administered, left out of coverage.
    northern_territories: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    population: Mapped[int | None] = mapped_column(Integer)
    population_year: Mapped[int | None] = mapped_column(Integer)
    population_as_of: Mapped[dt.date | None] = mapped_column(Date)
    population_source: Mapped[str | None] = mapped_column(Text)
    area_km2: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    boundary: Mapped[WKBElement | None] = mapped_column(_area())
    boundary_source: Mapped[str | None] = mapped_column(Text)
    #: ST_PointOnSurface of the boundary: the point coverage analysis measures from.
    representative_point: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False),
        Computed("ST_PointOnSurface(boundary)", persisted=True),
    )
    updated_at: Mapped[dt.datetime] = _now()


class Operator(Base):
    """Who runs a facility: 北海道, 札幌市, another municipality, an NPO法人, ..."""

    __tablename__ = "operator"
    __table_args__ = (
        CheckConstraint(one_of("level", vocab.OPERATOR_LEVELS), name="level"),
        CheckConstraint(codes.OPERATOR_CODE.check_sql("code"), name="code_format"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = _sources()


class Service(Base):
    """One entry of the service taxonomy (相談, 研修, 会議室, ...)."""

    __tablename__ = "service"
    __table_args__ = (CheckConstraint(codes.SERVICE_CODE.check_sql("code"), name="code_format"),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_ja: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)


class Facility(Base):
    """A facility, or a programme with many sites (public housing) and no single location.

    Name search uses a trigram index over ``name_ja || name_kana || name_en``
    (``ix_facility_names_trgm``) and geodesic search a GIST index on
    ``location::geography`` (``ix_facility_location_geography``); being expression indexes
    they live in the migrations only.
    """

    __tablename__ = "facility"
    __table_args__ = (
        CheckConstraint(one_of("category", vocab.FACILITY_CATEGORIES), name="category"),
        CheckConstraint(
            one_of("location_precision", vocab.LOCATION_PRECISIONS), name="location_precision"
        ),
        CheckConstraint(
            "(location IS NULL) = (location_precision = 'NONE')", name="location_matches_precision"
        ),
        CheckConstraint(LONLAT.format(col="location"), name="location_in_range"),
        CheckConstraint(VALID_AREA.format(col="service_area"), name="service_area_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(codes.FACILITY_CODE.check_sql("code"), name="code_format"),
        Index("ix_facility_location", "location", postgresql_using="gist"),
        Index("ix_facility_service_area", "service_area", postgresql_using="gist"),
        Index("ix_facility_category", "category"),
        Index("ix_facility_operator_id", "operator_id"),
        Index("ix_facility_municipality_code", "municipality_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    name_ja: Mapped[str] = mapped_column(Text, nullable=False)
    name_kana: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"), nullable=False)
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))
    address: Mapped[str | None] = mapped_column(Text)
    #: 方書: the building (and floor or room) as a page writes it, e.g. かでる2・7 8階.
    building: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    #: Phone, opening hours and closed days as the source page writes them (not parsed).
    phone: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[str | None] = mapped_column(Text)
    closed_days: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    location: Mapped[WKBElement | None] = mapped_column(_point())
    location_precision: Mapped[str] = mapped_column(Text, nullable=False)
    activity_area: Mapped[str | None] = mapped_column(Text)
    service_area: Mapped[WKBElement | None] = mapped_column(_area())
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    #: What the sources leave open and how it was read (an inferred operator, say).
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = _sources()
    #: Rows made by ``hub dev synth`` for benchmarks; never mixed into real answers.
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class FacilityAreaPart(Base):
    """A facility's service area cut into parts of at most 256 vertices (ST_Subdivide), for
    fast point-in-area tests. Kept in step with facility.service_area by a database trigger
    (migration 0004), so no writer has to remember it."""

    __tablename__ = "facility_area_part"
    __table_args__ = (
        Index("ix_facility_area_part_geom", "geom", postgresql_using="gist"),
        Index("ix_facility_area_part_facility_id", "facility_id"),
    )
    #: The table has no key of its own (parts are replaced whole); the mapper needs one.
    __mapper_args__ = {"primary_key": ("facility_id", "geom")}  # noqa: RUF012

    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), nullable=False
    )
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False
    )


class FacilityAlias(Base):
    """Another name a page uses for a facility (a nickname, a corrected reading), kept beside
    the documents' name so that a search by either finds it."""

    __tablename__ = "facility_alias"
    __table_args__ = (CheckConstraint("name <> ''", name="name_not_empty"),)

    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    #: The page (URL) or document that uses this name.
    source: Mapped[str] = mapped_column(Text, nullable=False)


class FacilityMetric(Base):
    """A figure the documents give of a facility itself (貸室利用率 85% 超), with its source."""

    __tablename__ = "facility_metric"

    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    unit: Mapped[str] = mapped_column(Text, nullable=False)
    #: How the value bounds the figure, as written: 超 (over), 約 (about), ...
    qualifier: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, nullable=False)


class FacilityService(Base):
    __tablename__ = "facility_service"
    __table_args__ = (Index("ix_facility_service_service_code", "service_code"),)

    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True
    )
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code"), primary_key=True)
    #: The words of the source for this service at this facility, e.g. 研修講座.
    source_text: Mapped[str | None] = mapped_column(Text)


class Consultation(Base):
    """A recurring consultation (e.g. 女性弁護士による相談) as RFC 5545 rules in local time."""

    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint(
            "minutes_per_person IS NULL OR minutes_per_person > 0", name="minutes_per_person"
        ),
        CheckConstraint("rule LIKE '%RRULE:%'", name="rule_has_rrule"),
        CheckConstraint(codes.CONSULTATION_CODE.check_sql("code"), name="code_format"),
        Index("ix_consultation_facility_id", "facility_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(Text, nullable=False)
    #: DTSTART/RRULE/EXRULE/RDATE lines; times are wall-clock in ``timezone``.
    rule: Mapped[str] = mapped_column(Text, nullable=False)
    timezone: Mapped[str] = mapped_column(
        Text, nullable=False, server_default=text("'Asia/Tokyo'")
    )
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    reservation_required: Mapped[bool] = mapped_column(Boolean, nullable=False)
    minutes_per_person: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = _sources()


class Partnership(Base):
    """A 道/市 pair of facilities cooperating on one theme."""

    __tablename__ = "partnership"
    __table_args__ = (
        CheckConstraint(one_of("category", vocab.FACILITY_CATEGORIES), name="category"),
        CheckConstraint(codes.PARTNERSHIP_CODE.check_sql("code"), name="code_format"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    theme: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    #: 連携・協力の方向性: the directions of cooperation, as the documents word them.
    directions: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'")
    )
    #: The working group whose proposal the directions come from, as the documents name it.
    working_group: Mapped[str | None] = mapped_column(Text)
    #: How the data read the documents where they leave it open.
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = _sources()


class PartnershipFacility(Base):
    __tablename__ = "partnership_facility"
    __table_args__ = (Index("ix_partnership_facility_facility_id", "facility_id"),)

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True
    )
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class RoleDivision(Base):
    """すみわけ: which facility of a partnership answers for which area of work."""

    __tablename__ = "role_division"
    __table_args__ = (Index("ix_role_division_partnership_id", "partnership_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), nullable=False
    )
    area: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    sources: Mapped[list[str]] = _sources()


class RoleDivisionFacility(Base):
    __tablename__ = "role_division_facility"

    role_division_id: Mapped[int] = mapped_column(
        ForeignKey("role_division.id", ondelete="CASCADE"), primary_key=True
    )
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True
    )


class Initiative(Base):
    """An achievement (取組実績) or a planned initiative of a partnership."""

    __tablename__ = "initiative"
    __table_args__ = (
        CheckConstraint(one_of("status", vocab.INITIATIVE_STATUSES), name="status"),
        CheckConstraint(
            "started_on IS NULL OR extract(day FROM started_on) = 1", name="started_on_first_day"
        ),
        CheckConstraint("fiscal_year IS NULL OR fiscal_year BETWEEN 1989 AND 2100",
                        name="fiscal_year_range"),
        CheckConstraint(
            "(started_on IS NULL) = (started_precision IS NULL)", name="started_has_precision"
        ),
        CheckConstraint(
            "started_precision IS NULL OR "
            + one_of("started_precision", vocab.DATE_PRECISIONS),
            name="started_precision",
        ),
        CheckConstraint(codes.INITIATIVE_CODE.check_sql("code"), name="code_format"),
        Index("ix_initiative_partnership_id", "partnership_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    #: How precisely the source dates the start: MONTH (H29.8～) or FISCAL_YEAR (H27～).
    started_precision: Mapped[str | None] = mapped_column(Text)
    #: Gregorian year in which the 年度 starts.
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = _sources()


class InitiativeMetric(Base):
    """One figure of an initiative, e.g. 8回開催 in 2015, or 80件 as of 2017-08."""

    __tablename__ = "initiative_metric"
    __table_args__ = (Index("ix_initiative_metric_initiative_id", "initiative_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), nullable=False
    )
    period: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    unit: Mapped[str] = mapped_column(Text, nullable=False)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    #: Given as planned (開催予定) by the source, not achieved.
    planned: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Event(Base):
    """A seminar, course, co-hosted event or campaign, dated as precisely as its source."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint(one_of("date_precision", vocab.DATE_PRECISIONS), name="date_precision"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(codes.EVENT_CODE.check_sql("code"), name="code_format"),
        Index("ix_event_period", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str | None] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    date_precision: Mapped[str] = mapped_column(
        Text, nullable=False, server_default=text("'DAY'")
    )
    #: An RRULE when the event repeats (the campaign every May).
    recurrence: Mapped[str | None] = mapped_column(Text)
    venue_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = _sources()
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class EventOrganizer(Base):
    __tablename__ = "event_organizer"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position_not_negative"),
        Index("ix_event_organizer_facility_id", "facility_id"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    #: 0 is the host; co-hosts follow.
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class EventAudience(Base):
    __tablename__ = "event_audience"
    __table_args__ = (CheckConstraint(one_of("audience", vocab.AUDIENCES), name="audience"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[str] = mapped_column(Text, primary_key=True)


class Alert(Base):
    """A notice shared between centres, e.g. a new fraud method (新手の手口)."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_published_at", "published_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), nullable=False)
    published_at: Mapped[dt.datetime] = _now()


class AlertMunicipality(Base):
    """The municipalities an alert is for; none means all of Hokkaido."""

    __tablename__ = "alert_municipality"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipality.code"), primary_key=True
    )


class Dataset(Base):
    """Where the loaded boundaries, population or facility places came from, with the credit
    to show.

    One row per kind: loading another file replaces it, and every view or export of that
    data shows ``attribution``.
    """

    __tablename__ = "dataset"
    __table_args__ = (
        CheckConstraint("kind IN ('boundaries', 'population', 'facility_places')", name="kind"),
    )

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(Text, nullable=False)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    attribution: Mapped[str] = mapped_column(Text, nullable=False)
    records: Mapped[int] = mapped_column(Integer, nullable=False)
    loaded_at: Mapped[dt.datetime] = _now()


class AuditLog(Base):
    """One row per change: who changed which row, when, and what it was before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(one_of("action", vocab.AUDIT_ACTIONS), name="action"),
        Index("ix_audit_log_row", "table_name", "row_key"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    table_name: Mapped[str] = mapped_column(Text, nullable=False)
    row_key: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[dt.datetime] = _now()
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class PersistedQuery(Base):
    """The text of an automatic persisted query by its SHA-256 (hub.api.persisted): in the
    database so that every hub process knows what any of them registered."""

    __tablename__ = "persisted_query"
    __table_args__ = (CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),)

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    query: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _now()


class ApiToken(Base):
    """A bearer token; only a hash of its secret is stored."""

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(one_of("role", vocab.TOKEN_ROLES), name="role"),
        CheckConstraint("role <> 'EDITOR' OR operator_id IS NOT NULL", name="editor_has_operator"),
        CheckConstraint("revoked_at IS NULL OR revoked_at >= created_at", name="revoked_after"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    secret_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"))
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'")
    )
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
