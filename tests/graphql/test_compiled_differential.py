"""The compiled SQL path (hub.graphql.compiled) answers exactly as the Strawberry executor:
two hubs on the same seed database, one with ``compiled_queries`` and one without, get the
same requests over HTTP and must give the same answers (HTTP status, data with its keys in
order, errors by message, path, locations and extensions but the request id).

The requests: every query operation of the README and the tests (tests/graphql/
operation_corpus.py), each with variables drawn from their declared types, and operations
over the facility graph generated with hypothesis (tests/graphql/facility_operations.py),
mostly ones the compiled path plans, some it leaves to Strawberry, some with a client's
mistake. The compiled hub's count of the operations it answered itself (``served``) shows
that the comparison is not Strawberry against Strawberry.

Reproducible: hypothesis is derandomized and keeps no example database; on a disagreement
it shrinks the operation to a small one and prints it with both answers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import parse, validate
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from hub.config import Settings
from hub.graphql.schema import schema
from tests.conftest import LiveServer, create_database, drop_database, live_server
from tests.graphql.facility_operations import (
    Operation,
    SeedFacility,
    Vocabulary,
    operations,
    variables_for,
)
from tests.graphql.operation_corpus import CorpusOperation, corpus

pytestmark = pytest.mark.slow

GRAPHQL_SCHEMA = schema._schema

#: Generated operations to run (each through both hubs); at least MIN_COMPILED of them must
#: be answered by the compiled path.
GENERATED = 640
MIN_COMPILED = 500
#: Variable sets drawn for each corpus operation that declares variables.
CORPUS_DRAWS = 2


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))


@dataclass
class Hubs:
    compiled: LiveServer
    executor: LiveServer
    compiled_http: httpx.Client
    executor_http: httpx.Client


@pytest.fixture(scope="module")
def hubs(database_url: str, seeded_template: str) -> Iterator[Hubs]:
    """Both hubs on one database of this module's own, a copy of the seeded template: the
    seed set on the simplified boundaries (the corpus asks for every municipality's
    boundary, which at full resolution takes seconds per request and proves nothing more
    here)."""
    name = "hub_differential"
    url = create_database(database_url, name, template=seeded_template)
    try:
        with (live_server(url, Settings(compiled_queries=True)) as compiled,
              live_server(url, Settings(compiled_queries=False)) as executor,
              httpx.Client(base_url=compiled.url, timeout=120) as compiled_http,
              httpx.Client(base_url=executor.url, timeout=120) as executor_http):
            yield Hubs(compiled, executor, compiled_http, executor_http)
    finally:
        drop_database(database_url, name)


def served(live: LiveServer) -> Counter[str]:
    """The /graphql view's count of the operations each path answered."""
    for route in live.app.routes:
        if getattr(route, "path", None) == "/graphql" and hasattr(route, "endpoint"):
            counter: Counter[str] = route.endpoint.served
            return counter
    raise AssertionError("no /graphql route")


VOCABULARY_QUERY = """query ($after: String) {
  facilities(first: 7, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id code nameJa nameEn nameKana aliases { name }
                          location { lat lon } services { code } } }
  }
}"""


@pytest.fixture(scope="module")
def vocab(hubs: Hubs) -> Vocabulary:
    """What the seed database holds, read through the executor's hub."""
    facilities: list[SeedFacility] = []
    cursors: list[str] = []
    after = None
    while True:
        page = hubs.executor.data(VOCABULARY_QUERY, {"after": after})["facilities"]
        for edge in page["edges"]:
            node = edge["node"]
            cursors.append(edge["cursor"])
            location = node["location"]
            facilities.append(SeedFacility(
                node["id"], node["code"],
                tuple(n for n in (node["nameJa"], node["nameEn"], node["nameKana"],
                                  *(a["name"] for a in node["aliases"])) if n),
                (location["lat"], location["lon"]) if location else None,
                tuple(s["code"] for s in node["services"])))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    municipalities = hubs.executor.data("{ municipalities { code subprefecture } }")
    codes = sorted({m["code"] for m in municipalities["municipalities"]})
    return Vocabulary(
        facilities=tuple(facilities),
        municipality_codes=(*codes[::6], "01100", "01101", "01202"),
        subprefectures=tuple(sorted({m["subprefecture"]
                                     for m in municipalities["municipalities"]})),
        service_codes=tuple(sorted({s for f in facilities for s in f.services})),
        cursors=tuple(cursors))


# ---- asking both -----------------------------------------------------------------------------

def _pairs(pairs: list[tuple[str, Any]]) -> Any:
    return {"__keys__": [k for k, _ in pairs], **dict(pairs)}


def _float(text: str) -> tuple[str, float]:
    """A JSON number with a fraction or exponent, told apart from an integer: a client's
    reader gives 0.0 and 0 different types."""
    return ("float", float(text))


def _answer(response: httpx.Response) -> dict[str, Any]:
    """What a client sees: the status, the data with the order of its keys (recorded under
    "__keys__") and its numbers' kinds (0 is not 0.0), the errors without the request id
    (random), in a stable order (GraphQL leaves the order of errors open)."""
    body = json.loads(response.content, object_pairs_hook=_pairs, parse_float=_float)
    errors = []
    for error in body.get("errors") or []:
        error = {k: v for k, v in error.items() if k != "__keys__"}
        extensions = {k: v for k, v in (error.get("extensions") or {}).items()
                      if k not in ("requestId", "__keys__")}
        errors.append({**error, "extensions": extensions})
    errors.sort(key=lambda e: json.dumps(e, sort_keys=True, ensure_ascii=False))
    return {"status": response.status_code, "data": body.get("data"), "errors": errors}


def _send(http: httpx.Client, op: Operation, get: bool) -> httpx.Response:
    payload: dict[str, Any] = {"query": op.query, "variables": op.variables}
    if op.operation_name is not None:
        payload["operationName"] = op.operation_name
    if get:
        return http.get("/graphql", params={k: v if isinstance(v, str) else json.dumps(v)
                                            for k, v in payload.items()})
    return http.post("/graphql", json=payload)


def _holds_facilities(data: dict[str, Any] | None) -> bool:
    """Whether a root field of the answer holds a facility: a non-empty list, a facility
    found, a page with edges or a total above nothing."""
    for key, value in (data or {}).items():
        if key == "__keys__" or not value or isinstance(value, str):
            continue
        connection = isinstance(value, dict) and bool(
            {"edges", "pageInfo", "totalCount"} & set(value["__keys__"]))
        if not connection or value.get("edges") or value.get("totalCount"):
            return True
    return False


@dataclass
class Tally:
    """How many operations each path of the compiled hub answered, all agreeing."""

    compiled: int = 0
    executor: int = 0
    hinted_compilable_but_executor: int = 0
    #: Compiled answers holding at least one facility (not only empty lists and nulls).
    compiled_with_facilities: int = 0


def agree(hubs: Hubs, op: Operation, tally: Tally, get: bool = False) -> None:
    """Both hubs answer ``op`` the same way, and neither with INTERNAL."""
    before = served(hubs.compiled)["compiled"]
    compiled = _answer(_send(hubs.compiled_http, op, get))
    by_compiled = served(hubs.compiled)["compiled"] - before
    executor = _answer(_send(hubs.executor_http, op, get))
    case = (f"query: {op.query}\nvariables: {json.dumps(op.variables, ensure_ascii=False)}\n"
            f"operationName: {op.operation_name}\nGET: {get}\n"
            f"answered by the compiled path: {bool(by_compiled)}\n"
            f"executor: {json.dumps(executor, ensure_ascii=False)}\n"
            f"compiled hub: {json.dumps(compiled, ensure_ascii=False)}")
    codes = [e["extensions"].get("code") for e in executor["errors"]]
    assert "INTERNAL" not in codes, case
    assert compiled == executor, case
    assert by_compiled in (0, 1)
    if by_compiled:
        tally.compiled += 1
        tally.compiled_with_facilities += _holds_facilities(compiled["data"])
    else:
        tally.executor += 1
        tally.hinted_compilable_but_executor += op.compilable


# ---- the corpus ------------------------------------------------------------------------------

def test_the_corpus_holds_the_readme_and_the_tests_queries() -> None:
    found = corpus(GRAPHQL_SCHEMA)
    origins = Counter(op.origin for op in found)
    assert origins["README.md"] >= 3, origins
    assert len(origins) >= 15 and len(found) >= 100, origins
    assert sum(1 for op in found if op.variables) >= 40


def agree_with_variables(hubs: Hubs, item: CorpusOperation, vocab: Vocabulary,
                         tally: Tally) -> None:
    """``agree`` for CORPUS_DRAWS sets of variables of the operation's declared types."""
    @_settings(CORPUS_DRAWS)
    @given(variables=variables_for(dict(item.variables), vocab))
    def with_variables(variables: dict[str, Any]) -> None:
        agree(hubs, Operation(item.query, variables, item.operation_name, False), tally)

    with_variables()


def test_every_corpus_operation_answers_the_same_on_both_paths(hubs: Hubs,
                                                               vocab: Vocabulary) -> None:
    tally = Tally()
    for item in corpus(GRAPHQL_SCHEMA):
        if not item.variables:
            agree(hubs, Operation(item.query, {}, item.operation_name, False), tally)
            continue

        agree_with_variables(hubs, item, vocab, tally)
    print(f"corpus: {tally}")
    # The corpus holds operations of the compiled path's kind (the README's nearest, the
    # tests' facility lookups): the comparison covers it, not only Strawberry twice.
    assert tally.compiled >= 20, tally


# ---- generated operations over the facility graph -------------------------------------------

def test_generated_operations_are_valid() -> None:
    """The generator writes valid documents (the comparison would otherwise compare two
    refusals): drawn without a database, checked against the schema."""
    seed = (SeedFacility("1", "a-code", ("名前", "Name"), (43.06, 141.35), ("training",)),)
    vocab = Vocabulary(seed, ("01100",), ("石狩振興局",), ("training",), ("Y3Vyc29y",))

    @_settings(300)
    @given(op=operations(vocab))
    def valid(op: Operation) -> None:
        note(op.query)
        assert validate(GRAPHQL_SCHEMA, parse(op.query)) == []

    valid()


def test_generated_operations_answer_the_same_on_both_paths(hubs: Hubs,
                                                            vocab: Vocabulary) -> None:
    tally = Tally()

    @_settings(GENERATED)
    @given(op=operations(vocab), get=st.integers(0, 7))
    def same(op: Operation, get: int) -> None:
        agree(hubs, op, tally, get=get == 0 and len(op.query) < 2000)

    same()
    print(f"generated: {tally}")
    assert tally.compiled + tally.executor >= GENERATED
    assert tally.compiled >= MIN_COMPILED, tally
    # The answers compared hold facilities, not only empty lists and nulls.
    assert tally.compiled_with_facilities >= MIN_COMPILED // 2, tally
