"""The open-data export routes: ``/export/facilities.csv`` (the 公共施設一覧 layout) and
``/export/facilities.geojson``, with the FacilityFilter as query parameters.

Everything that can be refused is refused before the first byte of the file (a bad or
unknown parameter, an unknown code, an export over HUB_MAX_EXPORT_ROWS), as a 400 in the
GraphQL error shape naming the parameter; the file then streams, a batch of facilities at
a time (``hub.services.reports.facility_export``)."""

from __future__ import annotations

import logging
import uuid

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hub.api.filter_params import FILTER_PARAMETERS, check_known, facility_filter
from hub.api.limits import error_body
from hub.config import Settings
from hub.domain.errors import HubError
from hub.graphql.errors import PUBLIC_MESSAGES, code_of
from hub.services.reads.provider import Reads
from hub.services.reports import facility_export
from hub.services.reports.facility_export import ExportFormat, ExportTooLarge

log = logging.getLogger("hub.api.exports")

#: HTTP status of each error code an export can answer with before it streams.
_STATUS = {"BAD_USER_INPUT": 400, "QUERY_TOO_COMPLEX": 400, "UNAVAILABLE": 503,
           "INTERNAL": 500}


def _refusal(exc: Exception, settings: Settings) -> Response:
    if isinstance(exc, HubError):
        extensions: dict[str, object] = {}
        if exc.field:
            extensions["field"] = exc.field
        if isinstance(exc, ExportTooLarge):
            extensions["limit"] = exc.limit
        log.info("export refused (%s): %s", exc.code, exc.message[:300])
        return Response(error_body(exc.message, exc.code, **extensions),
                        status_code=_STATUS.get(exc.code, 400), media_type="application/json")
    code = code_of(exc)
    headers = {}
    extensions = {}
    if code == "UNAVAILABLE":
        headers["Retry-After"] = str(settings.retry_after_s)
        log.warning("export: database unavailable: %s", exc)
    elif code == "INTERNAL":
        extensions["requestId"] = uuid.uuid4().hex
        log.error("internal error %s in an export", extensions["requestId"], exc_info=exc)
    return Response(error_body(PUBLIC_MESSAGES.get(code, PUBLIC_MESSAGES["INTERNAL"]), code,
                               **extensions),
                    status_code=_STATUS.get(code, 500), headers=headers,
                    media_type="application/json")


def export_routes(reads: Reads, settings: Settings) -> list[Route]:
    """The routes of the export family, reading through the app's read provider."""

    async def export(request: Request, format: ExportFormat) -> Response:
        try:
            check_known(request.query_params, FILTER_PARAMETERS)
            flt = facility_filter(request.query_params, settings)
            total = await facility_export.check(reads, flt, settings.max_export_rows)
        except Exception as exc:  # every refusal answered here, before the file starts
            return _refusal(exc, settings)
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
