"""Alerts and live changes across server processes: an alert published through one process
reaches a subscriber of another within a second (PostgreSQL LISTEN/NOTIFY), an alert for
all of Hokkaido reaches every municipality's subscribers and one for Ebetsu only Ebetsu's, a
facility update reaches facilityChanged, and a subscriber that leaves is let go. Only
consumer centres publish, an editor only for its own centre."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from hub import localdb
from hub.db.engine import make_engine
from tests.conftest import (
    LiveServer,
    create_database,
    drop_database,
    live_server,
    make_tokens,
)

PUBLISH = """mutation ($input: AlertInput!) {
  publishAlert(input: $input) { id title audienceMunicipalities { code } publishedBy { code } } }"""
ALERTS = """subscription ($code: String) {
  alertPublished(municipalityCode: $code) { id title audienceMunicipalities { code } } }"""
CHANGES = """subscription ($filter: FacilityFilter) {
  facilityChanged(filter: $filter) { kind version facility { code nameJa } } }"""


class Two:
    """Server A in this process, server B a `hub serve` process, on one database."""

    def __init__(self, a: LiveServer, b_url: str, b_pid: int, database_url: str,
                 secrets: dict[str, str]) -> None:
        self.a, self.b_url, self.b_pid, self.secrets = a, b_url, b_pid, secrets
        self.database_url = database_url

    def post(self, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.secrets[token]}"} if token else {}
        body: dict[str, Any] = httpx.post(self.a.url + "/graphql", headers=headers, timeout=60,
                                          json={"query": query, "variables": variables}).json()
        return body

    def id_of(self, code: str) -> str:
        return str(self.a.data("query ($c: String) { facility(code: $c) { id } }",
                               {"c": code})["facility"]["id"])


@pytest.fixture(scope="module")
def two(database_url: str, seeded_template: str) -> Iterator[Two]:
    name = "hub_live"
    url = create_database(database_url, name, template=seeded_template)
    engine = make_engine(url)
    secrets = make_tokens(engine, "live", [("admin", "admin", None, []),
                                           ("sapporo", "editor", "sapporo", []),
                                           ("hokkaido", "editor", "hokkaido", [])])
    engine.dispose()
    port = localdb.free_port()
    b = subprocess.Popen([sys.executable, "-m", "hub", "serve"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True,
                         env=os.environ | {"HUB_DATABASE_URL": url, "HUB_PORT": str(port)})
    b_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(b_url + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert b.poll() is None, b.stderr.read() if b.stderr else "server B ended"
            assert time.monotonic() < deadline, "server B did not start"
            time.sleep(0.2)
        with live_server(url) as a:
            yield Two(a, b_url, b.pid, url, secrets)
    finally:
        b.terminate()
        b.wait(timeout=20)
        drop_database(database_url, name)


def _subscribe(base: str, query: str, variables: dict[str, Any]) -> ClientConnection:
    socket = connect(base.replace("http://", "ws://") + "/graphql", legacy=True,
                     subprotocols=[Subprotocol("graphql-transport-ws")])
    socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(socket.recv(timeout=10)) == {"type": "connection_ack"}
    socket.send(json.dumps({"id": "1", "type": "subscribe",
                            "payload": {"query": query, "variables": variables}}))
    return socket


def _next(socket: ClientConnection, timeout: float) -> dict[str, Any]:
    message = json.loads(socket.recv(timeout=timeout))
    assert message["type"] == "next", message
    payload: dict[str, Any] = message["payload"]
    assert "errors" not in payload, payload
    data: dict[str, Any] = payload["data"]
    return data


def _settle(two: Two) -> None:
    """Wait until server B listens (its listener connection has issued LISTEN, as
    pg_stat_activity shows): notices sent before that are not for it to hear."""
    deadline = time.monotonic() + 10
    with psycopg.connect(two.database_url, autocommit=True) as conn:
        while not conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s"
                " AND query LIKE 'LISTEN %%'", [f"hub-{two.b_pid}"]).fetchone():
            assert time.monotonic() < deadline, "server B does not listen"
            time.sleep(0.05)


def test_an_alert_published_through_one_process_reaches_another_process_within_a_second(
    two: Two,
) -> None:
    ebetsu = _subscribe(two.b_url, ALERTS, {"code": "01217"})
    hakodate = _subscribe(two.b_url, ALERTS, {"code": "01202"})
    everyone = _subscribe(two.b_url, ALERTS, {"code": None})
    try:
        _settle(two)
        centre = two.id_of("sapporo-consumer-centre")
        body = two.post(PUBLISH, {"input": {
            "title": "新手の手口", "body": "還付金を装う電話にご注意ください",
            "publishedById": centre, "municipalityCodes": ["01217"]}}, "sapporo")
        assert "errors" not in body, body
        sent = time.monotonic()
        got = _next(ebetsu, timeout=1.0)["alertPublished"]
        assert time.monotonic() - sent < 1.0
        assert got["id"] == body["data"]["publishAlert"]["id"]
        assert got["audienceMunicipalities"] == [{"code": "01217"}]
        assert _next(everyone, timeout=1.0)["alertPublished"]["id"] == got["id"]
        # One for all of Hokkaido reaches Hakodate too; Ebetsu's alert never did.
        body = two.post(PUBLISH, {"input": {"title": "全道への注意", "body": "架空請求",
                                            "publishedById": centre}}, "admin")
        assert "errors" not in body, body
        first_for_hakodate = _next(hakodate, timeout=1.0)["alertPublished"]
        assert first_for_hakodate["id"] == body["data"]["publishAlert"]["id"]
        assert first_for_hakodate["audienceMunicipalities"] == []
        assert _next(ebetsu, timeout=1.0)["alertPublished"]["id"] == first_for_hakodate["id"]
    finally:
        for socket in (ebetsu, hakodate, everyone):
            socket.close()
    listed = two.a.data('{ alerts(municipalityCode: "01202") { title } }')["alerts"]
    assert [a["title"] for a in listed] == ["全道への注意"]


def test_a_facility_update_reaches_facility_changed_in_another_process(two: Two) -> None:
    consumers = _subscribe(two.b_url, CHANGES, {"filter": {"categories": ["CONSUMER"]}})
    parks = _subscribe(two.b_url, CHANGES, {"filter": {"categories": ["PARK"]}})
    try:
        _settle(two)
        found = two.a.data('{ facility(code: "pref-consumer-centre") { id version } }')
        body = two.post("""mutation ($id: ID!, $v: Int!, $name: String) {
            updateFacility(id: $id, expectedVersion: $v, patch: {nameJa: $name}) { version } }""",
                        {"id": found["facility"]["id"], "v": found["facility"]["version"],
                         "name": "北海道立消費生活センター(ライブ)"}, "hokkaido")
        assert "errors" not in body, body
        change = _next(consumers, timeout=1.0)["facilityChanged"]
        assert change == {"kind": "UPDATED", "version": found["facility"]["version"] + 1,
                          "facility": {"code": "pref-consumer-centre",
                                       "nameJa": "北海道立消費生活センター(ライブ)"}}
        with pytest.raises(TimeoutError):
            parks.recv(timeout=0.5)  # a park subscriber hears nothing of a consumer centre
    finally:
        consumers.close()
        parks.close()


@pytest.mark.parametrize(("token", "publisher", "code"), [
    (None, "sapporo-consumer-centre", "UNAUTHENTICATED"),
    ("hokkaido", "sapporo-consumer-centre", "FORBIDDEN"),  # not the prefecture's centre
    ("sapporo", "sapporo-citizen-activity-support-centre", "BAD_USER_INPUT"),  # not CONSUMER
])
def test_only_consumer_centres_publish_and_an_editor_only_for_its_own(
    two: Two, token: str | None, publisher: str, code: str
) -> None:
    before = len(two.a.data("{ alerts { id } }")["alerts"])
    body = two.post(PUBLISH, {"input": {"title": "t", "body": "b",
                                        "publishedById": two.id_of(publisher)}}, token)
    assert body["errors"][0]["extensions"]["code"] == code, body
    assert len(two.a.data("{ alerts { id } }")["alerts"]) == before


def test_a_subscriber_that_leaves_is_let_go(two: Two) -> None:
    listener = two.a.app.state.listener
    socket = _subscribe(two.a.url, ALERTS, {"code": None})
    deadline = time.monotonic() + 10
    while listener.subscribers() == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    socket.close()
    while listener.subscribers() != 0:
        assert time.monotonic() < deadline, "the subscription outlived its client"
        time.sleep(0.05)


def test_a_subscription_over_the_limits_is_refused_like_a_query(two: Two) -> None:
    deep = "subscription { alertPublished { publishedBy { " + "partnerships { facilities { " * 8 \
        + "code" + " } }" * 8 + " } } }"
    socket = _subscribe(two.b_url, deep, {})
    try:
        message = json.loads(socket.recv(timeout=10))
    except ConnectionClosed as closed:  # some servers close instead of answering
        pytest.fail(f"closed instead of an error: {closed}")
    finally:
        socket.close()
    assert message["type"] == "error", message
    assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", message


def test_a_subscription_for_an_unknown_municipality_is_bad_user_input(two: Two) -> None:
    socket = _subscribe(two.b_url, ALERTS, {"code": "01999"})
    try:
        message = json.loads(socket.recv(timeout=10))
    finally:
        socket.close()
    assert message["type"] in ("error", "next"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", message
    assert "01999" in errors[0]["message"]
