"""nearestFacilities and facilitiesServing over HTTP on the real data, against independent
computations: pyproj geodesic distances and shapely containment on ../shared/geodata."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from pyproj import Geod
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text

from tests.conftest import FULL_BOUNDARIES, LiveServer, features, shapes

GEOD = Geod(ellps="WGS84")

NEAREST = """
query ($lat: Float!, $lon: Float!, $first: Int, $max: Float, $filter: FacilityFilter) {
  nearestFacilities(near: {lat: $lat, lon: $lon}, first: $first,
                    maxDistanceMeters: $max, filter: $filter) {
    distanceMeters
    facility { code category location { lat lon } }
  }
}"""

ALL = """
{ facilities(first: 100) { totalCount edges { node {
    code category location { lat lon } locationPrecision
} } } }"""


@pytest.fixture(scope="module")
def located(server: LiveServer) -> list[dict[str, Any]]:
    """Every facility with a location, as the API lists them."""
    nodes = [e["node"] for e in server.data(ALL)["facilities"]["edges"]]
    return [n for n in nodes if n["location"] is not None]


def _expected(located: list[dict[str, Any]], lat: float, lon: float, first: int,
              max_distance: float | None = None, category: str | None = None
              ) -> list[tuple[str, float]]:
    """The k nearest by pyproj's geodesic on WGS 84, ties by code."""
    measured = []
    for f in located:
        if category is not None and f["category"] != category:
            continue
        _, _, distance = GEOD.inv(lon, lat, f["location"]["lon"], f["location"]["lat"])
        if max_distance is None or distance <= max_distance:
            measured.append((distance, f["code"]))
    measured.sort()
    return [(code, distance) for distance, code in measured[:first]]


def _check(server: LiveServer, located: list[dict[str, Any]], lat: float, lon: float,
           first: int = 10, max_distance: float | None = None,
           category: str | None = None) -> list[tuple[str, float]]:
    variables: dict[str, Any] = {"lat": lat, "lon": lon, "first": first, "max": max_distance}
    if category:
        variables["filter"] = {"categories": [category]}
    got = [(n["facility"]["code"], n["distanceMeters"])
           for n in server.data(NEAREST, variables)["nearestFacilities"]]
    expected = _expected(located, lat, lon, first, max_distance, category)
    assert [code for code, _ in got] == [code for code, _ in expected], (lat, lon)
    for (code, distance), (_, reference) in zip(got, expected, strict=True):
        assert abs(distance - reference) < 1.0, (code, distance, reference)
    return got


def test_nearest_matches_pyproj_at_random_points_across_hokkaido(
    server: LiveServer, located: list[dict[str, Any]]
) -> None:
    rng = random.Random(20171)
    for _ in range(25):
        lat, lon = rng.uniform(41.35, 45.55), rng.uniform(139.3, 145.85)
        _check(server, located, lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (35.6812, 139.7671),  # Tokyo: far south-west of Hokkaido
        (45.5231, 141.9365),  # near Cape Sōya, the northern tip
        (43.3850, 145.8170),  # near Cape Nosappu, the eastern tip
        (41.4200, 140.1000),  # Cape Shirakami, the south-western tip
        (50.0, 170.0),  # the open Pacific, far from everything
    ],
)
def test_nearest_at_the_edges_and_outside(
    server: LiveServer, located: list[dict[str, Any]], lat: float, lon: float
) -> None:
    got = _check(server, located, lat, lon, first=5)
    assert len(got) == 5


def test_nearest_honours_max_distance_and_filter(
    server: LiveServer, located: list[dict[str, Any]]
) -> None:
    ebetsu = (43.09, 141.55)
    within = _check(server, located, *ebetsu, first=100, max_distance=40_000)
    assert within and all(d <= 40_000 for _, d in within)
    assert len(within) < len(located)
    consumer = _check(server, located, *ebetsu, first=3, category="CONSUMER")
    assert {code for code, _ in consumer} <= {"pref-consumer-centre", "sapporo-consumer-centre"}
    assert _check(server, located, *ebetsu, first=5, max_distance=0) == []


def _boundaries() -> dict[str, BaseGeometry]:
    """Each feature of the file the session database was loaded from (Sapporo's wards, not
    Sapporo)."""
    full = shapes(FULL_BOUNDARIES)
    return {code: full[code] for code in (f["properties"]["code"]
                                          for f in features(FULL_BOUNDARIES))}


SERVING = """
query ($lat: Float!, $lon: Float!) {
  facilitiesServing(point: {lat: $lat, lon: $lon}) { code location { lat lon } }
}"""


def test_a_point_in_ebetsu_is_served_by_its_centre_and_the_all_hokkaido_bases(
    server: LiveServer,
) -> None:
    point = _boundaries()["01217"].point_on_surface()  # a point inside 江別市
    serving = server.data(SERVING, {"lat": point.y, "lon": point.x})["facilitiesServing"]
    codes = [f["code"] for f in serving]
    assert "base-ebetsu-ai" in codes
    assert {"base-hokkaido-npo-support-center", "base-bonos"} <= set(codes)
    assert "base-chitose" not in codes
    # nearest first, programmes without a location last
    located = [f for f in serving if f["location"]]
    assert serving[: len(located)] == located
    distances = [GEOD.inv(point.x, point.y, f["location"]["lon"], f["location"]["lat"])[2]
                 for f in located]
    assert distances == sorted(distances)


def test_serving_agrees_with_shapely_containment_everywhere(server: LiveServer) -> None:
    """For random points, the facilities serving them are exactly those whose activity area
    names a municipality that contains the point (per shapely on the source polygons)."""
    boundaries = _boundaries()
    sapporo = shapes(FULL_BOUNDARIES)["01100"]  # the union of its wards, made once
    areas = server.facility_nodes("code serviceArea(simplifyMeters: null)")
    service_areas = {n["code"]: shape(n["serviceArea"]) for n in areas}
    rng = random.Random(7)
    for _ in range(15):
        code = rng.choice(sorted(boundaries))
        point = boundaries[code].point_on_surface()
        got = {f["code"] for f in server.data(
            SERVING, {"lat": point.y, "lon": point.x})["facilitiesServing"]}
        expected = {c for c, area in service_areas.items() if area.intersects(point)}
        assert got == expected, code
        if sapporo.contains(point):
            assert "sapporo-consumer-centre" in got


@pytest.fixture
def crowd(synthetic_engine: Engine) -> Iterator[tuple[float, float]]:
    """150 synthetic facilities at one point of 旭川, in the synthetic database (made for this
    test, removed after)."""
    point = _boundaries()["01204"].point_on_surface()
    with synthetic_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO facility (code, name_ja, category, operator_id, location,"
            " location_precision, synthetic) SELECT format('synth-crowd-%s', lpad(n::text, 3,"
            " '0')), 'crowd', 'PARK', (SELECT id FROM operator LIMIT 1),"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4326), 'EXACT', true"
            " FROM generate_series(150, 1, -1) AS n"
        ), {"x": point.x, "y": point.y})
    try:
        yield point.y, point.x
    finally:
        with synthetic_engine.begin() as conn:
            conn.execute(text("DELETE FROM facility WHERE code LIKE 'synth-crowd-%'"))


def test_a_crowd_at_one_point_is_ordered_by_code_beyond_the_first_candidates(
    synthetic_server: LiveServer, crowd: tuple[float, float]
) -> None:
    """Beside a crowd of 150 at one distance: for the nearest 5, the 20 first candidates are
    all of the crowd and cannot decide, the 200 of the second query can. For the nearest 1,
    neither 12 nor 120 candidates can, and the third query measures the crowd whole. The
    smallest codes win either way. The compiled path (hub.graphql.compiled) takes the same
    first two steps in its own statement; the third it leaves to the executor, which takes
    all three again."""
    lat, lon = crowd[0] + 0.01, crowd[1]
    query = ("query ($lat: Float!, $lon: Float!, $first: Int) { nearestFacilities("
             "near: {lat: $lat, lon: $lon}, first: $first) { facility { code } } }")
    served = synthetic_server.app.state.graphql.served
    for first, path, statements in ((1, "executor", 2 + 3), (5, "compiled", 2)):
        before, by_path = synthetic_server.statements, served[path]
        got = synthetic_server.data(query, {"lat": lat, "lon": lon, "first": first})
        assert served[path] == by_path + 1
        assert synthetic_server.statements - before == statements
        assert [n["facility"]["code"] for n in got["nearestFacilities"]] == [
            f"synth-crowd-00{n}" for n in range(1, first + 1)]


def test_a_clear_answer_takes_one_query(server: LiveServer) -> None:
    before = server.statements
    server.data("{ nearestFacilities(near: {lat: 43.77, lon: 142.36}, first: 3)"
                " { distanceMeters } }")
    assert server.statements - before == 1
