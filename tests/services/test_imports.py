"""Bulk import of 公共施設一覧 on a database of the test's own: all or nothing with every bad
row named, Shift_JIS like UTF-8, dry runs that write nothing, matching by code and by name,
GeoJSON, the file cited in each record's sources and one audit row per changed facility."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from typing import Any

import pytest
import shapely
from sqlalchemy import Connection, Engine, text

from hub.db.pool import Database
from hub.domain.errors import HubError
from hub.domain.public_facility_csv import CODE_COLUMN
from hub.services.reads.provider import Reads
from hub.services.reports import facility_export
from hub.services.writes.imports import ImportOptions, ImportReport, import_facilities
from tests.public_facility_files import csv_bytes, geojson_bytes, row

NEW_FACILITIES = ImportOptions(category="CITIZEN_ACTIVITY", operator="ebetsu")
EBETSU = "012173"  # 江別市 01217 with its check digit
#: A point inside 江別市 (野幌), and one in 札幌市中央区 (outside it).
IN_EBETSU = ("43.0835", "141.5270")
IN_SAPPORO = ("43.0621", "141.3544")


def allow(_operator_id: int) -> None:
    """Authorization is the API's; these tests are about the import."""


def _import(conn: Connection, data: bytes, name: str = "施設一覧.csv",
            options: ImportOptions = NEW_FACILITIES) -> ImportReport:
    return import_facilities(conn, data, name, permit=allow, max_bytes=50_000_000,
                             max_rows=5_000, options=options)


def _run(engine: Engine, data: bytes, name: str = "施設一覧.csv",
         options: ImportOptions = NEW_FACILITIES) -> ImportReport:
    with engine.begin() as conn:
        return _import(conn, data, name, options)


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything an import could change, as digests: every facility row and audit row."""
    with engine.connect() as conn:
        return tuple(conn.scalar(text(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)),"
            f" '') FROM {table} t")) for table in ("facility", "audit_log", "facility_service",
                                                   "facility_area_part"))


def _facility(engine: Engine, code: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT id, version, name_ja, name_kana, municipality_code, address, building, phone,"
            " url, hours, location_precision, ST_Y(location) AS lat, ST_X(location) AS lon,"
            " sources, operator_id, category FROM facility WHERE code = :c"), {"c": code})
            .mappings().one())


def _audit(engine: Engine, code: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT action, actor, before, after FROM audit_log WHERE table_name = 'facility'"
            " AND row_key = :c ORDER BY id"), {"c": code}).mappings()]


def _new(n: int, **cells: str) -> dict[str, str]:
    return row(**{CODE_COLUMN: EBETSU, "NO": str(n), "都道府県名": "北海道",
                  "市区町村名": "江別市", "名称": f"江別テスト施設{n:04d}",
                  "名称_カナ": "エベツテストシセツ", "住所": f"江別市高砂町{n}番地",
                  "電話番号": "011-000-0000", "備考": f"code=test-{n:04d}", **cells})


# ---- all or nothing -----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize(("bad", "column", "reason"), [
    ({"経度": "東経141度"}, "経度", "'東経141度'"),
    ({"緯度": IN_SAPPORO[0], "経度": IN_SAPPORO[1]}, "緯度", "lies outside 江別市"),
], ids=["unreadable-cell", "outside-its-municipality"])
def test_a_thousand_rows_with_one_bad_row_write_nothing_and_name_that_row_and_column(
    seeded_copy: Engine, bad: dict[str, str], column: str, reason: str,
) -> None:
    rows = [_new(n, **({"緯度": IN_EBETSU[0], "経度": IN_EBETSU[1]} if n % 2 else {}))
            for n in range(1, 1001)]
    rows[636] = {**rows[636], **bad}  # spreadsheet row 638: the header is row 1
    before = _state(seeded_copy)
    report = _run(seeded_copy, csv_bytes(rows))
    assert report.rejected and not report.written
    assert [(e.row, e.column) for e in report.errors] == [(638, column)]
    assert reason in report.errors[0].reason
    assert report.lines()[1].startswith("rejected: 1 errors in 1 place")
    assert any(line.startswith(f"  row 638, column {column}: ") for line in report.lines())
    assert _state(seeded_copy) == before


def test_every_bad_row_is_named_whether_reading_or_writing_found_it(seeded_copy: Engine) -> None:
    rows = [
        _new(1),
        _new(2, **{"緯度": "91", "経度": "141.5"}),                    # reading: out of range
        _new(3, **{"市区町村名": "どこか町"}),                           # writing: unknown place
        _new(4, **{"緯度": IN_SAPPORO[0], "経度": IN_SAPPORO[1]}),       # writing: outside
        _new(5, **{"備考": "code=test-0001"}),                         # row 2's facility again
        _new(6, **{CODE_COLUMN: "011002", "市区町村名": "江別市"}),      # code and name disagree
    ]
    before = _state(seeded_copy)
    report = _run(seeded_copy, csv_bytes(rows))
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "緯度"), (4, "市区町村名"), (5, "緯度"), (6, "備考"), (7, "市区町村名")]
    assert "row 2" in report.errors[3].reason
    assert _state(seeded_copy) == before


def test_new_rows_need_a_category_and_an_operator(seeded_copy: Engine) -> None:
    rows = [_new(1), _new(2, **{"団体名": "江別市"}), _new(3, **{"団体名": "架空の団体"})]
    report = _run(seeded_copy, csv_bytes(rows), options=ImportOptions())
    assert [(e.row, e.column) for e in report.errors] == [(2, None), (3, None), (4, None)]
    assert "category" in report.errors[0].reason
    report = _run(seeded_copy, csv_bytes(rows), options=ImportOptions(category="PARK"))
    assert [(e.row, e.column) for e in report.errors] == [(2, "団体名"), (4, "団体名")]
    report = _run(seeded_copy, csv_bytes(rows), options=ImportOptions(category="PARK",
                                                                      operator="nobody"))
    assert [(e.row, e.column) for e in report.errors] == [(None, None)]
    assert "'nobody'" in report.errors[0].reason


def test_a_refused_permit_rejects_the_file(seeded_copy: Engine) -> None:
    class Forbidden(HubError):
        code = "FORBIDDEN"

    def forbid(_operator_id: int) -> None:
        raise Forbidden("you may not change this operator's records")

    before = _state(seeded_copy)
    with seeded_copy.begin() as conn:
        report = import_facilities(conn, csv_bytes([_new(1)]), "x.csv", permit=forbid,
                                   max_bytes=10_000, max_rows=10, options=NEW_FACILITIES)
    assert [(e.row, e.code, e.reason) for e in report.errors] == [
        (2, "FORBIDDEN", "you may not change this operator's records")]
    assert _state(seeded_copy) == before


# ---- what an import writes ------------------------------------------------------------------

def test_new_rows_are_created_through_the_write_path_citing_the_file(seeded_copy: Engine) -> None:
    data = csv_bytes([_new(1, **{"緯度": IN_EBETSU[0], "経度": IN_EBETSU[1], "方書": "2階",
                                 "URL": "https://example.jp/1", "利用可能曜日": "月～金",
                                 "開始時間": "09:00", "終了時間": "17:00"}),
                      _new(2, **{"団体名": "北海道"})])
    report = _run(seeded_copy, data)
    assert [o.code for o in report.added] == ["test-0001", "test-0002"] and report.written
    one = _facility(seeded_copy, "test-0001")
    assert (one["location_precision"], one["lat"], one["lon"]) == (
        "BUILDING", float(IN_EBETSU[0]), float(IN_EBETSU[1]))
    assert (one["building"], one["url"], one["hours"], one["phone"]) == (
        "2階", "https://example.jp/1", "月～金 09:00〜17:00", "011-000-0000")
    assert one["sources"] == [
        f"公共施設一覧 import: 施設一覧.csv sha256:{hashlib.sha256(data).hexdigest()[:12]}"]
    two = _facility(seeded_copy, "test-0002")
    assert two["location_precision"] == "MUNICIPALITY" and two["municipality_code"] == "01217"
    with seeded_copy.connect() as conn:
        operators: dict[str, int] = {
            c: int(i) for c, i in conn.execute(text("SELECT code, id FROM operator"))}
        inside = conn.scalar(text(
            "SELECT ST_Covers(boundary, (SELECT location FROM facility WHERE code = :c))"
            " FROM municipality WHERE code = '01217'"), {"c": "test-0002"})
    assert (one["operator_id"], two["operator_id"]) == (operators["ebetsu"],
                                                       operators["hokkaido"])
    assert inside
    [entry] = _audit(seeded_copy, "test-0001")
    assert (entry["action"], entry["actor"]) == ("INSERT", "import:施設一覧.csv")


def test_matching_by_code_and_by_name_and_municipality(seeded_copy: Engine) -> None:
    ebetsu = _facility(seeded_copy, "base-ebetsu-ai")
    chitose = _facility(seeded_copy, "base-chitose")
    rows = [
        row(**{CODE_COLUMN: EBETSU, "市区町村名": "江別市", "名称": "江別市民活動センター・あい",
               "電話番号": "011-374-9999", "備考": "code=base-ebetsu-ai"}),
        row(**{CODE_COLUMN: "012246", "市区町村名": "千歳市", "名称": "千歳市民活動交流センター",
               "URL": "https://minakuru.or.jp/"}),
        row(**{CODE_COLUMN: "012246", "名称": "石狩市民活動情報センター"}),  # 石狩's, not 千歳's
    ]
    report = _run(seeded_copy, csv_bytes(rows), options=NEW_FACILITIES)
    assert not report.errors
    assert [(o.row, o.code, o.matched_by, o.fields) for o in report.changed] == [
        (2, "base-ebetsu-ai", "code", ("phone",)), (3, "base-chitose", "name", ("url",))]
    assert [(o.row, o.matched_by) for o in report.added] == [(4, None)]
    assert report.added[0].code.startswith("pf-01224-")
    assert "(matched by name): url" in "\n".join(report.lines())
    after = _facility(seeded_copy, "base-ebetsu-ai")
    assert after["phone"] == "011-374-9999" and after["version"] == ebetsu["version"] + 1
    assert after["sources"][:-1] == ebetsu["sources"]
    assert after["sources"][-1].startswith("公共施設一覧 import: 施設一覧.csv sha256:")
    assert _facility(seeded_copy, "base-chitose")["version"] == chitose["version"] + 1
    [entry] = [e for e in _audit(seeded_copy, "base-ebetsu-ai") if e["actor"].startswith("imp")]
    assert entry["action"] == "UPDATE" and sorted(entry["after"]) == ["phone", "sources"]
    assert entry["before"]["phone"] == ebetsu["phone"]


def test_a_ward_facility_is_matched_by_a_row_of_its_city(seeded_copy: Engine) -> None:
    with seeded_copy.connect() as conn:
        code, name = conn.execute(text(
            "SELECT f.code, f.name_ja FROM facility f JOIN municipality m"
            " ON m.code = f.municipality_code WHERE m.parent_code = '01100'"
            " ORDER BY f.code LIMIT 1")).one()
    rows = [row(**{CODE_COLUMN: "011002", "市区町村名": "札幌市", "名称": name})]
    report = _run(seeded_copy, csv_bytes(rows))
    assert [(o.code, o.matched_by, o.fields) for o in report.left] == [(code, "name", ())]


def test_importing_the_same_file_again_changes_nothing(seeded_copy: Engine) -> None:
    rows = [_new(1, **{"緯度": IN_EBETSU[0], "経度": IN_EBETSU[1]}), _new(2),
            row(**{CODE_COLUMN: EBETSU, "名称": "江別市民活動センター・あい",
                   "市区町村名": "江別市"})]
    first = _run(seeded_copy, csv_bytes(rows))
    assert (len(first.added), len(first.left)) == (2, 1)
    before = _state(seeded_copy)
    again = _run(seeded_copy, csv_bytes(rows), name="施設一覧（再）.csv")
    assert (len(again.added), len(again.changed), len(again.left)) == (0, 0, 3)
    assert not again.written
    assert _state(seeded_copy) == before


def test_an_empty_cell_leaves_what_the_hub_knows(seeded_copy: Engine) -> None:
    _run(seeded_copy, csv_bytes([_new(1, **{"方書": "3階", "URL": "https://example.jp/"})]))
    report = _run(seeded_copy, csv_bytes([_new(1, **{"名称_カナ": "", "住所": ""})]))
    assert [o.code for o in report.left] == ["test-0001"]
    kept = _facility(seeded_copy, "test-0001")
    assert (kept["building"], kept["url"], kept["name_kana"]) == (
        "3階", "https://example.jp/", "エベツテストシセツ")


def test_a_file_written_from_the_hubs_own_facilities_changes_nothing(
    seeded_copy_url: str, seeded_copy: Engine,
) -> None:
    """The CSV export (hub.services.reports.facility_export, behind /export/facilities.csv
    and hub export facilities): the standard's columns, the code in 備考, the facility's
    own coordinates with 7 decimals, empty where nothing is known; importing it is a no-op."""

    async def export() -> bytes:
        database = Database(seeded_copy_url, 15_000, 1, 2)
        await database.open()
        try:
            return b"".join([c async for c in facility_export.csv_chunks(Reads(database),
                                                                         None)])
        finally:
            await database.close()

    data = asyncio.run(export())
    with seeded_copy.connect() as conn:
        live = conn.scalar(text("SELECT count(*) FROM facility WHERE archived_at IS NULL"))
        located = conn.scalar(text("SELECT count(*) FROM facility WHERE location_precision"
                                   " IN ('EXACT', 'BUILDING')"))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    positions = [(r["緯度"], r["経度"]) for r in rows if r["緯度"] or r["経度"]]
    assert located and len(positions) == located
    assert all(re.fullmatch(r"[0-9]{2,3}\.[0-9]{7}", v) for p in positions for v in p)
    before = _state(seeded_copy)
    report = _run(seeded_copy, data, options=ImportOptions())
    assert not report.errors, report.errors
    assert (len(report.added), len(report.changed), len(report.left)) == (0, 0, live)
    assert {o.matched_by for o in report.left} == {"code"}
    assert _state(seeded_copy) == before


# ---- dry run --------------------------------------------------------------------------------

def test_a_dry_run_writes_nothing_and_reports_what_the_import_would_do(
    seeded_copy: Engine,
) -> None:
    rows = [_new(1), row(**{CODE_COLUMN: EBETSU, "名称": "江別市民活動センター・あい",
                            "市区町村名": "江別市", "電話番号": "011-000-1111"}),
            row(**{CODE_COLUMN: "012246", "名称": "千歳市民活動交流センター"})]
    data = csv_bytes(rows)
    before = _state(seeded_copy)
    dry = _run(seeded_copy, data, options=ImportOptions(
        category="CITIZEN_ACTIVITY", operator="ebetsu", dry_run=True))
    assert _state(seeded_copy) == before
    assert not dry.written and dry.lines()[-1].endswith("(dry run: nothing was written)")
    real = _run(seeded_copy, data)
    assert _state(seeded_copy) != before

    def plan(r: ImportReport) -> list[list[tuple[int, str, str | None, tuple[str, ...]]]]:
        return [[(o.row, o.code, o.matched_by, o.fields) for o in outcomes]
                for outcomes in (r.added, r.changed, r.left)]

    assert plan(dry) == plan(real) == [[(2, "test-0001", None, ())],
                                       [(3, "base-ebetsu-ai", "name", ("phone",))],
                                       [(4, "base-chitose", "name", ())]]


# ---- encodings and GeoJSON ------------------------------------------------------------------

def _imported(conn: Connection) -> list[dict[str, Any]]:
    """Every facility and its audit rows, without what differs between two runs by nature
    (ids, times, the file's digest in its citation)."""
    facilities = conn.execute(text(
        "SELECT to_jsonb(f) - 'id' - 'created_at' - 'updated_at' - 'sources'"
        " || jsonb_build_object('sources', (SELECT jsonb_agg(split_part(s, ' sha256:', 1))"
        "    FROM unnest(f.sources) s)) AS row FROM facility f ORDER BY code")).scalars().all()
    audit = conn.execute(text(
        "SELECT jsonb_build_object('key', row_key, 'action', action, 'actor', actor,"
        " 'after', after - 'sources') FROM audit_log WHERE actor LIKE 'import:%'"
        " ORDER BY row_key")).scalars().all()
    return [*facilities, *audit]


def test_a_shift_jis_csv_imports_the_same_as_its_utf8_copy(seeded_copy: Engine) -> None:
    rows = [_new(1, **{"名称": "髙橋①記念江別会館", "住所": "江別市野幌町１０番地",
                       "利用可能日時特記事項": "９時～１７時（年末年始を除く）",
                       "緯度": IN_EBETSU[0], "経度": IN_EBETSU[1], "方書": "２階"}),
            _new(2, **{"名称": "ｴﾍﾞﾂ半角ｶﾅ館"}),
            row(**{CODE_COLUMN: EBETSU, "名称": "江別市民活動センター・あい",
                   "市区町村名": "江別市", "電話番号": "０１１－３７４－１４６０"})]
    results = {}
    for encoding in ("utf-8", "utf-8-sig", "cp932"):
        with seeded_copy.connect() as conn:
            whole = conn.begin()
            report = _import(conn, csv_bytes(rows, encoding))
            assert report.encoding == encoding and not report.errors
            assert (len(report.added), len(report.changed)) == (2, 1)
            results[encoding] = _imported(conn)
            whole.rollback()
    assert results["cp932"] == results["utf-8"] == results["utf-8-sig"]
    assert any("髙橋①記念江別会館" in str(r) for r in results["cp932"])


def test_a_geojson_feature_collection_imports_like_the_csv(seeded_copy: Engine) -> None:
    rows = [_new(1, **{"緯度": IN_EBETSU[0], "経度": IN_EBETSU[1]}), _new(2),
            row(**{CODE_COLUMN: "012246", "名称": "千歳市民活動交流センター",
                   "緯度": "42.8210", "経度": "141.6508"})]
    results = {}
    for name, data in (("施設一覧.geojson", geojson_bytes(rows)),
                       ("施設一覧.csv", csv_bytes(rows))):
        with seeded_copy.connect() as conn:
            whole = conn.begin()
            report = _import(conn, data, name)
            assert not report.errors, report.errors
            results[name] = (report.unit, [(o.row, o.code, o.matched_by, o.fields)
                                           for o in (*report.added, *report.changed)])
            located = conn.execute(text(
                "SELECT code, location_precision, ST_AsBinary(location) FROM facility"
                " WHERE code IN ('test-0001', 'base-chitose') ORDER BY code")).all()
            whole.rollback()
        chitose, test = located
        assert chitose[1] == "BUILDING" and test[1] == "BUILDING"
        assert shapely.from_wkb(bytes(test[2])).equals_exact(
            shapely.Point(float(IN_EBETSU[1]), float(IN_EBETSU[0])), 1e-9)
    assert results["施設一覧.geojson"] == (
        "feature", [(1, "test-0001", None, ()), (2, "test-0002", None, ()),
                    (3, "base-chitose", "name", ("location",))])
    assert results["施設一覧.csv"][1] == [(r + 1, *rest) for r, *rest in
                                      results["施設一覧.geojson"][1]]


def test_a_file_that_cannot_be_read_is_a_report_not_an_exception(seeded_copy: Engine) -> None:
    before = _state(seeded_copy)
    report = _run(seeded_copy, b"\x82\xff")
    assert report.rejected and report.errors[0].row is None and "offset 0" in str(report.errors[0])
    assert report.lines()[0].startswith("施設一覧.csv (unread")
    assert _state(seeded_copy) == before
