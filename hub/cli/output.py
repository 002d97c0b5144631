"""Where the pieces of output every command shares live: the consoles, a message, a
failure, the database's URL, a progress bar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from hub import localdb
from hub.config import Settings

# SQLAlchemy, GeoAlchemy2, Alembic, shapely and the loaders are imported by the commands that
# use them, not here: each run of `hub` pays for its own command only (`hub db status` needs
# none of them, and the tests start `hub` as a process many times).

T = TypeVar("T")

err = Console(stderr=True, highlight=False, soft_wrap=True)

out = Console(highlight=False, soft_wrap=True)

def say(message: str) -> None:
    err.print(message, markup=False)

def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=1)

def database_url(settings: Settings) -> str:
    try:
        return localdb.database_url(settings, report=say)
    except localdb.LocalDbError as exc:
        raise fail(str(exc)) from exc

def track(items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    """A progress bar on a terminal; nothing in a pipe or a log."""
    if not err.is_terminal:
        return items
    from rich.progress import track as rich_track

    return rich_track(items, description=description, total=total, console=err, transient=True)
