"""The HTTP surface at this stage: /health, /ready and /graphql over a real database."""

from __future__ import annotations

from starlette.testclient import TestClient

from hub.api.app import create_app


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
