"""Every error leaves with an extensions.code of the contract and without a stack trace.

Errors the hub raises on purpose (hub.domain.errors) keep their message and say which field;
GraphQL's own validation errors are the client's (BAD_USER_INPUT), unless a limit refused
the query (QUERY_TOO_COMPLEX); anything else is logged in full on the server and reaches
the client as INTERNAL with a fixed message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg
from graphql import GraphQLError
from psycopg_pool import PoolClosed, PoolTimeout, TooManyRequests
from strawberry.extensions import SchemaExtension

from hub.domain.errors import HubError

log = logging.getLogger("hub.graphql")

#: How strawberry's limiters word their refusals.
_TOO_COMPLEX = ("exceeds maximum operation depth", "aliases found", "more than",
                "Parsing aborted")


#: The database cannot be reached or the server is saturated: UNAVAILABLE, which the HTTP
#: layer answers 503 with Retry-After. The pool's own refusals by class; the server's by
#: SQLSTATE: class 08 (connection exception), shutdown and start-up (57P01-57P03), too many
#: connections (53300). Not a statement timeout (QueryCanceled, 57014): that query would
#: fail again.
_UNAVAILABLE: tuple[type[Exception], ...] = (PoolTimeout, TooManyRequests, PoolClosed)
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def unavailable(exc: BaseException) -> bool:
    """A fault of the connection rather than of the statement. psycopg raises an
    OperationalError without SQLSTATE when the server went away mid-query (the socket
    closed), so that counts too."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _UNAVAILABLE_SQLSTATES


def _classified(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is not None and unavailable(original):
        log.warning("database unavailable at %s: %s", error.path, original)
        return GraphQLError("The database is unavailable or the server is busy; retry later.",
                            nodes=error.nodes, path=error.path,
                            extensions={"code": "UNAVAILABLE"})
    if isinstance(original, HubError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        return GraphQLError(original.message, nodes=error.nodes, path=error.path,
                            extensions=extensions)
    if original is None:
        code = ("QUERY_TOO_COMPLEX" if any(w in error.message for w in _TOO_COMPLEX)
                else "BAD_USER_INPUT")
        return GraphQLError(error.message, nodes=error.nodes, path=error.path,
                            extensions={"code": code})
    log.error("internal error at %s", error.path, exc_info=original)
    return GraphQLError("Internal server error.", nodes=error.nodes, path=error.path,
                        extensions={"code": "INTERNAL"})


def classify(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Errors as they may leave the server: each with its code, none with internals."""
    return [e if (e.extensions or {}).get("code") else _classified(e) for e in errors]


class ErrorCodes(SchemaExtension):
    """Classifies errors of executed operations (those run through schema.execute too);
    the HTTP view classifies what is left, such as syntax errors."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = classify(errors)
