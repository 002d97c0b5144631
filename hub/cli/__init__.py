"""The ``hub`` command: its sub-commands, one module per group (serving.py: serve, load,
coverage; files.py: import, export, export-schema; tokens.py; database.py: db; dev.py: dev
synth; output.py: what they share), wired to the modules that do the work.

SQLAlchemy, GeoAlchemy2, Alembic, shapely and the loaders are imported by the commands that
use them, not here: each run of `hub` pays for its own command only (`hub db status` needs
none of them, and the tests start `hub` as a process many times)."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from hub.cli import serving
from hub.cli.database import db_app
from hub.cli.dev import dev_app
from hub.cli.files import export_app, export_schema, import_app
from hub.cli.output import err
from hub.cli.tokens import token_app
from hub.config import SettingsError

app = typer.Typer(help="The Hokkaido facility hub.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
app.command()(serving.serve)
app.command()(serving.load)
app.command("coverage")(serving.coverage_command)
app.command("export-schema")(export_schema)
app.add_typer(db_app, name="db")
app.add_typer(dev_app, name="dev")
app.add_typer(import_app, name="import")
app.add_typer(token_app, name="token")
app.add_typer(export_app, name="export")


def main() -> None:
    """The console script: a bad setting is one line naming the variable, not a traceback."""
    try:
        app(prog_name="hub")
    except SettingsError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except Exception as exc:
        from hub.db.migrate import MigrationLockTimeout  # alembic only when it is needed

        if not isinstance(exc, MigrationLockTimeout):  # from any command that migrates
            raise
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)

