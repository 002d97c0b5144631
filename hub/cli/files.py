"""Open-data files in and out: ``hub import facilities``, ``hub export facilities`` and
``hub export-schema``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.output import database_url, fail, out, say, track
from hub.config import get_settings

if TYPE_CHECKING:

    pass

import_app = typer.Typer(help="Bulk import of open data (公共施設一覧 CSV or GeoJSON).",
                         no_args_is_help=True)
export_app = typer.Typer(help="Open-data exports (公共施設一覧 CSV or GeoJSON).",
                         no_args_is_help=True)


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
    engine = make_engine(database_url(settings))
    migrate.upgrade(engine, lock_timeout_s=settings.migration_lock_timeout_s)
    options = ImportOptions(format=format.value if format else None, dry_run=dry_run,
                            category=category, operator=operator, actor=actor)
    try:
        with engine.begin() as conn:
            report = run_import(conn, data, file.name, permit=_anyone,
                                max_bytes=settings.max_import_bytes,
                                max_rows=settings.max_import_rows, options=options,
                                track=track)
    finally:
        engine.dispose()
    for line in report.lines():
        out.print(line, markup=False)
    if report.rejected:
        raise fail(f"{file.name} rejected: nothing was written")

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
                raise fail(f"--bbox: {bbox!r} is not minLon,minLat,maxLon,maxLat") from None
        flt = make_filter(categories=category, operator_levels=operator_level, services=service,
                          municipality_codes=municipality, subprefecture=subprefecture,
                          text=text, within_bbox=numbers)
    except HubError as exc:
        raise fail(_option_message(exc.message)) from exc
    url = database_url(settings)
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
            raise fail(_option_message(exc.message)) from exc
        raise
    if partial is not None and output is not None:
        partial.replace(output)
    say(f"exported {total} facilities" + (f" to {output}" if output else ""))

def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path(
        "schema/hub.graphql"
    ),
) -> None:
    """Write the GraphQL schema (SDL) served by this code; tests keep the file in step."""
    from hub.graphql.schema import schema

    output.write_text(schema.as_str() + "\n", encoding="utf-8")
    say(f"wrote {output}")
