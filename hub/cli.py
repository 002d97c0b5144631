"""The ``hub`` command: serve, and manage the embedded database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from hub import localdb
from hub.config import Settings, get_settings
from hub.db import migrate
from hub.db.engine import make_engine

app = typer.Typer(help="The Hokkaido facility hub.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database: the embedded cluster and migrations.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")

err = Console(stderr=True, highlight=False, soft_wrap=True)


def _say(message: str) -> None:
    err.print(message, markup=False)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def _database_url(settings: Settings) -> str:
    try:
        return localdb.database_url(settings, report=_say)
    except localdb.LocalDbError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [HUB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [HUB_PORT].")] = None,
) -> None:
    """Start the server on the database (the embedded one unless HUB_DATABASE_URL is set)."""
    import uvicorn

    from hub.api.app import create_app

    settings = get_settings()
    url = _database_url(settings)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    listen_host = host or settings.host
    listen_port = port or settings.port
    print(f"Hub is serving GraphQL at http://{listen_host}:{listen_port}/graphql", flush=True)
    uvicorn.run(create_app(url), host=listen_host, port=listen_port, log_level="warning")


@db_app.command()
def up() -> None:
    """Start the embedded PostGIS cluster, creating it on first use; harmless when running."""
    settings = get_settings()
    try:
        url = localdb.up(settings, report=_say)
    except localdb.LocalDbError as exc:
        raise _fail(str(exc)) from exc
    _say(f"database ready: {_redact(url)}  (full URL: `hub db url`)")


@db_app.command()
def down() -> None:
    """Stop the embedded cluster; its data is kept for the next `hub db up`."""
    try:
        localdb.down(get_settings(), report=_say)
    except localdb.LocalDbError as exc:
        raise _fail(str(exc)) from exc


@db_app.command()
def status() -> None:
    """Whether the embedded cluster runs, where, and on which port."""
    try:
        st = localdb.status(get_settings())
    except localdb.LocalDbError as exc:
        raise _fail(str(exc)) from exc
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
        raise _fail(str(exc)) from exc


@db_app.command("migrate")
def migrate_(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (to the newest revision by default)."""
    settings = get_settings()
    engine = make_engine(_database_url(settings))
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    engine.dispose()
    _say(f"schema at revision {after}" + ("" if before == after else f" (was {before})"))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app(prog_name="hub")


if __name__ == "__main__":
    main()
