"""What every write resolver does besides asking ``writer(info)`` who writes: read an id
argument, and run the synchronous write (hub.services.writes) in a worker thread on the
app's write side, one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry
from anyio import to_thread
from sqlalchemy import Connection

from hub.domain.errors import InputError
from hub.graphql.types import Ctx

T = TypeVar("T")


def parse_id(value: strawberry.ID, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{field}: {value!r} is not an id", field) from None


async def run_write(info: Ctx, write: Callable[[Connection], T]) -> T:
    writes = info.context.writes
    if writes is None:
        raise RuntimeError("this context has no write side")
    return await to_thread.run_sync(writes.run, write)
