"""Who may write: every mutation asks ``writer(info)`` first; reads never do (they need no
token).

A refused attempt is logged at WARNING, one line with the reason and the client's address,
never the secret or the header: for a well-formed but unknown or revoked secret, the first
characters of its SHA-256, which find a revoked token in ``api_token`` and reveal nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from strawberry.types import Info

from hub.domain.errors import Unauthenticated
from hub.domain.tokens import Principal, bearer_secret, hash_prefix, hash_secret
from hub.graphql.context import Context

log = logging.getLogger("hub.graphql.auth")

UNKNOWN = ("The token is not known or has been revoked; ask an administrator for a new one "
           "(hub token create).")


def _client(info: Info[Context, Any]) -> str:
    request = info.context.request
    if request is None or request.client is None:
        return "an unknown address"
    return request.client.host


async def writer(info: Info[Context, Any]) -> Principal:
    """The principal of the request's ``Authorization: Bearer`` token; Unauthenticated when
    the header is missing or malformed or the token unknown or revoked."""
    request = info.context.request
    header = None if request is None else request.headers.get("authorization")
    try:
        secret = bearer_secret(header)
    except Unauthenticated as exc:
        log.warning("write refused from %s at %s: %s", _client(info), info.path.key, exc.message)
        raise
    secret_hash = hash_secret(secret)
    principal = await info.context.reads.principal(secret_hash)
    if principal is None:
        log.warning("write refused from %s at %s: unknown or revoked token (sha256 %s...)",
                    _client(info), info.path.key, hash_prefix(secret_hash))
        raise Unauthenticated(UNKNOWN)
    return principal
