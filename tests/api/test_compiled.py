"""The compiled path of /graphql (hub.api.compiled) against the hub serving the real data
set, side by side with a second app on the same database that has it turned off: the same
answers, the executor's refusals, the same caching."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from hub.config import Settings
from tests.conftest import LiveServer, live_server

NEAREST = """query Nearest($near: GeoPointInput!, $filter: FacilityFilter) {
  nearestFacilities(near: $near, first: 4, filter: $filter) {
    distanceMeters __typename
    facility { id code nameJa category location { lat lon } updatedAt establishedOn sources
               operator { name level } municipality { code nameJa population }
               services { code nameEn } aliases { name source } } } }"""
SAPPORO = {"lat": 43.0621, "lon": 141.3544}


@pytest.fixture(scope="module")
def executor_only(seed_loaded: Engine, database_url: str) -> Iterator[LiveServer]:
    """The hub with the compiled path turned off: every operation through Strawberry."""
    with live_server(database_url, Settings(compiled_queries=False)) as live:
        yield live


def served(server: LiveServer) -> dict[str, int]:
    return dict(server.app.state.graphql.served)


def both(server: LiveServer, executor_only: LiveServer, query: str,
         variables: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The two answers, which must agree, and which path the first took."""
    before = served(server)
    answer = server.graphql(query, variables)
    after = served(server)
    path = "compiled" if after.get("compiled", 0) > before.get("compiled", 0) else "executor"
    assert answer == executor_only.graphql(query, variables)
    return answer, path


def test_nearest_with_relations_is_compiled_and_agrees(server: LiveServer,
                                                       executor_only: LiveServer) -> None:
    answer, path = both(server, executor_only, NEAREST, {"near": SAPPORO})
    assert path == "compiled"
    found = answer["data"]["nearestFacilities"]
    assert len(found) == 4 and found[0]["facility"]["services"]
    assert executor_only.app.state.graphql.served.get("compiled", 0) == 0


def test_a_filter_page_and_cursor_agree(server: LiveServer, executor_only: LiveServer) -> None:
    query = """query ($after: String) { facilities(first: 3, after: $after,
      filter: {categories: [CONSUMER, CITIZEN_ACTIVITY]}) { totalCount
      pageInfo { hasNextPage endCursor } edges { cursor node { code } } } }"""
    first, path = both(server, executor_only, query)
    assert path == "compiled" and first["data"]["facilities"]["pageInfo"]["hasNextPage"]
    cursor = first["data"]["facilities"]["pageInfo"]["endCursor"]
    second, path = both(server, executor_only, query, {"after": cursor})
    assert path == "compiled"
    assert second["data"]["facilities"]["edges"][0]["node"]["code"] > \
        first["data"]["facilities"]["edges"][-1]["node"]["code"]


def test_by_code_serving_and_two_roots_in_one_statement(server: LiveServer,
                                                        executor_only: LiveServer) -> None:
    query = """{ one: facility(code: "sapporo-consumer-centre") { code phone hours }
      none: facility(id: "999999") { code }
      serving: facilitiesServing(point: {lat: 43.0621, lon: 141.3544}) { code name: nameJa }
      v: hubVersion }"""
    before = server.statements
    answer, path = both(server, executor_only, query)
    assert path == "compiled" and server.statements - before == 1
    assert answer["data"]["one"]["code"] == "sapporo-consumer-centre"
    assert answer["data"]["none"] is None and answer["data"]["serving"]


@pytest.mark.parametrize("query, variables", [
    (NEAREST, {"near": {"lat": 100, "lon": 141}}),                     # the resolver's check
    (NEAREST, {"near": SAPPORO, "filter": {"services": ["NO_SUCH"]}}),  # an unknown code
    (NEAREST, {"near": "Sapporo"}),                                     # a variable's type
    ("{ facilities(first: 0) { totalCount } }", None),                  # a limit
    ("{ facility(code: \"x\", id: \"1\") { code } }", None),
    ("{ facility(id: \"abc\") { code } }", None),
    ("{ nearestFacilities(near: {lat: 43, lon: 141}) { facility { availableDays } } }", None),
    ("{ nearestFacilities(near: {lat: 43, lon: 141}) { facility @skip(if: true) { id } } }",
     None),
])
def test_what_it_does_not_answer_goes_to_the_executor(server: LiveServer,
                                                      executor_only: LiveServer, query: str,
                                                      variables: dict[str, Any] | None) -> None:
    response = httpx.post(server.url + "/graphql",
                          json={"query": query, "variables": variables}, timeout=30)
    before = served(server)
    answer, path = both(server, executor_only, query, variables)
    assert path == "executor" and served(server)["executor"] > before.get("executor", 0)
    assert response.json() == answer


def test_a_get_is_cacheable_as_before(server: LiveServer) -> None:
    params = {"query": "query ($near: GeoPointInput!) { nearestFacilities(near: $near) "
                       "{ distanceMeters facility { code } } }",
              "variables": '{"near": {"lat": 43.06, "lon": 141.35}}'}
    before = served(server)["compiled"]
    first = httpx.get(server.url + "/graphql", params=params)
    assert first.status_code == 200 and served(server)["compiled"] == before + 1
    assert first.headers["content-type"] == "application/json"
    assert first.headers["cache-control"].startswith("public")
    again = httpx.get(server.url + "/graphql", params=params,
                      headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_a_fault_of_the_database_is_unavailable_as_on_the_executor() -> None:
    """The compiled path's own error answer: UNAVAILABLE, 503 with Retry-After, one
    Content-Length (a second one, 0, broke HTTP clients reading the answer)."""
    from starlette.testclient import TestClient

    from hub.api.app import create_app

    settings = Settings(pool_timeout_s=0.5, retry_after_s=7)
    app = create_app("postgresql://nobody@127.0.0.1:1/none", settings)
    with TestClient(app) as client:
        response = client.post("/graphql", json={"query": "{ facility(code: \"x\") { id } }"})
    assert app.state.graphql.served == {"compiled": 1}
    assert response.status_code == 503 and response.headers["retry-after"] == "7"
    assert response.headers.get_list("content-length") == [str(len(response.content))]
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAVAILABLE"}


def test_floats_stay_floats_and_a_root_typename_is_compiled(server: LiveServer,
                                                            executor_only: LiveServer) -> None:
    """A whole-number Float (a distance of 0 at a facility's own point) is written 0.0 as
    the executor writes it, not 0, which a client's JSON reader would take for an int."""
    place = server.data('{ facility(code: "sapporo-consumer-centre") { location { lat lon } } }')
    near = place["facility"]["location"]
    query = ("query ($near: GeoPointInput!) { __typename nearestFacilities(near: $near, first: 1)"
             " { distanceMeters facility { code location { lat lon } } } }")
    answer, path = both(server, executor_only, query, {"near": near})
    assert path == "compiled" and answer["data"]["__typename"] == "Query"
    [found] = answer["data"]["nearestFacilities"]
    assert found["distanceMeters"] == 0 and isinstance(found["distanceMeters"], float)
    whole = server.graphql("{ nearestFacilities(near: {lat: 43, lon: 141}, first: 1) "
                           "{ distanceMeters } }")
    assert isinstance(whole["data"]["nearestFacilities"][0]["distanceMeters"], float)
