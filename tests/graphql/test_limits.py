"""Every request limit (hub.config, "request limits"), at the cap and one past it: the
refusal names the field or the limit, with its code, and nothing runs."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from hub.config import Settings
from hub.graphql.limits import parse_query
from hub.graphql.schema import make_schema
from tests.conftest import LiveServer, live_server

DEFAULTS = Settings.model_construct()
LIST = "query ($filter: FacilityFilter) { facilities(filter: $filter) { totalCount } }"


def _refusal(body: dict[str, Any], code: str) -> dict[str, Any]:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert body.get("data") is None
    return dict(error)


def _ring(positions: int) -> list[list[float]]:
    """A closed ring of exactly ``positions`` positions (the last repeats the first)."""
    points = [[141.3 + 0.1 * math.cos(2 * math.pi * k / (positions - 1)),
               43.0 + 0.1 * math.sin(2 * math.pi * k / (positions - 1))]
              for k in range(positions - 1)]
    return [*points, points[0]]


# --- strings, lists, cursors, polygons ------------------------------------------------------


def test_a_text_filter_at_the_string_cap_runs(server: LiveServer) -> None:
    cap = DEFAULTS.max_string_length
    assert server.data(LIST, {"filter": {"text": "x" * cap}})["facilities"]["totalCount"] == 0
    inline = '{ facilities(filter: {text: "' + "x" * cap + '"}) { totalCount } }'
    assert server.data(inline)["facilities"]["totalCount"] == 0


def test_a_text_filter_past_the_string_cap_is_refused(server: LiveServer) -> None:
    cap = DEFAULTS.max_string_length
    for body in (server.graphql(LIST, {"filter": {"text": "x" * (cap + 1)}}),
                 server.graphql('{ facilities(filter: {text: "' + "x" * (cap + 1)
                                + '"}) { totalCount } }')):
        error = _refusal(body, "BAD_USER_INPUT")
        assert error["extensions"]["field"] == "filter.text"
        assert f"at most {cap}" in error["message"]


def test_a_megabyte_text_filter_is_refused(server: LiveServer) -> None:
    body = server.graphql(LIST, {"filter": {"text": "x" * 900_000}})
    assert _refusal(body, "BAD_USER_INPUT")["extensions"]["field"] == "filter.text"


def test_any_string_argument_has_the_cap(server: LiveServer) -> None:
    cap = DEFAULTS.max_string_length
    query = "query ($c: String!) { municipality(code: $c) { code } }"
    assert server.data(query, {"c": "0" * cap})["municipality"] is None
    error = _refusal(server.graphql(query, {"c": "0" * (cap + 1)}), "BAD_USER_INPUT")
    assert error["extensions"]["field"] == "code"


def test_a_nul_character_in_a_string_is_refused(server: LiveServer) -> None:
    """PostgreSQL text cannot hold one: the client hears so, not INTERNAL."""
    for body in (server.graphql('{ facility(code: "a\\u0000b") { code } }'),
                 server.graphql(LIST, {"filter": {"text": "a\x00b"}})):
        error = _refusal(body, "BAD_USER_INPUT")
        assert "NUL" in error["message"]
        assert error["extensions"]["field"] in ("code", "filter.text")


def test_an_unpaired_surrogate_in_a_string_is_refused(server: LiveServer) -> None:
    """JSON can spell one (\\ud800) but no UTF-8 text holds it: BAD_USER_INPUT, inline and
    as a variable, not INTERNAL."""
    import httpx

    inline = b'{"query": "{ facility(code: \\"a\\ud800b\\") { code } }"}'
    variable = (b'{"query": "query ($f: FacilityFilter) { facilities(filter: $f) '
                b'{ totalCount } }", "variables": {"f": {"text": "a\\udfffb"}}}')
    answers = [httpx.post(server.url + "/graphql", content=raw, timeout=30,
                          headers={"content-type": "application/json"})
               for raw in (inline, variable)]
    assert all(a.status_code in (200, 400) for a in answers)
    assert "U+D800" in _refusal(answers[0].json(), "BAD_USER_INPUT")["message"]  # the lexer's
    error = _refusal(answers[1].json(), "BAD_USER_INPUT")
    assert "surrogate" in error["message"] and error["extensions"]["field"] == "filter.text"


def test_a_negative_simplification_is_refused_even_where_nothing_is_drawn(
    server: LiveServer
) -> None:
    for query in ('{ facility(code: "no-such") { serviceArea(simplifyMeters: -2.5e16) } }',
                  "{ municipalities { boundary(simplifyMeters: -1) } }"):
        error = _refusal(server.graphql(query), "BAD_USER_INPUT")
        assert error["extensions"]["field"] == "simplifyMeters"
    assert server.data('{ facility(code: "no-such") { serviceArea(simplifyMeters: 0) } }'
                       ) == {"facility": None}


def test_a_list_at_the_list_cap_runs(server: LiveServer) -> None:
    cap = DEFAULTS.max_list_length
    data = server.data(LIST, {"filter": {"categories": ["PARK"] * cap}})
    assert data["facilities"]["totalCount"] > 0
    query = ("query ($ids: [ID!]) { consultationSessions(from: \"2017-08-01\", "
             "to: \"2017-08-31\", facilityIds: $ids) { startsAt } }")
    assert server.data(query, {"ids": [str(n) for n in range(cap)]}) is not None


@pytest.mark.parametrize(("query", "variables", "field"), [
    (LIST, {"filter": {"categories": ["PARK"] * (DEFAULTS.max_list_length + 1)}},
     "filter.categories"),
    (LIST, {"filter": {"services": ["consultation"] * (DEFAULTS.max_list_length + 1)}},
     "filter.services"),
    ("query ($ids: [ID!]) { consultationSessions(from: \"2017-08-01\", to: \"2017-08-31\", "
     "facilityIds: $ids) { startsAt } }",
     {"ids": [str(n) for n in range(DEFAULTS.max_list_length + 1)]}, "facilityIds"),
    ("query ($s: [GeoPointInput!]) { coverage(addSites: $s) { totalPopulation } }",
     {"s": [{"lat": 43.0, "lon": 141.3}] * (DEFAULTS.max_list_length + 1)}, "addSites"),
])
def test_a_list_past_the_list_cap_is_refused(server: LiveServer, query: str,
                                             variables: dict[str, Any], field: str) -> None:
    error = _refusal(server.graphql(query, variables), "BAD_USER_INPUT")
    assert error["extensions"]["field"] == field
    assert f"at most {DEFAULTS.max_list_length}" in error["message"]


def test_a_polygon_at_the_vertex_cap_runs(server: LiveServer) -> None:
    polygon = {"type": "Polygon", "coordinates": [_ring(DEFAULTS.max_polygon_vertices)]}
    assert server.data(LIST, {"filter": {"within": polygon}})["facilities"]["totalCount"] >= 0


def test_a_polygon_with_altitudes_filters_like_the_flat_one(server: LiveServer) -> None:
    flat = _ring(20)
    with_altitude = [[lon, lat, 30.0] if n % 2 else [lon, lat] for n, (lon, lat) in
                     enumerate(flat)]
    counts = [server.data(LIST, {"filter": {"within": {"type": "Polygon", "coordinates": [r]}}}
                          )["facilities"]["totalCount"] for r in (flat, with_altitude)]
    assert counts[0] == counts[1] > 0


def test_a_polygon_past_the_vertex_cap_is_refused(server: LiveServer) -> None:
    polygon = {"type": "Polygon", "coordinates": [_ring(DEFAULTS.max_polygon_vertices + 1)]}
    error = _refusal(server.graphql(LIST, {"filter": {"within": polygon}}), "BAD_USER_INPUT")
    assert error["extensions"]["field"] == "filter.within"
    assert f"at most {DEFAULTS.max_polygon_vertices}" in error["message"]


def test_a_cursor_past_the_cursor_cap_is_refused(server: LiveServer) -> None:
    cap = DEFAULTS.max_cursor_length
    query = "query ($a: String) { facilities(after: $a) { totalCount } }"
    at_cap = _refusal(server.graphql(query, {"a": "A" * cap}), "BAD_USER_INPUT")
    assert "not a cursor" in at_cap["message"]  # past the cap check, refused as no cursor
    past = _refusal(server.graphql(query, {"a": "A" * (cap + 1)}), "BAD_USER_INPUT")
    assert past["extensions"]["field"] == "after"
    assert f"at most {cap}" in past["message"]


def test_a_nested_within_polygon_is_parsed_once_per_request(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.domain import geojson

    calls = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return geojson.parse_geometry(*args, **kwargs)

    monkeypatch.setattr("hub.domain.filters.parse_geometry", counted)
    polygon = {"type": "Polygon", "coordinates": [_ring(50)]}
    query = ("query ($w: GeoJSON) { municipalities { code facilities(filter: {within: $w}) "
             "{ code } } }")
    data = server.data(query, {"w": polygon})
    assert len(data["municipalities"]) > 100
    assert len(calls) == 1
    inline = ("{ municipalities { code facilities(filter: {within: {type: \"Polygon\", "
              "coordinates: [[[141, 43], [142, 43], [142, 44], [141, 43]]]}}) { code } } }")
    calls.clear()
    server.data(inline)
    assert len(calls) == 1


# --- depth, aliases, tokens ----------------------------------------------------------------


def _nested(depth: int) -> str:
    """An operation whose deepest field is at ``depth`` (root fields at 0), through single
    objects so that only the depth is large."""
    inner = "municipality { " + "parent { " * (depth - 2) + "code" + " }" * (depth - 1)
    return '{ facility(code: "pref-womens-plaza") { ' + inner + " } }"


def test_depth_at_the_cap_runs_and_past_it_is_too_complex(server: LiveServer) -> None:
    cap = DEFAULTS.max_query_depth
    assert server.data(_nested(cap))["facility"] is not None
    error = _refusal(server.graphql(_nested(cap + 1)), "QUERY_TOO_COMPLEX")
    assert error["extensions"]["limit"] == cap
    assert error["extensions"]["estimate"] == cap + 1


def test_aliases_at_the_cap_run_and_past_it_are_too_complex(server: LiveServer) -> None:
    cap = DEFAULTS.max_aliases
    assert len(server.data("{ " + " ".join(f"a{n}: hubVersion" for n in range(cap)) + " }")
               ) == cap
    body = server.graphql("{ " + " ".join(f"a{n}: hubVersion" for n in range(cap + 1)) + " }")
    assert _refusal(body, "QUERY_TOO_COMPLEX")["extensions"]["limit"] == cap


def _tokens(query: str) -> int:
    from graphql.language import Lexer, Source, TokenKind

    lexer, count = Lexer(Source(query)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def _query_of_tokens(tokens: int) -> str:
    """A valid, cheap operation of exactly ``tokens`` lexical tokens: a polygon filter (four
    tokens a position), filled up with __typename."""
    head = '{ facilities(filter: {within: {type: "Polygon", coordinates: [['
    tail = "]]}}) { totalCount } }"
    positions = (tokens - _tokens(head + tail + "[0, 0], [1, 0], [0, 1]")) // 4 + 3 - 10
    ring = ", ".join(f"[{lon}, {lat}]" for lon, lat in _ring(positions))
    query = head + ring + tail
    query = query[:-1] + " __typename" * (tokens - _tokens(query)) + " }"
    assert _tokens(query) == tokens
    return query


def test_tokens_at_the_cap_run_and_past_it_are_too_complex(server: LiveServer) -> None:
    cap = DEFAULTS.max_tokens
    assert server.data(_query_of_tokens(cap))["facilities"]["totalCount"] >= 0
    body = server.graphql(_query_of_tokens(cap + 1))
    assert _refusal(body, "QUERY_TOO_COMPLEX")["extensions"]["limit"] == cap


def test_a_document_too_much_work_to_validate_is_too_complex(server: LiveServer) -> None:
    body = server.graphql("{ " + "hubVersion " * 4_000 + "}")
    assert _refusal(body, "QUERY_TOO_COMPLEX")["message"] == (
        "The document is too complex to validate.")


def test_a_syntax_error_is_not_mistaken_for_the_token_limit() -> None:
    from graphql import GraphQLError, GraphQLSyntaxError

    from hub.graphql.errors import TooComplex

    with pytest.raises(GraphQLSyntaxError):
        parse_query("{ hubVersion", 5)
    with pytest.raises(GraphQLError) as refused:
        parse_query("{ hubVersion " + "}" * 10, 5)
    assert isinstance(refused.value.original_error, TooComplex)


# --- the cost estimate and geometry variants -----------------------------------------------

#: The estimate of BOUNDARIES: the root list field, then 195 municipalities each with a
#: boundary field (1) at full resolution (weight 100).
BOUNDARIES = "{ municipalities { boundary } }"
BOUNDARIES_COST = 1 + 195 * (1 + 100)


@pytest.fixture(scope="module")
def tight_server(seed_loaded: Engine, database_url: str) -> Iterator[LiveServer]:
    """The real data behind a server whose cost limit is exactly BOUNDARIES' estimate."""
    settings = Settings(max_query_cost=BOUNDARIES_COST, max_geometry_variants=2)
    with live_server(database_url, settings) as live:
        yield live


def test_the_cost_at_the_limit_runs(tight_server: LiveServer) -> None:
    data = tight_server.data(BOUNDARIES)
    assert len(data["municipalities"]) == 195
    assert all(m["boundary"]["type"] == "MultiPolygon" for m in data["municipalities"])


def test_the_cost_past_the_limit_is_too_complex_with_estimate_and_limit(
    tight_server: LiveServer
) -> None:
    body = tight_server.graphql("{ municipalities { code boundary } }")
    error = _refusal(body, "QUERY_TOO_COMPLEX")
    assert error["extensions"]["limit"] == BOUNDARIES_COST
    assert error["extensions"]["estimate"] == BOUNDARIES_COST + 195
    assert str(BOUNDARIES_COST) in error["message"]


def test_thirty_aliases_of_every_boundary_are_refused_before_running(
    server: LiveServer
) -> None:
    statements = server.statements
    query = "{ " + " ".join(f"b{n}: municipalities {{ boundary }}" for n in range(30)) + " }"
    error = _refusal(server.graphql(query), "QUERY_TOO_COMPLEX")
    assert error["extensions"]["estimate"] == 30 * BOUNDARIES_COST
    assert error["extensions"]["limit"] == DEFAULTS.max_query_cost
    assert server.statements == statements  # nothing ran


def test_simplified_boundaries_cost_less(server: LiveServer) -> None:
    query = "{ " + " ".join(f"b{n}: municipalities {{ boundary(simplifyMeters: 500) }}"
                            for n in range(4)) + " }"
    assert len(server.data(query)["b3"]) == 195


def test_a_page_size_from_a_variable_counts(tight_server: LiveServer) -> None:
    query = ("query ($n: Int) { facilities(first: $n) { edges { node { code serviceArea "
             "municipality { boundary } } } } }")
    # 1 (facilities) + 1 (edges) + n * (1 (node) + 1 (code) + 8001 (serviceArea)
    # + 1 (municipality) + 101 (its boundary)) = 2 + 8105 n, against 19,696
    assert tight_server.data(query, {"n": 2})["facilities"]["edges"]
    error = _refusal(tight_server.graphql(query, {"n": 3}), "QUERY_TOO_COMPLEX")
    assert error["extensions"]["estimate"] == 2 + 3 * 8105


def test_geometry_variants_at_the_cap_run_and_past_it_are_too_complex(
    tight_server: LiveServer
) -> None:
    def query(variants: int) -> str:
        fields = " ".join(f"s{n}: boundary(simplifyMeters: {100 * (n + 1)})"
                          for n in range(variants))
        return '{ municipality(code: "01100") { ' + fields + " } }"

    assert len(tight_server.data(query(2))["municipality"]) == 2
    # The same variant under two aliases is one statement, so one variant.
    assert tight_server.data('{ municipality(code: "01100") { a: boundary(simplifyMeters: '
                             '100) b: boundary(simplifyMeters: 100) c: boundary } }')
    error = _refusal(tight_server.graphql(query(3)), "QUERY_TOO_COMPLEX")
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 2, "estimate": 3}


def test_introspection_passes_the_cost_estimate(tight_server: LiveServer) -> None:
    from graphql import get_introspection_query

    data = tight_server.data(get_introspection_query(descriptions=True))
    assert data["__schema"]["queryType"]["name"] == "Query"


# --- the deadline --------------------------------------------------------------------------


def test_a_request_past_the_deadline_is_stopped_and_its_statement_cancelled(
    seed_loaded: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.services.reads.provider import Reads

    async def slow(reads: Reads, *_: Any) -> Any:
        await reads.db.fetch_all("SELECT pg_sleep(30) AS hub_deadline_test")
        return []

    monkeypatch.setattr(Reads, "partnerships", slow)
    settings = Settings(request_timeout_ms=500)
    with live_server(database_url, settings) as live:
        started = time.monotonic()
        error = _refusal(live.graphql("{ partnerships { theme } }"), "QUERY_TOO_COMPLEX")
        assert time.monotonic() - started < 10
        assert error["extensions"]["limit"] == 500

        def running() -> int:
            with seed_loaded.connect() as conn:
                return int(conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE '%hub_deadline_test%' AND pid <> pg_backend_pid()"
                )).scalar_one())

        deadline = time.monotonic() + 10
        while running() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running() == 0
        # The server goes on answering.
        assert live.data("{ hubVersion }")["hubVersion"]


# --- the parse and validation caches -------------------------------------------------------


def test_query_texts_above_the_size_are_not_cached() -> None:
    import asyncio

    settings = Settings(max_cached_query_length=100)
    schema = make_schema(settings)
    extension = schema.extensions[0]
    at_cap = "{ hubVersion }".ljust(100)
    past = "{ hubVersion }".ljust(101)

    async def run() -> None:
        for query in (at_cap, past):
            result = await schema.execute(query)
            assert result.errors is None, result.errors

    asyncio.run(run())
    parsed = extension.parsed.entries  # type: ignore[union-attr]
    validated = extension.validated.entries  # type: ignore[union-attr]
    assert at_cap in parsed and at_cap in validated
    assert past not in parsed and past not in validated


def test_the_caches_keep_at_most_their_size() -> None:
    import asyncio

    schema = make_schema(Settings(query_cache_size=3))
    extension = schema.extensions[0]

    async def run() -> None:
        for n in range(10):
            assert (await schema.execute("{ hubVersion }" + " " * n)).errors is None

    asyncio.run(run())
    assert len(extension.parsed.entries) == 3  # type: ignore[union-attr]


# ---- date ranges and the clash window: settings, at the cap and one past it ---------------

@pytest.fixture(scope="module")
def short_calendar(seed_loaded: Engine, database_url: str) -> Iterator[LiveServer]:
    settings = Settings(max_calendar_days=31, max_event_window_days=10)
    with live_server(database_url, settings) as live:
        yield live


@pytest.mark.parametrize("query", [
    'query ($to: Date!) { consultationSessions(from: "2017-11-01", to: $to) { startsAt } }',
    'query ($to: Date!) { events(from: "2017-11-01", to: $to) { title } }',
    'query ($to: Date!) { eventConflicts(from: "2017-11-01", to: $to, windowDays: 7) '
    '{ overlapDays } }',
])
def test_a_date_range_at_the_cap_runs_and_one_day_more_is_refused(
    short_calendar: LiveServer, query: str
) -> None:
    assert "errors" not in short_calendar.graphql(query, {"to": "2017-12-01"})  # 31 days
    body = short_calendar.graphql(query, {"to": "2017-12-02"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 31" in body["errors"][0]["message"]


def test_a_clash_window_at_the_cap_runs_and_one_more_is_refused(
    short_calendar: LiveServer,
) -> None:
    query = ('query ($w: Int!) { eventConflicts(from: "2017-11-01", to: "2017-11-30", '
             "windowDays: $w) { overlapDays } }")
    assert "errors" not in short_calendar.graphql(query, {"w": 10})
    body = short_calendar.graphql(query, {"w": 11})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "0..10" in body["errors"][0]["message"]
