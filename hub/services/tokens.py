"""Making, listing and revoking API tokens (``hub token``): one connection, the caller's
transaction, an audit row for each change.

Only the hash of a secret is written; the secret leaves ``create`` once, to be shown once.
Names are unique among tokens in use (not among revoked ones, so a name can be given again
after its token is revoked): ``revoke`` finds a token by its id or that name, and the audit
rows of its writes carry the name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from hub.db.models import ApiToken, Operator
from hub.domain import tokens
from hub.domain.errors import InputError, NotFound
from hub.services.loading.sync import audit

#: The actor of the audit rows written from the command line.
CLI_ACTOR = "cli"

#: Serialises the name check and the insert of concurrent ``create`` calls (the table has no
#: unique index on names of tokens in use).
_NAME_LOCK = "hub.api_token.name"


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: everything but its hash."""

    id: int
    name: str
    role: str
    operator_id: int | None
    operator_code: str | None
    operator_name: str | None
    scopes: tuple[str, ...]
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    def audited(self) -> dict[str, Any]:
        """The columns an audit row records (never the hash)."""
        return asdict(self)


def _rows() -> Any:
    return (
        select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.operator_id,
               Operator.code.label("operator_code"), Operator.name.label("operator_name"),
               ApiToken.scopes, ApiToken.created_at, ApiToken.revoked_at)
        .outerjoin(Operator, Operator.id == ApiToken.operator_id)
        .order_by(ApiToken.id)
    )


def _info(row: Any) -> TokenInfo:
    values = dict(row._mapping)
    values["scopes"] = tuple(values["scopes"])
    return TokenInfo(**values)


def _operator(conn: Connection, operator: str | int) -> tuple[int, str]:
    """The id and code of an operator given by id (as the API shows it) or code."""
    given = str(operator).strip()
    by_code = conn.execute(select(Operator.id, Operator.code).where(Operator.code == given)
                           ).first()
    by_id = None
    if given.isdigit():
        by_id = conn.execute(select(Operator.id, Operator.code)
                             .where(Operator.id == int(given))).first()
    if by_code is not None and by_id is not None and by_code.id != by_id.id:
        raise InputError(f"operator {given!r} is both the id of operator {by_id.code!r} and "
                         f"the code of another; give the other's id ({by_code.id}) or "
                         f"{by_id.code!r}", field="operator")
    found = by_code or by_id
    if found is None:
        raise InputError(f"unknown operator {given!r}: give its id as the API shows it "
                         "(Operator.id) or its code in operators.yaml", field="operator")
    return int(found.id), str(found.code)


def _names_in_use(conn: Connection) -> set[str]:
    return set(conn.execute(select(ApiToken.name).where(ApiToken.revoked_at.is_(None)))
               .scalars())


def create(conn: Connection, role: str, operator: str | int | None, scopes: Iterable[str],
           name: str | None, actor: str = CLI_ACTOR) -> tuple[TokenInfo, str]:
    """A new token and its secret (returned once, stored only as its hash).

    ``role`` is ADMIN or EDITOR in any case; an editor needs ``operator`` (id or code), an
    admin takes none. Without ``name`` the token is named after its role and operator.
    """
    role, wanted = tokens.check_grant(role, operator is not None, scopes)
    if name is not None:
        tokens.check_name(name)
    operator_id, operator_code = (None, None) if operator is None else _operator(conn, operator)
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _NAME_LOCK})
    in_use = _names_in_use(conn)
    if name is None:
        name = tokens.default_name(role, operator_code, in_use)
    elif name in in_use:
        raise InputError(f"a token in use is already named {name!r}; choose another name or "
                         "revoke that token first", field="name")
    secret = tokens.new_secret()
    token_id = conn.execute(
        insert(ApiToken).values(name=name, secret_hash=tokens.hash_secret(secret), role=role,
                                operator_id=operator_id, scopes=wanted)
        .returning(ApiToken.id)
    ).scalar_one()
    info = _info(conn.execute(_rows().where(ApiToken.id == token_id)).one())
    audit(conn, "api_token", str(token_id), "INSERT", actor, None, info.audited())
    return info, secret


def list_tokens(conn: Connection) -> list[TokenInfo]:
    """Every token, revoked ones too, in the order they were made."""
    return [_info(row) for row in conn.execute(_rows())]


def _find(conn: Connection, id_or_name: str) -> TokenInfo:
    given = id_or_name.strip()
    if given.isdigit():
        row = conn.execute(_rows().where(ApiToken.id == int(given))).first()
        if row is None:
            raise NotFound(f"no token with id {given}", field="token")
        return _info(row)
    rows = [_info(r) for r in conn.execute(_rows().where(ApiToken.name == given))]
    if not rows:
        raise NotFound(f"no token named {given!r} (`hub token list` shows them)", field="token")
    in_use = [r for r in rows if r.revoked_at is None]
    return in_use[0] if in_use else rows[-1]


def revoke(conn: Connection, id_or_name: str, actor: str = CLI_ACTOR) -> TokenInfo:
    """Revoke the token with this id, or the token in use with this name: from now on its
    requests are UNAUTHENTICATED. Revoking a revoked token is an error that changes nothing.
    """
    token = _find(conn, id_or_name)
    if token.revoked_at is not None:
        raise InputError(f"token {token.id} ({token.name!r}) was already revoked at "
                         f"{token.revoked_at.isoformat(timespec='seconds')}", field="token")
    revoked_at = conn.execute(
        update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=func.now())
        .returning(ApiToken.revoked_at)
    ).scalar_one()
    audit(conn, "api_token", str(token.id), "UPDATE", actor, {"revoked_at": None},
          {"revoked_at": revoked_at})
    return replace(token, revoked_at=revoked_at)
