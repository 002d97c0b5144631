"""Errors a client can cause, raised anywhere below the API and given their GraphQL code
(extensions.code of the contract) at the top."""

from __future__ import annotations


class HubError(Exception):
    """Base of the errors whose message may be shown to a client as it is."""

    code = "INTERNAL"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InputError(HubError):
    """Bad input: which field, and what is wrong with it."""

    code = "BAD_USER_INPUT"


class NotFound(HubError):
    code = "NOT_FOUND"


class Conflict(HubError):
    """A write based on a version of a record that is no longer the current one."""

    code = "CONFLICT"


class Unauthenticated(HubError):
    """A write without a usable token: missing, malformed, unknown or revoked."""

    code = "UNAUTHENTICATED"


class Forbidden(HubError):
    """A known token whose role or operator does not cover what it asked to change."""

    code = "FORBIDDEN"
