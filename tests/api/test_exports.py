"""The open-data exports on a running hub: the CSV in the 公共施設一覧 layout (its header row
exactly as the issue gives it, BOM, one row per facility), the GeoJSON with every contract
field, both agreeing with GraphQL's totalCount under the same filter, an export imported
again changing nothing, archived facilities left out, bad parameters and the row limit
refused as 400s that name what is wrong."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType, build_schema
from shapely.geometry import shape
from sqlalchemy import Engine, text

from hub.config import Settings
from hub.services.writes.facilities import archive_facility
from hub.services.writes.imports import ImportOptions, import_facilities
from tests.conftest import ROOT, LiveServer, live_server

#: The header row of 公共施設一覧 as issue 11 lists it, in its order.
HEADER = ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称",
          "名称_カナ", "名称_通称", "POIコード", "住所", "方書", "緯度", "経度", "電話番号",
          "内線番号", "法人番号", "団体名", "利用可能曜日", "開始時間", "終了時間",
          "利用可能日時特記事項", "説明", "バリアフリー情報", "URL", "備考"]
CONTRACT = build_schema((ROOT.parent / "shared" / "CONTRACT.graphql").read_text(encoding="utf-8"))
#: Fields of nested records the export leaves to GraphQL: a municipality's boundary and its
#: facilities, a partnership's role divisions and initiatives (records of their own, not the
#: facility's), and a consultation's facility (the feature itself).
LEFT_TO_GRAPHQL = {"Municipality": {"boundary", "facilities"},
                   "Partnership": {"roleDivisions", "initiatives"},
                   "Consultation": {"facility"}}
#: Filters as GraphQL takes them, each also given as query parameters.
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"categories": ["PARK", "CONSUMER"]},
    {"operatorLevels": ["CITY"]},
    {"services": ["consultation"]},
    {"municipalityCodes": ["01100"]},
    {"subprefecture": "石狩振興局"},
    {"text": "センター"},
    {"withinBbox": [141.0, 42.5, 142.0, 43.5]},
]


def _params(flt: dict[str, Any] | None) -> dict[str, str]:
    return {name: ",".join(str(v) for v in value) if isinstance(value, list) else value
            for name, value in (flt or {}).items()}


def _csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def _codes_in_remarks(rows: list[list[str]]) -> list[str]:
    remarks = [row[HEADER.index("備考")] for row in rows[1:]]
    return [r.split(";")[0].removeprefix("code=") for r in remarks]


def _graphql_codes(server: LiveServer, flt: dict[str, Any] | None) -> tuple[int, list[str]]:
    data = server.data("query ($f: FacilityFilter) { facilities(filter: $f, first: 100) {"
                       " totalCount edges { node { code } } } }", {"f": flt})
    found = data["facilities"]
    return found["totalCount"], [e["node"]["code"] for e in found["edges"]]


def test_the_csv_has_the_issues_header_row_and_one_row_per_facility(server: LiveServer) -> None:
    response = httpx.get(server.url + "/export/facilities.csv", timeout=60)
    rows = _csv_rows(response)
    assert rows[0] == HEADER
    total, codes = _graphql_codes(server, None)
    assert len(rows) - 1 == total == int(response.headers["x-total-count"]) == 34
    assert _codes_in_remarks(rows) == codes  # code order, each once
    assert [row[1] for row in rows[1:]] == [str(n) for n in range(1, total + 1)]
    assert all(len(row) == len(HEADER) for row in rows)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="facilities.csv"'


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f or ["none"]))
def test_both_exports_hold_what_graphql_counts_under_the_same_filter(
    server: LiveServer, flt: dict[str, Any] | None,
) -> None:
    total, codes = _graphql_codes(server, flt)
    rows = _csv_rows(httpx.get(server.url + "/export/facilities.csv", params=_params(flt),
                               timeout=60))
    assert _codes_in_remarks(rows) == codes and len(codes) == total
    geojson = httpx.get(server.url + "/export/facilities.geojson", params=_params(flt),
                        timeout=60)
    assert geojson.status_code == 200, geojson.text
    assert [f["properties"]["code"] for f in geojson.json()["features"]] == codes
    assert int(geojson.headers["x-total-count"]) == total
    if flt is not None:
        assert 0 < total < 34, "each filter picks some facilities, not all"


def _fields(type_name: str) -> set[str]:
    kind = CONTRACT.get_type(type_name)
    assert isinstance(kind, GraphQLObjectType)
    return set(kind.fields) - LEFT_TO_GRAPHQL.get(type_name, set())


@pytest.fixture(scope="module")
def features(server: LiveServer) -> list[dict[str, Any]]:
    response = httpx.get(server.url + "/export/facilities.geojson", timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert any("国土数値情報" in credit for credit in collection["attribution"])
    found: list[dict[str, Any]] = collection["features"]
    return found


def test_the_geojson_has_every_contract_field_of_each_facility(
    features: list[dict[str, Any]],
) -> None:
    assert len(features) == 34
    nested = {"operator": "Operator", "municipality": "Municipality", "services": "Service",
              "consultations": "Consultation", "partnerships": "Partnership"}
    seen = set()
    for feature in features:
        properties = feature["properties"]
        assert _fields("Facility") <= set(properties), feature["id"]
        for name, type_name in nested.items():
            values = properties[name]
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    assert _fields(type_name) <= set(value), (feature["id"], name)
                    seen.add(name)
        for partnership in properties["partnerships"]:
            assert all(set(f) == {"id", "code", "nameJa"} for f in partnership["facilities"])
    assert seen == set(nested), "every nested record appears at least once"


def test_the_geojson_agrees_with_graphql(server: LiveServer,
                                         features: list[dict[str, Any]]) -> None:
    nodes = server.facility_nodes(
        "id code nameJa nameKana nameEn category address locationPrecision activityArea"
        " establishedOn legalBasis sources version updatedAt phone hours closedDays url"
        " availabilityNote location { lat lon } operator { id name level }"
        " municipality { code nameJa nameEn subprefecture population populationYear }"
        " services { code nameJa nameEn } aliases { name source }"
        " consultations { id title rule reservationRequired minutesPerPerson note }"
        " partnerships { id theme facilities { id code nameJa } }", page=100)
    exported = {f["properties"]["code"]: f["properties"] for f in features}
    for node in nodes:
        properties = exported[node["code"]]
        for name, value in node.items():
            if name == "municipality" and value is not None:
                assert {k: properties[name][k] for k in value} == value
            elif name in ("consultations", "partnerships"):
                assert [{k: item[k] for k in one} for item, one in
                        zip(properties[name], value, strict=True)] == value
            else:
                assert properties[name] == value, (node["code"], name)


def test_geometries_are_the_locations_and_valid(db: Any, features: list[dict[str, Any]]) -> None:
    with_area = set(db.execute(text(
        "SELECT code FROM facility WHERE service_area IS NOT NULL")).scalars())
    for feature in features:
        properties, geometry = feature["properties"], feature["geometry"]
        if properties["location"] is None:
            assert geometry is None
        else:
            assert geometry["type"] == "Point"
            assert geometry["coordinates"] == [properties["location"]["lon"],
                                               properties["location"]["lat"]]
        area = properties["serviceArea"]
        assert (area is not None) == (properties["code"] in with_area)
        if area is not None:
            polygon = shape(area)
            assert area["type"] == "MultiPolygon" and polygon.is_valid and not polygon.is_empty
            if geometry is not None and properties["activityArea"] is None:
                # Its own municipality: the point lies in it, 500 m of simplification aside.
                assert polygon.distance(shape(geometry)) < 0.01


@pytest.mark.parametrize(("query", "name"), [
    ("categories=PARKS", "categories"),
    ("category=PARK", "category"),                     # a typo is not ignored
    ("services=nope", "services"),
    ("municipalityCodes=99999", "municipalityCodes"),
    ("withinBbox=141,42,143", "withinBbox"),
    ("text=a&text=b", "text"),
])
@pytest.mark.parametrize("path", ["/export/facilities.csv", "/export/facilities.geojson"])
def test_a_bad_parameter_is_400_naming_it(server: LiveServer, path: str, query: str,
                                          name: str) -> None:
    response = httpx.get(f"{server.url}{path}?{query}", timeout=60)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": name}
    assert error["message"].startswith(f"{name}:")


@pytest.fixture(scope="module")
def two_row_server(seed_loaded: Engine, database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url, Settings(max_export_rows=2)) as live:
        yield live


@pytest.mark.parametrize("path", ["/export/facilities.csv", "/export/facilities.geojson"])
def test_an_export_over_the_row_limit_is_refused_before_it_starts(two_row_server: LiveServer,
                                                                  path: str) -> None:
    at_limit = httpx.get(two_row_server.url + path, params={"categories": "CONSUMER"},
                         timeout=60)
    assert at_limit.status_code == 200 and at_limit.headers["x-total-count"] == "2"
    over = httpx.get(two_row_server.url + path, params={"categories": "CONSUMER,PARK"},
                     timeout=60)
    assert over.status_code == 400
    [error] = over.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 2}
    assert "HUB_MAX_EXPORT_ROWS" in error["message"]


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything an import could change, as digests of whole tables."""
    with engine.connect() as conn:
        return tuple(conn.scalar(text(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)),"
            f" '') FROM {table} t")) for table in ("facility", "audit_log", "facility_service",
                                                   "facility_area_part", "facility_alias"))


def _anyone(_operator_id: int) -> None:
    """The import's authorization is not what these tests are about."""


def test_an_export_imported_again_changes_nothing(seeded_copy_url: str,
                                                  seeded_copy: Engine) -> None:
    with live_server(seeded_copy_url) as live:
        data = httpx.get(live.url + "/export/facilities.csv", timeout=60).content
    before = _state(seeded_copy)
    for dry_run in (True, False):
        with seeded_copy.begin() as conn:
            report = import_facilities(conn, data, "facilities.csv", permit=_anyone,
                                       max_bytes=10_000_000, max_rows=10_000,
                                       options=ImportOptions(dry_run=dry_run))
        assert not report.errors, report.errors
        assert (report.encoding, len(report.added), len(report.changed), len(report.left)) == (
            "utf-8-sig", 0, 0, 34)
        assert {o.matched_by for o in report.left} == {"code"}
        assert _state(seeded_copy) == before


def test_an_archived_facility_is_not_exported(seeded_copy_url: str,
                                              seeded_copy: Engine) -> None:
    with seeded_copy.begin() as conn:
        facility_id, version = conn.execute(text(
            "SELECT id, version FROM facility WHERE code = 'sapporo-consumer-centre'")).one()
        archive_facility(conn, facility_id, version, "tests", _anyone)
    with live_server(seeded_copy_url) as live:
        rows = _csv_rows(httpx.get(live.url + "/export/facilities.csv", timeout=60))
        collection = httpx.get(live.url + "/export/facilities.geojson",
                               params={"categories": "CONSUMER"}, timeout=60).json()
        total, codes = _graphql_codes(live, None)
    assert "sapporo-consumer-centre" not in _codes_in_remarks(rows)
    assert len(rows) - 1 == total == 33 and _codes_in_remarks(rows) == codes
    assert [f["properties"]["code"] for f in collection["features"]] == ["pref-consumer-centre"]
    # Nor does a live facility point to it as its partner.
    [partnership] = collection["features"][0]["properties"]["partnerships"]
    assert [f["code"] for f in partnership["facilities"]] == ["pref-consumer-centre"]
