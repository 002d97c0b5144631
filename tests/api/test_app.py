"""The HTTP surface: /health, /ready and /graphql over a real database; the WebSocket's
origin check; the request body limit; malformed requests answered as GraphQL errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from hub.api.app import create_app
from hub.config import Settings
from tests.conftest import LiveServer, live_server


def test_health_answers_without_the_database() -> None:
    client = TestClient(create_app("postgresql://nobody@127.0.0.1:1/none"))
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_reports_an_unreachable_database_as_503() -> None:
    client = TestClient(create_app("postgresql://nobody@127.0.0.1:1/none"))
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "database unreachable"}


def test_ready_when_the_database_answers(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        assert client.get("/ready").json() == {"status": "ready"}


def test_graphql_answers_typename(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        response = client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_graphiql_is_served_to_a_browser(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_a_map_frontend_on_another_origin_may_call_the_api(database_url: str) -> None:
    with TestClient(create_app(database_url)) as client:
        preflight = client.options("/graphql", headers={
            "Origin": "https://maps.example.org", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        response = client.post("/graphql", json={"query": "{ __typename }"},
                               headers={"Origin": "https://maps.example.org"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-origin"] == "*"


def test_cors_can_be_limited_to_named_origins(database_url: str) -> None:
    from hub.config import Settings

    settings = Settings(cors_origins=("https://city.example.jp",))
    with TestClient(create_app(database_url, settings)) as client:
        allowed = client.post("/graphql", json={"query": "{ __typename }"},
                              headers={"Origin": "https://city.example.jp"})
        other = client.post("/graphql", json={"query": "{ __typename }"},
                            headers={"Origin": "https://elsewhere.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://city.example.jp"
    assert "access-control-allow-origin" not in other.headers


def test_a_websocket_from_an_origin_not_allowed_is_refused(database_url: str) -> None:
    """Browsers apply no CORS to WebSockets: the app checks the origin itself."""
    from starlette.websockets import WebSocketDisconnect

    app = create_app(database_url, Settings(cors_origins=("https://map.example",)))
    with TestClient(app) as client:
        with (pytest.raises(WebSocketDisconnect) as refused,
              client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"],
                                       headers={"origin": "https://evil.example"})):
            pass  # pragma: no cover - the handshake is refused
        assert refused.value.code == 1008  # policy violation
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"],
                                      headers={"origin": "https://map.example"}) as socket:
            socket.send_json({"type": "connection_init"})
            assert socket.receive_json() == {"type": "connection_ack"}


SMALL_BODY = 2_000


def _body_of(size: int) -> bytes:
    """A valid GraphQL request of exactly ``size`` bytes (padded with spaces in the query)."""
    start, end = b'{"query": "{ __typename', b' }"}'
    return start + b" " * (size - len(start) - len(end)) + end


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": SMALL_BODY}
    assert str(SMALL_BODY) in error["message"]


@pytest.fixture(scope="module")
def small_body_server(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url, Settings(max_body_bytes=SMALL_BODY)) as live:
        yield live


def test_a_body_at_the_limit_is_served(small_body_server: LiveServer) -> None:
    response = httpx.post(small_body_server.url + "/graphql", content=_body_of(SMALL_BODY),
                          headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_a_body_past_the_limit_is_413(small_body_server: LiveServer) -> None:
    response = httpx.post(small_body_server.url + "/graphql",
                          content=_body_of(SMALL_BODY + 1),
                          headers={"content-type": "application/json"})
    _assert_too_large(response)


def test_a_chunked_body_past_the_limit_is_413(small_body_server: LiveServer) -> None:
    """No Content-Length to go by: the limit holds while the body arrives."""
    body = _body_of(SMALL_BODY * 5)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start:start + 500]

    response = httpx.post(small_body_server.url + "/graphql", content=chunks(),
                          headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    _assert_too_large(response)
    at_limit = _body_of(SMALL_BODY)
    response = httpx.post(small_body_server.url + "/graphql",
                          content=iter([at_limit[:1000], at_limit[1000:]]),
                          headers={"content-type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("body", "content_type"), [
    (b"not json", "application/json"),
    (b"\xff\xfe\xfa", "application/json"),
    (b"[" * 100_000, "application/json"),
    (b"42", "application/json"),
    (b'"query"', "application/json"),
    (b'{"query": 5}', "application/json"),
    (b'{"query": "{ __typename }", "variables": [1]}', "application/json"),
    (b'{"variables": {}}', "application/json"),
    (b"{}", "text/plain"),
    # Uploads (importFacilities) are multipart: a broken one is the client's too.
    (b"", "multipart/form-data"),
    (b"garbage", "multipart/form-data; boundary=x"),
    (b"--x\r\n", "multipart/form-data; boundary=x"),
])
def test_a_malformed_request_is_400_in_the_graphql_error_shape(
    database_url: str, body: bytes, content_type: str
) -> None:
    with TestClient(create_app(database_url)) as client:
        response = client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"]


# --- an unreachable database and a saturated pool: UNAVAILABLE, 503 with Retry-After ---------

_FACILITIES = "{ facilities(first: 1) { totalCount } }"


def _assert_unavailable(response: object) -> None:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "7"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE"}
    assert "retry later" in error["message"]


def test_a_query_while_the_database_is_unreachable_is_unavailable_503() -> None:
    from hub.config import Settings

    settings = Settings(pool_timeout_s=0.5, retry_after_s=7)
    with TestClient(create_app("postgresql://nobody@127.0.0.1:1/none", settings)) as client:
        _assert_unavailable(client.post("/graphql", json={"query": _FACILITIES}))
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "7"


def test_a_saturated_pool_makes_ready_503_and_queries_unavailable(
        database_url: str, engine: object) -> None:
    import time

    from hub.config import Settings
    from hub.db.pool import Database

    settings = Settings(pool_min=1, pool_max=1, pool_max_waiting=1, pool_timeout_s=0.5,
                        ready_timeout_s=0.2, retry_after_s=7)
    app = create_app(database_url, settings)
    db: Database = app.state.db
    with TestClient(app) as client:
        assert client.get("/ready").status_code == 200
        requests_before = db.pool.get_stats()["requests_num"]
        client.get("/ready")
        assert db.pool.get_stats()["requests_num"] == requests_before + 1, "through the pool"
        held = client.portal.call(db.pool.getconn)  # type: ignore[union-attr]
        try:
            assert client.get("/ready").status_code == 503
            _assert_unavailable(client.post("/graphql", json={"query": _FACILITIES}))
            # One request waiting fills the queue (max 1): the next is refused at once.
            client.portal.start_task_soon(db.fetch_one, "SELECT 1")  # type: ignore[union-attr]
            while db.pool.get_stats().get("requests_waiting", 0) < 1:
                time.sleep(0.01)
            _assert_unavailable(client.post("/graphql", json={"query": _FACILITIES}))
        finally:
            client.portal.call(db.pool.putconn, held)  # type: ignore[union-attr]
        answer = client.post("/graphql", json={"query": _FACILITIES})
        assert answer.status_code == 200
        assert answer.json()["data"]["facilities"]["totalCount"] >= 0


def test_a_large_answer_is_gzipped_for_a_client_that_accepts_it(server: LiveServer) -> None:
    query = {"query": "{ municipalities { code nameJa nameEn subprefecture population } }"}
    plain = httpx.post(server.url + "/graphql", json=query, headers={"Accept-Encoding": "identity"})
    zipped = httpx.post(server.url + "/graphql", json=query, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.json() == plain.json()  # httpx decodes it
    small = httpx.post(server.url + "/graphql", json={"query": "{ hubVersion }"},
                       headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under HUB_GZIP_MIN_BYTES
