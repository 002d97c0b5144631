"""The request path's connection to PostgreSQL: an async psycopg pool, plain dict rows, no
ORM objects. Every statement runs under the hub's statement timeout and is counted, so
tests can show that a query's statement count does not grow with its page size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

Query = str | sql.Composed | sql.SQL
Params = Mapping[str, Any] | Sequence[Any] | None


class Database:
    def __init__(self, url: str, statement_timeout_ms: int, min_size: int = 2,
                 max_size: int = 16) -> None:
        self.statements = 0
        self.pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "options": f"-c statement_timeout={int(statement_timeout_ms)}",
                # Server-side prepared statements for repeated queries (the hot path).
                "prepare_threshold": 1,
            },
            connection_class=AsyncConnection[dict[str, Any]],
        )

    async def open(self) -> None:
        """Start filling the pool; requests wait for a connection (up to 30 s) if needed."""
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def fetch_all(self, query: Query, params: Params = None) -> list[dict[str, Any]]:
        self.statements += 1
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    async def fetch_one(self, query: Query, params: Params = None) -> dict[str, Any] | None:
        rows = await self.fetch_all(query, params)
        return rows[0] if rows else None
