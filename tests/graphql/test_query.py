"""The rest of the Query root over HTTP on the real data: the facilities connection and its
filter, municipalities, partnerships, initiatives and the consultation calendar."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from shapely.geometry import Point, box, shape

from hub.resources import SEED_DIR
from tests.conftest import LiveServer


def _seed(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = yaml.safe_load((SEED_DIR / name).read_text())
    return records


PAGE = """
query ($first: Int, $after: String, $filter: FacilityFilter) {
  facilities(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { code nameJa category location { lat lon }
                          operator { level } municipality { code subprefecture }
                          services { code } } }
  }
}"""


def _all(server: LiveServer, flt: dict[str, Any] | None = None, first: int = 7
         ) -> tuple[list[dict[str, Any]], int]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = server.data(PAGE, {"first": first, "after": after, "filter": flt})["facilities"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
def everything(server: LiveServer) -> list[dict[str, Any]]:
    return _all(server, first=100)[0]


def test_pages_walk_every_facility_once_in_code_order(server: LiveServer) -> None:
    nodes, total = _all(server, first=7)
    codes = [n["code"] for n in nodes]
    assert total == len(codes) == 34
    assert codes == sorted(codes) and len(set(codes)) == 34
    seeded = {f["code"] for f in _seed("facilities.yaml")}
    assert set(codes) == seeded


@pytest.mark.parametrize(
    ("flt", "keep"),
    [
        ({"categories": ["CONSUMER", "PARK"]}, lambda n: n["category"] in ("CONSUMER", "PARK")),
        ({"operatorLevels": ["NPO"]}, lambda n: n["operator"]["level"] == "NPO"),
        ({"services": ["consultation", "meeting_room"]},
         lambda n: {"consultation", "meeting_room"} <= {s["code"] for s in n["services"]}),
        ({"municipalityCodes": ["01100"]},  # Sapporo: its own code and its wards'
         lambda n: (n["municipality"] or {}).get("code", "").startswith("011")),
        ({"municipalityCodes": ["01217", "01224"]},
         lambda n: (n["municipality"] or {}).get("code") in ("01217", "01224")),
        ({"subprefecture": "石狩振興局"},
         lambda n: (n["municipality"] or {}).get("subprefecture") == "石狩振興局"),
        ({"text": "npo"}, lambda n: "npo" in n["nameJa"].lower()),
        ({"text": "市民活動センター"}, lambda n: "市民活動センター" in n["nameJa"]),
        ({"withinBbox": [141.0, 42.5, 142.0, 43.5]},
         lambda n: n["location"] is not None
         and box(141.0, 42.5, 142.0, 43.5).covers(Point(n["location"]["lon"],
                                                          n["location"]["lat"]))),
        ({"categories": ["CITIZEN_ACTIVITY"], "subprefecture": "石狩振興局", "text": "市"},
         lambda n: n["category"] == "CITIZEN_ACTIVITY" and "市" in n["nameJa"]
         and (n["municipality"] or {}).get("subprefecture") == "石狩振興局"),
    ],
)
def test_each_filter_field_selects_what_it_says(
    server: LiveServer, everything: list[dict[str, Any]], flt: dict[str, Any], keep: Any
) -> None:
    nodes, total = _all(server, flt)
    expected = [n["code"] for n in everything if keep(n)]
    assert [n["code"] for n in nodes] == expected
    assert total == len(expected) and expected, "a filter test must select something"


def test_within_polygon_selects_the_facilities_inside(
    server: LiveServer, everything: list[dict[str, Any]]
) -> None:
    polygon = {"type": "Polygon", "coordinates": [[[142.0, 43.0], [144.5, 43.0], [144.5, 44.5],
                                                   [142.0, 44.5], [142.0, 43.0]]]}
    nodes, _ = _all(server, {"within": polygon})
    area = shape(polygon)
    expected = [n["code"] for n in everything if n["location"]
                and area.covers(Point(n["location"]["lon"], n["location"]["lat"]))]
    assert [n["code"] for n in nodes] == expected and expected


def test_facility_by_id_and_code(server: LiveServer) -> None:
    by_code = server.data('{ facility(code: "base-ebetsu-ai") { id code establishedOn } }')
    facility_id = by_code["facility"]["id"]
    by_id = server.data("query ($id: ID) { facility(id: $id) { code } }", {"id": facility_id})
    assert by_id["facility"]["code"] == "base-ebetsu-ai"
    assert server.data('{ facility(code: "nothing-here") { id } }')["facility"] is None
    established = server.data('{ facility(code: "pref-citizen-activity-centre") '
                              '{ establishedOn legalBasis } }')["facility"]
    assert established == {"establishedOn": "2001-06-01", "legalBasis": "北海道市民活動促進条例"}


def test_municipalities_and_their_facilities(server: LiveServer) -> None:
    data = server.data("""{
      all: municipalities { code }
      ishikari: municipalities(subprefecture: "石狩振興局") { code }
      sapporo: municipality(code: "01100") {
        nameJa population facilities { code } boundary(simplifyMeters: 200)
      }
      ward: municipality(code: "01101") { nameJa parent { code } }
    }""")
    assert len(data["all"]) == 195
    assert len(data["ishikari"]) == 18  # 7 municipalities, Sapporo and its 10 wards
    sapporo = data["sapporo"]
    assert sapporo["nameJa"] == "札幌市" and sapporo["population"] == 1_955_678
    assert sapporo["boundary"]["type"] == "MultiPolygon"
    in_sapporo = {f["code"] for f in _seed("facilities.yaml") if f.get("municipality") == "札幌市"}
    # and the NPO whose office facility_places.csv places in 札幌市中央区 (the documents name
    # no municipality for it)
    placed = {"base-hokkaido-npo-support-center"}
    assert {f["code"] for f in sapporo["facilities"]} == in_sapporo | placed
    assert len(in_sapporo) == 12
    assert data["ward"] == {"nameJa": "札幌市中央区", "parent": {"code": "01100"}}


def test_partnerships_with_facilities_roles_and_initiatives(server: LiveServer) -> None:
    data = server.data("""{
      partnerships { theme category facilities { code services { code } }
                     roleDivisions { area responsible { code } }
                     achieved: initiatives(status: ACHIEVED) { title }
                     planned: initiatives(status: PLANNED) { title fiscalYear } }
      consumer: partnerships(category: CONSUMER) { theme }
    }""")
    partnerships = data["partnerships"]
    assert len(partnerships) == 6 and data["consumer"] == [{"theme": "消費生活相談での連携協力"}]
    citizen = next(p for p in partnerships if p["category"] == "CITIZEN_ACTIVITY")
    assert [f["code"] for f in citizen["facilities"]] == [
        "pref-citizen-activity-centre", "sapporo-citizen-activity-support-centre"]
    outreach = next(r for r in citizen["roleDivisions"] if r["area"] == "市民向け啓発")
    assert outreach["responsible"] == [{"code": "sapporo-citizen-activity-support-centre"}]
    assert all(p["planned"] and all(i["fiscalYear"] == 2017 for i in p["planned"])
               for p in partnerships)


def test_a_facility_page_shows_its_partners_services(server: LiveServer) -> None:
    data = server.data("""{ facility(code: "pref-womens-plaza") {
        partnerships { facilities { code services { code } } } } }""")
    (partnership,) = data["facility"]["partnerships"]
    partner = next(f for f in partnership["facilities"]
                   if f["code"] == "sapporo-gender-equality-centre")
    assert "childcare_room" in {s["code"] for s in partner["services"]}


def test_initiatives_by_status_and_fiscal_year(server: LiveServer) -> None:
    data = server.data("""{
      planned: initiatives(status: PLANNED, fiscalYear: 2017) { title }
      none: initiatives(fiscalYear: 2030) { title }
      pio: initiatives(status: ACHIEVED) { title metrics { period value unit } }
    }""")
    planned = [i["title"] for i in _seed("initiatives.yaml") if i["status"] == "PLANNED"]
    assert sorted(i["title"] for i in data["planned"]) == sorted(planned) and data["none"] == []
    pio = next(i for i in data["pio"] if "全国消費生活相談ネットワーク" in i["title"])
    assert pio["metrics"] == [
        {"period": "FY2015", "value": 134.0, "unit": "件"},
        {"period": "FY2016", "value": 178.0, "unit": "件"},
        {"period": "FY2017", "value": 80.0, "unit": "件"},
    ]


CALENDAR = """query ($from: Date!, $to: Date!, $ids: [ID!]) {
  consultationSessions(from: $from, to: $to, facilityIds: $ids) {
    startsAt endsAt consultation { minutesPerPerson facility { code } } } }"""

CITY, PLAZA = "sapporo-gender-equality-centre", "pref-womens-plaza"


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # November 2017 began on a Wednesday. Fridays 3, 10 (the 2nd: evening), 17, 24;
        # Wednesdays 8 (2nd), 15 (3rd, an odd month), 22 (4th); not the 1st or the 29th.
        ("2017-11", [
            ("2017-11-03T13:00:00+09:00", "2017-11-03T15:00:00+09:00", CITY),
            ("2017-11-08T13:15:00+09:00", "2017-11-08T15:45:00+09:00", PLAZA),
            ("2017-11-10T18:00:00+09:00", "2017-11-10T20:00:00+09:00", CITY),
            ("2017-11-15T13:15:00+09:00", "2017-11-15T15:45:00+09:00", PLAZA),
            ("2017-11-17T13:00:00+09:00", "2017-11-17T15:00:00+09:00", CITY),
            ("2017-11-22T13:15:00+09:00", "2017-11-22T15:45:00+09:00", PLAZA),
            ("2017-11-24T13:00:00+09:00", "2017-11-24T15:00:00+09:00", CITY),
        ]),
        # December 2017 began on a Friday: Fridays 1, 8 (2nd: evening), 15, 22, 29;
        # Wednesdays 13 (2nd) and 27 (4th) only, December being an even month.
        ("2017-12", [
            ("2017-12-01T13:00:00+09:00", "2017-12-01T15:00:00+09:00", CITY),
            ("2017-12-08T18:00:00+09:00", "2017-12-08T20:00:00+09:00", CITY),
            ("2017-12-13T13:15:00+09:00", "2017-12-13T15:45:00+09:00", PLAZA),
            ("2017-12-15T13:00:00+09:00", "2017-12-15T15:00:00+09:00", CITY),
            ("2017-12-22T13:00:00+09:00", "2017-12-22T15:00:00+09:00", CITY),
            ("2017-12-27T13:15:00+09:00", "2017-12-27T15:45:00+09:00", PLAZA),
            ("2017-12-29T13:00:00+09:00", "2017-12-29T15:00:00+09:00", CITY),
        ]),
    ],
)
def test_both_lawyer_schedules_in_one_calendar(
    server: LiveServer, month: str, expected: list[tuple[str, str, str]]
) -> None:
    last_day = {"2017-11": "30", "2017-12": "31"}[month]
    sessions = server.data(CALENDAR, {"from": f"{month}-01", "to": f"{month}-{last_day}"})
    got = [(s["startsAt"], s["endsAt"], s["consultation"]["facility"]["code"])
           for s in sessions["consultationSessions"]]
    assert got == expected
    assert all(s["consultation"]["minutesPerPerson"] == 30
               for s in sessions["consultationSessions"])


def test_the_calendar_can_be_limited_to_one_centre(server: LiveServer) -> None:
    plaza = server.data('{ facility(code: "pref-womens-plaza") { id } }')["facility"]["id"]
    sessions = server.data(CALENDAR, {"from": "2017-11-01", "to": "2017-11-30", "ids": [plaza]})
    assert [s["startsAt"][:10] for s in sessions["consultationSessions"]] == [
        "2017-11-08", "2017-11-15", "2017-11-22"]


def test_data_sources_carry_their_attribution(server: LiveServer) -> None:
    sources = server.data("{ dataSources { kind attribution } }")["dataSources"]
    assert [s["kind"] for s in sources] == ["boundaries", "facility_places", "population"]
    assert "国土数値情報" in sources[0]["attribution"]
    assert "Wikipedia (CC BY-SA 4.0)" in sources[1]["attribution"]
    assert "住民基本台帳" in sources[2]["attribution"]
