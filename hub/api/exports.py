"""The open-data export routes: ``/export/facilities.csv`` (the 公共施設一覧 layout) and
``/export/facilities.geojson``, with the FacilityFilter as query parameters.

Everything that can be refused is refused before the first byte of the file (a bad or
unknown parameter, an unknown code, an export over HUB_MAX_EXPORT_ROWS), as a 400 in the
GraphQL error shape naming the parameter; the file then streams, a batch of facilities at
a time (``hub.services.reports.facility_export``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hub.api.errors import response_for
from hub.api.filter_params import FILTER_PARAMETERS, check_known, facility_filter
from hub.config import Settings
from hub.services.reads.provider import Reads
from hub.services.reports import facility_export
from hub.services.reports.facility_export import ExportFormat


def export_routes(reads: Reads, settings: Settings) -> list[Route]:
    """The routes of the export family, reading through the app's read provider."""

    async def export(request: Request, format: ExportFormat) -> Response:
        try:
            check_known(request.query_params, FILTER_PARAMETERS)
            flt = facility_filter(request.query_params, settings)
            total = await facility_export.check(reads, flt, settings.max_export_rows)
        except Exception as exc:  # every refusal answered here, before the file starts
            return response_for(exc, where="/export", retry_after_s=settings.retry_after_s)
        body = facility_export.chunks(reads, flt, format, settings.export_simplify_meters)
        name = f"facilities.{format}"
        return StreamingResponse(body, media_type=facility_export.MEDIA_TYPES[format], headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-cache",
            "X-Total-Count": str(total),
        })

    async def csv(request: Request) -> Response:
        return await export(request, "csv")

    async def geojson(request: Request) -> Response:
        return await export(request, "geojson")

    return [Route("/export/facilities.csv", csv, methods=["GET"]),
            Route("/export/facilities.geojson", geojson, methods=["GET"])]
