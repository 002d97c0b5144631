"""The 公共施設一覧 writer: each column from what the hub knows, empty where it knows
nothing, and what it writes read back by the import's reader as the same facility."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.public_facility_csv import COLUMNS, read_public_facilities
from hub.domain.public_facility_writer import (
    BOM,
    CATEGORY_NAMES,
    PublicFacility,
    cells,
    csv_text,
    header,
    phone_cells,
)
from hub.domain.vocabulary import FACILITY_CATEGORIES

HAKODATE = PublicFacility(
    code="base-hakodate", name_ja="函館市地域交流まちづくりセンター", category="CITIZEN_ACTIVITY",
    operator_name="函館市", location_precision="BUILDING", municipality_code="01202",
    municipality_name="函館市", name_kana="ハコダテシチイキコウリュウマチヅクリセンター",
    aliases=("まちセン", "函館まちセン"), address="函館市末広町4-19", building="旧丸井今井呉服店",
    lat=41.7655432109, lon=140.7134567891, phone="0138-22-9700 内線12", hours="9~21時",
    closed_days="無休(臨時休館あり)", url="https://example.jp/machi",
    service_names=("相談", "会議室"), activity_area="函館市内")
#: What the hub knows of a programme with no site and no municipality: almost nothing.
PROGRAMME = PublicFacility(code="base-bonos", name_ja="ボノス", category="PARK",
                           operator_name="北海道", location_precision="NONE")


def _row(facility: PublicFacility, number: int = 1) -> dict[str, str]:
    return dict(zip(COLUMNS, cells(facility, number), strict=True))


def test_every_column_of_a_facility_the_hub_knows_well() -> None:
    assert _row(HAKODATE, 7) == {
        "都道府県コード又は市区町村コード": "012025", "NO": "7", "都道府県名": "北海道",
        "市区町村名": "函館市", "名称": "函館市地域交流まちづくりセンター",
        "名称_カナ": "ハコダテシチイキコウリュウマチヅクリセンター",
        "名称_通称": "まちセン、函館まちセン", "POIコード": "", "住所": "函館市末広町4-19",
        "方書": "旧丸井今井呉服店", "緯度": "41.7655432", "経度": "140.7134568",
        "電話番号": "0138-22-9700", "内線番号": "12", "法人番号": "", "団体名": "函館市",
        "利用可能曜日": "", "開始時間": "09:00", "終了時間": "21:00",
        "利用可能日時特記事項": "9~21時",
        "説明": "市民活動支援。サービス: 相談、会議室。活動範囲: 函館市内",
        "バリアフリー情報": "", "URL": "https://example.jp/machi",
        "備考": "code=base-hakodate; 休館日: 無休(臨時休館あり)",
    }


def test_what_the_hub_does_not_know_is_empty_and_no_municipality_is_the_prefecture() -> None:
    row = _row(PROGRAMME)
    filled = {c: v for c, v in row.items() if v}
    assert filled == {"都道府県コード又は市区町村コード": "010006", "NO": "1",
                      "都道府県名": "北海道", "名称": "ボノス", "団体名": "北海道",
                      "説明": "公園", "備考": "code=base-bonos"}


def test_a_point_that_is_not_the_facilitys_own_is_not_written() -> None:
    for precision, written in (("EXACT", True), ("BUILDING", True), ("WARD", False),
                               ("MUNICIPALITY", False)):
        row = _row(PublicFacility(**{**HAKODATE.__dict__, "location_precision": precision}))
        assert bool(row["緯度"]) is written and bool(row["経度"]) is written, precision


def test_an_extension_goes_apart_only_when_it_reads_back_the_same() -> None:
    assert phone_cells("011-374-1460 内線5") == ("011-374-1460", "5")
    assert phone_cells("011-374-1460") == ("011-374-1460", "")
    assert phone_cells("011-374-1460  内線5") == ("011-374-1460  内線5", "")
    assert phone_cells("内線5") == ("内線5", "")
    assert phone_cells(None) == ("", "")


def test_each_category_has_its_japanese_name() -> None:
    assert set(CATEGORY_NAMES) == set(FACILITY_CATEGORIES)


def test_a_file_starts_with_the_bom_and_the_header_and_has_one_line_a_row() -> None:
    text = header() + csv_text([cells(HAKODATE, 1)]) + csv_text([cells(PROGRAMME, 2)])
    assert text.startswith(BOM + "都道府県コード又は市区町村コード,NO,")
    lines = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert [tuple(lines[0]), len(lines)] == [COLUMNS, 3]
    assert text.count("\r\n") == 3


def _read_back(facility: PublicFacility) -> dict[str, object]:
    data = (header() + csv_text([cells(facility, 1)])).encode()
    read = read_public_facilities(data, max_bytes=100_000, max_rows=10)
    assert not read.errors, read.errors
    [numbered] = read.rows
    r = numbered.record
    return {"code": r.facility_code, "code5": r.code5, "municipality": r.municipality,
            "name": r.name, "kana": r.name_kana, "address": r.address,
            "building": r.building, "phone": r.phone_text, "hours": r.hours, "url": r.url,
            "organization": r.organization, "lat": r.lat, "lon": r.lon}


def test_the_import_reads_a_written_row_as_the_same_facility() -> None:
    back = _read_back(HAKODATE)
    assert back == {"code": "base-hakodate", "code5": "01202", "municipality": "函館市",
                    "name": HAKODATE.name_ja, "kana": HAKODATE.name_kana,
                    "address": HAKODATE.address, "building": HAKODATE.building,
                    "phone": "0138-22-9700 内線12", "hours": "9~21時",
                    "url": HAKODATE.url, "organization": "函館市",
                    "lat": 41.7655432, "lon": 140.7134568}


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"),
                              include_characters="\n,\""),
                min_size=1, max_size=30).map(str.strip).filter(bool)


@given(name=_text, address=st.none() | _text, phone=st.none() | _text, hours=st.none() | _text,
       lat=st.floats(41.3, 45.6), lon=st.floats(139.3, 145.9))
def test_any_texts_read_back_as_written(name: str, address: str | None, phone: str | None,
                                        hours: str | None, lat: float, lon: float) -> None:
    """Quotes, commas, line breaks and 内線 in any cell: the reader gets the hub's text back,
    and the position within the import's tolerance (1e-6 degrees)."""
    facility = PublicFacility(**{**HAKODATE.__dict__, "name_ja": name, "address": address,
                                 "phone": phone, "hours": hours, "lat": lat, "lon": lon})
    back = _read_back(facility)
    assert (back["name"], back["address"], back["phone"], back["hours"]) == (
        name, address, phone, hours)
    assert isinstance(back["lat"], float) and abs(back["lat"] - lat) < 1e-6
    assert isinstance(back["lon"], float) and abs(back["lon"] - lon) < 1e-6
