"""The request body limit, enforced while the body is read: a declared Content-Length over
the limit is refused before reading, and a body without one (chunked) is counted as it
arrives, so neither a lying header nor a stream gets past it."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    """An error in the usual GraphQL shape, for answers made outside GraphQL execution."""
    return json.dumps({"errors": [{"message": message,
                                   "extensions": {"code": code, **extensions}}]}).encode()


async def send_error(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> bytes:
    return error_body(f"The request body is over the limit of {limit} bytes.",
                      "BAD_USER_INPUT", limit=limit)


class BodyLimit:
    """HTTP 413 with a BAD_USER_INPUT error for a body over ``max_bytes``; a file upload
    (multipart/form-data: importFacilities) may be as large as ``upload_max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None
                 ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_max_bytes if upload else self.max_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_error(send, 400, error_body(
                        "The Content-Length header is not a number.", "BAD_USER_INPUT"))
                    return
                if declared > limit:
                    await send_error(send, 413, _too_large(limit))
                    return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:  # pragma: no cover - the app answers only after reading the body
                raise
            await send_error(send, 413, _too_large(limit))
