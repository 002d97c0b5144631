"""Fuzzing the running hub over HTTP: generated operations over the whole schema
(hypothesis-graphql, valid and with one schema violation each), operations with
ill-typed and mutated variables, and raw garbage. Whatever comes in, the answer is never a
5xx and never INTERNAL, and every error carries a code of the contract.

Reproducible: hypothesis is derandomized (the same examples on every run) and keeps no
example database. 2,320 requests in all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis_graphql
import pytest
from graphql import (
    BooleanValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode
from sqlalchemy import Engine

from hub.config import Settings
from hub.graphql.schema import schema
from tests.conftest import live_server

pytestmark = pytest.mark.slow

#: extensions.code values of ../shared/CONTRACT.graphql.
CONTRACT_CODES = {"BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT",
                  "QUERY_TOO_COMPLEX", "UNAVAILABLE", "INTERNAL"}

SDL = schema.as_str()


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


#: The fuzz server's cost limit: low enough that no example fetches full-resolution
#: boundaries of the whole prefecture (17.6 MB, seconds each), high enough that most
#: generated operations run to the end. Everything else is the default.
FUZZ_COST = 3_000


@pytest.fixture(scope="module")
def client(seed_loaded: Engine, database_url: str) -> Iterator[httpx.Client]:
    with (live_server(database_url, Settings(max_query_cost=FUZZ_COST)) as live,
          httpx.Client(base_url=live.url, timeout=120) as http):
        yield http


def _check(response: httpx.Response) -> None:
    """The contract for any request: no 5xx; errors in the GraphQL shape, each with a code
    of the contract and none INTERNAL."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code == 405:  # a method /graphql does not serve
        return
    body = response.json()
    for error in body.get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code in CONTRACT_CODES, error
        assert code != "INTERNAL", error
        assert "Traceback" not in error["message"], error
    if response.status_code != 200:
        assert body.get("errors"), body


def _post(client: httpx.Client, query: Any, variables: Any = None) -> None:
    note(f"query: {query}\nvariables: {variables!r}")
    # Python's JSON, which writes NaN and Infinity as a careless client might.
    body = json.dumps({"query": query, "variables": variables}).encode()
    _check(client.post("/graphql", content=body, headers={"content-type": "application/json"}))


# --- values, for literals and for variables ------------------------------------------------

#: Any JSON: what a client could send in place of any value.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats()
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
coordinates = st.floats(-200, 200, allow_nan=False) | st.integers(-1000, 1000)
positions = st.lists(coordinates, min_size=2, max_size=3)
rings = st.lists(positions, min_size=0, max_size=6).map(
    lambda ring: [*ring, ring[0]] if ring else ring)
SQUARE = [[141.0, 43.0], [141.5, 43.0], [141.5, 43.5], [141.0, 43.5], [141.0, 43.0]]
geojson_values = st.one_of(
    st.just({"type": "Polygon", "coordinates": [SQUARE]}),
    st.just({"type": "MultiPolygon", "coordinates": [[SQUARE]]}),
    st.builds(lambda kind, rs: {"type": kind, "coordinates": rs},
              st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Nonsense"]),
              st.lists(rings, max_size=3)),
    json_values,
)
dates = st.one_of(st.dates().map(str), st.sampled_from(
    ["2017-08-01", "2017-13-01", "2017-02-30", "0000-01-01", "2017-8-1", "", "today"]))
datetimes = st.one_of(st.datetimes().map(lambda d: d.isoformat() + "+09:00"),
                      st.sampled_from(["2017-08-01T10:00:00", "nope"]))


def _node(value: Any) -> ValueNode:
    """A GraphQL literal for a JSON value."""
    if value is None:
        return NullValueNode()
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    if isinstance(value, float):
        return FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(value, list):
        return ListValueNode(values=tuple(_node(v) for v in value))
    # Only keys that are GraphQL names can be written as a literal.
    return ObjectValueNode(fields=tuple(
        ObjectFieldNode(name=NameNode(value=k), value=_node(v))
        for k, v in value.items() if k.isidentifier() and k.isascii()))


SCALARS = {
    "Date": dates.map(_node),
    "DateTime": datetimes.map(_node),
    "GeoJSON": geojson_values.map(_node),
    # A file travels beside the query (multipart), never inside it: null, or junk.
    "Upload": st.one_of(st.none(), st.text(max_size=10)).map(_node),
}

#: Every root field but the two that compute coverage over the whole of Hokkaido, which
#: get fewer examples of their own.
EXPENSIVE = ["coverage", "suggestSites"]
_QUERY = schema._schema.query_type
assert _QUERY is not None
CHEAP = [name for name in _QUERY.fields if name not in EXPENSIVE]


def test_the_root_fields_are_all_fuzzed() -> None:
    assert {"facilities", "nearestFacilities", "municipalities", "consultationSessions",
            "partnerships", "initiatives", "dataSources", "hubVersion"} <= set(CHEAP)


@_settings(700)
@given(query=hypothesis_graphql.from_schema(SDL, fields=CHEAP, custom_scalars=SCALARS))
def test_generated_operations(client: httpx.Client, query: str) -> None:
    _post(client, query)


@_settings(60)
@given(query=hypothesis_graphql.from_schema(SDL, fields=EXPENSIVE, custom_scalars=SCALARS))
def test_generated_coverage_operations(client: httpx.Client, query: str) -> None:
    _post(client, query)


@_settings(400)
@given(query=hypothesis_graphql.from_schema(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_generated_operations_with_a_schema_violation(client: httpx.Client,
                                                      query: str) -> None:
    _post(client, query)


# --- operations with variables, well and ill typed -----------------------------------------

CATEGORIES = ["CITIZEN_ACTIVITY", "GENDER_EQUALITY", "CONSUMER", "PARK",
              "INDUSTRY_VOCATIONAL", "PUBLIC_HOUSING"]


def _or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value of the right type, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, json_values)


ints = _or_junk(st.integers(-5, 120) | st.integers(-(2**40), 2**40))
floats = _or_junk(st.floats() | st.floats(-1e6, 1e6))
texts = _or_junk(st.text(max_size=30) | st.text(max_size=1_200))
points = _or_junk(st.fixed_dictionaries({"lat": floats, "lon": floats}) | st.just(
    {"lat": 43.06, "lon": 141.35}))
filters = _or_junk(st.fixed_dictionaries({}, optional={
    "categories": _or_junk(st.lists(st.sampled_from([*CATEGORIES, "CASINO"]), max_size=120)),
    "operatorLevels": _or_junk(st.lists(st.sampled_from(
        ["PREFECTURE", "CITY", "MUNICIPALITY", "NPO", "OTHER", "KING"]), max_size=4)),
    "services": _or_junk(st.lists(st.sampled_from(["consultation", "juggling", ""]),
                                  max_size=4)),
    "municipalityCodes": _or_junk(st.lists(st.sampled_from(
        ["01100", "01101", "01202", "01999", "1100", "Sapporo"]), max_size=4)),
    "subprefecture": _or_junk(st.sampled_from(["石狩振興局", "渡島総合振興局", "東京"])),
    "text": texts,
    "withinBbox": _or_junk(st.lists(floats, max_size=5)),
    "within": geojson_values,
}))
cursors = _or_junk(st.sampled_from(["ZmFjaWxpdHk6Yg==", "ZmFjaWxpdHk6", "x", "=="])
                   | st.text(max_size=300))

#: (operation, strategies of its variables): every argument of the schema, as a variable.
OPERATIONS: list[tuple[str, dict[str, st.SearchStrategy[Any]]]] = [
    ("query ($f: FacilityFilter, $n: Int, $a: String) { facilities(filter: $f, first: $n, "
     "after: $a) { totalCount edges { cursor node { code } } } }",
     {"f": filters, "n": ints, "a": cursors}),
    ("query ($p: GeoPointInput!, $n: Int, $f: FacilityFilter, $m: Float) { "
     "nearestFacilities(near: $p, first: $n, filter: $f, maxDistanceMeters: $m) "
     "{ distanceMeters } }", {"p": points, "n": ints, "f": filters, "m": floats}),
    ("query ($p: GeoPointInput!, $f: FacilityFilter) { facilitiesServing(point: $p, "
     "filter: $f) { code } }", {"p": points, "f": filters}),
    ("query ($id: ID, $c: String, $s: Float) { facility(id: $id, code: $c) { code "
     "serviceArea(simplifyMeters: $s) } }",
     {"id": _or_junk(st.integers(-3, 50).map(str) | st.text(max_size=5)), "c": texts,
      "s": _or_junk(st.floats(100, 10_000))}),
    ("query ($c: String!, $s: Float, $f: FacilityFilter) { municipality(code: $c) { "
     "boundary(simplifyMeters: $s) facilities(filter: $f) { code } } }",
     {"c": _or_junk(st.sampled_from(["01100", "01101", "01999", "x"])),
      "s": _or_junk(st.floats(100, 10_000)), "f": filters}),
    ("query ($s: String, $f: FacilityFilter) { municipalities(subprefecture: $s) { code "
     "facilities(filter: $f) { code } } }",
     {"s": _or_junk(st.sampled_from(["石狩振興局", "東京"])), "f": filters}),
    ("query ($c: FacilityCategory, $st: InitiativeStatus) { partnerships(category: $c) { "
     "theme initiatives(status: $st) { title } } }",
     {"c": _or_junk(st.sampled_from([*CATEGORIES, "CASINO"])),
      "st": _or_junk(st.sampled_from(["ACHIEVED", "PLANNED", "DREAMT"]))}),
    ("query ($st: InitiativeStatus, $y: Int) { initiatives(status: $st, fiscalYear: $y) "
     "{ title } }", {"st": _or_junk(st.sampled_from(["ACHIEVED", "PLANNED"])), "y": ints}),
    ("query ($a: Date!, $b: Date!, $ids: [ID!]) { consultationSessions(from: $a, to: $b, "
     "facilityIds: $ids) { startsAt } }",
     {"a": _or_junk(dates), "b": _or_junk(dates),
      "ids": _or_junk(st.lists(st.integers(-2, 40).map(str), max_size=120))}),
]
EXPENSIVE_OPERATIONS: list[tuple[str, dict[str, st.SearchStrategy[Any]]]] = [
    ("query ($f: FacilityFilter, $m: Float!, $s: [GeoPointInput!]) { coverage(filter: $f, "
     "maxDistanceMeters: $m, addSites: $s) { totalPopulation populationInGaps } }",
     {"f": filters, "m": floats, "s": _or_junk(st.lists(points, max_size=120))}),
    ("query ($f: FacilityFilter, $m: Float!, $n: Int!) { suggestSites(filter: $f, "
     "maxDistanceMeters: $m, count: $n) { newlyCoveredPopulation } }",
     {"f": filters, "m": floats, "n": ints}),
]


def _requests(operations: list[tuple[str, dict[str, st.SearchStrategy[Any]]]]
              ) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.one_of(*[
        st.tuples(st.just(query), st.fixed_dictionaries({}, optional=variables))
        for query, variables in operations
    ])


@_settings(800)
@given(request=_requests(OPERATIONS))
def test_variables_well_and_ill_typed(client: httpx.Client,
                                      request: tuple[str, dict[str, Any]]) -> None:
    _post(client, *request)


@_settings(60)
@given(request=_requests(EXPENSIVE_OPERATIONS))
def test_coverage_variables_well_and_ill_typed(client: httpx.Client,
                                               request: tuple[str, dict[str, Any]]) -> None:
    _post(client, *request)


# --- garbage -------------------------------------------------------------------------------

garbage_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={"query": json_values | st.text(max_size=200),
                                        "variables": json_values,
                                        "operationName": json_values,
                                        "extensions": json_values}
                          ).map(lambda v: json.dumps(v).encode()),
    st.integers(1, 20_000).map(lambda n: b"[" * n),
    st.integers(1, 3_000).map(lambda n: ('{"query": "{ facilities(filter: {within: '
                                         + "[" * n + '}) { totalCount } }"}').encode()),
)


@_settings(300)
@given(body=garbage_bodies, content_type=st.sampled_from(
    ["application/json", "application/graphql", "text/plain", "multipart/form-data"]),
    method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]))
def test_garbage(client: httpx.Client, body: bytes, content_type: str, method: str) -> None:
    if method == "GET":
        params = {"query": body.decode("utf-8", "replace"), "variables": "{"}
        _check(client.get("/graphql", params=params, headers={"accept": "application/json"}))
        return
    _check(client.request(method, "/graphql", content=body,
                          headers={"content-type": content_type}))
