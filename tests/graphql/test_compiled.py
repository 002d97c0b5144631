"""Planning operations for the compiled path (hub.graphql.compiled): which ones it takes,
which it leaves to the executor, and the statement it sends."""

from __future__ import annotations

import pytest

from hub.config import Settings
from hub.graphql.compiled import Plans, plan, prepare, sql_for
from hub.graphql.schema import schema

GRAPHQL = schema._schema
NEAR = "{ nearestFacilities(near: {lat: 43.06, lon: 141.35}) { distanceMeters facility { code } } }"


@pytest.mark.parametrize("query", [
    NEAR,
    "query Q($code: String) { facility(code: $code) { ...F } } fragment F on Facility { id }",
    "{ facilities { edges { node { ... on Facility { code } } } totalCount } }",
    "{ a: hubVersion b: facilitiesServing(point: {lat: 43, lon: 141}) { __typename code } }",
    "{ facility(id: \"1\") { code code location { lat } location { lon } } }",
])
def test_queries_over_the_facility_graph_are_planned(query: str) -> None:
    assert plan(GRAPHQL, query, None, 5000) is not None


@pytest.mark.parametrize("query", [
    "mutation { archiveFacility(id: \"1\") { id } }",                  # not a query
    "{ municipalities { code } }",                                    # a root it does not build
    "{ facility(code: \"x\") { availableDays } }",                    # a computed field
    "{ facility(code: \"x\") { serviceArea } }",                      # a geometry
    "{ facility(code: \"x\") { partnerships { id } } }",              # a relation it does not build
    "{ facility(code: \"x\") { code @include(if: false) } }",         # a directive
    "{ facility(code: \"x\") { municipality { facilities { code } } } }",
    "{ facility(code: \"x\") { nope } }",                             # invalid: the executor says
    "{ facility(code: ",                                              # a syntax error
])
def test_anything_else_is_left_to_the_executor(query: str) -> None:
    assert plan(GRAPHQL, query, None, 5000) is None


def test_an_operation_is_chosen_by_name() -> None:
    query = f"query A {NEAR} query B {{ municipalities {{ code }} }}"
    assert plan(GRAPHQL, query, "A", 5000) is not None
    assert plan(GRAPHQL, query, "B", 5000) is None
    assert plan(GRAPHQL, query, None, 5000) is None  # ambiguous: the executor refuses it


def test_plans_are_kept_by_text_and_name() -> None:
    plans = Plans(Settings(query_cache_size=2), GRAPHQL)
    first = plans.get(NEAR, None)
    assert plans.get(NEAR, None) is first
    plans.get(NEAR + " ", None)
    plans.get(NEAR + "  ", None)
    assert plans.get(NEAR, None) is not first  # the oldest went


@pytest.mark.parametrize("variables", [
    {"lat": 91, "lon": 141},      # the resolver's range check
    {"lat": "x", "lon": 141},     # the variable's type
    {"lat": 43},                  # a required variable missing
])
def test_a_refused_request_is_left_to_the_executor(variables: dict[str, object]) -> None:
    settings = Settings()
    query = ("query ($lat: Float!, $lon: Float!) { nearestFacilities(near: {lat: $lat, lon: "
             "$lon}) { distanceMeters } }")
    planned = plan(GRAPHQL, query, None, settings.max_tokens)
    assert planned is not None
    assert prepare(settings, GRAPHQL, planned, {"lat": 43, "lon": 141}) is not None
    assert prepare(settings, GRAPHQL, planned, variables) is None


def test_the_limits_hold_on_the_compiled_path() -> None:
    settings = Settings(max_query_cost=100)
    query = "query ($n: Int) { facilities(first: $n) { edges { node { code nameJa } } } }"
    planned = plan(GRAPHQL, query, None, settings.max_tokens)
    assert planned is not None
    assert prepare(settings, GRAPHQL, planned, {"n": 10}) is not None
    assert prepare(settings, GRAPHQL, planned, {"n": 100}) is None  # over the cost
    assert prepare(settings, GRAPHQL, planned, {"n": 10}) is not None
    long_text = {"filter": {"text": "x" * (Settings().max_string_length + 1)}}
    texty = plan(GRAPHQL, "query ($filter: FacilityFilter) { facilities(filter: $filter) "
                 "{ totalCount } }", None, settings.max_tokens)
    assert texty is not None and prepare(settings, GRAPHQL, texty, long_text) is None


def test_the_statement_takes_the_variables_as_parameters() -> None:
    query = ("query ($lat: Float!, $lon: Float!) { nearestFacilities(near: {lat: $lat, "
             "lon: $lon}, first: 10, filter: {categories: [PARK]}) { facility { code } } }")
    one = sql_for(query, {"lat": 43.0, "lon": 141.0})
    two = sql_for(query, {"lat": 42.5, "lon": 140.5})
    assert one is not None and two is not None
    assert one[0] == two[0]  # one text: one prepared statement
    assert one[1]["r0_lat"] == 43.0 and two[1]["r0_lon"] == 140.5
    assert one[1]["r0_categories"] == ["PARK"] and one[1]["r0_first"] == 10
    assert "json_build_object" in one[0] and "%(r0_lat)s" in one[0]


@pytest.mark.parametrize("variables", [
    {"near": {"lat": 43, "lon": 141}, "n": 3, "filter": {"categories": ["PARK"], "text": "x"}},
    {"near": {"lat": 43.5, "lon": 141.25}},
    {"near": {"lat": 43, "lon": 141}, "n": None, "filter": None},
    {"near": {"lat": "43", "lon": 141}},                   # refused
    {"near": {"lat": 43, "lon": 141}, "n": 2.5},            # refused
    {"n": 3},                                              # a required one missing
    {"near": {"lat": 43, "lon": 141, "alt": 3}},            # an unknown field
])
def test_variables_are_coerced_as_graphql_core_coerces_them(
        variables: dict[str, object]) -> None:
    from graphql.execution.values import get_variable_values

    from hub.graphql.compiled import _coerced

    query = ("query ($near: GeoPointInput!, $n: Int, $filter: FacilityFilter) { "
             "nearestFacilities(near: $near, first: $n, filter: $filter) { distanceMeters } }")
    planned = plan(GRAPHQL, query, None, 5000)
    assert planned is not None and planned.signatures is not None
    expected = get_variable_values(GRAPHQL, planned.operation.variable_definitions or (),
                                   variables)
    got = _coerced(GRAPHQL, planned, variables)
    if isinstance(expected, list):
        assert got is None
    else:
        assert got is not None and got.coerced == expected.coerced
        assert got.sources.keys() == expected.sources.keys()


def test_a_variable_with_a_default_is_coerced_by_graphql_core() -> None:
    query = ("query ($n: Int = 3) { nearestFacilities(near: {lat: 43, lon: 141}, first: $n) "
             "{ distanceMeters } }")
    planned = plan(GRAPHQL, query, None, 5000)
    assert planned is not None and planned.signatures is None
    prepared = prepare(Settings(), GRAPHQL, planned, {})
    assert prepared is not None and prepared.params["r0_first"] == 3


def test_what_a_plan_remembers_is_bounded() -> None:
    """Page sizes and filter shapes come from the client: a plan keeps at most REMEMBERED
    of each, however many a client sends."""
    from hub.graphql.compiled import REMEMBERED

    settings = Settings()
    query = ("query ($n: Int, $f: FacilityFilter) { nearestFacilities(near: {lat: 43, "
             "lon: 141}, first: $n, filter: $f) { distanceMeters } }")
    planned = plan(GRAPHQL, query, None, settings.max_tokens)
    assert planned is not None
    fields = ["text", "subprefecture", "withinBbox", "categories", "operatorLevels"]
    for n in range(1, 101):
        shape = {name: value for i, (name, value) in enumerate(zip(fields, (
            "x", "石狩振興局", [141, 43, 142, 44], ["PARK"], ["CITY"]), strict=True))
            if n >> i & 1}
        assert prepare(settings, GRAPHQL, planned, {"n": n, "f": shape}) is not None
        assert len(planned.passed) <= REMEMBERED and len(planned.texts) <= REMEMBERED
    assert len(planned.passed) > 1 and len(planned.texts) > 1
