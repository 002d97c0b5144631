"""``hub db``: the embedded cluster and migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hub import localdb
from hub.cli.output import database_url, fail, say
from hub.config import get_settings

if TYPE_CHECKING:

    pass

db_app = typer.Typer(help="The database: the embedded cluster and migrations.",
                     no_args_is_help=True)


@db_app.command()
def up() -> None:
    """Start the embedded PostGIS cluster, creating it on first use; harmless when running."""
    settings = get_settings()
    try:
        url = localdb.up(settings, report=say)
    except localdb.LocalDbError as exc:
        raise fail(str(exc)) from exc
    say(f"database ready: {_redact(url)}  (full URL: `hub db url`)")

@db_app.command()
def down() -> None:
    """Stop the embedded cluster; its data is kept for the next `hub db up`."""
    try:
        localdb.down(get_settings(), report=say)
    except localdb.LocalDbError as exc:
        raise fail(str(exc)) from exc

@db_app.command()
def status() -> None:
    """Whether the embedded cluster runs, where, and on which port."""
    try:
        st = localdb.status(get_settings())
    except localdb.LocalDbError as exc:
        raise fail(str(exc)) from exc
    if st.problem is not None:
        state = f"running (pid {st.pid}, port {st.port})" if st.running else "stopped"
        print(f"PostgreSQL {st.version}, {state}, data in {st.home}; {st.problem}")
        raise typer.Exit(code=0 if st.running else 3)
    if st.port is None:
        print(f"no cluster in {st.home} (`hub db up` creates one)")
        raise typer.Exit(code=3)
    state = f"running (pid {st.pid})" if st.running else "stopped"
    print(f"PostgreSQL {st.version}, {state}, port {st.port}, data in {st.home}")
    if not st.running:
        raise typer.Exit(code=3)

@db_app.command("url")
def url_() -> None:
    """Print the embedded cluster's connection URL (with its password)."""
    try:
        print(localdb.url(get_settings()))
    except localdb.LocalDbError as exc:
        raise fail(str(exc)) from exc

@db_app.command("migrate")
def migrate_(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (to the newest revision by default)."""
    from hub.db import migrate
    from hub.db.engine import make_engine

    settings = get_settings()
    engine = make_engine(database_url(settings))
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision, lock_timeout_s=settings.migration_lock_timeout_s)
    after = migrate.current_revision(engine)
    engine.dispose()
    say(f"schema at revision {after}" + ("" if before == after else f" (was {before})"))

def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
