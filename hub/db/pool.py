"""The request path's connection to PostgreSQL: an async psycopg pool, no ORM objects. Rows
are dicts unless a call names its own row factory (``class_row`` of the dataclass it
returns). Every statement runs under the hub's statement timeout and is counted, so
tests can show that a query's statement count does not grow with its page size.

The pool is built to live through a restart of PostgreSQL: each connection is checked when
it is taken (a stale one is dropped, not handed to a request), a request waits a bounded
time for a connection in a bounded queue (``PoolTimeout`` / ``TooManyRequests``, which the
API answers as UNAVAILABLE), and lost connections are retried for a bounded time and then
afresh on demand, so the pool notices soon that the server is back."""

from __future__ import annotations

import os
import select
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, overload

from psycopg import AsyncConnection, pq, sql
from psycopg.rows import BaseRowFactory, dict_row
from psycopg_pool import AsyncConnectionPool

from hub.config import Settings

Query = str | sql.Composed | sql.SQL
Params = Mapping[str, Any] | Sequence[Any] | None
Row = TypeVar("Row")


def application_name() -> str:
    """How this process's connections appear in pg_stat_activity: the hub and the pid of the
    server process (one pool per ``--workers`` process), so an operator can tell them apart."""
    return f"hub-{os.getpid()}"


async def check_connection(conn: AsyncConnection[Any]) -> None:
    """Whether a connection taken from the pool still works, without a round trip when
    its socket says so. An idle connection has nothing to read: when the server closes it
    (a restart, ``pg_terminate_backend``) the socket turns readable (its notice, then end
    of file), and only then is the empty round trip of psycopg_pool's own check made,
    which fails and has the pool replace it. An empty round trip on every checkout doubled
    the statements of a request on the compiled path (hub.api.compiled)."""
    if conn.pgconn.status != pq.ConnStatus.OK or _readable(conn.pgconn.socket):
        await AsyncConnectionPool.check_connection(conn)


def _readable(fd: int) -> bool:
    try:
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True  # a closed descriptor: let the round trip fail
    return bool(readable)


class Database:
    def __init__(self, url: str, statement_timeout_ms: int, min_size: int = 2,
                 max_size: int = 16, *, timeout_s: float = 5.0, max_waiting: int = 64,
                 reconnect_s: float = 10.0, connect_timeout_s: int = 5) -> None:
        self.statements = 0
        self.pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            name="hub",
            # A connection that died with the server is replaced before a request sees it.
            check=check_connection,
            timeout=timeout_s,
            max_waiting=max_waiting,
            # psycopg_pool doubles its pause between attempts for this long; a short span
            # bounds the last pause, so recovery follows the server within seconds.
            reconnect_timeout=reconnect_s,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                # No JIT: the request path's statements are short, and a cost estimate over
                # its threshold (a scan it misjudges) would spend 100 ms compiling them.
                "options": f"-c statement_timeout={int(statement_timeout_ms)} -c jit=off",
                "application_name": application_name(),
                "connect_timeout": connect_timeout_s,
                # Server-side prepared statements for repeated queries (the hot path).
                "prepare_threshold": 1,
            },
            connection_class=AsyncConnection[dict[str, Any]],
        )

    @classmethod
    def from_settings(cls, url: str, settings: Settings) -> Database:
        return cls(url, settings.statement_timeout_ms, settings.pool_min, settings.pool_max,
                   timeout_s=settings.pool_timeout_s, max_waiting=settings.pool_max_waiting,
                   reconnect_s=settings.pool_reconnect_s,
                   connect_timeout_s=settings.pool_connect_timeout_s)

    async def open(self) -> None:
        """Start filling the pool without waiting: the server starts even while the database
        is down, and /ready tells when it answers."""
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def ping(self, timeout_s: float) -> None:
        """A round trip through the pool (what /ready asks), waiting at most ``timeout_s`` for
        a connection; raises a ``psycopg.Error`` when the database does not answer."""
        async with self.pool.connection(timeout=timeout_s) as conn:
            await conn.execute("SELECT 1")

    @overload
    async def fetch_all(self, query: Query, params: Params = None) -> list[dict[str, Any]]: ...

    @overload
    async def fetch_all(self, query: Query, params: Params = None, *,
                        row: BaseRowFactory[Row]) -> list[Row]: ...

    async def fetch_all(self, query: Query, params: Params = None, *,
                        row: BaseRowFactory[Any] = dict_row) -> list[Any]:
        self.statements += 1
        async with self.pool.connection() as conn, conn.cursor(row_factory=row) as cursor:
            await cursor.execute(query, params)
            return await cursor.fetchall()

    @overload
    async def fetch_one(self, query: Query, params: Params = None) -> dict[str, Any] | None: ...

    @overload
    async def fetch_one(self, query: Query, params: Params = None, *,
                        row: BaseRowFactory[Row]) -> Row | None: ...

    async def fetch_one(self, query: Query, params: Params = None, *,
                        row: BaseRowFactory[Any] = dict_row) -> Any:
        rows = await self.fetch_all(query, params, row=row)
        return rows[0] if rows else None
