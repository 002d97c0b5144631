"""The 公共施設一覧 layout written: a facility as a row of the layout, rows as CSV text.

The reader (``hub.domain.public_facility_csv``) is the other half; what one writes the other
reads back as no change, so that a file exported from the hub and imported again changes
nothing (tests/services/test_imports.py). Why each column holds what it holds:

- 都道府県コード又は市区町村コード: the 6-digit code (with its check digit) of the facility's
  municipality or ward; 北海道's own 010006 for a facility the hub places in none. 市区町村名
  is that municipality's or ward's name (the reader resolves either).
- 緯度/経度: only a position known for the facility itself (precision EXACT or BUILDING),
  with 7 decimals (about 1 cm). A facility the hub places at its ward's or municipality's
  representative point has empty cells: that point is not where the facility is, and an
  import of the row places it at the same point again.
- 電話番号 / 内線番号: the phone as the hub keeps it; a trailing ``内線N`` (as the import
  writes it) goes to 内線番号 when putting the two together gives the same text back.
- 利用可能日時特記事項: the hours exactly as written; 利用可能曜日 / 開始時間 / 終了時間 only
  where the hours are one plain range (``hub.domain.opening_hours``), restating the note.
- 名称_通称: the other names pages use (``facility_alias``), joined by 、. The layout has no
  column for an English name; the GeoJSON export carries ``nameEn``.
- 説明: the category, the services and the activity area, in Japanese.
- 備考: ``code=<facility code>`` (how the import knows the facility), then the closed days
  (休館日), which the import does not read: in 利用可能日時特記事項 they would read back as
  part of the hours.
- NO: the row's number in the file, from 1. POIコード, 方書 when unknown, 法人番号 and
  バリアフリー情報: empty (the hub does not hold them).

Pure: no I/O.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.domain.codes import code6
from hub.domain.opening_hours import read_hours
from hub.domain.public_facility_csv import COLUMNS, PREFECTURE, PREFECTURE_CODE5

#: Excel opens a CSV as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"
#: Precisions whose point is the facility's own.
OWN_POSITION = frozenset({"EXACT", "BUILDING"})
COORDINATE_DECIMALS = 7
CATEGORY_NAMES = {
    "CITIZEN_ACTIVITY": "市民活動支援",
    "GENDER_EQUALITY": "男女共同参画",
    "CONSUMER": "消費生活",
    "PARK": "公園",
    "INDUSTRY_VOCATIONAL": "職業能力開発・産業振興",
    "PUBLIC_HOUSING": "公営住宅",
}
_EXTENSION = re.compile(r"^(\S(?:.*\S)?) 内線(\S+)$")


@dataclass(frozen=True)
class PublicFacility:
    """What the layout says of a facility, as the hub knows it (None: not known)."""

    code: str
    name_ja: str
    category: str
    operator_name: str
    location_precision: str
    municipality_code: str | None = None
    municipality_name: str | None = None
    name_kana: str | None = None
    aliases: tuple[str, ...] = ()
    address: str | None = None
    building: str | None = None
    lat: float | None = None
    lon: float | None = None
    phone: str | None = None
    hours: str | None = None
    closed_days: str | None = None
    url: str | None = None
    service_names: tuple[str, ...] = ()
    activity_area: str | None = None


def phone_cells(phone: str | None) -> tuple[str, str]:
    """(電話番号, 内線番号): the extension apart only where the import puts them back
    together as the same text."""
    if not phone:
        return "", ""
    match = _EXTENSION.fullmatch(phone)
    if match and f"{match[1]} 内線{match[2]}" == phone:
        return match[1], match[2]
    return phone, ""


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.{COORDINATE_DECIMALS}f}"


def description(facility: PublicFacility) -> str:
    parts = [CATEGORY_NAMES.get(facility.category, facility.category)]
    if facility.service_names:
        parts.append(f"サービス: {'、'.join(facility.service_names)}")
    if facility.activity_area:
        parts.append(f"活動範囲: {facility.activity_area}")
    return "。".join(parts)


def remarks(facility: PublicFacility) -> str:
    parts = [f"code={facility.code}"]
    if facility.closed_days:
        parts.append(f"休館日: {facility.closed_days}")
    return "; ".join(parts)


def cells(facility: PublicFacility, number: int) -> tuple[str, ...]:
    """The facility as a row of the layout, in the order of ``COLUMNS``; "" where the hub
    knows nothing."""
    own = facility.location_precision in OWN_POSITION
    phone, extension = phone_cells(facility.phone)
    opening = read_hours(facility.hours)
    by_column = {
        "都道府県コード又は市区町村コード": code6(facility.municipality_code or PREFECTURE_CODE5),
        "NO": str(number),
        "都道府県名": PREFECTURE,
        "市区町村名": facility.municipality_name or "",
        "名称": facility.name_ja,
        "名称_カナ": facility.name_kana or "",
        "名称_通称": "、".join(facility.aliases),
        "POIコード": "",
        "住所": facility.address or "",
        "方書": facility.building or "",
        "緯度": _coordinate(facility.lat if own else None),
        "経度": _coordinate(facility.lon if own else None),
        "電話番号": phone,
        "内線番号": extension,
        "法人番号": "",
        "団体名": facility.operator_name,
        "利用可能曜日": opening.days or "",
        "開始時間": opening.opens or "",
        "終了時間": opening.closes or "",
        "利用可能日時特記事項": facility.hours or "",
        "説明": description(facility),
        "バリアフリー情報": "",
        "URL": facility.url or "",
        "備考": remarks(facility),
    }
    return tuple(by_column[c] for c in COLUMNS)


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV (RFC 4180: CRLF, quotes only where needed), to be appended to one another:
    a file is ``header()`` and then the rows, in as many pieces as the writer likes."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def header() -> str:
    """The start of a file: the byte order mark and the header row."""
    return BOM + csv_text([COLUMNS])
