"""PostgreSQL stops under load and starts again: the hub answers UNAVAILABLE (503 with
Retry-After, never INTERNAL) only while it is down, /ready says so, and every request
succeeds again soon after, without restarting the hub.

The cluster is this module's own (stopping the session's would break the other tests),
with the real boundaries (the simplified file), population and seed data set, so the load
runs the queries a map frontend sends."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from hub import localdb
from hub.config import Settings
from hub.db import migrate
from hub.db.engine import make_engine
from tests.conftest import GEODATA, make_cluster_home

#: A page of facilities with their municipality (a batched second query) and a nearest
#: search: the request path's usual statements.
QUERY = """{
  facilities(first: 20) { totalCount edges { node { code municipality { nameJa } } } }
  nearestFacilities(near: {lat: 43.06, lon: 141.35}, first: 3) { distanceMeters }
}"""
CLIENTS = 4
POOL_TIMEOUT_S = 1.0
RECONNECT_S = 2.0
RETRY_AFTER_S = 3
#: After PostgreSQL answers again, the pool needs at most one paused reconnection attempt
#: (under RECONNECT_S) and a request at most POOL_TIMEOUT_S more: this is the bound on
#: recovery, with room for this shared 2-core machine.
RECOVERY_BOUND_S = RECONNECT_S + POOL_TIMEOUT_S + 3.0


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Settings]:
    from hub.services.loading.boundaries import load_boundaries
    from hub.services.loading.population import load_population
    from hub.services.loading.seed import load_seed

    home = make_cluster_home("hub-outage-")
    try:
        with localdb.throwaway_cluster(home) as settings:
            engine = make_engine(localdb.url(settings))
            try:
                migrate.upgrade(engine)
                with engine.begin() as conn:
                    load_boundaries(conn, GEODATA / "hokkaido_municipalities.geojson")
                with engine.begin() as conn:
                    load_population(conn, GEODATA / "hokkaido_population.csv")
                load_seed(engine)
            finally:
                engine.dispose()
            yield settings
    finally:
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class Answer:
    started: float
    ended: float
    status: int
    codes: list[str]
    retry_after: str | None


@dataclass
class Load:
    """Client threads sending QUERY back to back, each answer recorded with its times."""

    url: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                response = client.post(self.url + "/graphql", json={"query": QUERY})
                body = response.json()
                self.answers.append(Answer(
                    started, time.monotonic(), response.status_code,
                    [e.get("extensions", {}).get("code") for e in body.get("errors") or []],
                    response.headers.get("retry-after")))

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _ready(url: str) -> int:
    return httpx.get(url + "/ready", timeout=10).status_code


def _wait_for(condition: object, seconds: float) -> float:
    """Polls ``condition()`` until true; returns when (monotonic), or fails after seconds."""
    deadline = time.monotonic() + seconds
    while True:
        assert callable(condition)
        if condition():
            return time.monotonic()
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.05)


def test_postgresql_stopped_under_load_is_unavailable_then_recovered(
        own_cluster: Settings) -> None:
    from tests.conftest import live_server

    settings = own_cluster.model_copy(update={
        # Room for every client and /ready besides: outside the outage nobody waits for a
        # connection, even on a busy machine (a full pool is tests/api/test_app.py's subject).
        "pool_min": 2, "pool_max": CLIENTS + 2, "pool_timeout_s": POOL_TIMEOUT_S,
        "pool_reconnect_s": RECONNECT_S, "ready_timeout_s": 0.5,
        "retry_after_s": RETRY_AFTER_S})
    with live_server(localdb.url(own_cluster), settings) as live, Load(live.url) as load:
        assert _ready(live.url) == 200
        t0 = time.monotonic()
        _wait_for(lambda: len(load.answers) >= 20, 30)

        down_at = time.monotonic()
        assert localdb.down(own_cluster, report=lambda _: None)
        stopped_at = time.monotonic()
        ready_503_at = _wait_for(lambda: _ready(live.url) == 503, 10)
        time.sleep(3)  # the load keeps going against the stopped server
        ready_while_down = _ready(live.url)

        up_at = time.monotonic()
        localdb.up(own_cluster, report=lambda _: None)
        started_at = time.monotonic()
        ready_again_at = _wait_for(lambda: _ready(live.url) == 200, RECOVERY_BOUND_S)
        answers_before_recovery = len(load.answers)
        time.sleep(RECOVERY_BOUND_S + 2)  # the load runs on after recovery
        assert len(load.answers) > answers_before_recovery + 20

    answers = sorted(load.answers, key=lambda a: a.started)
    failed = [a for a in answers if a.status != 200 or a.codes]
    last_failure = max(a.ended for a in failed)
    timeline = (
        f"load from 0.00 s; stop requested {down_at - t0:.2f}, stopped {stopped_at - t0:.2f}, "
        f"/ready 503 {ready_503_at - t0:.2f}, start requested {up_at - t0:.2f}, started "
        f"{started_at - t0:.2f}, /ready 200 {ready_again_at - t0:.2f}, last failed answer "
        f"{last_failure - t0:.2f}; {len(answers)} answers, {len(failed)} UNAVAILABLE")
    print(timeline)

    assert ready_while_down == 503, timeline
    assert failed, "stopping PostgreSQL under load must show in some answers"
    for answer in failed:
        assert answer.status == 503, (answer, timeline)
        assert answer.codes and set(answer.codes) == {"UNAVAILABLE"}, (answer, timeline)
        assert answer.retry_after == str(RETRY_AFTER_S), (answer, timeline)
    for answer in answers:
        assert "INTERNAL" not in answer.codes, (answer, timeline)
        assert answer.status in (200, 503), (answer, timeline)
    # Failures only in the outage: none ended before the stop was asked for, none started
    # after the hub had recovered (bounded after PostgreSQL was back).
    assert min(a.ended for a in failed) >= down_at, timeline
    assert max(a.started for a in failed) <= started_at + RECOVERY_BOUND_S, timeline
    assert all(a.status == 200 and not a.codes for a in answers if a.ended < down_at)
    recovered = [a for a in answers if a.started > max(a.started for a in failed)]
    assert len(recovered) > 20 and all(a.status == 200 for a in recovered), timeline
