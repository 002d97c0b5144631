"""Reads on a real streaming replica (HUB_DATABASE_READ_URL): anonymous queries are served by
the replica, writes land on the primary and reach the replica, and whatever must see its own
write (a mutation's answer, a writer's next read, a persisted query's registration) reads
the primary.

The module starts its own primary cluster (the session's holds every other test's databases,
too much to copy) with the seed data set, then a standby of it made by ``pg_basebackup -R``
into a second data folder, started on another port. Pausing the standby's replay
(``pg_wal_replay_pause``) makes the two servers differ for certain, so an answer shows which
one it came from."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from hub import localdb
from hub.config import Settings
from hub.db import capacity, migrate
from hub.db.engine import make_engine
from hub.db.pool import application_name
from hub.localdb.runas import RunAs, ensure_os_user
from hub.localdb.state import OWNER_ROLE, ClusterFiles
from tests.conftest import (
    POPULATION,
    SIMPLIFIED_BOUNDARIES,
    LiveServer,
    live_server,
    make_cluster_home,
    make_tokens,
)

CODE = "sapporo-citizen-activity-support-centre"
CODE_QUERY = "query ($c: String) { facility(code: $c) { id nameJa version } }"
UPDATE = """mutation ($id: ID!, $v: Int!, $patch: FacilityPatch!) {
  updateFacility(id: $id, expectedVersion: $v, patch: $patch) {
    id nameJa version municipality { code } } }"""
HISTORY = "query ($id: ID!) { facilityHistory(id: $id) { action actor after } }"
NEAREST = ("{ nearestFacilities(near: {lat: 43.06, lon: 141.35}, first: 3) "
           "{ distanceMeters facility { code } } }")


@dataclass
class Replica:
    """A running standby of the primary: its data folder, port and URL."""

    run_as: RunAs
    pg_ctl: str
    data: Path
    log: Path
    port: int
    url: str

    def start(self) -> None:
        self.run_as.run([self.pg_ctl, "start", "-D", str(self.data), "-l", str(self.log),
                         "-w", "-t", "60", "-o", f"-p {self.port}"])

    def stop(self) -> None:
        self.run_as.run([self.pg_ctl, "stop", "-D", str(self.data), "-m", "fast", "-w"])

    def sql(self, statement: str) -> Any:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(statement).fetchone()
            return row[0] if row else None


def start_replica(primary: Settings, home: Path) -> Replica:
    """``pg_basebackup -R`` of the primary into ``home``, started on a free port: the primary
    allows it as initdb made it (wal_level replica, max_wal_senders 10, a ``host
    replication`` line for 127.0.0.1 in pg_hba.conf; the owner role is a superuser)."""
    state = localdb.read_state(ClusterFiles(primary.home))
    assert state is not None
    install = localdb.find_postgres(None, state.version)
    run_as = ensure_os_user(primary.db_os_user, lambda _: None)
    files = ClusterFiles(home)
    files.pg_dir.mkdir(mode=0o700)
    if run_as.uid is not None and run_as.gid is not None:
        home.chmod(0o755)
        shutil.chown(files.pg_dir, run_as.uid, run_as.gid)
    run_as.run([install.program("pg_basebackup"), "-d",
                f"host=127.0.0.1 port={state.port} user={OWNER_ROLE} password={state.password}",
                "-D", str(files.data), "-R", "-X", "stream", "-c", "fast"])
    port = localdb.free_port()
    replica = Replica(run_as, install.program("pg_ctl"), files.data, files.log, port,
                      state.url().replace(f":{state.port}/", f":{port}/"))
    replica.start()
    return replica


@dataclass
class Servers:
    primary_url: str
    replica: Replica
    hub: LiveServer
    secret: str

    def post(self, query: str, variables: dict[str, Any] | None = None,
             token: bool = False) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.secret}"} if token else {}
        response = httpx.post(self.hub.url + "/graphql", headers=headers, timeout=60,
                              json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def primary_sql(self, statement: str) -> Any:
        with psycopg.connect(self.primary_url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(statement).fetchone()
            return row[0] if row else None


def _wait_for(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    from hub.services.loading import load_all

    primary_home = make_cluster_home("hub-primary-")
    replica_home = make_cluster_home("hub-replica-")
    try:
        with localdb.throwaway_cluster(primary_home) as primary:
            primary_url = localdb.url(primary)
            engine = make_engine(primary_url)
            try:
                migrate.upgrade(engine)
                load_all.load(engine, boundaries=SIMPLIFIED_BOUNDARIES, population=POPULATION,
                              seed=True, actor="tests")
                secret = make_tokens(engine, "replica", [("admin", "admin", None, [])])["admin"]
            finally:
                engine.dispose()
            replica = start_replica(primary, replica_home)
            try:
                settings = primary.model_copy(update={"database_read_url": replica.url})
                with live_server(primary_url, settings) as hub:
                    yield Servers(primary_url, replica, hub, secret)
            finally:
                replica.stop()
    finally:
        shutil.rmtree(replica_home, ignore_errors=True)
        shutil.rmtree(primary_home, ignore_errors=True)


def _last_queries(url: str) -> list[str]:
    """The last statement of each of this process's connections to the server at ``url``."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        return [row[0] for row in conn.execute(
            "SELECT query FROM pg_stat_activity WHERE application_name = %s",
            (application_name(),)).fetchall()]


def test_the_replica_is_a_streaming_standby(servers: Servers) -> None:
    assert servers.replica.sql("SELECT pg_is_in_recovery()") is True
    assert servers.primary_sql("SELECT pg_is_in_recovery()") is False
    assert servers.primary_sql(
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 1


def test_a_query_is_served_by_the_replica(servers: Servers) -> None:
    primary_db, read_db = servers.hub.app.state.db, servers.hub.app.state.read_db
    assert read_db is not primary_db
    primary_before, replica_before = primary_db.statements, read_db.statements
    found = servers.post(NEAREST)["nearestFacilities"]
    assert len(found) == 3
    assert read_db.statements > replica_before
    assert primary_db.statements == primary_before
    # The statement itself ran on the standby's backends, none on the primary's.
    assert any("<->" in q for q in _last_queries(servers.replica.url))
    assert not any("<->" in q for q in _last_queries(servers.primary_url))


def test_a_write_lands_on_the_primary_and_the_mutation_answers_with_it(
        servers: Servers) -> None:
    before = servers.post(CODE_QUERY, {"c": CODE})["facility"]
    assert before is not None
    new_name = before["nameJa"] + "（改）"
    servers.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        _wait_for(lambda: servers.replica.sql(
            "SELECT pg_get_wal_replay_pause_state()") == "paused", 30)
        changed = servers.post(UPDATE, {"id": before["id"], "v": before["version"],
                                        "patch": {"nameJa": new_name}}, token=True)
        answer = changed["updateFacility"]
        # The answer, nested fields too, comes from the primary: the replica lacks the write.
        assert answer["nameJa"] == new_name
        assert answer["version"] == before["version"] + 1
        assert answer["municipality"] is not None
        assert servers.primary_sql(
            f"SELECT name_ja FROM facility WHERE code = '{CODE}'") == new_name
        assert servers.replica.sql(
            f"SELECT name_ja FROM facility WHERE code = '{CODE}'") == before["nameJa"]
        # An anonymous read is the replica's (still the old name); the writer, with its
        # token, reads the primary and sees its own write and its audit entry.
        assert servers.post(CODE_QUERY, {"c": CODE})["facility"] == before
        mine = servers.post(CODE_QUERY, {"c": CODE}, token=True)["facility"]
        assert mine["nameJa"] == new_name
        history = servers.post(HISTORY, {"id": before["id"]}, token=True)["facilityHistory"]
        assert history[-1]["action"] == "UPDATE"
        assert history[-1]["actor"] == "replica-admin"
    finally:
        servers.replica.sql("SELECT pg_wal_replay_resume()")
    # Replay resumed: the write reaches the replica, and anonymous reads show it.
    _wait_for(lambda: servers.post(CODE_QUERY, {"c": CODE})["facility"][
        "nameJa"] == new_name, 30)


def test_a_persisted_query_registers_on_the_primary(servers: Servers) -> None:
    """A GET may register a query text (APQ): an INSERT, which a standby refuses."""
    query = "{ facility(code: " + json.dumps(CODE) + ") { code } }"
    sha = hashlib.sha256(query.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}})
    response = httpx.get(servers.hub.url + "/graphql", timeout=60,
                         params={"query": query, "extensions": extensions})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"facility": {"code": CODE}}}
    assert servers.primary_sql(
        f"SELECT count(*) FROM persisted_query WHERE sha256 = '{sha}'") == 1


def test_a_subscription_reads_the_primary(servers: Servers) -> None:
    """An event names a row written a moment ago on the primary: with the replica's replay
    paused, the subscriber still gets the new state."""
    query = """subscription ($filter: FacilityFilter) {
      facilityChanged(filter: $filter) { kind facility { code nameJa } } }"""
    code = "pref-consumer-centre"
    before = servers.post(CODE_QUERY, {"c": code})["facility"]
    with connect(servers.hub.url.replace("http://", "ws://") + "/graphql",
                 subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(timeout=10)) == {"type": "connection_ack"}
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": query, "variables": {"filter": {"categories": ["CONSUMER"]}}}}))
        _wait_for(lambda: servers.primary_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
            f"'{application_name()}' AND query LIKE 'LISTEN %'") > 0, 10)
        servers.replica.sql("SELECT pg_wal_replay_pause()")
        try:
            _wait_for(lambda: servers.replica.sql(
                "SELECT pg_get_wal_replay_pause_state()") == "paused", 30)
            servers.post(UPDATE, {"id": before["id"], "v": before["version"],
                                  "patch": {"nameJa": "道立消費生活センター（ライブ）"}},
                         token=True)
            message = json.loads(socket.recv(timeout=10))
        finally:
            servers.replica.sql("SELECT pg_wal_replay_resume()")
    assert message["type"] == "next", message
    assert message["payload"] == {"data": {"facilityChanged": {
        "kind": "UPDATED", "facility": {"code": code, "nameJa": "道立消費生活センター（ライブ）"}}}}


def test_metrics_show_both_pools_and_the_replica_lag(servers: Servers) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(servers.hub.url + "/metrics", timeout=30)
    assert response.status_code == 200, response.text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.text)
               for s in family.samples}
    assert ("hub_db_pool_max", (("pool", "read"),)) in samples
    assert ("hub_db_pool_max", (("pool", "primary"),)) in samples
    lag = samples[("hub_db_replica_lag_seconds", (("pool", "read"),))]
    assert 0 <= lag < 60


def test_serve_checks_the_replicas_connection_slots(servers: Servers) -> None:
    """The replica holds only the read pools: ``hub serve`` asks it for room for them."""
    slots = capacity.server_slots(servers.replica.url)
    capacity.check_server(servers.replica.url, 1, slots.free, replica=True)
    with pytest.raises(capacity.CapacityError) as refused:
        capacity.check_server(servers.replica.url, 1, slots.free + 1, replica=True)
    assert f"--workers 1 x HUB_POOL_MAX {slots.free + 1} = {slots.free + 1} connections on " \
        "the read replica" in str(refused.value)


def test_ready_needs_both_servers(servers: Servers) -> None:
    assert httpx.get(servers.hub.url + "/ready", timeout=30).status_code == 200
    servers.replica.stop()
    try:
        response = httpx.get(servers.hub.url + "/ready", timeout=30)
        assert response.status_code == 503
        assert response.json() == {"status": "database unreachable: replica"}
        assert response.headers["retry-after"]
    finally:
        servers.replica.start()
    _wait_for(lambda: httpx.get(servers.hub.url + "/ready", timeout=30).status_code == 200,
              30)
