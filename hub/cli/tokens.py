"""``hub token``: making, listing and revoking API tokens."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.output import database_url, fail, out, say
from hub.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


token_app = typer.Typer(help="API tokens: writes need one, reads do not.", no_args_is_help=True)


class TokenRole(StrEnum):
    admin = "admin"
    editor = "editor"

class TokenScope(StrEnum):
    bulk = "bulk"

def _token_engine() -> Engine:
    from hub.db import migrate
    from hub.db.engine import make_engine

    settings = get_settings()
    engine = make_engine(database_url(settings))
    migrate.upgrade(engine, lock_timeout_s=settings.migration_lock_timeout_s)
    return engine

@token_app.command("create")
def token_create(
    role: Annotated[TokenRole, typer.Option(
        help="admin: every record; editor: its operator's records only.",
        case_sensitive=False)],
    operator: Annotated[str | None, typer.Option(
        help="The editor's operator: its id as the API shows it, or its code in "
             "operators.yaml (e.g. sapporo).")] = None,
    scope: Annotated[list[TokenScope] | None, typer.Option(
        help="An extra right (repeat for several): bulk.", case_sensitive=False)] = None,
    name: Annotated[str | None, typer.Option(
        help="A name for listings and audit rows (default: role and operator).")] = None,
) -> None:
    """Make a token and print its secret, once: only its hash is kept."""
    from hub.domain.errors import HubError
    from hub.services import tokens

    engine = _token_engine()
    try:
        with engine.begin() as conn:
            info, secret = tokens.create(conn, role.value, operator,
                                         [s.value for s in scope or []], name)
    except HubError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    holder = "every operator" if info.operator_code is None else \
        f"operator {info.operator_code} ({info.operator_name}, id {info.operator_id})"
    scopes = f", scopes {', '.join(info.scopes)}" if info.scopes else ""
    say(f"created token {info.id} '{info.name}': {info.role} for {holder}{scopes}")
    say("the secret follows; it is shown only this once and cannot be shown again: keep it "
         "where the partner app reads it, and send it as 'Authorization: Bearer <secret>'")
    print(secret)

@token_app.command("list")
def token_list() -> None:
    """Every token with its role, operator, scopes and dates; never a secret or hash. A
    table on a terminal, tab-separated lines with a header in a pipe."""
    from hub.services import tokens

    engine = _token_engine()
    try:
        with engine.connect() as conn:
            found = tokens.list_tokens(conn)
    finally:
        engine.dispose()
    header = ("id", "name", "role", "operator", "scopes", "created", "revoked")
    rows = [(str(t.id), t.name, t.role.lower(),
             "-" if t.operator_code is None else f"{t.operator_code} ({t.operator_id})",
             ",".join(t.scopes) or "-", t.created_at.astimezone().isoformat(timespec="seconds"),
             "-" if t.revoked_at is None
             else t.revoked_at.astimezone().isoformat(timespec="seconds")) for t in found]
    if not out.is_terminal:
        for row in (header, *rows):
            print("\t".join(row))
        return
    from rich.table import Table

    table = Table(title="hub tokens")
    for name in header:
        table.add_column(name, overflow="fold")
    for row, t in zip(rows, found, strict=True):
        table.add_row(*row, style="dim" if t.revoked_at is not None else None)
    out.print(table)

@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token's id, or the name of a token in use.",
                                         metavar="ID_OR_NAME")],
) -> None:
    """Revoke a token: its requests are refused (UNAUTHENTICATED) from now on."""
    from hub.domain.errors import HubError
    from hub.services import tokens

    engine = _token_engine()
    try:
        with engine.begin() as conn:
            info = tokens.revoke(conn, token)
    except HubError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    say(f"revoked token {info.id} '{info.name}'")
