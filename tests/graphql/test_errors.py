"""Bad input over HTTP: each gets its extensions.code and a message naming the field, no
stack trace, and changes nothing."""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg
import psycopg_pool
import pytest
from sqlalchemy import Engine, text

from hub.domain.errors import InputError, NotFound
from hub.graphql.errors import TooComplex, code_of
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
    assert error["extensions"] == {"code": "INTERNAL",
                                   "requestId": error["extensions"]["requestId"]}
    assert error["message"] == "Internal server error."
    assert "secret" not in str(body) and "Traceback" not in str(body)


def test_an_internal_error_has_a_request_id_the_log_has_with_the_traceback(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from hub.services.reads.provider import Reads

    async def broken(*_: Any) -> Any:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(Reads, "partnerships", broken)
    with caplog.at_level(logging.INFO, logger="hub"):
        first = server.graphql("{ partnerships { theme } }")["errors"][0]
        second = server.graphql("{ partnerships { theme } }")["errors"][0]
    request_id = first["extensions"]["requestId"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert second["extensions"]["requestId"] != request_id  # fresh for each request
    (record,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and "a fault of ours" in str(record.exc_info[1])


#: A wrongly typed variable is the client's mistake, as the same value written inline is.
VARIABLES: list[tuple[str, str, dict[str, Any], str]] = [
    ("first as a string", "query ($n: Int) { facilities(first: $n) { totalCount } }",
     {"n": "ten"}, "n"),
    ("Int above 2^31-1", "query ($n: Int) { facilities(first: $n) { totalCount } }",
     {"n": 2**31}, "n"),
    ("month 13", CAL, {"a": "2017-13-01", "b": "2017-12-31"}, "a"),
    ("unknown enum value", "query ($c: FacilityCategory) { partnerships(category: $c) "
     "{ theme } }", {"c": "CASINO"}, "c"),
    ("enum value in a filter list", LIST, {"filter": {"categories": ["PARK", "CASINO"]}},
     "filter"),
    ("object for a string", LIST, {"a": {"cursor": 1}}, "a"),
    ("missing required variable", CAL, {"a": "2017-01-01"}, "b"),
    ("null for a non-null variable", CAL, {"a": "2017-01-01", "b": None}, "b"),
]
INLINE = [
    ("first as a string", '{ facilities(first: "ten") { totalCount } }'),
    ("Int above 2^31-1", "{ facilities(first: 2147483648) { totalCount } }"),
    ("month 13", '{ consultationSessions(from: "2017-13-01", to: "2017-12-31") '
     "{ startsAt } }"),
    ("unknown enum value", "{ partnerships(category: CASINO) { theme } }"),
]


@pytest.mark.parametrize(("name", "query", "variables", "variable"), VARIABLES,
                         ids=[v[0] for v in VARIABLES])
def test_a_wrongly_typed_variable_is_bad_user_input_naming_it(
    server: LiveServer, caplog: pytest.LogCaptureFixture, name: str, query: str,
    variables: dict[str, Any], variable: str,
) -> None:
    with caplog.at_level(logging.INFO, logger="hub"):
        body = server.graphql(query, variables)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": variable}, error
    assert f"${variable}" in error["message"]
    assert body.get("data") is None
    # Logged as the client's: one INFO line, no traceback, no ERROR.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.parametrize(("name", "query"), INLINE, ids=[i[0] for i in INLINE])
def test_the_same_value_inline_is_bad_user_input(server: LiveServer, name: str,
                                                  query: str) -> None:
    (error,) = server.graphql(query)["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error


def test_null_for_an_argument_with_a_default_is_bad_user_input(server: LiveServer) -> None:
    query = "query ($m: Float) { coverage(maxDistanceMeters: $m) { totalPopulation } }"
    (error,) = server.graphql(query, {"m": None})["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "maxDistanceMeters"}
    # Left out, the argument's default applies.
    assert server.data(query)["coverage"]["totalPopulation"] > 0


def test_client_errors_are_logged_at_info_without_the_query(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "unmistakable_marker_in_the_query_text"
    query = "query ($n: Int) { " + marker + ": facilities(first: $n) { totalCount } }"
    with caplog.at_level(logging.DEBUG):
        server.graphql(query, {"n": "ten"})
        server.graphql("{ colour # " + marker + "\n }")
    hub_records = [r for r in caplog.records if r.name.startswith("hub")]
    assert hub_records and all(r.levelno == logging.INFO for r in hub_records)
    assert not [r for r in caplog.records if marker in r.getMessage()]
    assert not [r for r in caplog.records if r.name.startswith("strawberry")]


@pytest.mark.parametrize(("exception", "code"), [
    (InputError("x", "f"), "BAD_USER_INPUT"),
    (NotFound("x"), "NOT_FOUND"),
    (TooComplex("x", 1), "QUERY_TOO_COMPLEX"),
    (psycopg.errors.QueryCanceled(), "QUERY_TOO_COMPLEX"),
    (psycopg.OperationalError(), "UNAVAILABLE"),
    (psycopg_pool.PoolTimeout(), "UNAVAILABLE"),
    # A read replica cancelled the statement for a change it replays: retry.
    (psycopg.errors.SerializationFailure(), "UNAVAILABLE"),
    (psycopg.errors.UndefinedTable(), "INTERNAL"),
    (RuntimeError(), "INTERNAL"),
    (AssertionError(), "INTERNAL"),
    (None, "BAD_USER_INPUT"),
])
def test_the_code_comes_from_the_exception_type(exception: BaseException | None,
                                                code: str) -> None:
    assert code_of(exception) == code


def test_a_nested_filter_is_checked_like_a_top_level_one(server: LiveServer) -> None:
    body = server.graphql('{ municipality(code: "01100") { facilities(filter: '
                          '{services: ["juggling"]}) { code } } }')
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.services"}
    assert error["path"] == ["municipality", "facilities"]
