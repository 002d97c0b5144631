"""The ``hub`` command: options and output of serve, load, coverage, export-schema, dev synth,
token and the database commands, wired to the modules that do the work."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.markup import escape

from hub import localdb
from hub.config import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from hub.services.loading import load_all

# SQLAlchemy, GeoAlchemy2, Alembic, shapely and the loaders are imported by the commands that
# use them, not here: each run of `hub` pays for its own command only (`hub db status` needs
# none of them, and the tests start `hub` as a process many times).

T = TypeVar("T")

app = typer.Typer(help="The Hokkaido facility hub.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="The database: the embedded cluster and migrations.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")
dev_app = typer.Typer(help="Developer tools: synthetic data for benchmarks.",
                      no_args_is_help=True)
app.add_typer(dev_app, name="dev")
import_app = typer.Typer(help="Bulk import of open data (公共施設一覧 CSV or GeoJSON).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")
token_app = typer.Typer(help="API tokens: writes need one, reads do not.", no_args_is_help=True)
app.add_typer(token_app, name="token")
export_app = typer.Typer(help="Open-data exports (公共施設一覧 CSV or GeoJSON).",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _say(message: str) -> None:
    err.print(message, markup=False)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
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
    workers: Annotated[int, typer.Option(help="Server processes (one per core helps).")] = 1,
) -> None:
    """Start the server on the database (the embedded one unless HUB_DATABASE_URL is set)."""
    import uvicorn

    from hub.api.app import create_app
    from hub.db import capacity, migrate
    from hub.db.engine import make_engine

    settings = get_settings()
    url = _database_url(settings)
    try:
        capacity.check_server(url, workers, settings.pool_max + settings.write_pool_max
                              + settings.ogc_pool_max)
        if settings.database_read_url:
            capacity.check_server(settings.database_read_url, workers, settings.pool_max,
                                  replica=True)
    except (capacity.CapacityError, psycopg.OperationalError) as exc:
        raise _fail(str(exc)) from exc
    engine = make_engine(url)
    migrate.upgrade(engine, lock_timeout_s=settings.migration_lock_timeout_s)
    _load_if_empty(engine, settings)
    engine.dispose()
    listen_host = host or settings.host
    listen_port = port or settings.port
    print(f"Hub is serving GraphQL at http://{listen_host}:{listen_port}/graphql", flush=True)
    print(f"  the map at http://{listen_host}:{listen_port}/, tiles at /tiles, exports at "
          "/export, the OGC API at /ogc", flush=True)
    if workers > 1:
        os.environ["HUB_DATABASE_URL"] = url  # the workers connect where this process did
        # prometheus-client's multiprocess mode: each worker writes its metrics to files in
        # a folder of this run's own, and /metrics (whichever worker answers) reads them all.
        with tempfile.TemporaryDirectory(prefix="hub-metrics-") as metrics_dir:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
            uvicorn.run("hub.api.app:app_from_environment", factory=True, workers=workers,
                        host=listen_host, port=listen_port, log_level="warning",
                        access_log=False)
        return
    # No access log: /metrics counts requests; a log line each is CPU on the hot path.
    uvicorn.run(create_app(url, settings), host=listen_host, port=listen_port,
                log_level="warning", access_log=False)


def _track(items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    """A progress bar on a terminal; nothing in a pipe or a log."""
    if not err.is_terminal:
        return items
    from rich.progress import track as rich_track

    return rich_track(items, description=description, total=total, console=err, transient=True)


def _run_load(engine: Engine, boundaries: Path | None = None, population: Path | None = None,
              seed: bool = False) -> load_all.LoadReport:
    from hub.domain.datafile import DataFileError
    from hub.services.loading import load_all

    try:
        return load_all.load(engine, boundaries=boundaries, population=population, seed=seed,
                             track=_track)
    except DataFileError as exc:
        raise _fail(f"{exc} (nothing from this file was written)") from exc


def _load_if_empty(engine: Engine, settings: Settings) -> None:
    """A new database gets the boundaries, population and seed set before serving."""
    from hub.services.loading import load_all

    no_municipalities, no_facilities = load_all.is_empty(engine)
    boundaries = settings.boundaries_file()
    if no_municipalities and not boundaries.exists():
        _say(f"no municipal boundaries at {boundaries} (set HUB_GEODATA): serving without data")
        return
    if not (no_municipalities or no_facilities):
        return
    _say("empty database: loading the boundaries, population and seed data set")
    report = _run_load(
        engine,
        boundaries=boundaries if no_municipalities else None,
        population=settings.population_file() if no_municipalities else None,
        seed=True,
    )
    for name, stats in report.files.items():
        _say(f"  {name}: {stats.summary()}")


@app.command()
def load(
    seed: Annotated[
        bool, typer.Option("--seed", help="Load the seed data set (geodata/).")
    ] = False,
    boundaries: Annotated[
        Path | None,
        typer.Option(help="N03 boundaries: .geojson, .shp or the official .zip.",
                     exists=True, dir_okay=False),
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(help="Population CSV (code,name_ja,population,year,source,as_of,...).",
                     exists=True, dir_okay=False),
    ] = None,
) -> None:
    """Load data, idempotently: with no option, the boundaries and population of HUB_GEODATA
    and the seed set; otherwise what the options name. Prints what was added, changed and
    left; running it twice changes nothing."""
    from hub.db import migrate
    from hub.db.engine import make_engine
    from hub.services.reports import tables

    settings = get_settings()
    if not (seed or boundaries or population):
        boundaries, population, seed = settings.boundaries_file(), settings.population_file(), True
        for path in (boundaries, population):
            if not path.exists():
                raise _fail(f"{path} not found: set HUB_GEODATA to the folder with the geodata")
    engine = make_engine(_database_url(settings))
    migrate.upgrade(engine, lock_timeout_s=settings.migration_lock_timeout_s)
    report = _run_load(engine, boundaries=boundaries, population=population, seed=seed)
    engine.dispose()
    tables.print_load(out, report)


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    geojson = "geojson"


@app.command("coverage")
def coverage_command(
    category: Annotated[list[str] | None, typer.Option(
        help="Facility category (repeat for several), e.g. CONSUMER.")] = None,
    max_km: Annotated[float, typer.Option(help="Reach, in kilometres.")] = 20.0,
    format: Annotated[ReportFormat, typer.Option(help="What to print.")] = ReportFormat.table,
    png: Annotated[Path | None, typer.Option(help="Also draw a choropleth PNG here.")] = None,
) -> None:
    """Coverage gaps for planners: per municipality (Sapporo by ward) whether a matching
    facility serves it or is within reach, its 2SFCA accessibility, and the gaps."""
    import asyncio
    import json

    from hub.db.pool import Database
    from hub.domain.errors import InputError
    from hub.domain.filters import check_distance, make_filter
    from hub.services.reads.provider import Reads
    from hub.services.reports import coverage as coverage_report

    settings = get_settings()
    url = _database_url(settings)
    try:
        flt = make_filter(categories=category) if category else None
        check_distance(max_km * 1000, "--max-km")
    except InputError as exc:
        raise _fail(exc.message.replace("filter.categories", "--category")) from exc

    async def build() -> coverage_report.CoverageTable:
        db = Database(url, settings.statement_timeout_ms, 1, 4)
        await db.open()
        try:
            with_boundaries = format is ReportFormat.geojson or png is not None
            return await coverage_report.build(Reads(db), flt, max_km * 1000, with_boundaries)
        finally:
            await db.close()

    table = asyncio.run(build())
    if format is ReportFormat.csv:
        sys.stdout.write(coverage_report.to_csv(table))
    elif format is ReportFormat.geojson:
        json.dump(coverage_report.to_geojson(table), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from hub.services.reports import tables

        tables.print_coverage(out, table, max_km)
    if png is not None:
        what = ", ".join(category) if category else "all facilities"
        try:
            coverage_report.to_png(table, png, f"Coverage of {what} within {max_km:g} km")
        except coverage_report.ReportError as exc:
            raise _fail(str(exc)) from exc
        _say(f"wrote {png}")


class ImportFileFormat(StrEnum):
    csv = "csv"
    geojson = "geojson"


@import_app.command("facilities")
def import_facilities(
    file: Annotated[Path, typer.Argument(help="A 公共施設一覧 file: .csv (UTF-8, with or "
                                              "without BOM, or Shift_JIS) or .geojson.",
                                         exists=True, dir_okay=False)],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what would be added, changed and left; write nothing.")] = False,
    format: Annotated[ImportFileFormat | None, typer.Option(
        help="The file's format (default: from its name, else from its first character).")
    ] = None,
    category: Annotated[str | None, typer.Option(
        help="Category of new facilities (the layout has no column for it), e.g. CONSUMER.")
    ] = None,
    operator: Annotated[str | None, typer.Option(
        help="Operator (id or code) of new facilities whose 団体名 names no operator.")
    ] = None,
    actor: Annotated[str | None, typer.Option(
        help="Who the audit rows name (default import:<file name>).")] = None,
) -> None:
    """Import facilities from the municipal standard layout 公共施設一覧, all or nothing:
    rows are matched by code=... in 備考, else by 名称 and municipality; any bad row rejects
    the file and every bad row is reported. Exit code 1 when the file is rejected."""
    from hub.db import migrate
    from hub.db.engine import make_engine
    from hub.services.writes.imports import ImportOptions
    from hub.services.writes.imports import import_facilities as run_import

    settings = get_settings()
    data = file.read_bytes()
    engine = make_engine(_database_url(settings))
    migrate.upgrade(engine, lock_timeout_s=settings.migration_lock_timeout_s)
    options = ImportOptions(format=format.value if format else None, dry_run=dry_run,
                            category=category, operator=operator, actor=actor)
    try:
        with engine.begin() as conn:
            report = run_import(conn, data, file.name, permit=_anyone,
                                max_bytes=settings.max_import_bytes,
                                max_rows=settings.max_import_rows, options=options,
                                track=_track)
    finally:
        engine.dispose()
    for line in report.lines():
        out.print(line, markup=False)
    if report.rejected:
        raise _fail(f"{file.name} rejected: nothing was written")


def _anyone(_operator_id: int) -> None:
    """The command line runs with the database's own rights: every operator's records."""


#: The FacilityFilter's fields as the options of ``hub export facilities`` name them.
_FILTER_OPTIONS = {"categories": "--category", "operatorLevels": "--operator-level",
                   "services": "--service", "municipalityCodes": "--municipality",
                   "subprefecture": "--subprefecture", "text": "--text",
                   "withinBbox": "--bbox"}


def _option_message(message: str) -> str:
    """An error about a filter field, in the words of the command's options."""
    message = message.removeprefix("filter.")
    for field, option in _FILTER_OPTIONS.items():
        if message.startswith(field):
            return option + message[len(field):]
    return message


@export_app.command("facilities")
def export_facilities(
    format: Annotated[ImportFileFormat, typer.Option(
        help="csv: the 公共施設一覧 layout (UTF-8 with BOM); geojson: every field of "
             "Facility.")] = ImportFileFormat.csv,
    output: Annotated[Path | None, typer.Option(
        help="The file to write (default: standard output).", dir_okay=False)] = None,
    category: Annotated[list[str] | None, typer.Option(
        help="Category (repeat for several), e.g. CONSUMER.")] = None,
    operator_level: Annotated[list[str] | None, typer.Option(
        help="Operator level (repeat for several), e.g. CITY.")] = None,
    service: Annotated[list[str] | None, typer.Option(
        help="Service code; a facility must offer every one given.")] = None,
    municipality: Annotated[list[str] | None, typer.Option(
        help="5-digit municipality code (repeat for several); a city includes its wards.")
    ] = None,
    subprefecture: Annotated[str | None, typer.Option(help="振興局, e.g. 石狩振興局.")] = None,
    text: Annotated[str | None, typer.Option(help="Part of any name.")] = None,
    bbox: Annotated[str | None, typer.Option(help="minLon,minLat,maxLon,maxLat.")] = None,
) -> None:
    """Export facilities as the API's /export/facilities.csv|.geojson does, with the same
    filters (archived facilities are never exported). Refused, writing nothing, when more
    than HUB_MAX_EXPORT_ROWS match."""
    import asyncio

    from hub.db.pool import Database
    from hub.domain.errors import HubError
    from hub.domain.filters import make_filter
    from hub.services.reads.provider import Reads
    from hub.services.reports import facility_export

    settings = get_settings()
    try:
        numbers = None
        if bbox is not None:
            try:
                numbers = [float(part) for part in bbox.split(",")]
            except ValueError:
                raise _fail(f"--bbox: {bbox!r} is not minLon,minLat,maxLon,maxLat") from None
        flt = make_filter(categories=category, operator_levels=operator_level, services=service,
                          municipality_codes=municipality, subprefecture=subprefecture,
                          text=text, within_bbox=numbers)
    except HubError as exc:
        raise _fail(_option_message(exc.message)) from exc
    url = _database_url(settings)
    partial = output.with_name(output.name + ".partial") if output is not None else None

    async def write() -> int:
        db = Database(url, settings.statement_timeout_ms, 1, 4)
        await db.open()
        try:
            reads = Reads(db, settings)
            total = await facility_export.check(reads, flt, settings.max_export_rows)
            pieces = facility_export.chunks(reads, flt, format.value,
                                            settings.export_simplify_meters)
            if partial is None:
                async for piece in pieces:
                    sys.stdout.buffer.write(piece)
                sys.stdout.buffer.flush()
            else:
                with partial.open("wb") as file:
                    async for piece in pieces:
                        file.write(piece)
            return total
        finally:
            await db.close()

    try:
        total = asyncio.run(write())
    except BaseException as exc:  # no half-written file is left behind
        if partial is not None:
            partial.unlink(missing_ok=True)
        if isinstance(exc, HubError):
            raise _fail(_option_message(exc.message)) from exc
        raise
    if partial is not None and output is not None:
        partial.replace(output)
    _say(f"exported {total} facilities" + (f" to {output}" if output else ""))


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path(
        "schema/hub.graphql"
    ),
) -> None:
    """Write the GraphQL schema (SDL) served by this code; tests keep the file in step."""
    from hub.graphql.schema import schema

    output.write_text(schema.as_str() + "\n", encoding="utf-8")
    _say(f"wrote {output}")


@dev_app.command()
def synth(
    count: Annotated[int, typer.Option(help="How many synthetic facilities.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generator: same seed, same data.")] = 1,
    database: Annotated[str, typer.Option(
        help="Database to put them in, beside the hub's (created when missing).")
    ] = "hub_synthetic",
    remove: Annotated[bool, typer.Option("--remove", help="Only delete them.")] = False,
) -> None:
    """Make COUNT synthetic facilities (flagged, deterministic) for benchmarks, in a database
    of their own with the real boundaries and no real facilities; prints its URL: serve
    them with HUB_DATABASE_URL set to it."""
    from hub.db.databases import ensure_database
    from hub.db.engine import make_engine
    from hub.domain.datafile import DataFileError
    from hub.services.loading import synth as synthetic

    settings = get_settings()
    url = ensure_database(_database_url(settings), database)
    engine = make_engine(url)
    try:
        synthetic.prepare(engine, settings.boundaries_file(), settings.population_file(),
                          track=_track, say=_say)
        with engine.begin() as conn:
            if remove:
                _say(f"removed {synthetic.remove(conn, 'hub dev synth')} synthetic facilities")
            else:
                result = synthetic.create(conn, count, seed)
                _say(f"created {result.created} synthetic facilities (removed {result.removed})")
    except DataFileError as exc:
        raise _fail(f"{exc} (nothing from this file was written)") from exc
    except synthetic.RealFacilitiesError as exc:
        raise _fail(f"{database}: {exc}") from exc
    finally:
        engine.dispose()
    print(url)


class TokenRole(StrEnum):
    admin = "admin"
    editor = "editor"


class TokenScope(StrEnum):
    bulk = "bulk"


def _token_engine() -> Engine:
    from hub.db import migrate
    from hub.db.engine import make_engine

    settings = get_settings()
    engine = make_engine(_database_url(settings))
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
        raise _fail(exc.message) from exc
    finally:
        engine.dispose()
    holder = "every operator" if info.operator_code is None else \
        f"operator {info.operator_code} ({info.operator_name}, id {info.operator_id})"
    scopes = f", scopes {', '.join(info.scopes)}" if info.scopes else ""
    _say(f"created token {info.id} '{info.name}': {info.role} for {holder}{scopes}")
    _say("the secret follows; it is shown only this once and cannot be shown again: keep it "
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
        raise _fail(exc.message) from exc
    finally:
        engine.dispose()
    _say(f"revoked token {info.id} '{info.name}'")


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
        raise _fail(str(exc)) from exc


@db_app.command("migrate")
def migrate_(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (to the newest revision by default)."""
    from hub.db import migrate
    from hub.db.engine import make_engine

    settings = get_settings()
    engine = make_engine(_database_url(settings))
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision, lock_timeout_s=settings.migration_lock_timeout_s)
    after = migrate.current_revision(engine)
    engine.dispose()
    _say(f"schema at revision {after}" + ("" if before == after else f" (was {before})"))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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


if __name__ == "__main__":
    main()
