"""Automatic persisted queries (Apollo's APQ protocol) and HTTP caching of GET reads on
/graphql, against the hub serving the real data set; a second app on the same database
stands for a second hub process behind a load balancer."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from hub import localdb
from hub.config import Settings
from tests.conftest import LiveServer, live_server

CONSUMER_CENTRE = '{ facility(code: "sapporo-consumer-centre") { code nameJa category } }'
NEAREST = ("query ($lat: Float!, $lon: Float!) { nearestFacilities(near: {lat: $lat, "
           "lon: $lon}, first: 3) { distanceMeters facility { code } } }")


def unique(query: str, label: str) -> str:
    """The same operation under a text (and so a hash) of this test's own: the session's
    server and database are shared, and a hash registered elsewhere would be known."""
    return f"# {label}\n{query}"


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def extension(sha: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def get_by_hash(server: LiveServer, sha: str, variables: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
    params = {"extensions": json.dumps(extension(sha))}
    if variables is not None:
        params["variables"] = json.dumps(variables)
    return httpx.get(server.url + "/graphql", params=params, headers=headers, timeout=60)


def register(server: LiveServer, query: str, variables: dict[str, Any] | None = None
             ) -> httpx.Response:
    return httpx.post(server.url + "/graphql", timeout=60, json={
        "query": query, "variables": variables, "extensions": extension(sha256(query))})


def not_found(response: httpx.Response) -> bool:
    body = response.json()
    return (response.status_code == 200 and body.get("data") is None
            and [e["message"] for e in body["errors"]] == ["PersistedQueryNotFound"]
            and body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND")


def test_an_unknown_hash_is_persisted_query_not_found(server: LiveServer) -> None:
    query = unique(CONSUMER_CENTRE, "unknown")
    response = get_by_hash(server, sha256(query))
    assert not_found(response), response.text
    # Never kept by a cache: the hash may be registered the next moment.
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    # The same by POST.
    posted = httpx.post(server.url + "/graphql", json={"extensions": extension(sha256(query))},
                        timeout=60)
    assert not_found(posted), posted.text


def test_a_registered_query_runs_by_its_hash_alone(server: LiveServer) -> None:
    query = unique(NEAREST, "registered")
    variables = {"lat": 43.06, "lon": 141.35}
    full = server.data(NEAREST, variables)
    assert len(full["nearestFacilities"]) == 3
    assert not_found(get_by_hash(server, sha256(query), variables))
    registered = register(server, query, variables)
    assert registered.status_code == 200 and registered.json() == {"data": full}
    by_hash = get_by_hash(server, sha256(query), variables)
    assert by_hash.status_code == 200, by_hash.text
    assert by_hash.json() == {"data": full}
    # Other variables, same registered text.
    other = {"lat": 41.77, "lon": 140.73}
    assert get_by_hash(server, sha256(query), other).json() == {
        "data": server.data(NEAREST, other)}
    # Registering again (a retry, another client) changes nothing.
    assert register(server, query, variables).json() == {"data": full}


def test_a_second_hub_process_knows_a_registered_query(server: LiveServer,
                                                       database_url: str) -> None:
    query = unique(CONSUMER_CENTRE, "second process")
    assert register(server, query).status_code == 200
    with live_server(database_url) as other:
        response = get_by_hash(other, sha256(query))
        assert response.status_code == 200, response.text
        assert response.json() == {"data": server.data(CONSUMER_CENTRE)}
        assert response.json()["data"]["facility"]["code"] == "sapporo-consumer-centre"


def test_a_hash_that_is_not_the_querys_is_refused_and_registers_nothing(
        server: LiveServer) -> None:
    query = unique(CONSUMER_CENTRE, "mismatch")
    wrong = sha256(query + " ")
    response = httpx.post(server.url + "/graphql", timeout=60, json={
        "query": query, "extensions": extension(wrong)})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT",
                                   "field": "extensions.persistedQuery.sha256Hash"}
    assert wrong in error["message"] and sha256(query) in error["message"]
    assert not_found(get_by_hash(server, wrong))
    assert not_found(get_by_hash(server, sha256(query)))


@pytest.mark.parametrize(("persisted", "field"), [
    ({"version": 2, "sha256Hash": "0" * 64}, "extensions.persistedQuery.version"),
    ({"version": 1, "sha256Hash": "abc"}, "extensions.persistedQuery.sha256Hash"),
    ({"version": 1}, "extensions.persistedQuery.sha256Hash"),
    ("0" * 64, "extensions.persistedQuery"),
])
def test_a_malformed_persisted_query_extension_is_refused(server: LiveServer, persisted: Any,
                                                          field: str) -> None:
    response = httpx.get(server.url + "/graphql", timeout=60, params={
        "extensions": json.dumps({"persistedQuery": persisted})})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                                          "field": field}


def _deep_query(levels: int) -> str:
    return "{ municipalities { " + "parent { " * levels + "code" + " }" * levels + " } }"


@pytest.mark.parametrize(("label", "query", "code", "limit"), [
    ("depth", _deep_query(13), "QUERY_TOO_COMPLEX", 12),
    ("cost", "{ " + " ".join(f"m{i}: municipalities {{ boundary }}" for i in range(6)) + " }",
     "QUERY_TOO_COMPLEX", 100_000),
    ("length", "{ hubVersion }\n#" + "x" * 10_000, "QUERY_TOO_COMPLEX", 10_000),
    ("invalid", "{ noSuchField }", "BAD_USER_INPUT", None),
])
def test_the_limits_apply_at_registration(server: LiveServer, label: str, query: str,
                                          code: str, limit: int | None) -> None:
    query = unique(query, f"limits {label}")
    response = register(server, query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == code, body
    if limit is not None:
        assert body["errors"][0]["extensions"]["limit"] == limit
    assert response.headers["cache-control"] == "no-store"
    assert not_found(get_by_hash(server, sha256(query)))


def test_within_the_limits_the_deep_query_registers(server: LiveServer) -> None:
    """The counterpart of the depth case: one level less is registered and runs."""
    query = unique(_deep_query(11), "limits depth ok")
    assert "errors" not in register(server, query).json()
    assert "errors" not in get_by_hash(server, sha256(query)).json()


def test_a_persisted_mutation_is_not_run_by_get(server: LiveServer) -> None:
    query = unique('mutation { archiveFacility(id: "1", expectedVersion: 1) { version } }',
                   "mutation")
    registered = register(server, query)  # no token: refused, but the text is registered
    assert registered.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    response = get_by_hash(server, sha256(query))
    assert response.status_code == 400, response.text
    assert "GET" in response.json()["errors"][0]["message"]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_get_read_has_an_etag_and_cache_control_and_answers_304(server: LiveServer) -> None:
    query = unique(CONSUMER_CENTRE, "etag")
    register(server, query)
    first = get_by_hash(server, sha256(query))
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = get_by_hash(server, sha256(query), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=60"
    assert get_by_hash(server, sha256(query), headers={"If-None-Match": f"W/{etag}"}
                       ).status_code == 304
    stale = get_by_hash(server, sha256(query), headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.json() == first.json()
    # Other variables or another query are other answers with other tags; the query in the
    # URL (no hash) is cached the same way.
    by_text = httpx.get(server.url + "/graphql", params={"query": CONSUMER_CENTRE},
                        timeout=60)
    assert by_text.headers["cache-control"] == "public, max-age=60"
    assert by_text.headers["etag"] == etag  # the same answer body
    nearest = httpx.get(server.url + "/graphql", timeout=60, params={
        "query": NEAREST, "variables": json.dumps({"lat": 43.06, "lon": 141.35})})
    assert nearest.status_code == 200 and nearest.headers["etag"] != etag


def test_errors_authorization_and_posts_are_not_cached(server: LiveServer) -> None:
    failing = httpx.get(server.url + "/graphql", timeout=60, params={
        "query": "{ facilities(first: 0) { totalCount } }"})
    assert failing.json().get("errors"), failing.text
    assert failing.headers["cache-control"] == "no-store"
    assert "etag" not in failing.headers
    with_token = httpx.get(server.url + "/graphql", params={"query": CONSUMER_CENTRE},
                           headers={"Authorization": "Bearer hub_x"}, timeout=60)
    assert with_token.status_code == 200 and "errors" not in with_token.json()
    assert with_token.headers["cache-control"] == "no-store"
    assert "etag" not in with_token.headers
    posted = httpx.post(server.url + "/graphql", json={"query": CONSUMER_CENTRE}, timeout=60)
    assert posted.status_code == 200
    assert "etag" not in posted.headers and "cache-control" not in posted.headers


def test_a_hash_while_the_database_is_unreachable_is_unavailable() -> None:
    """The registered texts are in PostgreSQL: without it a hash is a 503 UNAVAILABLE with
    Retry-After (never cached), as any read then is, not a stack trace or a 500."""
    nowhere = f"postgresql://hub:x@127.0.0.1:{localdb.free_port()}/hub"
    settings = Settings(pool_timeout_s=0.5, pool_min=0, pool_connect_timeout_s=1)
    with live_server(nowhere, settings) as down:
        response = get_by_hash(down, sha256(unique(CONSUMER_CENTRE, "outage")))
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
