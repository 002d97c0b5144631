"""/metrics over HTTP against a running hub: request counters by operation and code, the
latency histogram, the pool and replica-lag gauges, the switch and the address restriction,
and the sum over several ``hub serve --workers`` processes (prometheus-client's
multiprocess mode)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from starlette.testclient import TestClient

from hub import localdb
from hub.api.app import create_app
from hub.config import Settings, SettingsError
from tests.conftest import LiveServer, live_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

NEAREST = ("query MetricsNearest($lat: Float!) { nearestFacilities(near: {lat: $lat, "
           "lon: 141.35}, first: 2) { distanceMeters } }")


def scrape(url: str) -> Samples:
    """Every sample of /metrics, parsed by prometheus-client's own parser (so the format is
    checked on every scrape)."""
    response = httpx.get(url + "/metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_of(samples: Samples, route: str, operation: str, code: str) -> float:
    return value(samples, "hub_requests_total", route=route, operation=operation, code=code)


def test_counters_move_with_graphql_requests_by_operation_and_code(server: LiveServer) -> None:
    before = scrape(server.url)
    for lat in (43.0, 43.1, 43.2):
        assert "errors" not in server.graphql(NEAREST, {"lat": lat})
    # The name comes from operationName, or from the document's head when that is absent.
    httpx.post(server.url + "/graphql", json={"query": "query A { __typename } query B "
               "{ __typename }", "operationName": "B"}, timeout=30)
    server.graphql("{ __typename }")
    bad = server.graphql(NEAREST, {"lat": "north"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A name that is not a string is no name (and does not break the count).
    odd = httpx.post(server.url + "/graphql", json={"query": "{ __typename }",
                                                    "operationName": {"a": 1}}, timeout=30)
    assert odd.status_code == 400
    after = scrape(server.url)

    def moved(operation: str, code: str) -> float:
        return (requests_of(after, "graphql", operation, code)
                - requests_of(before, "graphql", operation, code))

    assert moved("MetricsNearest", "ok") == 3
    assert moved("MetricsNearest", "BAD_USER_INPUT") == 1
    assert moved("B", "ok") == 1
    assert moved("anonymous", "ok") >= 1
    assert moved("anonymous", "BAD_USER_INPUT") == 1


def test_a_persisted_query_by_hash_is_counted_under_its_registered_name(
        server: LiveServer) -> None:
    query = f"# metrics test {uuid.uuid4()}\nquery MetricsPersisted {{ __typename }}"
    params = {"extensions": json.dumps({"persistedQuery": {
        "version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}})}
    before = scrape(server.url)
    unknown = httpx.get(server.url + "/graphql", params=params, timeout=30)
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = httpx.post(server.url + "/graphql", timeout=30, json={
        "query": query, "extensions": json.loads(params["extensions"])})
    assert registered.json() == {"data": {"__typename": "Query"}}
    assert httpx.get(server.url + "/graphql", params=params, timeout=30).json() == {
        "data": {"__typename": "Query"}}
    after = scrape(server.url)
    for operation, code, count in [("anonymous", "PERSISTED_QUERY_NOT_FOUND", 1),
                                   ("MetricsPersisted", "ok", 2)]:
        assert (requests_of(after, "graphql", operation, code)
                - requests_of(before, "graphql", operation, code)) == count, operation


def test_errors_of_the_http_routes_are_counted_by_their_code(server: LiveServer) -> None:
    before = scrape(server.url)
    assert httpx.get(server.url + "/tiles/facilities/99/0/0.mvt").status_code == 400
    assert httpx.get(server.url + "/tiles/nowhere/0/0/0.mvt").status_code == 404
    assert httpx.get(server.url + "/tiles/facilities/0/0/0.mvt").status_code in (200, 204)
    malformed = httpx.post(server.url + "/graphql", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    assert server.graphql(aliases)["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    after = scrape(server.url)
    for route, operation, code in [("tiles", "tiles", "BAD_USER_INPUT"),
                                   ("tiles", "tiles", "NOT_FOUND"), ("tiles", "tiles", "ok"),
                                   ("graphql", "graphql", "BAD_USER_INPUT"),
                                   ("graphql", "anonymous", "QUERY_TOO_COMPLEX")]:
        assert (requests_of(after, route, operation, code)
                - requests_of(before, route, operation, code)) == 1, (route, operation, code)


def test_latency_histogram_counts_each_request(server: LiveServer) -> None:
    before = scrape(server.url)
    server.graphql(NEAREST, {"lat": 43.3})
    after = scrape(server.url)
    labels = {"route": "graphql", "operation": "MetricsNearest"}
    count = "hub_request_duration_seconds_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 1
    assert value(after, "hub_request_duration_seconds_sum", **labels) > 0
    buckets = sorted((float(dict(lbl)["le"]), v) for (name, lbl), v in after.items()
                     if name == "hub_request_duration_seconds_bucket"
                     and dict(lbl)["operation"] == "MetricsNearest")
    assert buckets[-1] == (float("inf"), value(after, count, **labels))
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative


def test_pool_gauges_show_the_read_pool(server: LiveServer) -> None:
    samples = scrape(server.url)
    size = value(samples, "hub_db_pool_connections", pool="read")
    assert size >= 1
    assert 0 <= value(samples, "hub_db_pool_in_use", pool="read") <= size
    assert value(samples, "hub_db_pool_waiting", pool="read") == 0
    assert value(samples, "hub_db_pool_max", pool="read") == Settings().pool_max


def test_the_replica_lag_gauge_is_absent_without_a_replica(server: LiveServer) -> None:
    assert not [key for key in scrape(server.url) if key[0] == "hub_db_replica_lag_seconds"]


def test_the_replica_lag_gauge_follows_its_probe(database_url: str) -> None:
    lags: list[float | None] = [2.5]

    async def probe() -> float | None:
        return lags[0]

    with TestClient(create_app(database_url, replica_lag=probe)) as client:
        def lag() -> list[float]:
            return [s.value for f in text_string_to_metric_families(client.get("/metrics").text)
                    for s in f.samples if s.name == "hub_db_replica_lag_seconds"]

        assert lag() == [2.5]
        lags[0] = None  # the server cannot say (it is no replica): the gauge goes
        assert lag() == []


def test_metrics_can_be_switched_off(database_url: str) -> None:
    with TestClient(create_app(database_url, Settings(metrics=False))) as client:
        assert client.get("/metrics").status_code == 404
        assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200


def test_metrics_can_be_restricted_to_networks(database_url: str) -> None:
    with live_server(database_url, Settings(metrics_allow=("10.0.0.0/8",))) as closed:
        refused = httpx.get(closed.url + "/metrics")
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with live_server(database_url, Settings(metrics_allow=("127.0.0.1",))) as open_:
        assert httpx.get(open_.url + "/metrics").status_code == 200


def test_a_bad_network_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_METRICS_ALLOW", "10.0.0.0/8, intranet")
    with pytest.raises(SettingsError, match=r"HUB_METRICS_ALLOW.*'intranet' is not an address"):
        Settings.from_env()


def test_operation_names_beyond_the_limit_count_as_other(database_url: str) -> None:
    with live_server(database_url, Settings(metrics_max_operations=1)) as live:
        live.graphql("query First { __typename }")
        live.graphql("query Second { __typename }")
        live.graphql("query Third { __typename }")
        samples = scrape(live.url)
    assert requests_of(samples, "graphql", "First", "ok") == 1
    assert requests_of(samples, "graphql", "Second", "ok") == 0
    assert requests_of(samples, "graphql", "other", "ok") == 2


@pytest.fixture
def two_workers(seed_loaded: Engine, database_url: str) -> Iterator[str]:
    """``hub serve --workers 2`` on the session's database, with small pools."""
    port = localdb.free_port()
    env = os.environ | {"HUB_DATABASE_URL": database_url, "HUB_PORT": str(port),
                        "HUB_POOL_MAX": "3", "HUB_POOL_MIN": "1", "HUB_OGC_POOL_MAX": "1",
                        "HUB_METRICS_REFRESH_S": "0.2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"hub serve did not start: {proc.stderr}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_several_workers_report_their_sum(two_workers: str) -> None:
    for lat in range(20):  # a new connection each, so that both workers take some
        with httpx.Client() as client:
            response = client.post(two_workers + "/graphql", json={
                "query": NEAREST, "variables": {"lat": 42.0 + lat / 10}})
            assert response.status_code == 200
    deadline = time.monotonic() + 10
    while True:  # each worker sets its pool gauges within HUB_METRICS_REFRESH_S of starting
        samples = scrape(two_workers)
        if value(samples, "hub_db_pool_max", pool="read") == 6 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # Whichever worker answers the scrape, it reports both workers' counts...
    assert requests_of(samples, "graphql", "MetricsNearest", "ok") == 20
    assert requests_of(scrape(two_workers), "graphql", "MetricsNearest", "ok") == 20
    # ... and the pool gauges summed over the live workers: 2 x HUB_POOL_MAX.
    assert value(samples, "hub_db_pool_max", pool="read") == 6
