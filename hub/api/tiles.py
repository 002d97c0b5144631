"""Vector tile routes for map frontends: ``/tiles/{layer}/{z}/{x}/{y}.mvt`` and a TileJSON
3.0.0 document per layer at ``/tiles/{layer}.json`` (layers facilities, municipalities,
service_areas). Thin: the grid and the documents are hub.domain.tiles, the SQL is
hub.services.reads.tiles behind the read provider.

Caching: a tile's entity tag is made of the data version (it changes with every write),
the layer, z/x/y and the query parameters, so a revalidation (If-None-Match) is answered
304 after one small statement, without making the tile; Cache-Control lets browsers and
proxies keep a tile HUB_TILE_MAX_AGE_S seconds without asking.
"""

from __future__ import annotations

import asyncio
import dataclasses
from importlib.metadata import version as package_version

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from hub.api.errors import error_response, response_for
from hub.api.filter_params import FILTER_PARAMETERS, check_known, facility_filter
from hub.config import Settings
from hub.domain import tiles
from hub.domain import vocabulary as vocab
from hub.domain.errors import InputError
from hub.domain.filters import FacilityFilter
from hub.services.reads.provider import Reads

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: The contract's default maxDistanceMeters of ``coverage``, used when ``distance`` is not
#: given.
DEFAULT_DISTANCE_M = 20_000.0
#: Part of every entity tag: bump it when the tiles' SQL changes what a tile holds, so that
#: caches do not keep tiles of the old form (the hub's version changes it too).
TILE_FORMAT = 1


@dataclasses.dataclass(frozen=True)
class TileRequest:
    """The checked query parameters of a layer: the filter, and for the municipalities
    layer whether coverage is asked (``reach`` is not None) with which filter."""

    flt: FacilityFilter | None
    reach: float | None = None


def _single(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise InputError(f"{name}: given {len(values)} times; give it once", name)
    return values[0] if values else None


def parse_request(layer: str, params: QueryParams, settings: Settings) -> TileRequest:
    """The layer's parameters, checked; InputError names the parameter. On the
    municipalities layer the facility filter chooses the facilities that coverage counts,
    ``category`` being one category (``categories`` takes several; not both), and any of
    them asks for coverage, ``distance`` defaulting to the contract's 20,000 m."""
    if layer != tiles.MUNICIPALITIES:
        check_known(params, FILTER_PARAMETERS)
        return TileRequest(facility_filter(params, settings))
    check_known(params, FILTER_PARAMETERS | tiles.COVERAGE_PARAMETERS)
    flt = facility_filter(params, settings)
    category, distance = _single(params, "category"), _single(params, "distance")
    if flt is None and category is None and distance is None:
        return TileRequest(None)
    if category is not None:
        if flt is not None and flt.categories is not None:
            raise InputError("category: give category or categories, not both", "category")
        if category not in vocab.FACILITY_CATEGORIES:
            raise InputError(f"category: {category[:40]!r} is not one of "
                             f"{', '.join(vocab.FACILITY_CATEGORIES)}", "category")
        flt = dataclasses.replace(flt or FacilityFilter(), categories=(category,))
    reach = tiles.parse_distance(distance) if distance is not None else DEFAULT_DISTANCE_M
    return TileRequest(flt, reach)


async def _check_references(reads: Reads, flt: FacilityFilter | None) -> None:
    """Unknown service or municipality codes or subprefectures, as GraphQL refuses them,
    named as the parameter."""
    try:
        await reads.check_references(flt, "filter")
    except InputError as exc:
        field = exc.field.removeprefix("filter.") if exc.field else None
        raise InputError(exc.message.removeprefix("filter."), field) from None


def _unknown_layer(layer: str, settings: Settings) -> Response:
    return error_response("NOT_FOUND", f"layer: {layer[:40]!r} is not one of "
                          f"{', '.join(tiles.LAYERS)}", where="/tiles",
                          retry_after_s=settings.retry_after_s, field="layer")


def _failed(exc: Exception, settings: Settings) -> Response:
    return response_for(exc, where="/tiles", retry_after_s=settings.retry_after_s)


def tiles_mount(reads: Reads, settings: Settings) -> Mount:
    """The /tiles routes, reading through the app's read provider."""
    hub_version = package_version("hub")
    cache_control = f"public, max-age={settings.tile_max_age_s}"

    async def tile(request: Request) -> Response:
        layer = request.path_params["layer"]
        if layer not in tiles.LAYERS:
            return _unknown_layer(layer, settings)
        try:
            where = tiles.parse_tile(request.path_params["z"], request.path_params["x"],
                                     request.path_params["y"], settings.tile_max_zoom)
            asked = parse_request(layer, request.query_params, settings)
            query = tiles.canonical_query(request.query_params.multi_items())
            async with asyncio.timeout(settings.request_timeout_ms / 1000):
                await _check_references(reads, asked.flt)
                data_version = await reads.data_version()
                tag = tiles.etag(TILE_FORMAT, hub_version, data_version, layer, where.z,
                                 where.x, where.y, query)
                headers = {"ETag": tag, "Cache-Control": cache_control}
                if tiles.matches(request.headers.get("if-none-match"), tag):
                    return Response(status_code=304, headers=headers)
                units = None
                if asked.reach is not None:  # the municipalities' coverage
                    units = await reads.tile_coverage(data_version, asked.flt, asked.reach)
                body = await reads.tile(layer, where, asked.flt, units)
        except TimeoutError:
            return error_response(
                "QUERY_TOO_COMPLEX", f"The tile took longer than {settings.request_timeout_ms}"
                " ms and was stopped; ask for less (a narrower filter, a deeper zoom).",
                where="/tiles", retry_after_s=settings.retry_after_s,
                limit=settings.request_timeout_ms)
        except Exception as exc:
            return _failed(exc, settings)
        if not body:
            return Response(status_code=204, headers=headers)
        return Response(body, media_type=MEDIA_TYPE, headers=headers)

    async def tilejson(request: Request) -> Response:
        layer = request.path_params["layer"]
        if layer not in tiles.LAYERS:
            return _unknown_layer(layer, settings)
        try:
            asked = parse_request(layer, request.query_params, settings)
            await _check_references(reads, asked.flt)
            info = await reads.tile_set_info(tiles.CREDITS[layer])
        except Exception as exc:
            return _failed(exc, settings)
        # Beside this document's own URL (whatever prefix a proxy or mount puts before it),
        # with its query string as given.
        folder = request.url.path.removesuffix(f"{layer}.json")
        url = str(request.url.replace(path=f"{folder}{layer}/{{z}}/{{x}}/{{y}}.mvt"))
        document = tiles.tilejson(layer, url, settings.tile_max_zoom, info.bounds,
                                  info.attribution)
        return JSONResponse(document, headers={"Cache-Control": cache_control})

    return Mount("/tiles", routes=[
        Route("/{layer}.json", tilejson, methods=["GET"]),
        Route("/{layer}/{z}/{x}/{y}.mvt", tile, methods=["GET"]),
    ])
