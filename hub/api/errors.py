"""Errors of the plain HTTP routes (/tiles, /export, /ogc) in the shape GraphQL errors have,
with the status a client or proxy acts on: one table, so that the same fault gets the same
answer on every route.

A client's mistake names what is wrong and is logged in one line; a database that cannot
answer is 503 with Retry-After; a fault of ours is 500 with a request id, under which the
traceback is logged, and no detail.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.responses import Response

from hub.api.limits import error_body
from hub.domain.errors import HubError
from hub.graphql.errors import PUBLIC_MESSAGES, code_of

log = logging.getLogger("hub.api")

#: HTTP status of each contract code.
STATUS = {"BAD_USER_INPUT": 400, "QUERY_TOO_COMPLEX": 400, "UNAUTHENTICATED": 401,
          "FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409, "UNAVAILABLE": 503,
          "INTERNAL": 500}


def error_response(code: str, message: str, *, where: str, retry_after_s: int,
                   exc: BaseException | None = None, status: int | None = None,
                   **extensions: Any) -> Response:
    """The answer with ``code`` (and the code's status unless ``status`` says otherwise: a
    405 is the client's too); UNAVAILABLE and INTERNAL get their public message only."""
    headers: dict[str, str] = {}
    if code == "INTERNAL":
        extensions["requestId"] = uuid.uuid4().hex
        log.error("internal error %s at %s", extensions["requestId"], where, exc_info=exc)
        message = PUBLIC_MESSAGES["INTERNAL"]
    elif code == "UNAVAILABLE":
        log.warning("database unavailable at %s: %s", where, exc)
        message = PUBLIC_MESSAGES["UNAVAILABLE"]
        headers["Retry-After"] = str(retry_after_s)
    else:
        log.info("%s at %s: %s", code, where, message[:300])
    return Response(error_body(message, code, **extensions),
                    status_code=status or STATUS.get(code, 500), headers=headers,
                    media_type="application/json")


def response_for(exc: BaseException, *, where: str, retry_after_s: int) -> Response:
    """The answer to an exception a route did not expect to handle itself: the hub's own
    errors with their code and field, the database's by ``hub.graphql.errors``' table."""
    if isinstance(exc, HubError):
        extensions: dict[str, Any] = {"field": exc.field} if exc.field else {}
        limit = getattr(exc, "limit", None)
        if limit is not None:
            extensions["limit"] = limit
        return error_response(exc.code, exc.message, where=where, retry_after_s=retry_after_s,
                              exc=exc, **extensions)
    code = code_of(exc)
    return error_response(code, PUBLIC_MESSAGES.get(code, PUBLIC_MESSAGES["INTERNAL"]),
                          where=where, retry_after_s=retry_after_s, exc=exc)
