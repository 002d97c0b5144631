"""The seed data set (geodata/*.yaml) read into typed records, with every rule checked.

One pydantic model per file says what a record of that file may hold: no field beyond the
model's, vocabularies as the Literal types of hub.domain.vocabulary, codes in the syntax of
hub.domain.codes (which the database CHECKs share), 和暦 dates through hub.domain.wareki.
Rules that join records (unique codes, references between files) are plain functions run
once every file has passed its model. Whatever fails becomes a DataFileError naming the
file, the record and the field, so a broken data set is refused before anything is written.

Everything here is pure: the loader hands in the parsed YAML of each file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hub.domain import codes
from hub.domain.activity_area import parse_activity_area
from hub.domain.datafile import DataFileError, parse_file
from hub.domain.schedule import validate_rule
from hub.domain.vocabulary import (
    Audience,
    FacilityCategory,
    InitiativeStatus,
    LocationPrecision,
    OperatorLevel,
)
from hub.domain.wareki import (
    WarekiDate,
    fiscal_year_of,
    month_in_fiscal_year,
    parse_wareki,
    start_of,
)

TOKYO = ZoneInfo("Asia/Tokyo")
SEED_FILES = (
    "operators.yaml",
    "services.yaml",
    "facilities.yaml",
    "partnerships.yaml",
    "role_divisions.yaml",
    "initiatives.yaml",
    "consultations.yaml",
    "events.yaml",
)
T = TypeVar("T")


# ---- field types --------------------------------------------------------------------------

OperatorCode = Annotated[str, AfterValidator(codes.OPERATOR_CODE.validate)]
ServiceCode = Annotated[str, AfterValidator(codes.SERVICE_CODE.validate)]
FacilityCode = Annotated[str, AfterValidator(codes.FACILITY_CODE.validate)]
PartnershipCode = Annotated[str, AfterValidator(codes.PARTNERSHIP_CODE.validate)]
InitiativeCode = Annotated[str, AfterValidator(codes.INITIATIVE_CODE.validate)]
ConsultationCode = Annotated[str, AfterValidator(codes.CONSULTATION_CODE.validate)]
EventCode = Annotated[str, AfterValidator(codes.EVENT_CODE.validate)]

#: Free text as the documents word it: surrounding blanks dropped, never empty.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _some_source(sources: tuple[str, ...]) -> tuple[str, ...]:
    if not sources:
        raise ValueError("every record names at least one source")
    return sources


Sources = Annotated[tuple[Text, ...], AfterValidator(_some_source)]


def _no_repeats(what: str) -> Callable[[tuple[T, ...]], tuple[T, ...]]:
    def check(items: tuple[T, ...]) -> tuple[T, ...]:
        if len(set(items)) != len(items):
            raise ValueError(f"lists a {what} twice")
        return items

    return check


def _wareki(value: Any) -> WarekiDate:
    """A 和暦 date as written (H27.10, H29年度, 平成13年6月, ...); WarekiError says why not."""
    if isinstance(value, WarekiDate):
        return value
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"must be a 和暦 date such as H27.10, not {type(value).__name__}")
    return parse_wareki(str(value))


def _wareki_month(value: Any) -> WarekiDate:
    date = _wareki(value)
    if date.month is None:
        raise ValueError(f"{value!r} must be a month such as H27.10")
    return date


def _wareki_fiscal_year(value: Any) -> WarekiDate:
    date = _wareki(value)
    if not date.fiscal_year:
        raise ValueError(f"{value!r} must be a 年度 such as H29年度")
    return date


Wareki = Annotated[WarekiDate, PlainValidator(_wareki)]


def _wareki_as_written(text: str) -> str:
    _wareki(text)
    return text


def _wareki_month_as_written(text: str) -> str:
    _wareki_month(text)
    return text


#: A 和暦 date kept as written, for the notes that quote it.
WarekiText = Annotated[Text, AfterValidator(_wareki_as_written)]
WarekiMonthText = Annotated[Text, AfterValidator(_wareki_month_as_written)]
WarekiFiscalYear = Annotated[WarekiDate, PlainValidator(_wareki_fiscal_year)]


def _positive_whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"must be a positive whole number, not {value!r}")
    return value


def _number(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"must be a number, not {value!r}")
    return float(value)


PositiveWhole = Annotated[int, PlainValidator(_positive_whole)]
Number = Annotated[float, PlainValidator(_number)]


def _rrule(rule: str) -> str:
    validate_rule(rule)  # a ScheduleError is a ValueError: pydantic reports it on the field
    return rule


def _activity_area(area: str) -> str:
    parse_activity_area(area)  # an ActivityAreaError is a ValueError
    return area


def _event_month(value: Any) -> dt.date:
    """The month an event is dated to: ``H27.5``, or ``{fiscal_year: H29年度, month: 3}``
    (March of that 年度, so March 2018)."""
    if isinstance(value, Mapping):
        month = value.get("month")
        if set(value) != {"fiscal_year", "month"} or not isinstance(month, int) or isinstance(
            month, bool
        ):
            raise ValueError("must be {fiscal_year: H29年度, month: 7} or a month like H27.5")
        return month_in_fiscal_year(_wareki_fiscal_year(value["fiscal_year"]).year, month)
    date = _wareki(value)
    if date.month is None:
        raise ValueError(f"{value!r} must be a month like H27.5, or {{fiscal_year, month}}")
    return dt.date(date.year, date.month, 1)


# ---- one model per file -------------------------------------------------------------------


class _Record(BaseModel):
    """What every record shares: no unknown field, immutable once read. Numbers are taken
    as text where text is expected (a name or note of digits only)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class OperatorSeed(_Record):
    code: OperatorCode
    name: Text
    name_en: Text | None = None
    level: OperatorLevel
    municipality: Text | None = None  # a name, resolved to a code by the loader
    note: Text | None = None
    sources: Sources


class ServiceSeed(_Record):
    code: ServiceCode
    name_ja: Text
    name_en: Text
    sources: Sources


class Position(_Record):
    """A position typed in by an editor who knows the real one."""

    lat: Number
    lon: Number

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"must be {{lat: ..., lon: ...}}, not {value!r}")
        return value

    @field_validator("lat")
    @classmethod
    def _latitude(cls, lat: float) -> float:
        if abs(lat) > 90:
            raise ValueError(f"{lat!r} is outside [-90, 90]")
        return lat

    @field_validator("lon")
    @classmethod
    def _longitude(cls, lon: float) -> float:
        if abs(lon) > 180:
            raise ValueError(f"{lon!r} is outside [-180, 180]")
        return lon


class OfferedService(_Record):
    code: ServiceCode
    as_written: Text | None = None  # the source's words, e.g. 研修講座


class FacilityFigure(_Record):
    """A figure the documents give of a facility itself, as written: 貸室利用率 85% 超 is
    ``{name: 貸室利用率, value: 85, unit: "%", qualifier: 超}``. Undated where the source
    dates it not."""

    name: Text
    value: Number
    unit: Text
    qualifier: Text | None = None  # 超, 以上, 約 ... as written
    period: WarekiText | None = None
    note: Text | None = None
    source: Text


_TYPED_IN = ("EXACT", "BUILDING")
_AT_AN_AREA = ("MUNICIPALITY", "WARD")


class FacilitySeed(_Record):
    # Field order matters: a field's validator sees the fields declared before it.
    code: FacilityCode
    name_ja: Text
    name_kana: Text | None = None
    name_en: Text | None = None
    category: FacilityCategory
    operator: OperatorCode
    location_precision: LocationPrecision
    #: A name, resolved to a code by the loader.
    municipality: Text | None = Field(default=None, validate_default=True)
    #: Given only with EXACT or BUILDING precision; else the loader places the facility at
    #: its municipality's or ward's representative point.
    location: Position | None = Field(default=None, validate_default=True)
    address: Text | None = None
    activity_area: Annotated[Text, AfterValidator(_activity_area)] | None = Field(
        default=None, validate_default=True
    )
    services: tuple[OfferedService, ...] = ()
    established: Wareki | None = None
    legal_basis: Text | None = None
    metrics: tuple[FacilityFigure, ...] = ()
    note: Text | None = None
    sources: Sources

    @field_validator("services")
    @classmethod
    def _services_differ(
        cls, services: tuple[OfferedService, ...]
    ) -> tuple[OfferedService, ...]:
        """Two entries for one code are one service listed twice, whatever their words."""
        _no_repeats("service code")(tuple(s.code for s in services))
        return services

    @field_validator("municipality")
    @classmethod
    def _municipality_places_it(cls, value: str | None, info: ValidationInfo) -> str | None:
        precision = info.data.get("location_precision")
        if value is None and precision in _AT_AN_AREA:
            raise ValueError(f"is required to place a facility at {precision}")
        return value

    @field_validator("location")
    @classmethod
    def _location_matches_precision(
        cls, value: Position | None, info: ValidationInfo
    ) -> Position | None:
        precision = info.data.get("location_precision")
        if precision is None:  # itself invalid, and reported as such
            return value
        if value is None and precision in _TYPED_IN:
            raise ValueError(f"is required with location_precision {precision}")
        if value is not None and precision not in _TYPED_IN:
            raise ValueError(
                f"is given, so location_precision must be EXACT or BUILDING, not {precision}"
            )
        return value

    @field_validator("activity_area")
    @classmethod
    def _some_area(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and "municipality" in info.data and info.data["municipality"] is None:
            raise ValueError("is required when no municipality is given")
        return value

    @property
    def established_on(self) -> dt.date | None:
        return start_of(self.established) if self.established else None


def _at_least_two(facilities: tuple[str, ...]) -> tuple[str, ...]:
    if len(facilities) < 2:
        raise ValueError("a partnership joins at least two facilities")
    return facilities


class PartnershipSeed(_Record):
    code: PartnershipCode
    theme: Text
    category: FacilityCategory
    facilities: Annotated[
        tuple[FacilityCode, ...],
        AfterValidator(_at_least_two),
        AfterValidator(_no_repeats("facility")),
    ]
    directions: tuple[Text, ...] = ()
    #: The working group whose proposal the directions come from, as named.
    working_group: Text | None = None
    note: Text | None = None
    sources: Sources


class RoleDivisionSeed(_Record):
    partnership: PartnershipCode
    area: Text
    responsible: Annotated[tuple[FacilityCode, ...], AfterValidator(_no_repeats("facility"))]
    note: Text | None = None
    sources: Sources


class MetricEntry(_Record):
    """A count as written: ``{period: H27, value: 8, unit: 回, note: 開催}``."""

    period: WarekiText
    value: Number
    unit: Text
    note: Text | None = None


@dataclass(frozen=True)
class MetricSeed:
    """One figure of an initiative as stored: a period ``FY2015`` or ``2017-08``; planned
    when the source gives it as 予定 (開催予定), not as achieved."""

    period: str
    value: float
    unit: str
    as_of: dt.date | None
    note: str | None
    planned: bool = False


def _period(date: WarekiDate) -> str:
    """``FY2015`` for a 年度, ``2017-08`` for a month; a count as of a month (H29.8現在) is
    the running total of that month's 年度, so its period is the 年度 (FY2017)."""
    if date.month and date.as_of:
        return f"FY{fiscal_year_of(dt.date(date.year, date.month, 1))}"
    return f"{date.year}-{date.month:02d}" if date.month else f"FY{date.year}"


class InitiativeSeed(_Record):
    code: InitiativeCode
    partnership: PartnershipCode
    status: InitiativeStatus
    title: Text
    started: Wareki | None = None
    fiscal_year: WarekiFiscalYear | None = Field(default=None, validate_default=True)
    #: The months it took place (``H30.2予定``: planned then), one figure each.
    held: tuple[WarekiMonthText, ...] = ()
    metrics: tuple[MetricEntry, ...] = ()
    note: Text | None = None
    sources: Sources

    @field_validator("fiscal_year")
    @classmethod
    def _planned_for(cls, value: WarekiDate | None, info: ValidationInfo) -> WarekiDate | None:
        if value is None and info.data.get("status") == "PLANNED":
            raise ValueError("a planned initiative names the 年度 it is planned for")
        return value

    @property
    def started_on(self) -> dt.date | None:
        return start_of(self.started) if self.started else None

    @property
    def started_precision(self) -> str | None:
        if self.started is None:
            return None
        return "MONTH" if self.started.month else "FISCAL_YEAR"

    @property
    def fiscal_year_start(self) -> int | None:
        """The Gregorian year in which the 年度 begins."""
        return self.fiscal_year.year if self.fiscal_year else None

    @property
    def figures(self) -> tuple[MetricSeed, ...]:
        """The metrics as written, then one figure (1 回) per month it was held."""
        out = []
        for m in self.metrics:
            when = parse_wareki(m.period)
            note = m.period if m.note is None else f"{m.period}: {m.note}"
            as_of = start_of(when) if when.as_of else None  # 現在: a count as of that month
            out.append(MetricSeed(_period(when), m.value, m.unit, as_of, note, when.planned))
        for held in self.held:
            when = parse_wareki(held)
            note = f"{held}: 開催予定" if when.planned else f"{held}: 開催"
            out.append(MetricSeed(_period(when), 1.0, "回", None, note, when.planned))
        return tuple(out)


class ConsultationSeed(_Record):
    code: ConsultationCode
    facility: FacilityCode
    title: Text
    rule: Annotated[Text, AfterValidator(_rrule)]
    duration_minutes: PositiveWhole
    reservation_required: StrictBool
    minutes_per_person: PositiveWhole | None = None
    note: Text | None = None
    sources: Sources


class EventSeed(_Record):
    code: EventCode
    title: Text
    organizers: Annotated[tuple[FacilityCode, ...], AfterValidator(_no_repeats("facility"))]
    audiences: Annotated[tuple[Audience, ...], AfterValidator(_no_repeats("audience"))]
    #: The first day of the month the event is dated to; it spans that whole month.
    when: Annotated[dt.date, PlainValidator(_event_month)]
    note: Text | None = None
    sources: Sources

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime(self.when.year, self.when.month, 1, tzinfo=TOKYO)

    @property
    def ends_at(self) -> dt.datetime:
        """The last second of the month, Tokyo time."""
        first = self.when
        following = dt.datetime(
            first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=TOKYO
        )
        return following - dt.timedelta(seconds=1)

    @property
    def date_precision(self) -> str:
        return "MONTH"


@dataclass(frozen=True)
class SeedSet:
    operators: tuple[OperatorSeed, ...]
    services: tuple[ServiceSeed, ...]
    facilities: tuple[FacilitySeed, ...]
    partnerships: tuple[PartnershipSeed, ...]
    role_divisions: tuple[RoleDivisionSeed, ...]
    initiatives: tuple[InitiativeSeed, ...]
    consultations: tuple[ConsultationSeed, ...]
    events: tuple[EventSeed, ...]


# ---- rules across records -----------------------------------------------------------------


def _unique(file: str, codes_in_order: Sequence[str]) -> None:
    seen: set[str] = set()
    for index, code in enumerate(codes_in_order, start=1):
        if code in seen:
            raise DataFileError(file, f"#{index} ({code})", "code", "appears twice")
        seen.add(code)


def _check_refs(file: str, label: str, field: str, refs: Sequence[str], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise DataFileError(file, label, field, f"{ref!r} is not defined")


def check_references(seed: SeedSet) -> None:
    """Codes unique within their file, and every reference to another file defined there."""
    for file, items in (
        ("operators.yaml", seed.operators), ("services.yaml", seed.services),
        ("facilities.yaml", seed.facilities), ("partnerships.yaml", seed.partnerships),
        ("initiatives.yaml", seed.initiatives), ("consultations.yaml", seed.consultations),
        ("events.yaml", seed.events),
    ):
        _unique(file, [item.code for item in items])

    operators = {o.code for o in seed.operators}
    services = {s.code for s in seed.services}
    facilities = {f.code for f in seed.facilities}
    partnerships = {p.code for p in seed.partnerships}

    def label(n: int, code: str) -> str:
        return f"#{n} ({code})"

    for n, f in enumerate(seed.facilities, start=1):
        _check_refs("facilities.yaml", label(n, f.code), "operator", [f.operator], operators)
        _check_refs("facilities.yaml", label(n, f.code), "services",
                    [s.code for s in f.services], services)
    for n, p in enumerate(seed.partnerships, start=1):
        _check_refs("partnerships.yaml", label(n, p.code), "facilities", p.facilities,
                    facilities)
    for n, d in enumerate(seed.role_divisions, start=1):
        _check_refs("role_divisions.yaml", f"#{n}", "partnership", [d.partnership], partnerships)
        _check_refs("role_divisions.yaml", f"#{n}", "responsible", d.responsible, facilities)
    for n, ini in enumerate(seed.initiatives, start=1):
        _check_refs("initiatives.yaml", label(n, ini.code), "partnership", [ini.partnership],
                    partnerships)
    for n, c in enumerate(seed.consultations, start=1):
        _check_refs("consultations.yaml", label(n, c.code), "facility", [c.facility],
                    facilities)
    for n, e in enumerate(seed.events, start=1):
        _check_refs("events.yaml", label(n, e.code), "organizers", e.organizers, facilities)


def parse_seed_set(documents: Mapping[str, Any]) -> SeedSet:
    """Every file of the seed set, validated and cross-checked. ``documents`` maps each file
    name of SEED_FILES to its parsed YAML."""
    missing = [name for name in SEED_FILES if name not in documents]
    if missing:
        raise DataFileError(missing[0], None, None, "file missing from the seed set")
    seed = SeedSet(
        operators=parse_file("operators.yaml", OperatorSeed, documents["operators.yaml"]),
        services=parse_file("services.yaml", ServiceSeed, documents["services.yaml"]),
        facilities=parse_file("facilities.yaml", FacilitySeed, documents["facilities.yaml"]),
        partnerships=parse_file(
            "partnerships.yaml", PartnershipSeed, documents["partnerships.yaml"]
        ),
        role_divisions=parse_file(
            "role_divisions.yaml", RoleDivisionSeed, documents["role_divisions.yaml"]
        ),
        initiatives=parse_file("initiatives.yaml", InitiativeSeed, documents["initiatives.yaml"]),
        consultations=parse_file(
            "consultations.yaml", ConsultationSeed, documents["consultations.yaml"]
        ),
        events=parse_file("events.yaml", EventSeed, documents["events.yaml"]),
    )
    check_references(seed)
    return seed
