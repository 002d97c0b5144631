"""The vector tile routes over HTTP, against the hub serving the real data set: tiles decoded
with mapbox-vector-tile, positions checked against pyproj, filters and coverage against the
GraphQL answers for the same question.

The Web Mercator tile math here is written out independently of hub.domain.tiles: pyproj
projects EPSG:4326 to EPSG:3857, and a tile's own coordinates are the fraction of the tile
times the extent (4096), y growing downwards as MVT counts. "One tile pixel" is 1/256 of the
tile's side (a 256-pixel tile), i.e. 16 extent units.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import mapbox_vector_tile
import numpy as np
import numpy.typing as npt
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, shape
from sqlalchemy import Engine

from tests.conftest import LiveServer, live_server, make_tokens

TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
HALF = TO_MERCATOR.transform(180.0, 0.0)[0]  # half the side of the Web Mercator square
EXTENT = 4096
PIXEL = EXTENT / 256  # one pixel of a 256-pixel tile, in tile units
#: A box around all of Hokkaido, the Northern Territories included (lon/lat).
HOKKAIDO = (139.2, 41.3, 149.1, 45.6)


def tile_position(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    """The tile (x, y) holding a point at zoom z and the point's position inside it, in
    tile units from the top-left corner."""
    mx, my = TO_MERCATOR.transform(lon, lat)
    n = 2**z
    fx, fy = (mx + HALF) / (2 * HALF) * n, (HALF - my) / (2 * HALF) * n
    x, y = math.floor(fx), math.floor(fy)
    return x, y, (fx - x) * EXTENT, (fy - y) * EXTENT


def tiles_over(box: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    west, south, east, north = box
    x0, y0, _, _ = tile_position(west, north, z)
    x1, y1, _, _ = tile_position(east, south, z)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def get(server: LiveServer, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(server.url + path, timeout=60, **kwargs)


def features(response: httpx.Response, layer: str) -> list[dict[str, Any]]:
    """The features of a tile answer (none for 204), with MVT's own y-down coordinates."""
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.content,
                                        default_options={"y_coord_down": True})
    assert set(decoded) == {layer}, decoded.keys()
    assert decoded[layer]["extent"] == EXTENT
    found: list[dict[str, Any]] = decoded[layer]["features"]
    return found


def layer_features(server: LiveServer, layer: str, z: int, query: str = "",
                   box: tuple[float, float, float, float] = HOKKAIDO) -> list[dict[str, Any]]:
    """Every feature of the tiles over ``box`` at zoom z (a feature crossing a tile edge
    comes once per tile)."""
    found = []
    for x, y in tiles_over(box, z):
        found += features(get(server, f"/tiles/{layer}/{z}/{x}/{y}.mvt{query}"), layer)
    return found


def located_facilities(server: LiveServer, flt: dict[str, Any] | None = None
                       ) -> list[dict[str, Any]]:
    nodes = server.facility_nodes("id code category location { lat lon }", flt, page=100)
    return [n for n in nodes if n["location"] is not None]


# ---- facilities ----------------------------------------------------------------------------

@pytest.mark.parametrize("z", [8, 14])
def test_each_located_facility_lies_within_one_tile_pixel_of_its_web_mercator_position(
    server: LiveServer, z: int
) -> None:
    located = located_facilities(server)
    assert len(located) >= 20
    tiles: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}
    for facility in located:
        lon, lat = facility["location"]["lon"], facility["location"]["lat"]
        x, y, px, py = tile_position(lon, lat, z)
        if (x, y) not in tiles:
            found = features(get(server, f"/tiles/facilities/{z}/{x}/{y}.mvt"), "facilities")
            tiles[(x, y)] = {f["id"]: f for f in found}
        feature = tiles[(x, y)].get(int(facility["id"]))
        assert feature is not None, f"{facility['code']} is not in tile {z}/{x}/{y}"
        assert feature["geometry"]["type"] == "Point"
        fx, fy = feature["geometry"]["coordinates"]
        off = math.hypot(fx - px, fy - py)
        assert off <= PIXEL, f"{facility['code']} is {off:.1f} tile units from its position"
        assert feature["properties"]["id"] == int(facility["id"])
        assert feature["properties"]["code"] == facility["code"]


def test_a_facility_feature_has_the_agreed_properties(server: LiveServer) -> None:
    node = server.data('{ facility(code: "sapporo-consumer-centre") { id code nameJa nameEn '
                       "category locationPrecision location { lat lon } "
                       "municipality { code } operator { level } } }")["facility"]
    x, y, _, _ = tile_position(node["location"]["lon"], node["location"]["lat"], 12)
    found = {f["id"]: f for f in features(get(server, f"/tiles/facilities/12/{x}/{y}.mvt"),
                                          "facilities")}
    expected = {"id": int(node["id"]), "code": node["code"], "name_ja": node["nameJa"],
                "category": node["category"], "operator_level": node["operator"]["level"],
                "location_precision": node["locationPrecision"],
                "municipality_code": node["municipality"]["code"]}
    if node["nameEn"] is not None:
        expected["name_en"] = node["nameEn"]
    assert found[int(node["id"])]["properties"] == expected


@pytest.mark.parametrize(("query", "flt"), [
    ("categories=PARK,CONSUMER", {"categories": ["PARK", "CONSUMER"]}),
    ("categories=PARK&categories=CONSUMER", {"categories": ["PARK", "CONSUMER"]}),
    ("operatorLevels=CITY", {"operatorLevels": ["CITY"]}),
    ("municipalityCodes=01100", {"municipalityCodes": ["01100"]}),
    ("services=consultation", {"services": ["consultation"]}),
    ("text=%E3%83%97%E3%83%A9%E3%82%B6", {"text": "プラザ"}),
    ("withinBbox=141.2,42.9,141.5,43.2", {"withinBbox": [141.2, 42.9, 141.5, 43.2]}),
    ("categories=CITIZEN_ACTIVITY&subprefecture=%E7%9F%B3%E7%8B%A9%E6%8C%AF%E8%88%88%E5%B1%80",
     {"categories": ["CITIZEN_ACTIVITY"], "subprefecture": "石狩振興局"}),
])
def test_a_filter_yields_exactly_the_matching_facilities(
    server: LiveServer, query: str, flt: dict[str, Any]
) -> None:
    everything = {int(f["id"]) for f in located_facilities(server)}
    expected = {int(f["id"]) for f in located_facilities(server, flt)}
    assert expected and expected < everything  # a real subset, not all or nothing
    found = {f["id"] for f in layer_features(server, "facilities", 6, "?" + query)}
    assert found == expected


# ---- municipalities and coverage -----------------------------------------------------------

COVERAGE = """query ($filter: FacilityFilter, $d: Float!) {
  coverage(filter: $filter, maxDistanceMeters: $d) {
    municipalities { municipality { code } servedByArea withinReach
                     nearest { distanceMeters } }
    gaps { municipality { code } } } }"""


@pytest.mark.parametrize(("category", "distance"),
                         [("PARK", 20_000), ("INDUSTRY_VOCATIONAL", 60_000)])
def test_municipalities_carry_the_coverage_that_graphql_reports(
    server: LiveServer, category: str, distance: int
) -> None:
    report = server.data(COVERAGE, {"filter": {"categories": [category]},
                                    "d": distance})["coverage"]
    gaps = {g["municipality"]["code"] for g in report["gaps"]}
    units = {u["municipality"]["code"]: u for u in report["municipalities"]}
    assert 0 < len(gaps) < len(units) == 188
    found: dict[str, dict[str, Any]] = {}
    for feature in layer_features(server, "municipalities", 6,
                                  f"?category={category}&distance={distance}"):
        found.setdefault(feature["properties"]["code"], feature["properties"])
    assert "01100" not in found  # Sapporo is drawn as its wards
    for code, unit in units.items():
        props = found[code]
        assert props["served_by_area"] is unit["servedByArea"], code
        assert props["within_reach"] is unit["withinReach"], code
        assert props["gap"] is (code in gaps), code
        if unit["nearest"] is None:
            assert "nearest_m" not in props
        else:
            assert props["nearest_m"] == pytest.approx(unit["nearest"]["distanceMeters"],
                                                       abs=0.01), code
    others = set(found) - set(units)  # the Northern Territories villages: not units
    assert len(others) == 6
    assert all("gap" not in found[code] for code in others)


def test_municipalities_without_coverage_parameters_have_no_coverage_properties(
    server: LiveServer
) -> None:
    found = layer_features(server, "municipalities", 6)
    codes = {f["properties"]["code"] for f in found}
    assert len(codes) == 194  # 195 with Sapporo, drawn as its ten wards
    chuo = next(f["properties"] for f in found if f["properties"]["code"] == "01101")
    assert chuo["name_ja"] == "札幌市中央区" and chuo["subprefecture"] == "石狩振興局"
    assert chuo["population"] > 100_000
    assert not {"served_by_area", "within_reach", "nearest_m", "gap"} & chuo.keys()


@pytest.mark.parametrize("z", [8, 12])
def test_a_municipality_is_drawn_within_one_tile_pixel_of_its_full_boundary(
    server: LiveServer, z: int
) -> None:
    """Chuo ward at zoom 8 (whole, simplified) and 12 (clipped): its polygon in the tile and
    the full-resolution boundary from GraphQL, projected by pyproj and clipped to the tile,
    are within one pixel of each other (Hausdorff distance)."""
    truth = shape(server.data('{ municipality(code: "01101") { boundary } }')
                  ["municipality"]["boundary"])
    x, y, _, _ = tile_position(141.3544, 43.0605, z)  # Odori park
    side = 2 * HALF / 2**z
    west, north = -HALF + x * side, HALF - y * side

    def to_tile(lonlat: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        mx, my = TO_MERCATOR.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([(np.asarray(mx) - west) / side * EXTENT,
                                (north - np.asarray(my)) / side * EXTENT])

    projected = shapely.transform(truth, to_tile)
    found = [f for f in features(get(server, f"/tiles/municipalities/{z}/{x}/{y}.mvt"),
                                 "municipalities") if f["properties"]["code"] == "01101"]
    assert len(found) == 1
    drawn = shape(found[0]["geometry"])
    tile = box(0, 0, EXTENT, EXTENT)
    expected, actual = projected.intersection(tile), drawn.intersection(tile)
    assert not expected.is_empty and actual.is_valid
    assert shapely.hausdorff_distance(expected.boundary, actual.boundary) <= PIXEL


@pytest.mark.parametrize("layer", ["municipalities", "service_areas"])
def test_low_zoom_polygon_tiles_are_simplified_to_a_small_size(
    server: LiveServer, layer: str
) -> None:
    """At full resolution the zoom-6 tile over Sapporo is 200-240 kB for either layer."""
    x, y, _, _ = tile_position(141.35, 43.06, 6)
    response = get(server, f"/tiles/{layer}/6/{x}/{y}.mvt")
    assert response.status_code == 200
    assert len(response.content) < 64_000


def test_service_areas_hold_the_facilities_serving_a_point_and_follow_the_filter(
    server: LiveServer
) -> None:
    lon, lat = 141.3544, 43.0621  # Sapporo, Chuo ward
    serving = server.data("{ facilitiesServing(point: {lat: 43.0621, lon: 141.3544}) "
                          "{ id category } }")["facilitiesServing"]
    for z in (8, 12):  # clipped whole areas, and areas made of their parts
        x, y, _, _ = tile_position(lon, lat, z)
        found = features(get(server, f"/tiles/service_areas/{z}/{x}/{y}.mvt"),
                         "service_areas")
        assert {int(s["id"]) for s in serving} <= {f["id"] for f in found}
        assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in found)
        consumer = features(get(server, f"/tiles/service_areas/{z}/{x}/{y}.mvt"
                                        "?categories=CONSUMER"), "service_areas")
        assert {f["id"] for f in consumer} == {int(s["id"]) for s in serving
                                               if s["category"] == "CONSUMER"}
        assert all(f["properties"]["category"] == "CONSUMER" for f in consumer)


# ---- HTTP: caching, empty tiles, errors -----------------------------------------------------

def test_a_tile_has_an_etag_and_cache_control_and_is_304_when_unchanged(
    server: LiveServer
) -> None:
    path = "/tiles/facilities/6/57/23.mvt"
    first = get(server, path)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=300"
    again = get(server, path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert get(server, path, headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304
    assert get(server, path, headers={"If-None-Match": '"other"'}).status_code == 200
    # Another request, another tag; the same parameters in another order, the same.
    assert get(server, path + "?categories=PARK").headers["etag"] != tag
    a = get(server, path + "?categories=PARK&operatorLevels=CITY").headers["etag"]
    assert get(server, path + "?operatorLevels=CITY&categories=PARK").headers["etag"] == a


@pytest.mark.parametrize("layer", ["facilities", "municipalities", "service_areas"])
def test_a_tile_in_the_pacific_is_204(server: LiveServer, layer: str) -> None:
    x, y, _, _ = tile_position(-150.0, 0.0, 6)
    response = get(server, f"/tiles/{layer}/6/{x}/{y}.mvt")
    assert response.status_code == 204 and response.content == b""
    assert "etag" in response.headers


@pytest.mark.parametrize(("path", "field"), [
    ("/tiles/facilities/17/0/0.mvt", "z"),      # one past HUB_TILE_MAX_ZOOM (16)
    ("/tiles/facilities/-1/0/0.mvt", "z"),
    ("/tiles/facilities/a/0/0.mvt", "z"),
    ("/tiles/facilities/6/64/0.mvt", "x"),      # 2^6 = 64 tiles: 0..63
    ("/tiles/facilities/6/0/64.mvt", "y"),
    ("/tiles/facilities/0/1/0.mvt", "x"),
    ("/tiles/facilities/6/1.5/0.mvt", "x"),
    ("/tiles/service_areas/6/0/+3.mvt", "y"),
    ("/tiles/facilities/6/57/23.mvt?categories=PARKS", "categories"),
    ("/tiles/facilities/6/57/23.mvt?category=PARK", "category"),   # not on this layer
    ("/tiles/facilities/6/57/23.mvt?services=no_such_service", "services"),
    ("/tiles/facilities/6/57/23.mvt?municipalityCodes=01999", "municipalityCodes"),
    ("/tiles/facilities/6/57/23.mvt?withinBbox=141,42,143", "withinBbox"),
    ("/tiles/municipalities/6/57/23.mvt?category=PARKS", "category"),
    ("/tiles/municipalities/6/57/23.mvt?category=PARK&categories=PARK", "category"),
    ("/tiles/municipalities/6/57/23.mvt?distance=-5", "distance"),
    ("/tiles/municipalities/6/57/23.mvt?distance=far", "distance"),
    ("/tiles/municipalities/6/57/23.mvt?distance=1&distance=2", "distance"),
    ("/tiles/service_areas/6/57/23.mvt?zoom=6", "zoom"),
    ("/tiles/municipalities.json?distance=nan", "distance"),
    ("/tiles/facilities.json?subprefecture=nowhere", "subprefecture"),
])
def test_a_bad_tile_or_parameter_is_400_naming_it(
    server: LiveServer, path: str, field: str
) -> None:
    response = get(server, path)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"].startswith(field + ":")


@pytest.mark.parametrize("path", ["/tiles/schools/6/57/23.mvt", "/tiles/schools.json"])
def test_an_unknown_layer_is_404(server: LiveServer, path: str) -> None:
    response = get(server, path)
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND",
                                                          "field": "layer"}


# ---- TileJSON --------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", ["facilities", "municipalities", "service_areas"])
def test_tilejson_describes_the_layer(server: LiveServer, layer: str) -> None:
    response = get(server, f"/tiles/{layer}.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["tilejson"] == "3.0.0" and doc["name"] == layer
    assert doc["tiles"] == [f"{server.url}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt"]
    assert (doc["minzoom"], doc["maxzoom"]) == (0, 16)
    west, south, east, north = doc["bounds"]
    assert 139 < west < 140 and 41 < south < 42 and 148 < east < 149.5 and 45 < north < 46
    assert doc["center"][0:2] == [(west + east) / 2, (south + north) / 2]
    [vector_layer] = doc["vector_layers"]
    assert vector_layer["id"] == layer
    assert all(isinstance(v, str) for v in vector_layer["fields"].values())
    assert "国土数値情報" in doc["attribution"]  # every layer rests on the boundaries


def test_tilejson_passes_the_query_through_and_its_url_serves_the_tiles(
    server: LiveServer
) -> None:
    doc = get(server, "/tiles/facilities.json?categories=PARK,CONSUMER").json()
    assert set(doc["vector_layers"][0]["fields"]) == {
        "id", "code", "name_ja", "name_en", "category", "operator_level",
        "location_precision", "municipality_code"}
    assert "Wikipedia" in doc["attribution"]  # the buildings' coordinates
    [template] = doc["tiles"]
    assert template.endswith(".mvt?categories=PARK,CONSUMER")
    expected = {int(f["id"]) for f in located_facilities(
        server, {"categories": ["PARK", "CONSUMER"]})}
    found = set()
    for x, y in tiles_over(HOKKAIDO, 6):
        url = template.replace("{z}", "6").replace("{x}", str(x)).replace("{y}", str(y))
        found |= {f["id"] for f in features(httpx.get(url, timeout=60), "facilities")}
    assert found == expected


def test_municipalities_tilejson_lists_the_coverage_fields(server: LiveServer) -> None:
    doc = get(server, "/tiles/municipalities.json?category=PARK&distance=10000").json()
    assert {"served_by_area", "within_reach", "nearest_m", "gap", "population"} <= set(
        doc["vector_layers"][0]["fields"])
    assert "住民基本台帳" in doc["attribution"]
    assert doc["tiles"][0].endswith("?category=PARK&distance=10000")


# ---- a write changes the tag and the tile ----------------------------------------------------

@pytest.fixture
def writable(seeded_copy: Engine, seeded_copy_url: str) -> Iterator[tuple[LiveServer, str]]:
    secret = make_tokens(seeded_copy, "tiles", [("admin", "admin", None, [])])["admin"]
    with live_server(seeded_copy_url) as live:
        yield live, secret


def test_an_archived_facility_leaves_its_tile_under_a_new_etag(
    writable: tuple[LiveServer, str]
) -> None:
    server, secret = writable
    node = server.data('{ facility(code: "sapporo-consumer-centre") { id version '
                       "location { lat lon } } }")["facility"]
    x, y, _, _ = tile_position(node["location"]["lon"], node["location"]["lat"], 10)
    path = f"/tiles/facilities/10/{x}/{y}.mvt"
    before = get(server, path)
    assert int(node["id"]) in {f["id"] for f in features(before, "facilities")}
    archived = httpx.post(server.url + "/graphql", timeout=60,
                          headers={"Authorization": f"Bearer {secret}"},
                          json={"query": "mutation ($id: ID!, $v: Int!) { archiveFacility("
                                         "id: $id, expectedVersion: $v) { id } }",
                                "variables": {"id": node["id"], "v": node["version"]}})
    assert "errors" not in archived.json(), archived.text
    after = get(server, path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code in (200, 204)  # not 304: the data changed
    assert after.headers["etag"] != before.headers["etag"]
    assert int(node["id"]) not in {f["id"] for f in features(after, "facilities")}


# ---- the database cannot answer -------------------------------------------------------------

def test_a_tile_without_a_database_is_503_with_retry_after_and_no_internals() -> None:
    from starlette.testclient import TestClient

    from hub.api.app import create_app
    from hub.config import Settings

    app = create_app("postgresql://nobody@127.0.0.1:1/none",
                     Settings(pool_timeout_s=0.5, retry_after_s=7))
    with TestClient(app) as client:
        response = client.get("/tiles/facilities/6/57/23.mvt")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAVAILABLE"}
    assert "Traceback" not in response.text and "127.0.0.1" not in response.text


def test_a_tile_over_the_request_time_limit_is_stopped(
    seed_loaded: Engine, database_url: str
) -> None:
    from hub.config import Settings

    with live_server(database_url, Settings(request_timeout_ms=1)) as slow:
        response = get(slow, "/tiles/service_areas/6/57/23.mvt")
    assert response.status_code == 400  # as on /graphql, /export and /ogc: ask for less
    assert response.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COMPLEX",
                                                          "limit": 1}
