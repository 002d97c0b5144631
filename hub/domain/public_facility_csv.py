"""The 公共施設一覧 layout of the municipal standard data set (自治体標準オープンデータセット),
read from the bytes of a CSV or GeoJSON file into typed rows, with every bad row reported.

Why it is lenient where it is and strict where it is:

- Encodings: municipalities publish UTF-8 (with or without BOM) and Shift_JIS/cp932 alike.
  A BOM means UTF-8; bytes that are valid UTF-8 are UTF-8; anything else is read as cp932
  (the superset of Shift_JIS that Windows writes); bytes that are neither are refused with
  the offset of the first bad byte, so that the user can find it.
- The header must name each of the 24 columns of the layout once (in any order); a column
  the layout does not have (real files add ``ID`` or ``施設コード`` of their own) is not
  read and is named in the report, never guessed at.
- Rows: every bad cell of every row is collected (row number as a spreadsheet shows it,
  the header being row 1; the column; the reason), so that a user fixes a file in one pass.
- The hub's facility code is not a column of the standard: it travels in 備考 as
  ``code=<facility code>`` (any other text of 備考 is kept out of the hub), so that a file
  with exactly the standard's columns can still say which facility a row is.
- GeoJSON: a FeatureCollection whose features are Points (or have no geometry) and whose
  properties carry the same column names; a property left out is an empty cell.

Pure: no I/O. Limits (bytes, rows) are handed in by the caller from the settings.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.domain import codes
from hub.domain.opening_hours import OpeningHours, read_hours

#: The columns of 公共施設一覧, in the standard's order (the export writes them so).
COLUMNS = (
    "都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称", "名称_カナ",
    "名称_通称", "POIコード", "住所", "方書", "緯度", "経度", "電話番号", "内線番号", "法人番号",
    "団体名", "利用可能曜日", "開始時間", "終了時間", "利用可能日時特記事項", "説明",
    "バリアフリー情報", "URL", "備考",
)
CODE_COLUMN = COLUMNS[0]
PREFECTURE = "北海道"
#: 北海道's own 5-digit code: a row published by the prefecture rather than a municipality.
PREFECTURE_CODE5 = "01000"
#: How a row names the hub's facility it describes, inside 備考.
_CODE_TOKEN = re.compile(r"(?<![^\s;；,、])code=([^\s;；,、]*)")
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$")

ImportFormat = Literal["csv", "geojson"]


@dataclass(frozen=True)
class RowError:
    """What is wrong, and where: ``row`` None for the file as a whole (its encoding, size or
    header), ``column`` None for a row as a whole."""

    row: int | None
    column: str | None
    reason: str
    #: "row" for a CSV line as a spreadsheet numbers it, "feature" for a GeoJSON feature.
    unit: str = "row"
    #: The contract's error code: a bad value, or FORBIDDEN, CONFLICT from the write path.
    code: str = "BAD_USER_INPUT"

    def __str__(self) -> str:
        where = [] if self.row is None else [f"{self.unit} {self.row}"]
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where) or 'file'}: {self.reason}"


class ImportFileError(ValueError):
    """The file cannot be read as a whole (size, encoding, structure, header)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


def _file_error(reason: str, column: str | None = None) -> ImportFileError:
    return ImportFileError([RowError(None, column, reason)])


# ---- the typed row ----------------------------------------------------------------------------

Cell = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    match = _TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time such as 09:00")
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3] or 0)
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second)):
        raise ValueError(f"{value!r} is not a time of day")
    return value


class PublicFacilityRow(BaseModel):
    """One row of 公共施設一覧, each cell by its column name (blank cells are None)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    municipal_code: str = Field(alias="都道府県コード又は市区町村コード")
    number: Cell = Field(None, alias="NO")
    prefecture: Cell = Field(None, alias="都道府県名")
    municipality: Cell = Field(None, alias="市区町村名")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        alias="名称")
    name_kana: Cell = Field(None, alias="名称_カナ")
    common_name: Cell = Field(None, alias="名称_通称")
    poi_code: Cell = Field(None, alias="POIコード")
    address: Cell = Field(None, alias="住所")
    building: Cell = Field(None, alias="方書")
    lat: Annotated[float, Field(ge=-90, le=90)] | None = Field(None, alias="緯度")
    lon: Annotated[float, Field(ge=-180, le=180)] | None = Field(None, alias="経度")
    phone: Cell = Field(None, alias="電話番号")
    extension: Cell = Field(None, alias="内線番号")
    corporate_number: Cell = Field(None, alias="法人番号")
    organization: Cell = Field(None, alias="団体名")
    days: Cell = Field(None, alias="利用可能曜日")
    opens: Cell = Field(None, alias="開始時間")
    closes: Cell = Field(None, alias="終了時間")
    hours_note: Cell = Field(None, alias="利用可能日時特記事項")
    description: Cell = Field(None, alias="説明")
    accessibility: Cell = Field(None, alias="バリアフリー情報")
    url: Cell = Field(None, alias="URL")
    remarks: Cell = Field(None, alias="備考")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: (None if isinstance(v, str) and not v.strip() else v)
                    for k, v in data.items()}
        return data

    @field_validator("municipal_code", mode="before")
    @classmethod
    def _municipal_code(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not codes.is_valid_code6(value):
                raise ValueError(f"{value!r} is not a 6-digit 全国地方公共団体コード with its "
                                 "check digit")
            if not value.startswith("01"):
                raise ValueError(f"{value!r} is not a code of Hokkaido (01...)")
        return value

    @field_validator("prefecture")
    @classmethod
    def _hokkaido(cls, value: str | None) -> str | None:
        if value is not None and value != PREFECTURE:
            raise ValueError(f"{value!r}: the hub holds the facilities of {PREFECTURE} only")
        return value

    @field_validator("corporate_number")
    @classmethod
    def _corporate_number(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{13}", value):
            raise ValueError(f"{value!r} is not a 法人番号 (13 digits)")
        return value

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://\S+", value):
            raise ValueError(f"{value!r} is not an http:// or https:// address")
        return value

    @field_validator("opens", "closes")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return _time(value)

    @field_validator("remarks")
    @classmethod
    def _code_in_remarks(cls, value: str | None) -> str | None:
        found = _CODE_TOKEN.findall(value or "")
        if len(found) > 1:
            raise ValueError("names more than one code=")
        if found:
            codes.FACILITY_CODE.validate(found[0])
        return value

    @property
    def code5(self) -> str:
        """The 5-digit code of the code column (the hub's municipality codes have 5)."""
        return self.municipal_code[:5]

    @property
    def facility_code(self) -> str | None:
        """The hub's facility code, from ``code=...`` in 備考."""
        found = _CODE_TOKEN.findall(self.remarks or "")
        return found[0] if found else None

    @property
    def hours(self) -> str | None:
        """The hub keeps opening hours as text: 曜日, 開始〜終了 and the remark, joined; a
        remark that states exactly the 曜日 and times given (as the hub's export writes
        it: the hours as written, and the plain range read from them) alone."""
        if self.hours_note is not None and (self.days or self.opens or self.closes) and \
                read_hours(self.hours_note) == OpeningHours(self.days, self.opens, self.closes):
            return self.hours_note
        parts = [self.days or ""]
        if self.opens or self.closes:
            parts.append(f"{self.opens or ''}〜{self.closes or ''}")
        parts.append(self.hours_note or "")
        return " ".join(p for p in parts if p) or None

    @property
    def phone_text(self) -> str | None:
        if self.extension is None:
            return self.phone
        return f"{self.phone or ''} 内線{self.extension}".strip()


@dataclass(frozen=True)
class NumberedRow:
    row: int
    record: PublicFacilityRow


@dataclass(frozen=True)
class ReadFile:
    """A file read: its good rows, the errors of the bad ones, and what was not read."""

    format: ImportFormat
    encoding: str
    rows: tuple[NumberedRow, ...]
    errors: tuple[RowError, ...]
    rows_read: int
    #: Columns (or GeoJSON properties) the layout does not have: not read.
    ignored_columns: tuple[str, ...] = field(default=())


# ---- bytes to text ----------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read in (utf-8-sig, utf-8 or cp932)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _file_error(f"starts with a UTF-8 BOM but byte {exc.start} (offset from the "
                              "start of the file) is not UTF-8") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("cp932"), "cp932"
        except UnicodeDecodeError as sjis:
            raise _file_error(
                f"neither UTF-8 (bad byte at offset {utf8.start}) nor Shift_JIS/cp932 (bad "
                f"byte at offset {sjis.start}): save it as UTF-8 or Shift_JIS") from None


def _format_of(text: str, file_name: str | None) -> ImportFormat:
    name = (file_name or "").lower()
    if name.endswith((".geojson", ".json")):
        return "geojson"
    if name.endswith(".csv"):
        return "csv"
    return "geojson" if text.lstrip().startswith("{") else "csv"


def read_public_facilities(data: bytes, *, max_bytes: int, max_rows: int,
                           format: ImportFormat | None = None, file_name: str | None = None
                           ) -> ReadFile:
    """Read a 公共施設一覧 file. Raises ImportFileError for a file that cannot be read as a
    whole; bad rows are returned in ``errors`` beside the good ones."""
    if len(data) > max_bytes:
        raise _file_error(f"{len(data):,} bytes is more than {max_bytes:,} "
                          "(HUB_MAX_IMPORT_BYTES)")
    text, encoding = decode(data)
    chosen = format or _format_of(text, file_name)
    if chosen == "geojson":
        return _read_geojson(text, encoding, max_rows)
    return _read_csv(text, encoding, max_rows)


def _too_many(max_rows: int, unit: str) -> ImportFileError:
    return _file_error(f"more than {max_rows:,} {unit}s (HUB_MAX_IMPORT_ROWS)")


def _typed(row: int, cells: Mapping[str, Any], unit: str
           ) -> tuple[PublicFacilityRow | None, list[RowError]]:
    """A row as its typed record, or every error of it."""
    errors: list[RowError] = []
    record: PublicFacilityRow | None = None
    try:
        record = PublicFacilityRow.model_validate(cells)
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else None
            errors.append(RowError(row, column, _reason(error["msg"], cells.get(column or ""),
                                                        error["type"]), unit))
    lat, lon = cells.get("緯度"), cells.get("経度")
    if (lat is None) != (lon is None):
        empty = "緯度" if lat is None else "経度"
        other = "経度" if lat is None else "緯度"
        errors.append(RowError(row, empty, f"is empty while {other} is given: give both or "
                                           "neither", unit))
    return (None if errors else record), errors


def _reason(message: str, value: Any, kind: str) -> str:
    message = message.removeprefix("Value error, ")
    if kind == "missing" or value is None:
        return "is required"
    if value is not None and kind.startswith(("float", "greater", "less")):
        return f"{value!r}: {message}"
    return message


# ---- CSV --------------------------------------------------------------------------------------

def _header(cells: list[str]) -> tuple[list[str], tuple[str, ...]]:
    names = [c.strip() for c in cells]
    errors = []
    twice = sorted(n for n, count in Counter(names).items() if count > 1)
    if twice:
        errors.append(f"columns named twice: {', '.join(twice)}")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        errors.append(f"missing columns: {', '.join(missing)}")
    if errors:
        raise ImportFileError([RowError(1, None, "; ".join(errors))])
    ignored = tuple(n for n in names if n not in COLUMNS)
    return names, ignored


def _read_csv(text: str, encoding: str, max_rows: int) -> ReadFile:
    reader: Iterator[list[str]] = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, None)
        if first is None or not any(c.strip() for c in first):
            raise _file_error("is empty: the first row must be the header of 公共施設一覧")
        names, ignored = _header(first)
        rows: list[NumberedRow] = []
        errors: list[RowError] = []
        read = 0
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # blank lines, and the ",,,," rows spreadsheets leave at the end
            read += 1
            if read > max_rows:
                raise _too_many(max_rows, "row")
            if len(cells) != len(names):
                errors.append(RowError(number, None, f"has {len(cells)} cells, the header "
                                                     f"{len(names)}"))
                continue
            by_name = {n: c for n, c in zip(names, cells, strict=True) if n in COLUMNS}
            record, bad = _typed(number, {k: v if v.strip() else None
                                          for k, v in by_name.items()}, "row")
            errors += bad
            if record is not None:
                rows.append(NumberedRow(number, record))
    except csv.Error as exc:
        raise _file_error(f"is not a well-formed CSV ({exc})") from None
    return ReadFile("csv", encoding, tuple(rows), tuple(errors), read, ignored)


# ---- GeoJSON ----------------------------------------------------------------------------------

def _cell(column: str, value: Any) -> Any:
    """A property as the CSV cell it stands for (numbers as their text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value  # refused by the model, naming the property
    if isinstance(value, int) and column == CODE_COLUMN:
        return str(value).zfill(6)  # 11002 written as a number lost its leading 0
    if isinstance(value, int | float) and column not in ("緯度", "経度"):
        return str(value)
    return value


def _point(geometry: Any) -> tuple[float, float] | str | None:
    """(lat, lon) of a Point geometry, None for none, or the reason it is not one."""
    if geometry is None:
        return None
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, Mapping) else type(geometry).__name__
        return f"the geometry is a {kind}, not a Point"
    position = geometry.get("coordinates")
    if (not isinstance(position, list) or len(position) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool)
                       for v in position)):
        return "a Point's coordinates are [longitude, latitude]"
    lon, lat = float(position[0]), float(position[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"[{lon}, {lat}] is not a [longitude, latitude] in range"
    return lat, lon


def _read_geojson(text: str, encoding: str, max_rows: int) -> ReadFile:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _file_error(f"is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
                          ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise _file_error("is not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise _file_error("a FeatureCollection has a list of features")
    if len(features) > max_rows:
        raise _too_many(max_rows, "feature")
    rows: list[NumberedRow] = []
    errors: list[RowError] = []
    ignored: set[str] = set()
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(RowError(number, None, "is not a GeoJSON Feature", "feature"))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            errors.append(RowError(number, None, "its properties are not an object", "feature"))
            continue
        ignored.update(k for k in properties if k not in COLUMNS)
        cells = {c: _cell(c, properties.get(c)) for c in COLUMNS}
        cells = {k: (None if isinstance(v, str) and not v.strip() else v)
                 for k, v in cells.items()}
        point = _point(feature.get("geometry"))
        if isinstance(point, str):
            errors.append(RowError(number, None, point, "feature"))
            continue
        if point is not None:
            stated = (cells["緯度"], cells["経度"])
            if stated != (None, None) and not _same_point(stated, point):
                errors.append(RowError(number, "緯度", f"properties 緯度/経度 {stated} differ "
                                       f"from the Point's [{point[1]}, {point[0]}]", "feature"))
                continue
            cells["緯度"], cells["経度"] = point
        record, bad = _typed(number, cells, "feature")
        errors += bad
        if record is not None:
            rows.append(NumberedRow(number, record))
    return ReadFile("geojson", encoding, tuple(rows), tuple(errors), len(features),
                    tuple(sorted(ignored)))


def _same_point(stated: tuple[Any, Any], point: tuple[float, float]) -> bool:
    try:
        return all(abs(float(s) - p) < 1e-9 for s, p in zip(stated, point, strict=True))
    except (TypeError, ValueError):
        return False

