"""HTTP caching of GraphQL reads by GET (a persisted query's hash, or the query in the URL):
``Cache-Control: public, max-age=HUB_GRAPHQL_MAX_AGE_S`` and an ``ETag`` over the response
body, and 304 Not Modified for a matching ``If-None-Match``, so that browsers and CDNs serve
repeated reads. Only a clean answer is cacheable: one with errors, or to a request with an
``Authorization`` header, is ``no-store``. POSTs are left alone (not cacheable in HTTP)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response


def no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def cached(request: Request, response: Response, max_age_s: int) -> Response:
    """``response`` with its caching headers, or a 304 in its place. A response that already
    says ``Cache-Control`` (no-store for errors) keeps it."""
    if request.method != "GET" or "cache-control" in response.headers:
        return response
    if (response.status_code != 200 or "authorization" in request.headers
            or not response.headers.get("content-type", "").startswith("application/json")):
        no_store(response)
        return response
    etag = f'"{hashlib.sha256(response.body).hexdigest()[:32]}"'
    control = f"public, max-age={max_age_s}" if max_age_s else "no-cache"
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": control})
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = control
    return response
