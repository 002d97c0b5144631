"""writer(): who a write is made as, from the request's Authorization header, looked up in a
live database through the request pool. A schema of this test's own stands in for the
mutations (each asks writer first, as theirs do); the context, request and database are the
real ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from starlette.requests import Request
from starlette.responses import Response

from hub.api.graphql_view import HubGraphQL
from hub.config import Settings
from hub.db.engine import make_engine
from hub.db.listener import Listener
from hub.db.pool import Database
from hub.domain.tokens import hash_prefix, hash_secret
from hub.graphql.auth import writer
from hub.graphql.context import Context, Loaders
from hub.graphql.errors import classify
from hub.graphql.types import Ctx
from hub.services import tokens
from hub.services.reads.provider import Reads
from hub.services.writes.runner import Writes
from tests.conftest import create_database, drop_database


@strawberry.type
class Who:
    token_id: int
    name: str
    role: str
    operator_id: int | None
    scopes: list[str]


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def who(self, info: Ctx) -> Who:
        p = await writer(info)
        return Who(token_id=p.token_id, name=p.name, role=p.role, operator_id=p.operator_id,
                   scopes=sorted(p.scopes))

    @strawberry.mutation
    async def change(self, info: Ctx, operator_id: int) -> bool:
        (await writer(info)).require_change(operator_id, f"a record of operator {operator_id}")
        return True


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)


@dataclass(frozen=True)
class Tokens:
    url: str
    secrets: dict[str, str]
    ids: dict[str, int]
    operators: dict[str, int]


@pytest.fixture(scope="module")
def made(database_url: str, seeded_template: str) -> Iterator[Tokens]:
    """A database of this module's own with committed tokens: an admin, a Sapporo editor
    with the bulk scope, and a revoked admin."""
    name = "hub_auth_tokens"
    url = create_database(database_url, name, template=seeded_template)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            secrets, ids = {}, {}
            for key, role, operator, scopes in (("admin", "admin", None, []),
                                                ("editor", "editor", "sapporo", ["bulk"]),
                                                ("revoked", "admin", None, [])):
                info, secrets[key] = tokens.create(conn, role, operator, scopes, key)
                ids[key] = info.id
            tokens.revoke(conn, "revoked")
            operators = {code: int(i) for code, i in conn.exec_driver_sql(
                "SELECT code, id FROM operator WHERE code IN ('sapporo', 'hokkaido')")}
    finally:
        engine.dispose()
    yield Tokens(url, secrets, ids, operators)
    drop_database(database_url, name)


def _request(authorization: str | None) -> Request:
    headers = [(b"content-type", b"application/json")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": headers,
                    "client": ("192.0.2.7", 50000), "query_string": b""})


def _run(made: Tokens, authorization: str | None, document: str = "mutation { who { "
         "tokenId name role operatorId scopes } }") -> tuple[Any, list[dict[str, Any]]]:
    """The document executed with a context on the live database, as the app builds it
    for an HTTP request with this Authorization header; its data and classified errors."""
    async def run() -> Any:
        db = Database(made.url, 15_000, 1, 2)
        await db.pool.open(wait=True)
        try:
            reads = Reads(db)
            context = Context(reads=reads, loaders=Loaders(reads),
                              request=_request(authorization))
            return await SCHEMA.execute(document, context_value=context)
        finally:
            await db.close()

    result = asyncio.run(run())
    errors: list[dict[str, Any]] = [dict(e.formatted) for e in classify(result.errors or [])]
    return result.data, errors


@pytest.mark.parametrize(("header", "says"), [
    (None, "needs a token"),
    ("Basic x", "uses the Basic scheme"),
    ("Bearer", "no secret after Bearer"),
    ("Bearer a b", "more than one word after Bearer"),
    ("Bearer hub_nobody-has-this-secret", "not known or has been revoked"),
])
def test_missing_malformed_or_unknown_is_unauthenticated(made: Tokens, header: str | None,
                                                         says: str) -> None:
    data, errors = _run(made, header)
    assert data is None
    (error,) = errors
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert says in error["message"]


def test_a_revoked_token_is_unauthenticated(made: Tokens) -> None:
    data, errors = _run(made, f"Bearer {made.secrets['revoked']}")
    assert data is None
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    assert "revoked" in errors[0]["message"]


def test_a_good_token_is_its_principal(made: Tokens) -> None:
    data, errors = _run(made, f"Bearer {made.secrets['editor']}")
    assert errors == []
    assert data == {"who": {"tokenId": made.ids["editor"], "name": "editor", "role": "EDITOR",
                            "operatorId": made.operators["sapporo"], "scopes": ["bulk"]}}
    data, errors = _run(made, f"bearer {made.secrets['admin']}")
    assert errors == []
    assert data["who"]["role"] == "ADMIN" and data["who"]["operatorId"] is None


def test_an_editor_changes_its_own_operators_records_only(made: Tokens) -> None:
    sapporo, hokkaido = made.operators["sapporo"], made.operators["hokkaido"]
    editor, admin = f"Bearer {made.secrets['editor']}", f"Bearer {made.secrets['admin']}"
    change = "mutation {{ change(operatorId: {o}) }}"
    assert _run(made, editor, change.format(o=sapporo)) == ({"change": True}, [])
    data, errors = _run(made, editor, change.format(o=hokkaido))
    assert data is None
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    assert f"operator {hokkaido}" in errors[0]["message"]
    for operator in (sapporo, hokkaido):
        assert _run(made, admin, change.format(o=operator)) == ({"change": True}, [])


def test_failed_attempts_are_logged_without_the_secret(made: Tokens,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    unknown = "hub_" + "Q" * 43
    revoked = made.secrets["revoked"]
    with caplog.at_level(logging.INFO, logger="hub"):
        for header in (f"Bearer {unknown}", f"Bearer {revoked}", f"Basic {unknown}",
                       f"Bearer {unknown} {revoked}", unknown):
            _run(made, header)
    refusals = [r for r in caplog.records if r.name == "hub.graphql.auth"]
    assert len(refusals) == 5
    assert all(r.levelno == logging.WARNING for r in refusals)
    assert all("192.0.2.7" in r.getMessage() for r in refusals)
    for secret in (unknown, revoked):
        assert secret not in caplog.text and secret[4:24] not in caplog.text
    assert f"sha256 {hash_prefix(hash_secret(unknown))}" in refusals[0].getMessage()
    assert f"sha256 {hash_prefix(hash_secret(revoked))}" in refusals[1].getMessage()


def test_a_good_token_logs_no_refusal(made: Tokens, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hub"):
        _run(made, f"Bearer {made.secrets['admin']}")
    assert not [r for r in caplog.records if r.name == "hub.graphql.auth"]


def test_the_app_puts_the_request_in_the_context(made: Tokens) -> None:
    """What the mutations' writer() reads: the request the app's get_context was given."""
    async def run() -> Context:
        db = Database(made.url, 15_000, 1, 1)
        app = HubGraphQL(Reads(db), Writes(made.url, Settings()), Listener(made.url), Settings())
        return await app.get_context(request, Response())

    request = _request("Bearer x")
    context = asyncio.run(run())
    assert context.request is request
    assert context.request.headers["authorization"] == "Bearer x"
