"""importFacilities: a 公共施設一覧 file (CSV in UTF-8 or Shift_JIS, or GeoJSON) uploaded as
a GraphQL multipart request, imported all or nothing through the same write path as
``hub import facilities`` (hub.services.writes.imports).

A rejected file is an answer, not a fault: the report lists every bad row, column and
reason with its code, and nothing is written (``written: false``). The upload needs a token
with the ``bulk`` scope; an editor's import may touch only its operator's facilities.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from hub.config import Settings
from hub.domain.errors import Forbidden, InputError
from hub.domain.public_facility_csv import ImportFormat
from hub.graphql.auth import writer
from hub.graphql.enums import FacilityCategory
from hub.graphql.types import Ctx
from hub.graphql.writing import run_write
from hub.services.writes import imports


@strawberry.type
class ImportedRow:
    row: int
    code: str
    name: str
    matched_by: str | None = strawberry.field(description="code, name, or null when added.")
    fields: list[str] = strawberry.field(description="The fields a change changed.")


@strawberry.type
class ImportProblem:
    row: int | None = strawberry.field(description="Null for the file as a whole.")
    column: str | None
    reason: str
    code: str = strawberry.field(description="BAD_USER_INPUT, FORBIDDEN or CONFLICT.")


@strawberry.type
class ImportReport:
    file_name: str
    sha256: str
    dry_run: bool
    written: bool = strawberry.field(description="False for a dry run or a rejected file.")
    format: str | None
    encoding: str | None
    rows: int
    added: list[ImportedRow]
    changed: list[ImportedRow]
    left: list[ImportedRow]
    errors: list[ImportProblem]


def _rows(outcomes: list[Any]) -> list[ImportedRow]:
    return [ImportedRow(row=o.row, code=o.code, name=o.name, matched_by=o.matched_by,
                        fields=list(o.fields)) for o in outcomes]


@strawberry.type
class ImportMutation:
    @strawberry.mutation(description="Import a 公共施設一覧 file (CSV or GeoJSON), all or "
                         "nothing; dryRun reports what would change and writes nothing. "
                         "Needs a token with the bulk scope.")
    async def import_facilities(self, info: Ctx, file: Upload, format: str | None = None,
                                dry_run: bool = False,
                                category: FacilityCategory | None = None,
                                operator_id: strawberry.ID | None = None) -> ImportReport:
        who = await writer(info)
        if "bulk" not in who.scopes:
            raise Forbidden(f"Token '{who.name}' has no bulk scope; importing needs one "
                            "(hub token create --scope bulk).")
        if format is not None and format not in ("csv", "geojson"):
            raise InputError(f"format: {format!r} is not csv or geojson", "format")
        kind: ImportFormat | None = "csv" if format == "csv" else (
            "geojson" if format == "geojson" else None)
        settings = info.context.settings or Settings()
        data: bytes = await file.read(settings.max_import_bytes + 1)  # type: ignore[attr-defined]
        name = str(getattr(file, "filename", None) or "upload")
        options = imports.ImportOptions(
            format=kind, dry_run=dry_run,
            category=category.value if category else None,
            operator=str(operator_id) if operator_id is not None else None, actor=who.name)

        def permit(operator_id: int) -> None:
            who.require_change(operator_id, f"the facilities of operator {operator_id}")

        report = await run_write(info, lambda conn: imports.import_facilities(
            conn, data, name, permit=permit, max_bytes=settings.max_import_bytes,
            max_rows=settings.max_import_rows, options=options))
        return ImportReport(
            file_name=report.file_name, sha256=report.sha256, dry_run=report.dry_run,
            written=not report.dry_run and not report.errors, format=report.format,
            encoding=report.encoding, rows=report.rows, added=_rows(report.added),
            changed=_rows(report.changed), left=_rows(report.left),
            errors=[ImportProblem(row=e.row, column=e.column, reason=e.reason, code=e.code)
                    for e in report.errors])
