"""Automatic persisted queries in Apollo's protocol (APQ) on /graphql: a request whose
``extensions.persistedQuery`` carries ``{"version": 1, "sha256Hash": "<hex>"}`` and no query
runs the text registered under that hash, or gets the error ``PersistedQueryNotFound``
(code PERSISTED_QUERY_NOT_FOUND, HTTP 200 as Apollo clients expect), upon which the client
sends the query with its hash once to register it. Short GETs by hash are what browsers and
CDNs can cache (hub.api.http_cache)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from hub.config import Settings
from hub.graphql.persisted import registration_errors
from hub.services.persisted_queries import PersistedQueries

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_FIELD = "extensions.persistedQuery"


class PersistedQueryRefused(Exception):
    """A persistedQuery extension the hub cannot use (HTTP 400, BAD_USER_INPUT): the client's
    mistake, named by ``field``."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def not_found() -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(
        "PersistedQueryNotFound", extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})])


def _hash_of(extension: Any) -> str:
    if not isinstance(extension, dict):
        raise PersistedQueryRefused(f"{_FIELD} must be an object with version and "
                                    "sha256Hash.", _FIELD)
    version = extension.get("version")
    if version != 1 or isinstance(version, bool):
        raise PersistedQueryRefused(f"{_FIELD}.version: {version!r} is not supported; only 1 "
                                    "is.", f"{_FIELD}.version")
    sha256 = extension.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise PersistedQueryRefused(f"{_FIELD}.sha256Hash must be the SHA-256 of the query "
                                    "as 64 hexadecimal digits.", f"{_FIELD}.sha256Hash")
    return sha256.lower()


async def resolve(store: PersistedQueries, settings: Settings, schema: GraphQLSchema,
                  data: GraphQLRequestData) -> GraphQLRequestData | ExecutionResult:
    """The request to run (its query filled in from the store, or registered there), or the
    answer to give instead (not found; a text refused at registration). Raises
    PersistedQueryRefused for a malformed extension or a hash that is not the query's."""
    sha256 = _hash_of((data.extensions or {}).get("persistedQuery"))
    if data.query is None:
        query = await store.get(sha256)
        return not_found() if query is None else replace(data, query=query)
    actual = hashlib.sha256(data.query.encode()).hexdigest()
    if actual != sha256:
        raise PersistedQueryRefused(
            f"{_FIELD}.sha256Hash: {sha256} is not the SHA-256 of the query (that is "
            f"{actual}).", f"{_FIELD}.sha256Hash")
    if await store.get(sha256) is None:
        errors = registration_errors(settings, schema, data.query, data.variables)
        if errors:
            return ExecutionResult(data=None, errors=errors)
        await store.register(sha256, data.query)
    return data
