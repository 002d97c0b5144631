"""Tokens in the database: made with only their hash stored, listed without it, revoked,
each change audited; the API's lookup through the request pool. On the session database
inside a rolled-back transaction, or, where the pool must see committed rows, on a copy of
its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from hub.db.pool import Database
from hub.domain.errors import InputError, NotFound
from hub.domain.tokens import Principal, hash_secret
from hub.services import tokens
from hub.services.reads import tokens as token_reads


def _operator_id(conn: Connection, code: str) -> int:
    return int(conn.execute(text("SELECT id FROM operator WHERE code = :c"), {"c": code})
               .scalar_one())


def _counts(conn: Connection) -> tuple[int, int]:
    return (conn.execute(text("SELECT count(*) FROM api_token")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


@pytest.fixture
def conn(seed_loaded: Engine, db: Connection) -> Connection:
    """The session database with the seed set's operators, rolled back afterwards."""
    return db


def test_create_stores_only_the_hash_and_audits_without_it(conn: Connection) -> None:
    info, secret = tokens.create(conn, "editor", "sapporo", ["bulk"], "sapporo app")
    sapporo = _operator_id(conn, "sapporo")
    assert (info.name, info.role, info.operator_id, info.operator_code, info.scopes) == (
        "sapporo app", "EDITOR", sapporo, "sapporo", ("bulk",))
    assert info.revoked_at is None
    row = conn.execute(text("SELECT * FROM api_token WHERE id = :i"), {"i": info.id}
                       ).mappings().one()
    assert row["secret_hash"] == hash_secret(secret)
    assert secret not in repr(dict(row))
    (audit,) = conn.execute(text(
        "SELECT action, actor, before, after::text AS after FROM audit_log "
        "WHERE table_name = 'api_token' AND row_key = :k"), {"k": str(info.id)}).all()
    assert (audit.action, audit.actor, audit.before) == ("INSERT", "cli", None)
    assert '"sapporo app"' in audit.after and '"EDITOR"' in audit.after
    assert secret not in audit.after and hash_secret(secret) not in audit.after


def test_an_operator_is_found_by_the_id_the_api_shows_or_by_its_code(conn: Connection) -> None:
    hokkaido = _operator_id(conn, "hokkaido")
    by_id, _ = tokens.create(conn, "EDITOR", str(hokkaido), [], "by id")
    by_int, _ = tokens.create(conn, "EDITOR", hokkaido, [], "by int")
    by_code, _ = tokens.create(conn, "EDITOR", "hokkaido", [], "by code")
    assert by_id.operator_id == by_int.operator_id == by_code.operator_id == hokkaido
    assert by_id.operator_name == "北海道"


def test_each_secret_is_new(conn: Connection) -> None:
    secrets = {tokens.create(conn, "admin", None, [], None)[1] for _ in range(5)}
    assert len(secrets) == 5


@pytest.mark.parametrize(("role", "operator", "scopes", "name", "error", "says"), [
    ("editor", None, [], None, InputError, "an editor token needs an operator"),
    ("admin", "sapporo", [], None, InputError, "takes no operator"),
    ("editor", "tokyo", [], None, InputError, "unknown operator 'tokyo'"),
    ("editor", "999999", [], None, InputError, "unknown operator '999999'"),
    ("editor", "sapporo", ["everything"], None, InputError, "unknown scope 'everything'"),
    ("superuser", None, [], None, InputError, "role must be one of admin, editor"),
    ("admin", None, [], "42", InputError, "all digits"),
])
def test_a_bad_request_names_what_is_wrong_and_writes_nothing(
        conn: Connection, role: str, operator: str | None, scopes: list[str], name: str | None,
        error: type[Exception], says: str) -> None:
    before = _counts(conn)
    with pytest.raises(error, match=says):
        tokens.create(conn, role, operator, scopes, name)
    assert _counts(conn) == before


def test_names_default_to_role_and_operator_and_are_unique_in_use(conn: Connection) -> None:
    first, _ = tokens.create(conn, "editor", "sapporo", [], None)
    second, _ = tokens.create(conn, "editor", "sapporo", [], None)
    admin, _ = tokens.create(conn, "admin", None, [], None)
    assert (first.name, second.name, admin.name) == (
        "editor-sapporo", "editor-sapporo-2", "admin")
    before = _counts(conn)
    with pytest.raises(InputError, match="already named 'editor-sapporo'") as refused:
        tokens.create(conn, "editor", "hokkaido", [], "editor-sapporo")
    assert refused.value.field == "name"
    assert _counts(conn) == before
    tokens.revoke(conn, "editor-sapporo")
    again, _ = tokens.create(conn, "editor", "hokkaido", [], "editor-sapporo")
    assert again.name == "editor-sapporo" and again.id != first.id


def test_list_shows_every_token_and_no_hash(conn: Connection) -> None:
    kept, _ = tokens.create(conn, "editor", "sapporo", ["bulk"], "kept")
    gone, _ = tokens.create(conn, "admin", None, [], "gone")
    tokens.revoke(conn, str(gone.id))
    listed = {t.id: t for t in tokens.list_tokens(conn)}
    assert listed[kept.id].revoked_at is None and listed[kept.id].scopes == ("bulk",)
    revoked_at = listed[gone.id].revoked_at
    assert revoked_at is not None and revoked_at >= listed[gone.id].created_at
    assert not any("hash" in name for name in listed[kept.id].audited())


def test_revoke_by_id_or_name_is_audited(conn: Connection) -> None:
    by_id, _ = tokens.create(conn, "admin", None, [], "one")
    by_name, _ = tokens.create(conn, "admin", None, [], "two")
    assert tokens.revoke(conn, str(by_id.id)).revoked_at is not None
    assert tokens.revoke(conn, "two").id == by_name.id
    rows = conn.execute(text(
        "SELECT row_key, action, before, after FROM audit_log WHERE table_name = 'api_token' "
        "AND action = 'UPDATE' ORDER BY id")).all()
    assert [(r.row_key, r.before) for r in rows] == [
        (str(by_id.id), {"revoked_at": None}), (str(by_name.id), {"revoked_at": None})]
    assert all(r.after["revoked_at"] for r in rows)


def test_revoking_twice_or_an_unknown_token_changes_nothing(conn: Connection) -> None:
    token, _ = tokens.create(conn, "admin", None, [], "once")
    tokens.revoke(conn, "once")
    before = _counts(conn)
    with pytest.raises(InputError, match=f"token {token.id} \\('once'\\) was already revoked"):
        tokens.revoke(conn, "once")
    with pytest.raises(InputError, match="already revoked"):
        tokens.revoke(conn, str(token.id))
    with pytest.raises(NotFound, match="no token named 'never'"):
        tokens.revoke(conn, "never")
    with pytest.raises(NotFound, match="no token with id 987654"):
        tokens.revoke(conn, "987654")
    assert _counts(conn) == before


def test_a_name_revokes_the_token_in_use_not_an_old_one(conn: Connection) -> None:
    old, _ = tokens.create(conn, "admin", None, [], "app")
    tokens.revoke(conn, "app")
    new, _ = tokens.create(conn, "admin", None, [], "app")
    assert tokens.revoke(conn, "app").id == new.id != old.id


def test_two_creates_at_once_cannot_take_the_same_name(seeded_copy: Engine) -> None:
    """The second waits for the first's transaction and then sees the name taken."""
    outcome: list[Any] = []
    first = seeded_copy.connect()
    try:
        trans = first.begin()
        tokens.create(first, "admin", None, [], "racer")

        def second() -> None:
            try:
                with seeded_copy.begin() as conn:
                    outcome.append(tokens.create(conn, "admin", None, [], "racer"))
            except InputError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second create waits for the first"
        trans.commit()
        thread.join(timeout=30)
    finally:
        first.close()
    assert len(outcome) == 1 and isinstance(outcome[0], InputError)
    with seeded_copy.connect() as conn:
        assert [t.name for t in tokens.list_tokens(conn)] == ["racer"]


@pytest.fixture
def made(seeded_copy: Engine) -> Iterator[dict[str, tuple[Any, str]]]:
    """Committed tokens in a database of this test's own: an admin, a Sapporo editor with
    the bulk scope, and a revoked one."""
    with seeded_copy.begin() as conn:
        found = {
            "admin": tokens.create(conn, "admin", None, [], "admin"),
            "editor": tokens.create(conn, "editor", "sapporo", ["bulk"], "sapporo"),
            "revoked": tokens.create(conn, "admin", None, [], "old"),
        }
        tokens.revoke(conn, "old")
    yield found


def test_the_api_finds_a_token_in_use_by_its_hash(seeded_copy_url: str, seeded_copy: Engine,
                                                  made: dict[str, tuple[Any, str]]) -> None:
    with seeded_copy.connect() as conn:
        sapporo = _operator_id(conn, "sapporo")

    async def run() -> list[Principal | None]:
        db = Database(seeded_copy_url, 15_000, 1, 2)
        await db.pool.open(wait=True)
        try:
            return [await token_reads.principal(db, hash_secret(secret))
                    for secret in (made["admin"][1], made["editor"][1], made["revoked"][1],
                                   made["admin"][1] + "x")]
        finally:
            await db.close()

    admin, editor, revoked, unknown = asyncio.run(run())
    assert admin == Principal(made["admin"][0].id, "admin", "ADMIN", None, frozenset())
    assert editor == Principal(made["editor"][0].id, "sapporo", "EDITOR", sapporo,
                               frozenset({"bulk"}))
    assert revoked is None and unknown is None
