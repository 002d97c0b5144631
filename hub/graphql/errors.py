"""Every error leaves with an extensions.code of the contract and without a stack trace.

Errors are classified by the type of the exception behind them, in one table
(``ERROR_CODES``, looked up along the exception's class hierarchy, the most specific class
first), the way developmentseed/tipg maps exceptions to status codes. An error without an
exception behind it is graphql-core's verdict on the request (syntax, validation, variable
coercion) and so the client's: BAD_USER_INPUT. Whatever the table does not know is a fault
of ours: INTERNAL, with a fixed message and an ``extensions.requestId`` under which the
server logged the traceback. Client errors are logged at INFO, one line, without the query.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy.exc
from graphql import GraphQLError
from psycopg_pool import PoolClosed, PoolTimeout, TooManyRequests

from hub.domain.errors import (
    Conflict,
    Forbidden,
    HubError,
    InputError,
    NotFound,
    Unauthenticated,
)

log = logging.getLogger("hub.graphql")


class TooComplex(Exception):
    """A request over one of the limits on what a request may cost (QUERY_TOO_COMPLEX)."""

    def __init__(self, message: str, limit: int | None, estimate: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit
        self.estimate = estimate


class VariableError(InputError):
    """A variable whose value does not fit its declared type; ``field`` is its name."""


class InvalidRequest(InputError):
    """graphql-core refused the document or a value in it (validation, coercion)."""


#: The server's SQLSTATEs of a database that is unavailable rather than of a bad statement:
#: class 08 (connection exception), shutdown and start-up (57P01-57P03), too many
#: connections (53300), and a read replica cancelling a statement that conflicts with the
#: changes it replays (40001, "conflict with recovery": the same read succeeds when retried).
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "40001"})


def _operational(exc: BaseException) -> str:
    """psycopg raises an OperationalError without SQLSTATE when the server went away
    mid-query (the socket closed): that is UNAVAILABLE too; other states are ours."""
    state = getattr(exc, "sqlstate", None)
    if state is None or state.startswith("08") or state in _UNAVAILABLE_SQLSTATES:
        return "UNAVAILABLE"
    return "INTERNAL"


#: Exception class -> contract code (or a function of the exception giving it). Rows may be
#: added; a subclass is found through its bases, so the most specific row wins
#: (QueryCanceled is an OperationalError).
ERROR_CODES: dict[type[BaseException], str | Callable[[BaseException], str]] = {
    InputError: "BAD_USER_INPUT",
    NotFound: "NOT_FOUND",
    Unauthenticated: "UNAUTHENTICATED",
    Forbidden: "FORBIDDEN",
    Conflict: "CONFLICT",
    TooComplex: "QUERY_TOO_COMPLEX",
    # The statement timeout cancelled the statement: it would fail again, so no retry.
    psycopg.errors.QueryCanceled: "QUERY_TOO_COMPLEX",
    # The database cannot be reached or the server is saturated: UNAVAILABLE, which the
    # HTTP layer answers 503 with Retry-After.
    psycopg.OperationalError: _operational,
    # Writes go through SQLAlchemy, which wraps the driver's error.
    sqlalchemy.exc.OperationalError: lambda exc: _operational(getattr(exc, "orig", exc)),
    PoolTimeout: "UNAVAILABLE",
    TooManyRequests: "UNAVAILABLE",
    PoolClosed: "UNAVAILABLE",
}

#: What a client reads for an error whose exception message is not meant for it.
PUBLIC_MESSAGES = {
    "QUERY_TOO_COMPLEX": "The query took too long and was cancelled; ask for less.",
    "UNAVAILABLE": "The database is unavailable or the server is busy; retry later.",
    "INTERNAL": "Internal server error.",
}

#: Longest error message written to the log (a message may quote a client's value).
_LOGGED_MESSAGE = 300


def code_of(exception: BaseException | None) -> str:
    """The contract code for an error caused by ``exception`` (None: graphql-core's own)."""
    if exception is None:
        return "BAD_USER_INPUT"
    for cls in type(exception).__mro__:
        code = ERROR_CODES.get(cls)
        if code is not None:
            return code if isinstance(code, str) else code(exception)
    return "INTERNAL"


def unavailable(exc: BaseException) -> bool:
    """A fault of the connection rather than of the statement: worth a retry later."""
    return code_of(exc) == "UNAVAILABLE"


def _extensions(original: BaseException | None, code: str) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code}
    if isinstance(original, HubError) and original.field:
        extensions["field"] = original.field
    if isinstance(original, TooComplex):
        if original.limit is not None:
            extensions["limit"] = original.limit
        if original.estimate is not None:
            extensions["estimate"] = original.estimate
    return extensions


def _message(error: GraphQLError, original: BaseException | None, code: str) -> str:
    if original is None:
        return error.message
    if isinstance(original, HubError | TooComplex):
        return original.message
    return PUBLIC_MESSAGES.get(code, PUBLIC_MESSAGES["INTERNAL"])


def classify(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Errors as they may leave the server: each with its code, none with internals.

    Logs each newly classified error: INTERNAL at ERROR with the traceback and the request
    id that the client gets, the client's own at INFO without the query text. Errors that
    already carry a code pass unchanged (so a second pass changes nothing).
    """
    request_id: str | None = None
    classified = []
    for error in errors:
        if (error.extensions or {}).get("code"):
            classified.append(error)
            continue
        original = error.original_error
        code = code_of(original)
        extensions = _extensions(original, code)
        if code == "INTERNAL":
            request_id = request_id or uuid.uuid4().hex
            extensions["requestId"] = request_id
            log.error("internal error %s at %s", request_id, error.path, exc_info=original)
        elif code == "UNAVAILABLE":
            log.warning("database unavailable at %s: %s", error.path, original)
        else:
            log.info("client error %s%s: %s", code,
                     f" ({extensions['field']})" if "field" in extensions else "",
                     error.message[:_LOGGED_MESSAGE])
        classified.append(GraphQLError(_message(error, original, code), nodes=error.nodes,
                                       path=error.path, extensions=extensions))
    return classified


def client_error(error: GraphQLError, field: str | None = None) -> GraphQLError:
    """graphql-core's refusal of a request, marked as the client's whatever exception it
    carries (a scalar's parse_value may raise anything)."""
    return GraphQLError(error.message, nodes=error.nodes,
                        original_error=InvalidRequest(error.message, field))
