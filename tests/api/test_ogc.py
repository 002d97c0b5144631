"""The OGC API at /ogc (tipg over the ``ogc`` schema) on a running hub: the OGC documents,
the public collections and nothing else, items as GeoJSON checked against the database,
CQL2 filters, archived facilities hidden, the coverage function against GraphQL's
coverage, client errors as 4xx in the hub's shape, and GDAL's own OGC client (ogrinfo)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from hub.api.app import create_app
from hub.api.ogc_errors import error_response
from hub.services.writes import facilities as writes
from tests.conftest import LiveServer, live_server

COLLECTIONS = {"facilities", "municipalities", "service_areas", "coverage"}

#: What ogc.facilities shows of a facility: the contract's public fields a map needs.
FACILITY_PROPERTIES = {
    "id", "code", "name_ja", "name_kana", "name_en", "category", "operator_name",
    "operator_level", "municipality_code", "municipality_name_ja", "municipality_name_en",
    "postal_code", "address", "building", "phone", "hours", "closed_days", "url",
    "location_precision", "activity_area", "established_on", "legal_basis", "services",
    "version",
}


def get(server: LiveServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.url}/ogc{path}", params=params, timeout=60)


def ok(server: LiveServer, path: str, **params: Any) -> dict[str, Any]:
    response = get(server, path, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def items(server: LiveServer, collection: str, **params: Any) -> dict[str, Any]:
    return ok(server, f"/collections/{collection}/items", **{"limit": 1000, **params})


def ids_of(found: dict[str, Any]) -> set[int]:
    assert found["numberReturned"] == found["numberMatched"] == len(found["features"])
    return {f["id"] for f in found["features"]}


def located_ids(engine: Engine, where: str = "TRUE", **params: Any) -> set[int]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id FROM facility WHERE archived_at IS NULL AND location IS NOT NULL"
            f" AND {where}"), params)
        return {int(r[0]) for r in rows}


# ---- the documents ---------------------------------------------------------------------------

def test_conformance_names_features_filtering_and_tiles(server: LiveServer) -> None:
    conforms = set(ok(server, "/conformance")["conformsTo"])
    assert {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    } <= conforms


def test_the_landing_page_links_within_ogc(server: LiveServer) -> None:
    links = {link["rel"]: link["href"] for link in ok(server, "/")["links"]
             if not link.get("templated")}
    assert links["conformance"] == f"{server.url}/ogc/conformance"
    assert links["data"] == f"{server.url}/ogc/collections"
    api = httpx.get(links["service-desc"], timeout=30)
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")


def test_the_collections_are_the_four_public_ones_and_no_table(server: LiveServer) -> None:
    found = ok(server, "/collections")
    assert {c["id"] for c in found["collections"]} == COLLECTIONS
    assert found["numberMatched"] == len(COLLECTIONS)
    for name in ("facility", "municipality", "audit_log", "api_token", "ogc.facilities"):
        assert get(server, f"/collections/{name}/items").status_code == 404


def test_facilities_show_public_fields_only(server: LiveServer) -> None:
    queryables = ok(server, "/collections/facilities/queryables")["properties"]
    assert set(queryables) == FACILITY_PROPERTIES | {"geom"}


def test_a_browser_gets_json_and_html_is_refused(server: LiveServer) -> None:
    """tipg's HTML pages load scripts from CDNs: not served."""
    response = httpx.get(f"{server.url}/ogc/collections", timeout=30, headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    refused = get(server, "/collections", f="html")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["field"] == "f"


# ---- items -----------------------------------------------------------------------------------

def test_facility_items_are_the_located_live_facilities(server: LiveServer,
                                                        seed_loaded: Engine) -> None:
    expected = located_ids(seed_loaded)
    with seed_loaded.connect() as conn:
        unlocated = {int(r[0]) for r in conn.execute(text(
            "SELECT id FROM facility WHERE location IS NULL"))}
        where = {int(r[0]): (float(r[1]), float(r[2])) for r in conn.execute(text(
            "SELECT id, ST_X(location), ST_Y(location) FROM facility"
            " WHERE location IS NOT NULL"))}
    assert unlocated  # programmes without a site exist, and are left out
    found = items(server, "facilities")
    assert ids_of(found) == expected
    assert not ids_of(found) & unlocated
    for feature in found["features"]:
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert math.isclose(lon, where[feature["id"]][0], abs_tol=1e-9)
        assert math.isclose(lat, where[feature["id"]][1], abs_tol=1e-9)
        assert set(feature["properties"]) == FACILITY_PROPERTIES


def test_one_facility_has_its_operator_and_municipality(server: LiveServer,
                                                        seed_loaded: Engine) -> None:
    with seed_loaded.connect() as conn:
        row = conn.execute(text(
            "SELECT f.id, o.name, o.level, m.name_ja FROM facility f"
            " JOIN operator o ON o.id = f.operator_id"
            " JOIN municipality m ON m.code = f.municipality_code"
            " WHERE f.code = 'sapporo-consumer-centre'")).one()
    feature = ok(server, f"/collections/facilities/items/{row[0]}")
    assert feature["properties"]["operator_name"] == row[1]
    assert feature["properties"]["operator_level"] == row[2]
    assert feature["properties"]["municipality_name_ja"] == row[3]


@pytest.mark.parametrize("category", ["CONSUMER", "CITIZEN_ACTIVITY", "PARK"])
def test_a_cql2_filter_on_category_returns_exactly_its_facilities(
        server: LiveServer, seed_loaded: Engine, category: str) -> None:
    expected = located_ids(seed_loaded, "category = :c", c=category)
    assert expected
    assert ids_of(items(server, "facilities", filter=f"category = '{category}'")) == expected
    # The same as a property filter (what GDAL sends) and as CQL2-JSON.
    assert ids_of(items(server, "facilities", category=category)) == expected
    as_json = json.dumps({"op": "=", "args": [{"property": "category"}, category]})
    assert ids_of(items(server, "facilities", filter=as_json,
                        **{"filter-lang": "cql2-json"})) == expected


def test_cql2_combines_conditions(server: LiveServer, seed_loaded: Engine) -> None:
    expected = located_ids(seed_loaded, "category IN ('PARK', 'CONSUMER')"
                           " AND location_precision <> 'MUNICIPALITY'")
    found = items(server, "facilities", filter="category IN ('PARK','CONSUMER')"
                  " AND NOT location_precision = 'MUNICIPALITY'")
    assert ids_of(found) == expected


def test_municipalities_and_service_areas(server: LiveServer, seed_loaded: Engine) -> None:
    with seed_loaded.connect() as conn:
        bounded = conn.execute(text(
            "SELECT count(*) FROM municipality WHERE boundary IS NOT NULL")).scalar_one()
        areas = {int(r[0]) for r in conn.execute(text(
            "SELECT id FROM facility WHERE archived_at IS NULL"
            " AND service_area IS NOT NULL"))}
        sapporo = conn.execute(text(
            "SELECT population FROM municipality WHERE code = '01100'")).scalar_one()
    assert items(server, "municipalities", limit=1)["numberMatched"] == bounded
    one = ok(server, "/collections/municipalities/items/01100")
    assert one["properties"]["population"] == sapporo
    assert one["geometry"]["type"] == "MultiPolygon"
    # Without their geometry (areas of all Hokkaido are megabytes each).
    found = items(server, "service_areas", properties="id,code", **{"geom-column": "none"})
    assert ids_of(found) == areas
    assert all(f["geometry"] is None for f in found["features"])


# ---- coverage --------------------------------------------------------------------------------

COVERAGE_QUERY = """
query ($filter: FacilityFilter, $d: Float!) {
  coverage(filter: $filter, maxDistanceMeters: $d) {
    municipalities {
      municipality { code } servedByArea withinReach accessibility
      nearest { distanceMeters facility { id } }
    }
  }
}"""


@pytest.mark.parametrize(("category", "distance"),
                         [("CONSUMER", 20000.0), ("CITIZEN_ACTIVITY", 5000.0), ("", 20000.0)])
def test_the_coverage_function_agrees_with_graphql(server: LiveServer, category: str,
                                                   distance: float) -> None:
    flt = {"categories": [category]} if category else None
    units = server.data(COVERAGE_QUERY, {"filter": flt, "d": distance})["coverage"][
        "municipalities"]
    graphql = {u["municipality"]["code"]: u for u in units}
    found = ok(server, "/collections/coverage/items", limit=1000, category=category,
               distance=distance, properties="code,served_by_area,within_reach,gap,"
               "nearest_facility_id,nearest_m,accessibility", **{"geom-column": "none"})
    assert found["numberMatched"] == len(graphql) == 188
    for feature in found["features"]:
        p, g = feature["properties"], graphql[feature["properties"]["code"]]
        assert feature["id"] == p["code"]
        assert p["served_by_area"] == g["servedByArea"]
        assert p["within_reach"] == g["withinReach"]
        assert p["gap"] == (not (g["servedByArea"] or g["withinReach"]))
        assert math.isclose(p["accessibility"], g["accessibility"], rel_tol=1e-9,
                            abs_tol=1e-12)
        if g["nearest"] is None:
            assert p["nearest_facility_id"] is None
        else:
            assert str(p["nearest_facility_id"]) == g["nearest"]["facility"]["id"]
            assert math.isclose(p["nearest_m"], g["nearest"]["distanceMeters"],
                                rel_tol=1e-9)
    # Not all alike: some unit is served and, for a short reach, some is a gap.
    assert any(f["properties"]["served_by_area"] for f in found["features"])


# ---- what a client gets wrong ------------------------------------------------------------------

BAD_REQUESTS = [
    ("/collections/nowhere/items", {}, 404, None),
    ("/collections/facilities/items/999999999", {}, 404, None),
    ("/collections/facilities/items", {"filter": "category ="}, 400, "filter"),
    ("/collections/facilities/items", {"filter": "nosuch = 1"}, 400, "filter"),
    ("/collections/facilities/items", {"filter": "archived_at IS NULL"}, 400, "filter"),
    ("/collections/facilities/items", {"filter": "version = 'x'"}, 400, "filter"),
    ("/collections/facilities/items", {"version": "x"}, 400, "version"),
    ("/collections/facilities/items", {"services": "consultation"}, 400, "services"),
    ("/collections/facilities/items", {"limit": "-1"}, 400, "limit"),
    ("/collections/facilities/items", {"limit": "ten"}, 400, "limit"),
    ("/collections/facilities/items", {"limit": "10001"}, 400, "limit"),
    ("/collections/facilities/items", {"bbox": "1,2,3"}, 400, "bbox"),
    ("/collections/facilities/items", {"bbox": "a,b,c,d"}, 400, "bbox"),
    ("/collections/facilities/items", {"bbox": "200,0,210,10"}, 400, None),
    ("/collections/facilities/items", {"datetime": "yesterday"}, 400, "datetime"),
    ("/collections/facilities/items", {"sortby": "nosuch"}, 400, None),
    ("/collections/facilities/items", {"simplify": "-1"}, 400, "simplify"),
    ("/collections/facilities/items", {"f": "xml"}, 400, "f"),
    ("/collections/coverage/items", {"category": "LIBRARY"}, 400, None),
    ("/collections/coverage/items", {"distance": "far"}, 400, "distance"),
    ("/collections/coverage/items", {"distance": "-1"}, 400, None),
    ("/collections/facilities/tiles/WebMercatorQuad/5/99/3", {}, 400, "z/x/y"),
    ("/collections/facilities/tiles/WebMercatorQuad/25/0/0", {}, 400, "z/x/y"),
]


@pytest.mark.parametrize(("path", "params", "status", "field"), BAD_REQUESTS)
def test_a_client_mistake_is_a_4xx_in_the_hub_shape(server: LiveServer, path: str,
                                                    params: dict[str, str], status: int,
                                                    field: str | None) -> None:
    response = get(server, path, **params)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == ("NOT_FOUND" if status == 404 else "BAD_USER_INPUT")
    assert error["extensions"].get("field") == field
    assert "Traceback" not in response.text


def test_coverage_parameters_are_named_in_their_errors(server: LiveServer) -> None:
    message = get(server, "/collections/coverage/items", category="LIBRARY").json()[
        "errors"][0]["message"]
    assert message.startswith("category: 'LIBRARY' is not a facility category")
    message = get(server, "/collections/coverage/items", distance="-1").json()[
        "errors"][0]["message"]
    assert message == "distance: -1 must be a distance of 0 or more metres"


@pytest.mark.parametrize("expression", [
    "pg_terminate_backend(1) = true",
    "pg_sleep(5) IS NULL",
    "pg_notify('facility_changed', 'x') IS NULL",
    "set_config('statement_timeout', '0', false) = '0'",
    "category = lower(current_user)",
])
def test_a_filter_cannot_call_database_functions(server: LiveServer, expression: str) -> None:
    """cql2 writes an unknown function name as a SQL call; only CQL2's own get through."""
    response = get(server, "/collections/facilities/items", filter=expression)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["field"] == "filter"
    assert "is not an operator or function of CQL2" in error["message"]


def test_a_deeply_nested_filter_is_refused_before_it_is_parsed(server: LiveServer) -> None:
    """cql2's parser recurses on brackets in the native stack: thousands of them would
    crash the server process, not just fail the request."""
    response = get(server, "/collections/facilities/items",
                   filter="(" * 2000 + "id = 1" + ")" * 2000)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"] == (
        "filter: brackets nested 2000 deep; at most 50")
    assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200


def test_cql2s_own_functions_work(server: LiveServer, seed_loaded: Engine) -> None:
    expected = located_ids(seed_loaded, "lower(name_ja) LIKE '%センター%'")
    found = items(server, "facilities", filter="CASEI(name_ja) LIKE CASEI('%センター%')")
    assert ids_of(found) == expected
    offering = located_ids(seed_loaded, "id IN (SELECT facility_id FROM facility_service"
                           " WHERE service_code = :s)", s="consultation")
    assert offering
    found = items(server, "facilities", filter="A_CONTAINS(services, ('consultation'))")
    assert ids_of(found) == offering
    boxed = located_ids(seed_loaded, "ST_Intersects(location,"
                        " ST_MakeEnvelope(141, 43, 142, 44, 4326))")
    assert boxed
    found = items(server, "facilities", filter="S_INTERSECTS(geom, BBOX(141,43,142,44))")
    assert ids_of(found) == boxed == ids_of(items(server, "facilities", bbox="141,43,142,44"))


def test_a_fault_of_ours_is_internal_with_a_request_id() -> None:
    response = error_response(RuntimeError("secret detail"), 5)
    assert response.status_code == 500
    body = bytes(response.body).decode()
    assert "secret detail" not in body
    assert re.search(r'"code": "INTERNAL", "requestId": "[0-9a-f]{32}"', body)


def test_an_unreachable_database_is_503_with_retry_after() -> None:
    client = TestClient(create_app("postgresql://nobody@127.0.0.1:1/none"))
    response = client.get("/ogc/collections")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"


# ---- tiles -----------------------------------------------------------------------------------

def test_a_vector_tile_and_its_tilejson(server: LiveServer) -> None:
    tilejson = ok(server, "/collections/facilities/tiles/WebMercatorQuad/tilejson.json")
    assert [layer["id"] for layer in tilejson["vector_layers"]] == ["facilities"]
    assert tilejson["tiles"][0].startswith(f"{server.url}/ogc/collections/facilities/tiles/")
    # Zoom 6 tile 57/23 holds Sapporo.
    tile = get(server, "/collections/facilities/tiles/WebMercatorQuad/6/57/23")
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert b"facilities" in tile.content  # the layer's name, as the hub's tiles have it


# ---- writes show ---------------------------------------------------------------------------------

def _ogc_connections(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name LIKE 'hub-%-ogc'")).scalar_one())


def test_an_archived_facility_disappears(seeded_copy_url: str, seeded_copy: Engine) -> None:
    with live_server(seeded_copy_url) as live:
        before = items(live, "facilities")
        target = located_ids(seeded_copy, "code = 'sapporo-consumer-centre'").pop()
        assert target in ids_of(before)
        assert get(live, f"/collections/service_areas/items/{target}").status_code == 200
        with seeded_copy.begin() as conn:
            writes.archive_facility(conn, target, 1, "tests", lambda _: None)
        after = items(live, "facilities")
        assert ids_of(after) == ids_of(before) - {target}
        assert get(live, f"/collections/facilities/items/{target}").status_code == 404
        assert get(live, f"/collections/service_areas/items/{target}").status_code == 404
        assert _ogc_connections(seeded_copy) > 0
    # The hub's lifespan closed the OGC API's pool with the server.
    assert _ogc_connections(seeded_copy) == 0


# ---- GDAL's own client -----------------------------------------------------------------------

def ogrinfo(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ogrinfo")
    if exe is None:
        pytest.fail("ogrinfo is missing: apt-get install gdal-bin (bash scripts/setup does)")
    return subprocess.run([exe, "-ro", "-so", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def feature_count(output: str) -> int:
    match = re.search(r"^Feature Count: (\d+)$", output, re.MULTILINE)
    assert match, output
    return int(match.group(1))


def test_gdal_reads_the_facilities_layer(server: LiveServer, seed_loaded: Engine) -> None:
    result = ogrinfo(f"OAPIF:{server.url}/ogc")
    assert result.returncode == 0, result.stderr
    layers = set(re.findall(r"^\d+: (\w+) ", result.stdout, re.MULTILINE))
    assert layers == COLLECTIONS
    result = ogrinfo(f"OAPIF:{server.url}/ogc", "facilities")
    assert result.returncode == 0, result.stderr
    assert feature_count(result.stdout) == len(located_ids(seed_loaded))
    assert "Geometry: Point" in result.stdout
    assert "category: String" in result.stdout


def test_gdal_sends_a_category_filter_to_the_server(server: LiveServer,
                                                    seed_loaded: Engine) -> None:
    """GDAL 3.6 passes `field = value` to the server as a query parameter when the OpenAPI
    document names the field among the collection's query parameters (it knows no CQL2)."""
    result = ogrinfo("--debug", "on", "-where", "category = 'CONSUMER'",
                     f"OAPIF:{server.url}/ogc", "facilities")
    assert result.returncode == 0, result.stderr
    assert feature_count(result.stdout) == len(
        located_ids(seed_loaded, "category = 'CONSUMER'"))
    assert re.search(r"Fetch\(\S+/ogc/collections/facilities/items\?\S*category=CONSUMER",
                     result.stderr), result.stderr
