"""coverage and suggestSites over HTTP on the real data, against an independent computation:
units, representative points and containment with shapely on ../shared/geodata, distances
with pyproj, 2SFCA with numpy."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape
from sqlalchemy import Engine, text

from tests.conftest import FULL_BOUNDARIES, POPULATION, LiveServer, features, shapes

GEOD = Geod(ellps="WGS84")

COVERAGE = """
query ($filter: FacilityFilter, $max: Float!, $sites: [GeoPointInput!]) {
  coverage(filter: $filter, maxDistanceMeters: $max, addSites: $sites) {
    totalPopulation populationInGaps
    gaps { municipality { code } }
    municipalities {
      municipality { code population }
      servedByArea withinReach accessibility
      nearest { distanceMeters facility { code } }
      nearestAddedSite { index distanceMeters }
    }
  }
}"""

FACILITY_FIELDS = "code location { lat lon } serviceArea"


@dataclass
class Unit:
    code: str
    population: int
    point: Point


def _units() -> list[Unit]:
    """The coverage units from the source files: every feature but the Northern Territories
    (Sapporo's wards are features; Sapporo is not), at shapely's point on surface."""
    with POPULATION.open(encoding="utf-8") as fh:
        population = {r["code"]: int(r["population"]) for r in csv.DictReader(fh)}
    geometry = shapes(FULL_BOUNDARIES)
    return sorted(
        (Unit(f["properties"]["code"], population[f["properties"]["code"]],
              geometry[f["properties"]["code"]].point_on_surface())
         for f in features(FULL_BOUNDARIES) if not f["properties"]["northern_territories"]),
        key=lambda u: u.code,
    )


@pytest.fixture(scope="module")
def units() -> list[Unit]:
    return _units()


def _expected(server: LiveServer, units: list[Unit], flt: dict[str, Any] | None,
              reach: float, sites: Sequence[tuple[float, float]] = ()) -> dict[str, Any]:
    nodes = server.facility_nodes(FACILITY_FIELDS, flt)
    located = [n for n in nodes if n["location"]]
    areas = [shape(n["serviceArea"]) for n in nodes if n["serviceArea"]]
    points = [(n["location"]["lat"], n["location"]["lon"]) for n in located] + list(sites)
    codes = [n["code"] for n in located] + [None] * len(sites)
    distances = np.array([[GEOD.inv(u.point.x, u.point.y, lon, lat)[2] for lat, lon in points]
                          for u in units]).reshape(len(units), len(points))
    pop = np.array([u.population for u in units], dtype=float)
    within = distances <= reach
    demand = within.T.astype(float) @ pop
    ratio = np.divide(1.0, demand, out=np.zeros_like(demand), where=demand > 0)
    access = 10_000.0 * (within.astype(float) @ ratio)
    rows = {}
    for i, unit in enumerate(units):
        real = [(distances[i, j], codes[j]) for j in range(len(located))]
        nearest = min(real) if real else None
        served = any(area.intersects(unit.point) for area in areas)
        reached = bool(len(points)) and distances[i].min() <= reach
        rows[unit.code] = {"served": served, "nearest": nearest, "reach": reached,
                           "access": access[i], "gap": not (served or reached)}
    return rows


def _check(server: LiveServer, units: list[Unit], flt: dict[str, Any] | None, reach: float,
           sites: Sequence[tuple[float, float]] = ()) -> dict[str, Any]:
    variables = {"filter": flt, "max": reach,
                 "sites": [{"lat": lat, "lon": lon} for lat, lon in sites] or None}
    report: dict[str, Any] = server.data(COVERAGE, variables)["coverage"]
    expected = _expected(server, units, flt, reach, sites)
    got = {r["municipality"]["code"]: r for r in report["municipalities"]}
    assert set(got) == set(expected) and len(got) == 188
    for code, want in expected.items():
        row = got[code]
        assert row["servedByArea"] == want["served"], code
        assert row["withinReach"] == want["reach"], code
        if want["nearest"] is None:
            assert row["nearest"] is None, code
        else:
            assert row["nearest"]["facility"]["code"] == want["nearest"][1], code
            assert abs(row["nearest"]["distanceMeters"] - want["nearest"][0]) < 1.0, code
        assert row["accessibility"] == pytest.approx(want["access"], rel=1e-6, abs=1e-12), code
    population = {u.code: u.population for u in units}
    gaps = sorted((c for c, w in expected.items() if w["gap"]),
                  key=lambda c: (-population[c], c))
    assert [g["municipality"]["code"] for g in report["gaps"]] == gaps
    assert report["populationInGaps"] == sum(population[c] for c in gaps)
    assert report["totalPopulation"] == sum(population.values()) == 5_044_825
    return report


@pytest.mark.parametrize(
    ("flt", "reach"),
    [
        (None, 20_000.0),
        ({"categories": ["PARK"]}, 20_000.0),
        ({"operatorLevels": ["MUNICIPALITY"]}, 20_000.0),
        ({"operatorLevels": ["MUNICIPALITY"], "services": ["consultation"]}, 50_000.0),
    ],
)
def test_every_row_matches_the_independent_computation(
    server: LiveServer, units: list[Unit], flt: dict[str, Any] | None, reach: float
) -> None:
    report = _check(server, units, flt, reach)
    if flt is not None:
        assert report["gaps"], "these filters leave gaps to check"


def test_a_site_at_a_gaps_point_removes_that_gap_and_writes_nothing(
    server: LiveServer, units: list[Unit], seed_loaded: Engine
) -> None:
    flt = {"operatorLevels": ["MUNICIPALITY"]}
    before = server.data(COVERAGE, {"filter": flt, "max": 20_000.0})["coverage"]
    largest = before["gaps"][0]["municipality"]["code"]
    point = next(u.point for u in units if u.code == largest)
    with seed_loaded.connect() as conn:
        audits = conn.scalar(text("SELECT count(*) FROM audit_log"))
    after = _check(server, units, flt, 20_000.0, [(point.y, point.x)])
    assert largest not in [g["municipality"]["code"] for g in after["gaps"]]
    assert after["populationInGaps"] < before["populationInGaps"]
    row = next(r for r in after["municipalities"] if r["municipality"]["code"] == largest)
    assert row["nearestAddedSite"]["index"] == 1
    assert row["nearestAddedSite"]["distanceMeters"] < 1.0
    with seed_loaded.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log")) == audits


SUGGEST = """query ($filter: FacilityFilter, $count: Int!) {
  suggestSites(filter: $filter, maxDistanceMeters: 20000, count: $count) {
    municipality { code } location { lat lon } newlyCoveredPopulation newlyCovered { code }
  }
}"""


def test_one_suggested_site_covers_the_largest_gap_population(
    server: LiveServer, units: list[Unit]
) -> None:
    flt = {"operatorLevels": ["MUNICIPALITY"]}
    gaps = {g["municipality"]["code"] for g in server.data(
        COVERAGE, {"filter": flt, "max": 20_000.0})["coverage"]["gaps"]}
    population = {u.code: u.population for u in units}
    best = max(
        ((sum(population[v.code] for v in units if v.code in gaps
              and GEOD.inv(u.point.x, u.point.y, v.point.x, v.point.y)[2] <= 20_000.0), u.code)
         for u in units),
        key=lambda pair: (pair[0], [-ord(c) for c in pair[1]]),
    )
    (site,) = server.data(SUGGEST, {"filter": flt, "count": 1})["suggestSites"]
    assert (site["newlyCoveredPopulation"], site["municipality"]["code"]) == best
    covered = {m["code"] for m in site["newlyCovered"]}
    assert covered <= gaps and sum(population[c] for c in covered) == best[0]


def test_later_suggestions_add_only_what_is_still_uncovered(server: LiveServer) -> None:
    sites = server.data(SUGGEST, {"filter": {"operatorLevels": ["MUNICIPALITY"]},
                                  "count": 5})["suggestSites"]
    assert len(sites) == 5
    gains = [s["newlyCoveredPopulation"] for s in sites]
    assert gains == sorted(gains, reverse=True) and all(g > 0 for g in gains)
    covered = [m["code"] for s in sites for m in s["newlyCovered"]]
    assert len(covered) == len(set(covered)), "no municipality is counted twice"


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"max": -1.0}, "maxDistanceMeters"),
        ({"max": 20_000.0, "sites": [{"lat": 95.0, "lon": 141.0}]}, "addSites[0].lat"),
    ],
)
def test_bad_coverage_input(server: LiveServer, variables: dict[str, Any], field: str) -> None:
    body = server.graphql(COVERAGE, variables)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
