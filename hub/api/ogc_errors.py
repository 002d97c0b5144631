"""How /ogc answers an exception from tipg, asyncpg, FastAPI or the hub: one table from
exception class to HTTP status and contract code, the message a client may see, and the
response in the shape of every HTTP route (hub.api.errors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import morecantile.errors
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from tipg import errors as tipg_errors

from hub.api import errors
from hub.domain.errors import InputError


@dataclass(frozen=True)
class Answer:
    """How an exception is answered: HTTP status and the contract's code."""

    status: int
    code: str


BAD = Answer(400, "BAD_USER_INPUT")
_NOT_FOUND = Answer(404, "NOT_FOUND")
_UNAVAILABLE = Answer(503, "UNAVAILABLE")
_INTERNAL = Answer(500, "INTERNAL")


def _http(exc: BaseException) -> Answer:
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return _NOT_FOUND
    return Answer(status, "BAD_USER_INPUT") if 400 <= status < 500 else _INTERNAL


#: Exception class -> answer, looked up along the exception's class hierarchy (the most
#: specific row wins), as hub.graphql.errors does for GraphQL.
OGC_ERRORS: dict[type[BaseException], Answer | Callable[[BaseException], Answer]] = {
    InputError: BAD,
    RequestValidationError: BAD,
    HTTPException: _http,
    tipg_errors.NotFound: _NOT_FOUND,
    tipg_errors.InvalidBBox: BAD,
    tipg_errors.InvalidLimit: BAD,
    tipg_errors.InvalidDatetime: BAD,
    tipg_errors.InvalidPropertyName: BAD,
    tipg_errors.InvalidGeometryColumnName: BAD,
    tipg_errors.InvalidDatetimeColumnName: BAD,
    tipg_errors.MissingDatetimeColumn: BAD,
    tipg_errors.MissingFunctionParameter: BAD,
    tipg_errors.NoPrimaryKey: BAD,
    # A tile outside its matrix set (a zoom past the grid, say).
    morecantile.errors.MorecantileError: BAD,
    # Class 22 (a value of the wrong type, the coverage function's own checks) and class
    # 42 (a filter naming a column or function that does not exist, comparing text with a
    # number) come from what the client sent: the SQL around it is tipg's, over fixed views.
    asyncpg.DataError: BAD,
    asyncpg.SyntaxOrAccessError: BAD,
    asyncpg.InsufficientPrivilegeError: _INTERNAL,
    # The statement timeout cancelled it: the same request would fail again.
    asyncpg.QueryCanceledError: Answer(400, "QUERY_TOO_COMPLEX"),
    # The database cannot be reached, is starting or stopping, or has no connection left;
    # a connection not handed over within HUB_POOL_TIMEOUT_S (TimeoutError is an OSError).
    asyncpg.PostgresConnectionError: _UNAVAILABLE,
    asyncpg.OperatorInterventionError: _UNAVAILABLE,
    asyncpg.InsufficientResourcesError: _UNAVAILABLE,
    asyncpg.InvalidAuthorizationSpecificationError: _UNAVAILABLE,
    OSError: _UNAVAILABLE,
}

_TOO_COMPLEX = ("The query took longer than the statement timeout and was cancelled; ask "
                "for less (a smaller limit, a narrower filter).")


def answer_for(exc: BaseException) -> Answer:
    for cls in type(exc).__mro__:
        found = OGC_ERRORS.get(cls)
        if found is not None:
            return found if isinstance(found, Answer) else found(exc)
    return _INTERNAL


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """FastAPI's refusal of a parameter as one line naming it (``limit: ...``)."""
    parts, field = [], None
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
        name = ".".join(loc) or "request"
        field = field or name
        parts.append(f"{name}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "The request is not valid.", field


def _client_message(exc: BaseException) -> tuple[str, str | None]:
    if isinstance(exc, InputError):
        return exc.message, exc.field
    if isinstance(exc, RequestValidationError):
        return _validation_message(exc)
    if isinstance(exc, HTTPException):
        return str(exc.detail), None
    if isinstance(exc, asyncpg.PostgresError):
        return str(getattr(exc, "message", None) or exc), None
    return str(exc), None


def error_response(exc: BaseException, retry_after_s: int) -> Response:
    """The answer to ``exc``, in the shape and with the logging of every HTTP route
    (hub.api.errors); the statement timeout's message says what to ask for instead."""
    found = answer_for(exc)
    extensions: dict[str, Any] = {}
    if found.code == "QUERY_TOO_COMPLEX":
        message = _TOO_COMPLEX
    else:
        message, field = _client_message(exc)
        if field:
            extensions["field"] = field
    return errors.error_response(found.code, message, where="/ogc", exc=exc,
                                 retry_after_s=retry_after_s, status=found.status,
                                 **extensions)
