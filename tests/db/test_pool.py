"""The request path's pool: every statement runs under the statement timeout."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from hub.db.pool import Database


def test_a_statement_over_the_timeout_is_cancelled(database_url: str) -> None:
    async def run() -> None:
        db = Database(database_url, statement_timeout_ms=200, min_size=1, max_size=1)
        await db.open()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled):
                await db.fetch_all("SELECT pg_sleep(2)")
            assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
            assert db.statements == 2
        finally:
            await db.close()

    asyncio.run(run())
