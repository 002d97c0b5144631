"""Serving and loading: ``hub serve``, ``hub load`` and the coverage report on the terminal."""

from __future__ import annotations

import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import psycopg
import typer

from hub.cli.output import database_url, fail, out, say, track
from hub.config import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from hub.services.loading import load_all


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
    url = database_url(settings)
    try:
        capacity.check_server(url, workers, settings.pool_max + settings.write_pool_max
                              + settings.ogc_pool_max)
        if settings.database_read_url:
            capacity.check_server(settings.database_read_url, workers, settings.pool_max,
                                  replica=True)
    except (capacity.CapacityError, psycopg.OperationalError) as exc:
        raise fail(str(exc)) from exc
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

def _run_load(engine: Engine, boundaries: Path | None = None, population: Path | None = None,
              seed: bool = False) -> load_all.LoadReport:
    from hub.domain.datafile import DataFileError
    from hub.services.loading import load_all

    try:
        return load_all.load(engine, boundaries=boundaries, population=population, seed=seed,
                             track=track)
    except DataFileError as exc:
        raise fail(f"{exc} (nothing from this file was written)") from exc

def _load_if_empty(engine: Engine, settings: Settings) -> None:
    """A new database gets the boundaries, population and seed set before serving."""
    from hub.services.loading import load_all

    no_municipalities, no_facilities = load_all.is_empty(engine)
    boundaries = settings.boundaries_file()
    if no_municipalities and not boundaries.exists():
        say(f"no municipal boundaries at {boundaries} (set HUB_GEODATA): serving without data")
        return
    if not (no_municipalities or no_facilities):
        return
    say("empty database: loading the boundaries, population and seed data set")
    report = _run_load(
        engine,
        boundaries=boundaries if no_municipalities else None,
        population=settings.population_file() if no_municipalities else None,
        seed=True,
    )
    for name, stats in report.files.items():
        say(f"  {name}: {stats.summary()}")

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
                raise fail(f"{path} not found: set HUB_GEODATA to the folder with the geodata")
    engine = make_engine(database_url(settings))
    migrate.upgrade(engine, lock_timeout_s=settings.migration_lock_timeout_s)
    report = _run_load(engine, boundaries=boundaries, population=population, seed=seed)
    engine.dispose()
    tables.print_load(out, report)

class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    geojson = "geojson"

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
    url = database_url(settings)
    try:
        flt = make_filter(categories=category) if category else None
        check_distance(max_km * 1000, "--max-km")
    except InputError as exc:
        raise fail(exc.message.replace("filter.categories", "--category")) from exc

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
            raise fail(str(exc)) from exc
        say(f"wrote {png}")
