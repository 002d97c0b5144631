"""Bad input over HTTP: each gets its extensions.code and a message naming the field, no
stack trace, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.conftest import LiveServer

SQUARE = [[141.0, 43.0], [141.1, 43.0], [141.1, 43.1], [141.0, 43.1], [141.0, 43.0]]
BOWTIE = [[141.0, 43.0], [141.1, 43.1], [141.1, 43.0], [141.0, 43.1], [141.0, 43.0]]

NEAREST = "query ($v: GeoPointInput!, $f: Int, $m: Float) { nearestFacilities(near: $v, " \
          "first: $f, maxDistanceMeters: $m) { distanceMeters } }"
LIST = "query ($f: Int, $a: String, $filter: FacilityFilter) { facilities(first: $f, " \
       "after: $a, filter: $filter) { totalCount } }"
CAL = "query ($a: Date!, $b: Date!) { consultationSessions(from: $a, to: $b) { startsAt } }"
EBETSU = {"lat": 43.1, "lon": 141.55}


def _within(geometry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return LIST, {"filter": {"within": geometry}}


CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("first 0", LIST, {"f": 0}, "BAD_USER_INPUT", "first"),
    ("first 101", LIST, {"f": 101}, "BAD_USER_INPUT", "first"),
    ("nearest first 101", NEAREST, {"v": EBETSU, "f": 101}, "BAD_USER_INPUT", "first"),
    ("cursor", LIST, {"a": "not-a-cursor"}, "BAD_USER_INPUT", "after"),
    ("cursor base64 of other", LIST, {"a": "aGVsbG8="}, "BAD_USER_INPUT", "after"),
    ("latitude", NEAREST, {"v": {"lat": 91, "lon": 141}}, "BAD_USER_INPUT", "near.lat"),
    ("longitude", NEAREST, {"v": {"lat": 43, "lon": -181}}, "BAD_USER_INPUT", "near.lon"),
    ("negative distance", NEAREST, {"v": EBETSU, "m": -5}, "BAD_USER_INPUT",
     "maxDistanceMeters"),
    ("bbox order", LIST, {"filter": {"withinBbox": [142, 43, 141, 44]}}, "BAD_USER_INPUT",
     "filter.withinBbox"),
    ("bbox length", LIST, {"filter": {"withinBbox": [141, 43, 142]}}, "BAD_USER_INPUT",
     "filter.withinBbox"),
    ("unknown service", LIST, {"filter": {"services": ["juggling"]}}, "BAD_USER_INPUT",
     "filter.services"),
    ("unknown municipality", LIST, {"filter": {"municipalityCodes": ["01999"]}},
     "BAD_USER_INPUT", "filter.municipalityCodes"),
    ("malformed municipality", LIST, {"filter": {"municipalityCodes": ["Sapporo"]}},
     "BAD_USER_INPUT", "filter.municipalityCodes"),
    ("unknown subprefecture", LIST, {"filter": {"subprefecture": "東京"}}, "BAD_USER_INPUT",
     "filter.subprefecture"),
    ("self-intersecting polygon", *_within({"type": "Polygon", "coordinates": [BOWTIE]}),
     "BAD_USER_INPUT", "filter.within"),
    ("unclosed ring", *_within({"type": "Polygon", "coordinates": [SQUARE[:-1]]}),
     "BAD_USER_INPUT", "filter.within"),
    ("latitude in GeoJSON", *_within({"type": "Polygon", "coordinates": [
        [[141, 43], [141, 95], [142, 95], [141, 43]]]}), "BAD_USER_INPUT", "filter.within"),
    ("wrong geometry type", *_within({"type": "Point", "coordinates": [141, 43]}),
     "BAD_USER_INPUT", "filter.within"),
    ("not GeoJSON", *_within({"kind": "square"}), "BAD_USER_INPUT", "filter.within"),
    ("calendar over 366 days", CAL, {"a": "2017-01-01", "b": "2018-01-02"}, "BAD_USER_INPUT",
     "to"),
    ("calendar backwards", CAL, {"a": "2017-02-01", "b": "2017-01-01"}, "BAD_USER_INPUT", "to"),
]


@pytest.fixture
def unchanged(seed_loaded: Engine) -> Any:
    def snapshot() -> tuple[Any, ...]:
        with seed_loaded.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT (SELECT count(*) FROM audit_log), (SELECT sum(version) FROM facility),"
                " (SELECT max(updated_at) FROM facility)"
            )).one())

    before = snapshot()
    yield
    assert snapshot() == before


@pytest.mark.parametrize(("name", "query", "variables", "code", "field"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_is_named_and_changes_nothing(
    server: LiveServer, unchanged: None, name: str, query: str, variables: dict[str, Any],
    code: str, field: str,
) -> None:
    body = server.graphql(query, variables)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["field"] == field, error
    assert field.split(".")[-1] in error["message"], error
    assert "Traceback" not in str(body) and 'File "' not in str(body)


def test_graphql_validation_errors_are_bad_user_input(server: LiveServer) -> None:
    body = server.graphql("{ facilities { edges { node { colour } } } }")
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "colour" in error["message"]


def test_a_too_deep_query_is_too_complex(server: LiveServer) -> None:
    nested = "partnerships { facilities { " * 6 + "code" + " } }" * 6
    body = server.graphql("{ facility(code: \"pref-womens-plaza\") { " + nested + " } }")
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body.get("data") is None


def test_too_many_aliases_are_too_complex(server: LiveServer) -> None:
    aliases = " ".join(f"a{n}: hubVersion" for n in range(40))
    body = server.graphql("{ " + aliases + " }")
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_too_many_tokens_are_too_complex(server: LiveServer) -> None:
    body = server.graphql("{ " + "hubVersion " * 6000 + "}")
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_the_graphiql_introspection_query_passes_the_limits(server: LiveServer) -> None:
    from graphql import get_introspection_query

    body = server.graphql(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_an_internal_failure_is_masked(server: LiveServer, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    from hub.services.reads.provider import Reads

    async def broken(*_: Any) -> Any:
        raise RuntimeError("connection string postgresql://secret@db")

    monkeypatch.setattr(Reads, "partnerships", broken)
    body = server.graphql("{ partnerships { theme } }")
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL"}
    assert error["message"] == "Internal server error."
    assert "secret" not in str(body) and "Traceback" not in str(body)


def test_a_nested_filter_is_checked_like_a_top_level_one(server: LiveServer) -> None:
    body = server.graphql('{ municipality(code: "01100") { facilities(filter: '
                          '{services: ["juggling"]}) { code } } }')
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.services"}
    assert error["path"] == ["municipality", "facilities"]
