"""Bulk import of facilities from a 公共施設一覧 file (CSV or GeoJSON): bytes in, report out.

Callers: ``hub import facilities`` and, later, the API's ``importFacilities``; both hand in
the file's bytes, its name and a ``permit`` (who may change which operator's records).

Why it works the way it does:

- One write path: every row goes through ``create_facility`` / ``update_facility``, so an
  imported facility is validated like a record of facilities.yaml and placed like one (a
  position outside its municipality is refused with the same words as a mutation's).
- All or nothing: the whole file is one transaction (a savepoint inside the caller's), and
  each row one savepoint inside it, so a row the write path refuses is recorded and the next
  row still checked. Any bad row, from reading or from writing, rolls the file back; the
  report names every one (row, column, reason). A dry run is the same run rolled back at the
  end, so it reports exactly what the real import would add, change and leave, and writes
  nothing (the rows it would change are locked while it runs).
- Matching: ``code=<facility code>`` in 備考 finds the facility by its code (an unknown
  code is a new facility of that code); without one, a row is matched by 名称 and
  municipality (a facility of a Sapporo ward matches a row of 札幌市) and reported as
  matched by name; two candidates are an error asking for ``code=``. A new row without a
  code gets ``pf-<municipality code>-<8 hex digits of its name's SHA-1>``.
- An empty cell leaves what the hub knows: an import never clears a field. A facility's
  operator and category are not changed by an import; a new row's operator is the one
  whose name 団体名 gives, else the default operator, and its category the default
  category (the standard has no column for it).
- Each created or changed facility cites the file in its sources
  (``公共施設一覧 import: NAME sha256:PREFIX``), replacing the citation of an earlier
  import of a file of the same name; a row that changes nothing is left alone, so
  importing a file again (or the hub's own export) changes nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Connection, func, select

from hub.db.models import Facility, Operator
from hub.domain.activity_area import ActivityAreaError, resolve_place
from hub.domain.errors import HubError
from hub.domain.public_facility_csv import (
    CODE_COLUMN,
    PREFECTURE_CODE5,
    ImportFileError,
    ImportFormat,
    NumberedRow,
    PublicFacilityRow,
    ReadFile,
    RowError,
    read_public_facilities,
)
from hub.domain.vocabulary import FACILITY_CATEGORIES
from hub.services.loading.placement import Places
from hub.services.loading.progress import Track, no_progress
from hub.services.loading.sync import table_of
from hub.services.writes.facilities import Permit, create_facility, update_facility

SOURCE_PREFIX = "公共施設一覧 import"
#: Coordinates closer than this (degrees, about 0.1 m) are the same point: a file written
#: with 6 decimals reads back as no change.
SAME_POINT_DEGREES = 1e-6
#: Texts an import sets from its columns (an empty cell leaves them).
_TEXTS = ("name_ja", "name_kana", "address", "building", "phone", "url", "hours")
#: The write path's field names (the API's) -> the column a user fixes.
_COLUMN_OF = {"nameJa": "名称", "nameKana": "名称_カナ", "address": "住所", "location": "緯度",
              "locationPrecision": "緯度", "municipalityCode": "市区町村名",
              "activityArea": "市区町村名", "code": "備考", "operatorId": "団体名"}
#: One import at a time: two files creating the same new facility do not race.
_IMPORT_LOCK = "hub-import-facilities"


@dataclass(frozen=True)
class ImportOptions:
    format: ImportFormat | None = None
    dry_run: bool = False
    #: The category of new facilities (公共施設一覧 has no column for it).
    category: str | None = None
    #: The operator (id or code) of new facilities whose 団体名 names no operator.
    operator: str | None = None
    #: Who the audit rows name; default ``import:<file name>``.
    actor: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What an import does (or would do) with one row."""

    row: int
    code: str
    name: str
    facility_id: int | None
    #: "code" or "name" for a row matched to an existing facility; None for a new one.
    matched_by: str | None
    #: The columns of the hub that change (empty for a row left as it is).
    fields: tuple[str, ...] = ()


@dataclass
class ImportReport:
    file_name: str
    sha256: str
    dry_run: bool
    format: str | None = None
    encoding: str | None = None
    unit: str = "row"
    rows: int = 0
    added: list[Outcome] = field(default_factory=list)
    changed: list[Outcome] = field(default_factory=list)
    left: list[Outcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    @property
    def written(self) -> bool:
        return not (self.dry_run or self.rejected) and bool(self.added or self.changed)

    @property
    def citation(self) -> str:
        return f"{SOURCE_PREFIX}: {self.file_name} sha256:{self.sha256[:12]}"

    def lines(self) -> list[str]:
        """The report as a terminal or a log shows it: one line per row."""
        described = ", ".join(p for p in (self.format, self.encoding) if p)
        out = [f"{self.file_name} ({described or 'unread'}, sha256 {self.sha256[:12]}): "
               f"{self.rows} {self.unit}s"]
        if self.ignored_columns:
            out.append(f"not read (not columns of 公共施設一覧): {', '.join(self.ignored_columns)}")
        if self.rejected:
            bad = len({(e.row, e.unit) for e in self.errors})
            out.append(f"rejected: {len(self.errors)} errors in {bad} "
                       f"{'place' if bad == 1 else 'places'}; nothing was written")
            out += [f"  {e}" for e in self.errors]
            return out
        for verb, outcomes in (("add", self.added), ("change", self.changed),
                               ("leave", self.left)):
            for o in outcomes:
                how = "new" if o.matched_by is None else f"matched by {o.matched_by}"
                what = f": {', '.join(o.fields)}" if o.fields and o.matched_by else ""
                out.append(f"  {verb:<6} {self.unit} {o.row}: {o.code} {o.name} ({how}){what}")
        tense = "would be " if self.dry_run else ""
        out.append(f"{len(self.added)} {tense}added, {len(self.changed)} {tense}changed, "
                   f"{len(self.left)} {tense}left"
                   + (" (dry run: nothing was written)" if self.dry_run else ""))
        return out


@dataclass(frozen=True)
class _Known:
    """A facility as the import compares it (read once, in the import's transaction)."""

    id: int
    code: str
    version: int
    municipality_code: str | None
    precision: str
    lat: float | None
    lon: float | None
    sources: tuple[str, ...]
    texts: Mapping[str, str | None]
    archived: bool
    synthetic: bool


class _Fault(Exception):
    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class _Context:
    conn: Connection
    places: Places
    options: ImportOptions
    report: ImportReport
    actor: str
    permit: Permit
    by_code: dict[str, _Known]
    by_name: dict[str, list[_Known]]
    operator_by_name: dict[str, int]
    default_operator: int | None
    taken: dict[str, int] = field(default_factory=dict)  # facility code -> its row


def import_facilities(conn: Connection, data: bytes, file_name: str, *, permit: Permit,
                      max_bytes: int, max_rows: int, options: ImportOptions | None = None,
                      track: Track = no_progress) -> ImportReport:
    """Import a file, or (dry run, or any bad row) report what it would do and write
    nothing. ``conn``: the caller's connection; the import is a savepoint in its
    transaction, released or rolled back before this returns."""
    options = options or ImportOptions()
    name = PurePath(file_name).name or "upload"
    report = ImportReport(name, hashlib.sha256(data).hexdigest(), options.dry_run)
    try:
        read = read_public_facilities(data, max_bytes=max_bytes, max_rows=max_rows,
                                      format=options.format, file_name=name)
    except ImportFileError as exc:
        report.errors += exc.errors
        return report
    report.format, report.encoding, report.rows = read.format, read.encoding, read.rows_read
    report.unit = "feature" if read.format == "geojson" else "row"
    report.ignored_columns = read.ignored_columns
    report.errors += read.errors
    whole = conn.begin_nested()
    try:
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(_IMPORT_LOCK))))
        context = _context(conn, report, options, permit)
        if context is not None:
            _write_rows(context, read, track)
    except BaseException:
        whole.rollback()
        raise
    report.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    if report.rejected or options.dry_run:
        whole.rollback()
    else:
        whole.commit()
    return report


def _context(conn: Connection, report: ImportReport, options: ImportOptions, permit: Permit
             ) -> _Context | None:
    operators = conn.execute(select(Operator.id, Operator.code, Operator.name)).all()
    default_operator = None
    if options.category is not None and options.category not in FACILITY_CATEGORIES:
        report.errors.append(RowError(None, None, f"category {options.category!r} is not one "
                                      f"of {', '.join(FACILITY_CATEGORIES)}"))
    if options.operator is not None:
        found = [i for i, code, _ in operators if options.operator in (code, str(i))]
        if not found:
            report.errors.append(RowError(None, None, f"operator {options.operator!r}: no "
                                          "operator has that id or code"))
        else:
            default_operator = int(found[0])
    if any(e.row is None for e in report.errors):
        return None
    by_code: dict[str, _Known] = {}
    by_name: dict[str, list[_Known]] = defaultdict(list)
    rows = conn.execute(select(
        Facility.id, Facility.code, Facility.version, Facility.municipality_code,
        Facility.location_precision, func.ST_Y(Facility.location).label("lat"),
        func.ST_X(Facility.location).label("lon"), Facility.sources, Facility.archived_at,
        Facility.synthetic, Facility.name_ja,
        *(table_of(Facility).c[t] for t in _TEXTS if t != "name_ja"))).mappings()
    for r in rows:
        known = _Known(int(r["id"]), r["code"], int(r["version"]), r["municipality_code"],
                       r["location_precision"], r["lat"], r["lon"], tuple(r["sources"] or ()),
                       {t: r[t] for t in _TEXTS}, r["archived_at"] is not None,
                       bool(r["synthetic"]))
        by_code[known.code] = known
        if not (known.archived or known.synthetic):
            by_name[r["name_ja"]].append(known)
    by_operator_name: dict[str, int] = {}
    for i, _, name in operators:
        by_operator_name.setdefault(name, int(i))
    return _Context(conn, Places(conn), options, report,
                    options.actor or f"import:{report.file_name}", permit, by_code,
                    dict(by_name), by_operator_name, default_operator)


def _write_rows(ctx: _Context, read: ReadFile, track: Track) -> None:
    unit = ctx.report.unit
    for numbered in track(read.rows, f"importing {ctx.report.file_name}",
                          total=len(read.rows)):
        step = ctx.conn.begin_nested()
        try:
            _write_row(ctx, numbered)
            step.commit()
        except _Fault as fault:
            step.rollback()
            ctx.report.errors.append(RowError(numbered.row, fault.column, fault.reason, unit))
        except HubError as exc:
            step.rollback()
            column = _COLUMN_OF.get(exc.field or "")
            reason = exc.message.removeprefix(f"{exc.field}: ") if exc.field else exc.message
            ctx.report.errors.append(RowError(numbered.row, column, reason, unit, exc.code))


def _municipality(rec: PublicFacilityRow, places: Places) -> str | None:
    """The municipality (or ward) a row names by its code column or 市区町村名."""
    by_code = None
    if rec.code5 != PREFECTURE_CODE5:
        if rec.code5 not in places.parent:
            raise _Fault(CODE_COLUMN, f"{rec.municipal_code}: no municipality of Hokkaido has "
                                      "this code")
        by_code = rec.code5
    if rec.municipality is None:
        return by_code
    try:
        named = resolve_place(rec.municipality, places.code_by_name)
    except ActivityAreaError as exc:
        raise _Fault("市区町村名", str(exc)) from None
    if by_code is None or named == by_code or places.parent.get(named) == by_code:
        return named
    if places.parent.get(by_code) == named:
        return by_code
    raise _Fault("市区町村名", f"{rec.municipality} is not the municipality of code "
                             f"{rec.municipal_code}")


def _match(ctx: _Context, rec: PublicFacilityRow, municipality: str | None
           ) -> tuple[str, _Known | None, str | None]:
    """(facility code, the facility it is or None for a new one, matched by)."""
    code = rec.facility_code
    if code is not None:
        known = ctx.by_code.get(code)
        if known is not None and known.archived:
            raise _Fault("備考", f"facility {code} is archived: an import does not bring it "
                                 "back")
        return code, known, "code" if known else None
    parent = ctx.places.parent
    candidates = [k for k in ctx.by_name.get(rec.name, ())
                  if municipality is None or municipality in (
                      k.municipality_code, parent.get(k.municipality_code or ""))]
    if len(candidates) > 1:
        found = ", ".join(sorted(k.code for k in candidates))
        raise _Fault("名称", f"{len(candidates)} facilities have this name here ({found}): "
                            "say which with code=<facility code> in 備考")
    if candidates:
        return candidates[0].code, candidates[0], "name"
    digest = hashlib.sha1(rec.name.encode()).hexdigest()[:8]
    code = f"pf-{municipality or PREFECTURE_CODE5}-{digest}"
    if code in ctx.by_code:
        raise _Fault("備考", f"a new facility would get code {code}, which "
                            f"{ctx.by_code[code].code} has: give it one with code=... in 備考")
    return code, None, None


def _write_row(ctx: _Context, numbered: NumberedRow) -> None:
    rec = numbered.record
    municipality = _municipality(rec, ctx.places)
    code, known, matched_by = _match(ctx, rec, municipality)
    if code in ctx.taken:
        raise _Fault("備考" if rec.facility_code else "名称",
                     f"is facility {code} again (as {ctx.report.unit} {ctx.taken[code]})")
    ctx.taken[code] = numbered.row
    if known is None:
        _create(ctx, numbered, code, municipality)
    else:
        _update(ctx, numbered, known, matched_by, municipality)


def _texts(rec: PublicFacilityRow) -> dict[str, str | None]:
    return {"name_ja": rec.name, "name_kana": rec.name_kana, "address": rec.address,
            "building": rec.building, "phone": rec.phone_text, "url": rec.url,
            "hours": rec.hours}


def _create(ctx: _Context, numbered: NumberedRow, code: str, municipality: str | None
            ) -> None:
    rec = numbered.record
    if municipality is None:
        raise _Fault("市区町村名", "a new facility needs its municipality: 市区町村名 or the "
                                 "municipality's code")
    if ctx.options.category is None:
        raise _Fault(None, "is a new facility, and 公共施設一覧 has no category: give the "
                           "category of new facilities (hub import --category)")
    operator = ctx.operator_by_name.get(rec.organization or "", ctx.default_operator)
    if operator is None:
        said = f"{rec.organization!r} is not the name of an operator of the hub" \
            if rec.organization else "is empty"
        raise _Fault("団体名", f"{said}: name one, or give the operator of new facilities "
                              "(hub import --operator)")
    location = None if rec.lat is None or rec.lon is None else Point(rec.lon, rec.lat)
    given: dict[str, Any] = {
        "code": code, "category": ctx.options.category, "operator_id": operator,
        "municipality_code": municipality, "location": location,
        "location_precision": "BUILDING" if location is not None else (
            "WARD" if ctx.places.is_ward[municipality] else "MUNICIPALITY"),
        "sources": [ctx.report.citation], "service_codes": [],
        **_texts(rec),
    }
    written = create_facility(ctx.conn, given, ctx.actor, ctx.permit, ctx.places)
    ctx.report.added.append(Outcome(numbered.row, code, rec.name, written.facility_id, None))


def _update(ctx: _Context, numbered: NumberedRow, known: _Known, matched_by: str | None,
            municipality: str | None) -> None:
    rec = numbered.record
    patch: dict[str, Any] = {k: v for k, v in _texts(rec).items()
                             if v is not None and v != known.texts[k]}
    if rec.lat is not None and rec.lon is not None and not (
            known.lat is not None and known.lon is not None
            and abs(rec.lat - known.lat) <= SAME_POINT_DEGREES
            and abs(rec.lon - known.lon) <= SAME_POINT_DEGREES):
        patch["location"] = Point(rec.lon, rec.lat)
        patch["location_precision"] = known.precision if known.precision in (
            "EXACT", "BUILDING") else "BUILDING"
    parent = ctx.places.parent
    if municipality is not None and municipality not in (
            known.municipality_code, parent.get(known.municipality_code or "")):
        patch["municipality_code"] = municipality
        if "location" not in patch and known.precision in ("WARD", "MUNICIPALITY"):
            patch["location_precision"] = (
                "WARD" if ctx.places.is_ward[municipality] else "MUNICIPALITY")
    outcome = Outcome(numbered.row, known.code, rec.name, known.id, matched_by,
                      tuple(k for k in patch if k != "location_precision"))
    if not patch:
        ctx.report.left.append(outcome)
        return
    cited = [s for s in known.sources
             if not s.startswith(f"{SOURCE_PREFIX}: {ctx.report.file_name} sha256:")]
    patch["sources"] = [*cited, ctx.report.citation]
    update_facility(ctx.conn, known.id, known.version, patch, ctx.actor, ctx.permit,
                    ctx.places)
    ctx.report.changed.append(outcome)

