"""Secrets, the Bearer header and what each role may change: pure, no database."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.errors import Forbidden, InputError, Unauthenticated
from hub.domain.tokens import (
    _KNOWN_SCHEMES,
    SECRET_PREFIX,
    Principal,
    bearer_secret,
    check_grant,
    check_name,
    default_name,
    hash_prefix,
    hash_secret,
    new_secret,
    same_hash,
)

SECRET = "hub_Zm9vYmFyYmF6cXV4LXNlY3JldC12YWx1ZS1mb3ItdGVzdHM"

ADMIN = Principal(token_id=1, name="admin", role="ADMIN", operator_id=None,
                  scopes=frozenset())
SAPPORO_EDITOR = Principal(token_id=2, name="editor-sapporo", role="EDITOR", operator_id=2,
                           scopes=frozenset({"bulk"}))


def test_a_new_secret_is_prefixed_url_safe_and_fresh() -> None:
    secrets = {new_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert secret.startswith(SECRET_PREFIX)
        # 32 random bytes are 43 characters of unpadded URL-safe base64.
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret.removeprefix(SECRET_PREFIX))
        assert bearer_secret(f"Bearer {secret}") == secret


def test_the_hash_is_the_sha256_of_the_secret() -> None:
    assert hash_secret(SECRET) == hashlib.sha256(SECRET.encode()).hexdigest()
    assert hash_secret(SECRET) != hash_secret(SECRET + "x")
    assert re.fullmatch(r"[0-9a-f]{64}", hash_secret(new_secret()))
    assert hash_prefix(hash_secret(SECRET)) == hash_secret(SECRET)[:8]


def test_hashes_compare_equal_only_when_equal() -> None:
    h = hash_secret(SECRET)
    assert same_hash(h, h)
    assert not same_hash(h, hash_secret(SECRET[:-1]))
    assert not same_hash(h, h[:-1])


@pytest.mark.parametrize("header", [
    f"Bearer {SECRET}", f"bearer {SECRET}", f"BEARER {SECRET}", f"  Bearer   {SECRET}  ",
])
def test_the_bearer_secret_is_read_in_any_case_and_spacing(header: str) -> None:
    assert bearer_secret(header) == SECRET


@pytest.mark.parametrize(("header", "says"), [
    (None, "needs a token"),
    ("", "needs a token"),
    ("   ", "needs a token"),
    ("Basic x", "uses the Basic scheme"),
    (f"Basic {SECRET}", "uses the Basic scheme"),
    ("Bearer", "no secret after Bearer"),
    ("Bearer ", "no secret after Bearer"),
    ("Bearer a b", "more than one word after Bearer"),
    (f"Bearer {SECRET} extra", "more than one word after Bearer"),
    (SECRET, "has no scheme"),
    (f"{SECRET} Bearer", "does not use the Bearer scheme"),
    (f"Bearer {SECRET[:20]}\u00e9{SECRET[20:]}", "characters a token cannot have"),
    (f"Bearer {SECRET},x", "characters a token cannot have"),
])
def test_a_missing_or_malformed_header_is_unauthenticated(header: str | None,
                                                          says: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        bearer_secret(header)
    assert refused.value.code == "UNAUTHENTICATED"
    assert says in refused.value.message
    assert "Authorization: Bearer <secret>" in refused.value.message
    assert SECRET[4:20] not in refused.value.message, "the secret is never repeated"


TOKEN68 = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/",
                  min_size=8, max_size=60).filter(lambda s: s.lower() not in _KNOWN_SCHEMES)


@given(secret=TOKEN68, other=st.sampled_from(["", "Basic", "Token", "Bearer", "x", "Bearer x"]),
       before=st.booleans())
def test_a_refusal_never_quotes_the_secret(secret: str, other: str, before: bool) -> None:
    header = f"{secret} {other}" if before else f"{other} {secret} x"
    try:
        got = bearer_secret(header.strip())
    except Unauthenticated as exc:
        assert secret not in exc.message
    else:
        assert got == secret and header.split()[0].lower() == "bearer"


@given(secret=TOKEN68, padding=st.integers(0, 2))
def test_any_token68_secret_is_read_back(secret: str, padding: int) -> None:
    assert bearer_secret(f"Bearer {secret}{'=' * padding}") == secret + "=" * padding


def test_an_admin_changes_any_operators_records() -> None:
    for operator_id in (1, 2, 99):
        assert ADMIN.may_change(operator_id)
        ADMIN.require_change(operator_id, "facility 'x'")


def test_an_editor_changes_only_its_own_operators_records() -> None:
    assert SAPPORO_EDITOR.may_change(2)
    SAPPORO_EDITOR.require_change(2, "facility 'sapporo-consumer-center'")
    assert not SAPPORO_EDITOR.may_change(1)
    with pytest.raises(Forbidden) as refused:
        SAPPORO_EDITOR.require_change(1, "facility 'pref-consumer-center'")
    assert refused.value.code == "FORBIDDEN"
    message = refused.value.message
    assert "'editor-sapporo'" in message and "facility 'pref-consumer-center'" in message
    assert "operator 1" in message and "operator 2" in message


def test_an_editor_without_an_operator_changes_nothing() -> None:
    orphan = Principal(token_id=3, name="odd", role="EDITOR", operator_id=None,
                       scopes=frozenset())
    assert not orphan.may_change(1)


@pytest.mark.parametrize(("role", "has_operator", "scopes", "expected"), [
    ("admin", False, [], ("ADMIN", [])),
    ("EDITOR", True, ["bulk", "bulk"], ("EDITOR", ["bulk"])),
    ("Editor", True, [], ("EDITOR", [])),
])
def test_a_grant_is_normalised(role: str, has_operator: bool, scopes: list[str],
                               expected: tuple[str, list[str]]) -> None:
    assert check_grant(role, has_operator, scopes) == expected


@pytest.mark.parametrize(("role", "has_operator", "scopes", "field", "says"), [
    ("owner", False, [], "role", "role must be one of admin, editor"),
    ("editor", False, [], "operator", "an editor token needs an operator"),
    ("admin", True, [], "operator", "takes no operator"),
    ("admin", False, ["write-all"], "scope", "unknown scope 'write-all'; known: bulk"),
])
def test_a_bad_grant_is_refused(role: str, has_operator: bool, scopes: list[str], field: str,
                                says: str) -> None:
    with pytest.raises(InputError) as refused:
        check_grant(role, has_operator, scopes)
    assert refused.value.field == field
    assert says in refused.value.message


@pytest.mark.parametrize(("name", "says"), [
    ("", "must not be empty"),
    (" padded", "begin or end with spaces"),
    ("x" * 101, "at most 100 characters, not 101"),
    ("tab\there", "control characters"),
    ("12", "all digits"),
])
def test_a_bad_name_is_refused(name: str, says: str) -> None:
    with pytest.raises(InputError) as refused:
        check_name(name)
    assert refused.value.field == "name"
    assert says in refused.value.message


def test_good_names_pass() -> None:
    for name in ("札幌市 消費者センター", "app-1", "x" * 100, "1st"):
        assert check_name(name) == name


def test_a_default_name_is_role_and_operator_and_never_taken() -> None:
    assert default_name("EDITOR", "sapporo", []) == "editor-sapporo"
    assert default_name("ADMIN", None, ["editor-sapporo"]) == "admin"
    assert default_name("EDITOR", "sapporo", ["editor-sapporo"]) == "editor-sapporo-2"
    assert default_name("EDITOR", "sapporo",
                        ["editor-sapporo", "editor-sapporo-2"]) == "editor-sapporo-3"
