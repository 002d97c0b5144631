"""The request path's connection to PostgreSQL: an async psycopg pool, no ORM objects. Rows
are dicts unless a call names its own row factory (``class_row`` of the dataclass it
returns). Every statement runs under the hub's statement timeout and is counted, so tests
can show that a query's statement count does not grow with its page size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, overload

from psycopg import AsyncConnection, sql
from psycopg.rows import BaseRowFactory, dict_row
from psycopg_pool import AsyncConnectionPool

Query = str | sql.Composed | sql.SQL
Params = Mapping[str, Any] | Sequence[Any] | None
Row = TypeVar("Row")


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
