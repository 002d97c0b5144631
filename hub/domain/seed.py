"""The seed data set (geodata/*.yaml) read into plain records, with every rule checked.

Everything here is pure: the loader hands in the parsed YAML of each file and gets back
typed records, or a DataFileError naming the file, the record and the field. References
between files (a facility's operator, a partnership's facilities, ...) are checked here too,
so that a broken data set is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from hub.domain import vocabulary as vocab
from hub.domain.activity_area import ActivityAreaError, parse_activity_area
from hub.domain.datafile import DataFileError
from hub.domain.schedule import ScheduleError, validate_rule
from hub.domain.wareki import WarekiDate, WarekiError, month_in_fiscal_year, parse_wareki, start_of

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
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
T = TypeVar("T")


# ---- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorSeed:
    code: str
    name: str
    name_en: str | None
    level: str
    municipality: str | None
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ServiceSeed:
    code: str
    name_ja: str
    name_en: str


@dataclass(frozen=True)
class FacilitySeed:
    code: str
    name_ja: str
    name_kana: str | None
    name_en: str | None
    category: str
    operator: str
    municipality: str | None  # a name, resolved to a code by the loader
    location_precision: str
    #: (lat, lon) when an editor has given the real position; else None and the loader
    #: places the facility at its municipality's or ward's representative point.
    location: tuple[float, float] | None
    address: str | None
    activity_area: str | None
    services: tuple[tuple[str, str | None], ...]  # (code, the source's words)
    established_on: dt.date | None
    legal_basis: str | None
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PartnershipSeed:
    code: str
    theme: str
    category: str
    facilities: tuple[str, ...]
    directions: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RoleDivisionSeed:
    partnership: str
    area: str
    responsible: tuple[str, ...]
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class MetricSeed:
    period: str
    value: float
    unit: str
    as_of: dt.date | None
    note: str | None


@dataclass(frozen=True)
class InitiativeSeed:
    code: str
    partnership: str
    title: str
    status: str
    started_on: dt.date | None
    started_precision: str | None
    fiscal_year: int | None
    metrics: tuple[MetricSeed, ...]
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ConsultationSeed:
    code: str
    facility: str
    title: str
    rule: str
    duration_minutes: int
    reservation_required: bool
    minutes_per_person: int | None
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class EventSeed:
    code: str
    title: str
    organizers: tuple[str, ...]
    audiences: tuple[str, ...]
    starts_at: dt.datetime
    ends_at: dt.datetime
    date_precision: str
    note: str | None
    sources: tuple[str, ...]


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


# ---- reading one record -------------------------------------------------------------------


class Record:
    """One mapping of a data file, with typed getters that name the field when they fail."""

    def __init__(self, file: str, index: int, raw: Any, allowed: Sequence[str]) -> None:
        self.file = file
        self.label = f"#{index}"
        if not isinstance(raw, Mapping):
            raise DataFileError(file, self.label, None, "a record must be a mapping")
        self.raw = raw
        if isinstance(raw.get("code"), str):
            self.label = f"#{index} ({raw['code']})"
        unknown = sorted(set(map(str, raw)) - set(allowed))
        if unknown:
            raise self.error(unknown[0], f"unknown field; expected one of {', '.join(allowed)}")

    def error(self, field: str | None, reason: str) -> DataFileError:
        return DataFileError(self.file, self.label, field, reason)

    def text(self, field: str) -> str:
        value = self.optional_text(field)
        if value is None:
            raise self.error(field, "is required")
        return value

    def optional_text(self, field: str) -> str | None:
        value = self.raw.get(field)
        if value is None:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.error(field, f"must be text, not {type(value).__name__}")
        text = str(value).strip()
        if not text:
            raise self.error(field, "is empty")
        return text

    def code(self, field: str = "code") -> str:
        value = self.text(field)
        if not _CODE.match(value):
            raise self.error(
                field, f"{value!r} is not a code (lower-case letters, digits, - and _)"
            )
        return value

    def one_of(self, field: str, values: Sequence[str]) -> str:
        value = self.text(field)
        if value not in values:
            raise self.error(field, f"{value!r} is not one of {', '.join(values)}")
        return value

    def texts(self, field: str, required: bool = True) -> tuple[str, ...]:
        value = self.raw.get(field)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(field, "must be a list of non-empty texts")
        return tuple(v.strip() for v in value)

    def sources(self) -> tuple[str, ...]:
        sources = self.texts("sources")
        if not sources:
            raise self.error("sources", "every record names at least one source")
        return sources

    def number(self, field: str, required: bool = True) -> float | None:
        value = self.raw.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.error(field, f"must be a number, not {value!r}")
        return float(value)

    def positive_int(self, field: str, required: bool = True) -> int | None:
        value = self.raw.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise self.error(field, f"must be a positive whole number, not {value!r}")
        return value

    def boolean(self, field: str) -> bool:
        value = self.raw.get(field)
        if not isinstance(value, bool):
            raise self.error(field, f"must be true or false, not {value!r}")
        return value

    def wareki(self, field: str, value: Any = None) -> WarekiDate | None:
        text = self.raw.get(field) if value is None else value
        if text is None:
            return None
        try:
            return parse_wareki(str(text))
        except WarekiError as exc:
            raise self.error(field, str(exc)) from exc


def _records(file: str, data: Any, allowed: Sequence[str]) -> list[Record]:
    if not isinstance(data, list):
        raise DataFileError(file, None, None, "the file must hold a list of records")
    return [Record(file, i, raw, allowed) for i, raw in enumerate(data, start=1)]


def _unique(file: str, items: Sequence[T], key: Callable[[T], str]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        value = key(item)
        if value in seen:
            raise DataFileError(file, f"#{index} ({value})", "code", "appears twice")
        seen.add(value)


# ---- one parser per file ------------------------------------------------------------------


def parse_operators(file: str, data: Any) -> list[OperatorSeed]:
    fields = ("code", "name", "name_en", "level", "municipality", "note", "sources")
    return [
        OperatorSeed(
            code=r.code(),
            name=r.text("name"),
            name_en=r.optional_text("name_en"),
            level=r.one_of("level", vocab.OPERATOR_LEVELS),
            municipality=r.optional_text("municipality"),
            note=r.optional_text("note"),
            sources=r.sources(),
        )
        for r in _records(file, data, fields)
    ]


def parse_services(file: str, data: Any) -> list[ServiceSeed]:
    fields = ("code", "name_ja", "name_en", "sources")
    out = []
    for r in _records(file, data, fields):
        r.sources()
        out.append(ServiceSeed(r.code(), r.text("name_ja"), r.text("name_en")))
    return out


def _facility_services(r: Record) -> tuple[tuple[str, str | None], ...]:
    raw = r.raw.get("services")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise r.error("services", "must be a list of {code, as_written}")
    out: list[tuple[str, str | None]] = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("code"), str):
            raise r.error("services", f"{item!r} is not a {{code, as_written}} mapping")
        if set(item) - {"code", "as_written"}:
            raise r.error("services", f"{item!r} has fields other than code and as_written")
        written = item.get("as_written")
        out.append((item["code"], str(written) if written is not None else None))
    codes = [c for c, _ in out]
    if len(set(codes)) != len(codes):
        raise r.error("services", "lists a service code twice")
    return tuple(out)


def _location(r: Record, precision: str) -> tuple[float, float] | None:
    """A position typed in by an editor: only with EXACT or BUILDING precision, in range."""
    raw = r.raw.get("location")
    if raw is None:
        if precision in ("EXACT", "BUILDING"):
            raise r.error("location", f"is required with location_precision {precision}")
        return None
    if precision not in ("EXACT", "BUILDING"):
        raise r.error("location", f"is given, so location_precision must be EXACT or BUILDING, "
                                  f"not {precision}")
    if not isinstance(raw, Mapping) or set(raw) != {"lat", "lon"}:
        raise r.error("location", "must be {lat: ..., lon: ...}")
    lat, lon = raw["lat"], raw["lon"]
    for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
        if not isinstance(value, int | float) or isinstance(value, bool) or abs(value) > limit:
            raise r.error("location", f"{name} {value!r} is outside [-{limit}, {limit}]")
    return float(lat), float(lon)


def parse_facilities(file: str, data: Any) -> list[FacilitySeed]:
    fields = (
        "code", "name_ja", "name_kana", "name_en", "category", "operator", "municipality",
        "location_precision", "location", "address", "activity_area", "services",
        "established", "legal_basis", "note", "sources",
    )
    out = []
    for r in _records(file, data, fields):
        precision = r.one_of("location_precision", vocab.LOCATION_PRECISIONS)
        municipality = r.optional_text("municipality")
        location = _location(r, precision)
        if precision in ("MUNICIPALITY", "WARD") and municipality is None:
            raise r.error("municipality", f"is required to place a facility at {precision}")
        area = r.optional_text("activity_area")
        if area is not None:
            try:
                parse_activity_area(area)
            except ActivityAreaError as exc:
                raise r.error("activity_area", str(exc)) from exc
        elif municipality is None:
            raise r.error("activity_area", "is required when no municipality is given")
        established = r.wareki("established")
        out.append(
            FacilitySeed(
                code=r.code(),
                name_ja=r.text("name_ja"),
                name_kana=r.optional_text("name_kana"),
                name_en=r.optional_text("name_en"),
                category=r.one_of("category", vocab.FACILITY_CATEGORIES),
                operator=r.code("operator"),
                municipality=municipality,
                location_precision=precision,
                location=location,
                address=r.optional_text("address"),
                activity_area=area,
                services=_facility_services(r),
                established_on=start_of(established) if established else None,
                legal_basis=r.optional_text("legal_basis"),
                note=r.optional_text("note"),
                sources=r.sources(),
            )
        )
    return out


def parse_partnerships(file: str, data: Any) -> list[PartnershipSeed]:
    fields = ("code", "theme", "category", "facilities", "directions", "sources")
    out = []
    for r in _records(file, data, fields):
        facilities = r.texts("facilities")
        if len(facilities) < 2:
            raise r.error("facilities", "a partnership joins at least two facilities")
        out.append(PartnershipSeed(
            code=r.code(),
            theme=r.text("theme"),
            category=r.one_of("category", vocab.FACILITY_CATEGORIES),
            facilities=facilities,
            directions=r.texts("directions", required=False),
            sources=r.sources(),
        ))
    return out


def parse_role_divisions(file: str, data: Any) -> list[RoleDivisionSeed]:
    fields = ("partnership", "area", "responsible", "note", "sources")
    return [
        RoleDivisionSeed(
            partnership=r.code("partnership"),
            area=r.text("area"),
            responsible=r.texts("responsible"),
            note=r.optional_text("note"),
            sources=r.sources(),
        )
        for r in _records(file, data, fields)
    ]


def _period(date: WarekiDate) -> str:
    return f"{date.year}-{date.month:02d}" if date.month else f"FY{date.year}"


def _metrics(r: Record) -> tuple[MetricSeed, ...]:
    out = []
    for item in r.raw.get("metrics") or []:
        if not isinstance(item, Mapping) or set(item) - {"period", "value", "unit", "note"}:
            raise r.error("metrics", f"{item!r} is not a {{period, value, unit, note}} mapping")
        when = r.wareki("metrics", item.get("period"))
        value = item.get("value")
        if when is None or not isinstance(value, int | float) or not item.get("unit"):
            raise r.error("metrics", f"{item!r} needs a period, a numeric value and a unit")
        written = str(item["period"])
        note = written if item.get("note") is None else f"{written}: {item['note']}"
        as_of = start_of(when) if when.as_of else None  # 現在: a count as of that month
        out.append(MetricSeed(_period(when), float(value), str(item["unit"]), as_of, note))
    for held in r.raw.get("held") or []:
        when = r.wareki("held", held)
        if when is None or when.month is None:
            raise r.error("held", f"{held!r} must be a month such as H27.10")
        note = f"{held}: 開催予定" if when.planned else f"{held}: 開催"
        out.append(MetricSeed(_period(when), 1.0, "回", None, note))
    return tuple(out)


def parse_initiatives(file: str, data: Any) -> list[InitiativeSeed]:
    fields = ("code", "partnership", "status", "title", "started", "fiscal_year", "held",
              "metrics", "note", "sources")
    out = []
    for r in _records(file, data, fields):
        started = r.wareki("started")
        fiscal = r.wareki("fiscal_year")
        if fiscal is not None and not fiscal.fiscal_year:
            raise r.error("fiscal_year", "must be a 年度 such as H29年度")
        status = r.one_of("status", vocab.INITIATIVE_STATUSES)
        if status == "PLANNED" and fiscal is None:
            raise r.error("fiscal_year", "a planned initiative names the 年度 it is planned for")
        out.append(InitiativeSeed(
            code=r.code(),
            partnership=r.code("partnership"),
            title=r.text("title"),
            status=status,
            started_on=start_of(started) if started else None,
            started_precision=(
                ("MONTH" if started.month else "FISCAL_YEAR") if started else None
            ),
            fiscal_year=fiscal.year if fiscal else None,
            metrics=_metrics(r),
            note=r.optional_text("note"),
            sources=r.sources(),
        ))
    return out


def parse_consultations(file: str, data: Any) -> list[ConsultationSeed]:
    fields = ("code", "facility", "title", "rule", "duration_minutes", "reservation_required",
              "minutes_per_person", "note", "sources")
    out = []
    for r in _records(file, data, fields):
        rule = r.text("rule")
        try:
            validate_rule(rule)
        except ScheduleError as exc:
            raise r.error("rule", str(exc)) from exc
        duration = r.positive_int("duration_minutes")
        assert duration is not None
        out.append(ConsultationSeed(
            code=r.code(),
            facility=r.code("facility"),
            title=r.text("title"),
            rule=rule,
            duration_minutes=duration,
            reservation_required=r.boolean("reservation_required"),
            minutes_per_person=r.positive_int("minutes_per_person", required=False),
            note=r.optional_text("note"),
            sources=r.sources(),
        ))
    return out


def _month_span(first: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A whole month in Tokyo time: its first instant to its last second."""
    start = dt.datetime(first.year, first.month, 1, tzinfo=TOKYO)
    following = dt.datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=TOKYO)
    return start, following - dt.timedelta(seconds=1)


def _event_month(r: Record) -> dt.date:
    when = r.raw.get("when")
    if isinstance(when, Mapping):
        fiscal = r.wareki("when", when.get("fiscal_year"))
        month = when.get("month")
        if fiscal is None or not fiscal.fiscal_year or not isinstance(month, int):
            raise r.error("when", "must be {fiscal_year: H29年度, month: 7} or a month like H27.5")
        try:
            return month_in_fiscal_year(fiscal.year, month)
        except WarekiError as exc:
            raise r.error("when", str(exc)) from exc
    date = r.wareki("when")
    if date is None or date.month is None:
        raise r.error("when", "must be a month like H27.5, or {fiscal_year, month}")
    return dt.date(date.year, date.month, 1)


def parse_events(file: str, data: Any) -> list[EventSeed]:
    fields = ("code", "title", "organizers", "audiences", "when", "note", "sources")
    out = []
    for r in _records(file, data, fields):
        audiences = r.texts("audiences")
        for audience in audiences:
            if audience not in vocab.AUDIENCES:
                raise r.error(
                    "audiences", f"{audience!r} is not one of {', '.join(vocab.AUDIENCES)}"
                )
        organizers = r.texts("organizers")
        if len(set(organizers)) != len(organizers):
            raise r.error("organizers", "lists a facility twice")
        starts_at, ends_at = _month_span(_event_month(r))
        out.append(EventSeed(
            code=r.code(),
            title=r.text("title"),
            organizers=organizers,
            audiences=audiences,
            starts_at=starts_at,
            ends_at=ends_at,
            date_precision="MONTH",
            note=r.optional_text("note"),
            sources=r.sources(),
        ))
    return out


# ---- the whole set ------------------------------------------------------------------------


def _check_refs(file: str, label: str, field: str, refs: Sequence[str], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise DataFileError(file, label, field, f"{ref!r} is not defined")


def parse_seed_set(documents: Mapping[str, Any]) -> SeedSet:
    """Every file of the seed set, parsed and cross-checked. ``documents`` maps each file
    name of SEED_FILES to its parsed YAML."""
    missing = [name for name in SEED_FILES if name not in documents]
    if missing:
        raise DataFileError(missing[0], None, None, "file missing from the seed set")
    seed = SeedSet(
        operators=tuple(parse_operators("operators.yaml", documents["operators.yaml"])),
        services=tuple(parse_services("services.yaml", documents["services.yaml"])),
        facilities=tuple(parse_facilities("facilities.yaml", documents["facilities.yaml"])),
        partnerships=tuple(
            parse_partnerships("partnerships.yaml", documents["partnerships.yaml"])
        ),
        role_divisions=tuple(
            parse_role_divisions("role_divisions.yaml", documents["role_divisions.yaml"])
        ),
        initiatives=tuple(parse_initiatives("initiatives.yaml", documents["initiatives.yaml"])),
        consultations=tuple(
            parse_consultations("consultations.yaml", documents["consultations.yaml"])
        ),
        events=tuple(parse_events("events.yaml", documents["events.yaml"])),
    )
    for file, items in (
        ("operators.yaml", seed.operators), ("services.yaml", seed.services),
        ("facilities.yaml", seed.facilities), ("partnerships.yaml", seed.partnerships),
        ("initiatives.yaml", seed.initiatives), ("consultations.yaml", seed.consultations),
        ("events.yaml", seed.events),
    ):
        _unique(file, list(items), lambda item: str(item.code))  # type: ignore[attr-defined]

    operators = {o.code for o in seed.operators}
    services = {s.code for s in seed.services}
    facilities = {f.code for f in seed.facilities}
    partnerships = {p.code for p in seed.partnerships}
    def label(n: int, code: str) -> str:
        return f"#{n} ({code})"

    for n, f in enumerate(seed.facilities, start=1):
        _check_refs("facilities.yaml", label(n, f.code), "operator", [f.operator], operators)
        _check_refs("facilities.yaml", label(n, f.code), "services",
                    [c for c, _ in f.services], services)
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
    return seed
