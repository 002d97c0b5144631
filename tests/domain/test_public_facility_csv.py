"""Reading 公共施設一覧 (pure): encodings, the header, every bad row's column and reason, the
limits, and GeoJSON with the same column names."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.public_facility_csv import (
    CODE_COLUMN,
    COLUMNS,
    ImportFileError,
    ReadFile,
    RowError,
    read_public_facilities,
)
from tests.public_facility_files import csv_bytes, geojson_bytes, row

LIMITS = {"max_bytes": 1_000_000, "max_rows": 1_000}
EBETSU = "012173"  # 江別市 01217 with its check digit


def _read(data: bytes, **kwargs: object) -> ReadFile:
    return read_public_facilities(data, **{**LIMITS, **kwargs})  # type: ignore[arg-type]


def _good(**cells: str) -> dict[str, str]:
    return row(**{CODE_COLUMN: EBETSU, "市区町村名": "江別市", "名称": "江別市テスト館",
                  **cells})


def _file_errors(data: bytes, **kwargs: object) -> list[RowError]:
    with pytest.raises(ImportFileError) as caught:
        _read(data, **kwargs)
    return list(caught.value.errors)


# ---- encodings ----------------------------------------------------------------------------

SJIS_ROWS = [_good(**{"名称": "髙橋①記念館", "名称_カナ": "タカハシキネンカン",
                      "利用可能日時特記事項": "9時～17時（年末年始を除く）",
                      "住所": "江別市野幌町１０番地", "備考": "code=test-takahashi"}),
             _good(**{"名称": "ｶﾅ半角の館", "緯度": "43.1035", "経度": "141.5361"})]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_utf8_with_or_without_bom_and_shift_jis_read_the_same(encoding: str) -> None:
    read = _read(csv_bytes(SJIS_ROWS, encoding))
    reference = _read(csv_bytes(SJIS_ROWS, "utf-8"))
    assert read.encoding == encoding
    assert read.errors == ()
    assert read.rows == reference.rows
    first = read.rows[0].record
    assert (first.name, first.facility_code, first.code5) == (
        "髙橋①記念館", "test-takahashi", "01217")


#: cp932 writes these as their full-width twins (〜 as ～, − as －): a file saved in cp932
#: holds the twin, so they are not expected back.
ONE_WAY_IN_CP932 = "¢£¬‖−〜"


@settings(max_examples=50, deadline=None)
@given(st.text(st.characters(codec="cp932", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
                             exclude_characters=ONE_WAY_IN_CP932), min_size=1, max_size=30))
def test_any_name_shift_jis_can_hold_reads_back_as_written(name: str) -> None:
    data = csv_bytes([_good(**{"名称": name})], "cp932")
    read = _read(data)
    assert not read.errors, read.errors
    assert read.rows[0].record.name == name.strip()


def test_bytes_that_are_neither_utf8_nor_shift_jis_are_refused_with_their_offset() -> None:
    good = csv_bytes([_good()], "cp932")
    [error] = _file_errors(good + b"\x82\xff")
    assert error.row is None
    assert f"offset {len(good)}" in error.reason and "Shift_JIS" in error.reason


def test_a_bom_followed_by_bytes_that_are_not_utf8_is_refused() -> None:
    [error] = _file_errors(b"\xef\xbb\xbf" + csv_bytes([_good()], "cp932"))
    assert "BOM" in error.reason and "offset" in error.reason


# ---- the header -----------------------------------------------------------------------------

def test_a_header_without_some_columns_names_them() -> None:
    header = [c for c in COLUMNS if c not in ("緯度", "URL")]
    [error] = _file_errors(csv_bytes([_good()], header=header))
    assert error.row == 1 and "missing columns: 緯度, URL" in error.reason


def test_a_column_named_twice_is_refused() -> None:
    [error] = _file_errors(csv_bytes([_good()], header=[*COLUMNS, "名称"]))
    assert "named twice: 名称" in error.reason


def test_columns_the_layout_lacks_are_not_read_and_are_named() -> None:
    header = ["ID", *COLUMNS, "施設コード"]
    read = _read(csv_bytes([{**_good(), "ID": "17", "施設コード": "X-1"}], header=header))
    assert read.ignored_columns == ("ID", "施設コード")
    assert read.errors == () and read.rows[0].record.facility_code is None


def test_an_empty_file_is_refused() -> None:
    [error] = _file_errors(b"")
    assert "header" in error.reason


# ---- rows -----------------------------------------------------------------------------------

def test_every_bad_row_is_reported_with_its_column_and_reason_and_good_rows_are_kept() -> None:
    rows = [
        _good(),
        _good(**{"緯度": "北緯43度", "経度": "141.5"}),                  # row 3
        _good(**{CODE_COLUMN: "012174", "開始時間": "25:00"}),            # row 4: two cells
        _good(**{"名称": "  "}),                                          # row 5
        _good(**{"緯度": "43.1"}),                                        # row 6: no 経度
        _good(**{"経度": "200", "緯度": "43"}),                           # row 7
        _good(**{"都道府県名": "青森県", "URL": "ftp://example.jp"}),    # row 8
        _good(**{CODE_COLUMN: "022012"}),                                 # row 9: 青森市
        _good(**{"備考": "code=Not_A_Code"}),                             # row 10
        _good(**{"法人番号": "123"}),                                      # row 11
        _good(**{"名称": "二番目の良い行"}),                                # row 12
    ]
    read = _read(csv_bytes(rows))
    found = sorted((e.row, e.column) for e in read.errors)
    assert found == [
        (3, "緯度"), (4, "都道府県コード又は市区町村コード"), (4, "開始時間"), (5, "名称"),
        (6, "経度"), (7, "経度"), (8, "URL"), (8, "都道府県名"),
        (9, "都道府県コード又は市区町村コード"), (10, "備考"), (11, "法人番号"),
    ]
    reasons = {(e.row, e.column): e.reason for e in read.errors}
    assert "'北緯43度'" in reasons[(3, "緯度")]
    assert "check digit" in reasons[(4, CODE_COLUMN)]
    assert reasons[(5, "名称")] == "is required"
    assert "give both or neither" in reasons[(6, "経度")]
    assert "less than or equal to 180" in reasons[(7, "経度")]
    assert "Hokkaido" in reasons[(9, CODE_COLUMN)]
    assert str(read.errors[0]).startswith("row 3, column 緯度: ")
    assert [r.row for r in read.rows] == [2, 12]
    assert read.rows_read == 11


def test_a_row_of_another_width_is_named() -> None:
    data = csv_bytes([_good()]) + "012173,1,北海道\r\n".encode()
    [error] = _read(data).errors
    assert (error.row, error.column) == (3, None) and "3 cells" in error.reason


def test_blank_lines_and_empty_trailing_rows_are_skipped() -> None:
    data = csv_bytes([_good()]) + b"\r\n" + ("," * (len(COLUMNS) - 1)).encode() + b"\r\n"
    read = _read(data)
    assert (read.rows_read, read.errors) == (1, ())


def test_hours_and_phone_are_read_as_the_hub_keeps_them() -> None:
    record = _read(csv_bytes([_good(**{
        "利用可能曜日": "月火水木金", "開始時間": "9:00", "終了時間": "17:30",
        "利用可能日時特記事項": "祝日は休み", "電話番号": "011-000-0000", "内線番号": "123",
    })])).rows[0].record
    assert record.hours == "月火水木金 9:00〜17:30 祝日は休み"
    assert record.phone_text == "011-000-0000 内線123"


def test_the_facility_code_travels_in_remarks_beside_other_text() -> None:
    record = _read(csv_bytes([_good(**{"備考": "駐車場あり code=base-ebetsu-ai；2階"})])
                   ).rows[0].record
    assert record.facility_code == "base-ebetsu-ai"
    [error] = _read(csv_bytes([_good(**{"備考": "code=a code=b"})])).errors
    assert error.column == "備考" and "more than one" in error.reason


# ---- limits ---------------------------------------------------------------------------------

def test_a_file_over_the_byte_limit_is_refused_before_it_is_read() -> None:
    data = csv_bytes([_good()])
    [error] = _file_errors(data, max_bytes=len(data) - 1)
    assert "HUB_MAX_IMPORT_BYTES" in error.reason
    assert _read(data, max_bytes=len(data)).rows


def test_a_file_over_the_row_limit_is_refused() -> None:
    data = csv_bytes([_good(**{"名称": f"館{n}"}) for n in range(4)])
    [error] = _file_errors(data, max_rows=3)
    assert "more than 3 rows" in error.reason and "HUB_MAX_IMPORT_ROWS" in error.reason
    assert len(_read(data, max_rows=4).rows) == 4
    features = geojson_bytes([_good(**{"名称": f"館{n}"}) for n in range(4)])
    [error] = _file_errors(features, max_rows=3)
    assert "more than 3 features" in error.reason


# ---- GeoJSON --------------------------------------------------------------------------------

def test_geojson_points_read_like_the_rows_of_a_csv() -> None:
    rows = [_good(**{"緯度": "43.1035", "経度": "141.5361", "備考": "code=test-a"}),
            _good(**{"名称": "位置のない館"})]
    from_geojson = _read(geojson_bytes(rows), file_name="施設.geojson")
    from_csv = _read(csv_bytes(rows))
    assert from_geojson.format == "geojson" and from_geojson.errors == ()
    assert [r.record for r in from_geojson.rows] == [r.record for r in from_csv.rows]
    assert [r.row for r in from_geojson.rows] == [1, 2]


def test_geojson_without_a_file_name_is_recognised_by_its_first_character() -> None:
    assert _read(geojson_bytes([_good()])).format == "geojson"


def test_geojson_features_that_are_not_points_or_disagree_are_named() -> None:
    point = {"type": "Point", "coordinates": [141.5361, 43.1035]}
    line = {"type": "LineString", "coordinates": [[141.5, 43.1], [141.6, 43.2]]}
    rows = [_good(), _good(), _good(**{"緯度": "43.0", "経度": "141.0"}),
            _good(**{"名称": ""}), _good()]
    geometries = [point, line, point, point, {"type": "Point", "coordinates": [141.5, 95]}]
    read = _read(geojson_bytes(rows, geometries))
    found = {(e.row, e.column, e.unit) for e in read.errors}
    assert found == {(2, None, "feature"), (3, "緯度", "feature"), (4, "名称", "feature"),
                     (5, None, "feature")}
    assert str(read.errors[0]).startswith("feature 2: the geometry is a LineString")
    assert [r.row for r in read.rows] == [1]


def test_geojson_numbers_are_read_as_their_text_and_a_numeric_code_keeps_its_zero() -> None:
    document = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": None,
        "properties": {CODE_COLUMN: 12173, "名称": "数の館", "NO": 7, "内線番号": 12,
                       "extra": 1}}]}
    read = _read(json.dumps(document, ensure_ascii=False).encode())
    record = read.rows[0].record
    assert (record.municipal_code, record.number, record.extension) == ("012173", "7", "12")
    assert read.ignored_columns == ("extra",)


@pytest.mark.parametrize("document", [b"{not json", b'{"type": "Feature"}',
                                      b'{"type": "FeatureCollection", "features": 3}'])
def test_a_document_that_is_not_a_feature_collection_is_refused(document: bytes) -> None:
    [error] = _file_errors(document, format="geojson")
    assert error.row is None
