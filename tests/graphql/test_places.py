"""Where the facilities are, over HTTP on the real data, checked against
../shared/geodata/facility_places.csv read here on its own (csv module, not the loader) and
distances computed with pyproj."""

from __future__ import annotations

import csv
import re
from typing import Any

import pytest
from pyproj import Geod
from shapely.geometry import Point

from tests.conftest import FULL_BOUNDARIES, GEODATA, LiveServer, shapes

GEOD = Geod(ellps="WGS84")
SAPPORO_STATION = (43.0687, 141.3508)  # lat, lon
SAPPORO_WARD = re.compile(r"^(?:北海道)?札幌市(.+?区)")


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with (GEODATA / "facility_places.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance between two (lat, lon) points."""
    return float(GEOD.inv(a[1], a[0], b[1], b[0])[2])


FACILITY = """
query ($code: String) {
  facility(code: $code) {
    code nameJa address building postalCode phone hours closedDays url
    availableDays openingTime closingTime availabilityNote activityArea sources
    location { lat lon } locationPrecision municipality { code nameJa parent { code } }
    aliases { name source }
  }
}"""


def _facility(server: LiveServer, code: str) -> dict[str, Any]:
    found: dict[str, Any] = server.data(FACILITY, {"code": code})["facility"]
    return found


def test_the_five_facilities_with_coordinates_are_at_their_buildings(
    server: LiveServer, csv_rows: list[dict[str, str]]
) -> None:
    stated = [r for r in csv_rows if r["lat"] and r["lon"]]
    assert len(stated) == 5
    for row in stated:
        f = _facility(server, row["code"])
        at = (f["location"]["lat"], f["location"]["lon"])
        assert _metres(at, (float(row["lat"]), float(row["lon"]))) < 1.0, row["code"]
        assert f["locationPrecision"] == "BUILDING", row["code"]
        assert row["coord_source_url"] in f["sources"], row["code"]


def test_no_sapporo_facility_with_a_known_ward_sits_at_the_citys_point(
    server: LiveServer, csv_rows: list[dict[str, str]]
) -> None:
    city_point = shapes(FULL_BOUNDARIES)["01100"].point_on_surface()
    with_ward = [(r, m[1]) for r in csv_rows
                 if (m := SAPPORO_WARD.match(re.sub(r"\s+", "", r["address"])))]
    assert len(with_ward) >= 8
    for row, ward in with_ward:
        f = _facility(server, row["code"])
        assert f["municipality"]["nameJa"] == f"札幌市{ward}", row["code"]
        assert f["municipality"]["parent"]["code"] == "01100", row["code"]
        at = Point(f["location"]["lon"], f["location"]["lat"])
        assert _metres((at.y, at.x), (city_point.y, city_point.x)) > 1000, row["code"]
        assert f["locationPrecision"] in ("BUILDING", "WARD"), row["code"]
        ward_shape = shapes(FULL_BOUNDARIES)[f["municipality"]["code"]]
        assert ward_shape.covers(at), row["code"]


NEAREST = """
query ($near: GeoPointInput!) {
  nearestFacilities(near: $near, first: 5) { distanceMeters facility { code location { lat lon } } }
}"""


def test_nearest_to_sapporo_station_is_in_kaderu_or_el_plaza(
    server: LiveServer, csv_rows: list[dict[str, str]]
) -> None:
    in_buildings = {r["code"] for r in csv_rows
                    if "かでる" in r["building"] or "エルプラザ" in r["building"]}
    lat, lon = SAPPORO_STATION
    found = server.data(NEAREST, {"near": {"lat": lat, "lon": lon}})["nearestFacilities"]
    first = found[0]
    assert first["facility"]["code"] in in_buildings
    for hit in found:
        at = (hit["facility"]["location"]["lat"], hit["facility"]["location"]["lon"])
        assert abs(_metres(SAPPORO_STATION, at) - hit["distanceMeters"]) < 1.0
    kaderu = [r for r in csv_rows if "かでる" in r["building"]]
    assert len(kaderu) == 2
    for row in kaderu:  # the buildings whose coordinates a page states
        f = _facility(server, row["code"])
        at = (f["location"]["lat"], f["location"]["lon"])
        assert _metres(SAPPORO_STATION, at) < 2000, row["code"]
    assert _metres(SAPPORO_STATION, (first["facility"]["location"]["lat"],
                                     first["facility"]["location"]["lon"])) < 2000


def test_facilities_sharing_a_building_share_the_point(
    server: LiveServer, csv_rows: list[dict[str, str]]
) -> None:
    for marker in ("かでる", "エルプラザ", "CoCoDe"):
        codes = [r["code"] for r in csv_rows if marker in r["building"]]
        assert len(codes) >= 2, marker
        points = {(f["location"]["lat"], f["location"]["lon"])
                  for f in (_facility(server, c) for c in codes)}
        assert len(points) == 1, marker


def test_the_npo_office_is_in_chuo_ku_and_it_still_serves_all_hokkaido(
    server: LiveServer
) -> None:
    f = _facility(server, "base-hokkaido-npo-support-center")
    assert f["municipality"]["nameJa"] == "札幌市中央区"
    assert f["locationPrecision"] == "WARD"
    kushiro = {"lat": 42.9849, "lon": 144.3820}
    serving = server.data(
        "query ($p: GeoPointInput!) { facilitiesServing(point: $p) { code } }", {"p": kushiro}
    )["facilitiesServing"]
    assert "base-hokkaido-npo-support-center" in {s["code"] for s in serving}


def test_address_phone_hours_and_closed_days_as_written(
    server: LiveServer, csv_rows: list[dict[str, str]]
) -> None:
    for row in csv_rows:
        f = _facility(server, row["code"])
        for field, column in (("building", "building"), ("postalCode", "postal_code"),
                              ("phone", "phone"), ("hours", "hours"),
                              ("closedDays", "closed_days")):
            assert f[field] == (row[column].strip() or None), (row["code"], field)
        if row["address"]:
            assert f["address"] == row["address"].strip(), row["code"]
        if row["address_source_url"]:
            assert row["address_source_url"] in f["sources"], row["code"]


def test_open_data_fields_only_where_the_hours_say_them_plainly(server: LiveServer) -> None:
    hakodate = _facility(server, "base-hakodate")  # 「9~21時」
    assert (hakodate["openingTime"], hakodate["closingTime"]) == ("09:00", "21:00")
    assert hakodate["availabilityNote"] == "開館時間: 9~21時; 休館日: 無休(臨時休館あり)"
    plaza = _facility(server, "pref-womens-plaza")  # 「(土曜日は、午後5時まで)」
    assert plaza["openingTime"] is None and plaza["closingTime"] is None
    assert plaza["availableDays"] is None
    assert "日曜日、祝日、年末年始(12月29日から1月3日)" in plaza["availabilityNote"]
    nothing = _facility(server, "base-bonos")
    assert [nothing[k] for k in ("building", "phone", "hours", "closedDays", "url",
                                 "availableDays", "openingTime", "closingTime",
                                 "availabilityNote")] == [None] * 9
    assert nothing["aliases"] == []


ALIAS_QUERIES = [
    ("CoCoDe", "base-asahikawa"),
    ("cocode", "base-asahikawa"),
    ("ミナクール", "base-chitose"),
    ("みんくる", "base-takikawa"),
    ("ぽぽらーと", "base-ishikari"),
    ("えにわ市民プラザ・アイル", "base-eniwa-eiwa-shimin-plaza"),
]


@pytest.mark.parametrize(("text", "code"), ALIAS_QUERIES)
def test_the_text_filter_matches_aliases(server: LiveServer, text: str, code: str) -> None:
    found = server.data(
        "query ($f: FacilityFilter) { facilities(first: 50, filter: $f)"
        " { edges { node { code nameJa aliases { name source } } } } }",
        {"f": {"text": text}},
    )["facilities"]["edges"]
    assert code in [e["node"]["code"] for e in found]
    node = next(e["node"] for e in found if e["node"]["code"] == code)
    assert text.lower() not in node["nameJa"].lower(), "the documents' name is kept"
    assert any(text.lower() in a["name"].lower() and a["source"].startswith("http")
               for a in node["aliases"])


def test_the_documents_name_is_kept(server: LiveServer) -> None:
    f = _facility(server, "base-eniwa-eiwa-shimin-plaza")
    assert f["nameJa"] == "NPO法人えいわ市民プラザ"
    assert [a["name"] for a in f["aliases"]] == ["えにわ市民プラザ・アイル"]
