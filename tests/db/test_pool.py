"""The request path's pool: every statement runs under the statement timeout, a connection
that died with the server is replaced before a request sees it, and a request waits a
bounded time in a bounded queue (refusals the API answers as UNAVAILABLE)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

import psycopg
import pytest
from psycopg_pool import PoolTimeout, TooManyRequests

from hub.db.pool import Database, application_name
from hub.graphql.errors import unavailable


def _run(database_url: str, body: Callable[[Database], Awaitable[None]], **pool: float) -> None:
    """Runs ``body`` against a small opened pool and closes it afterwards."""
    async def run() -> None:
        db = Database(database_url, statement_timeout_ms=int(pool.pop("statement_ms", 15_000)),
                      min_size=int(pool.pop("min_size", 1)),
                      max_size=int(pool.pop("max_size", 1)), **pool)  # type: ignore[arg-type]
        await db.pool.open(wait=True)
        try:
            await body(db)
        finally:
            await db.close()

    asyncio.run(run())


async def _backend_pids(db: Database, count: int) -> list[int]:
    """The server processes behind the pool's ``count`` connections (all checked out at
    once, so each is a different one)."""
    conns = [await db.pool.getconn() for _ in range(count)]
    try:
        return [conn.info.backend_pid for conn in conns]
    finally:
        for conn in conns:
            await db.pool.putconn(conn)


def _terminate(database_url: str, pids: list[int]) -> None:
    """What a restart of PostgreSQL does to each connection: the server ends it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid, 5000) FROM unnest(%s::int[]) AS pid",
                     (pids,))


def test_a_statement_over_the_timeout_is_cancelled(database_url: str) -> None:
    async def body(db: Database) -> None:
        with pytest.raises(psycopg.errors.QueryCanceled) as cancelled:
            await db.fetch_all("SELECT pg_sleep(2)")
        assert not unavailable(cancelled.value), "a slow query would fail again: not a retry"
        assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
        assert db.statements == 2

    _run(database_url, body, statement_ms=200)


def test_connections_the_server_ended_are_replaced_before_a_request_sees_them(
        database_url: str) -> None:
    async def body(db: Database) -> None:
        before = await _backend_pids(db, 2)
        _terminate(database_url, before)
        for _ in range(4):  # more requests than stale connections: none of them fails
            assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
        after = await _backend_pids(db, 2)
        assert not set(before) & set(after)

    _run(database_url, body, min_size=2, max_size=2)


def test_a_healthy_connection_is_lent_without_a_round_trip(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check on checkout reads the socket; the round trip is made only for a
    connection whose socket has something to say (the server ended it)."""
    from psycopg_pool import AsyncConnectionPool

    round_trips: list[object] = []
    original = AsyncConnectionPool.check_connection

    async def counted(conn: psycopg.AsyncConnection[object]) -> None:
        round_trips.append(conn)
        await original(conn)

    monkeypatch.setattr(AsyncConnectionPool, "check_connection", counted)

    async def body(db: Database) -> None:
        for _ in range(5):
            assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
        assert round_trips == []
        _terminate(database_url, await _backend_pids(db, 1))
        assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
        assert len(round_trips) == 1  # the ended one, found out and replaced

    _run(database_url, body)


def test_a_connection_ended_mid_statement_is_unavailable(database_url: str) -> None:
    async def body(db: Database) -> None:
        [pid] = await _backend_pids(db, 1)
        slow = asyncio.create_task(db.fetch_all("SELECT pg_sleep(5)"))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(_terminate, database_url, [pid])
        with pytest.raises(psycopg.OperationalError) as ended:
            await slow
        assert unavailable(ended.value), ended.value
        assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}

    _run(database_url, body)


def test_connections_carry_the_application_name(database_url: str) -> None:
    async def body(db: Database) -> None:
        [pid] = await _backend_pids(db, 1)
        row = await db.fetch_one(
            "SELECT application_name FROM pg_stat_activity WHERE pid = %s", (pid,))
        assert row == {"application_name": f"hub-{os.getpid()}"} == {
            "application_name": application_name()}

    _run(database_url, body)


def test_a_request_waits_at_most_the_pool_timeout(database_url: str) -> None:
    async def body(db: Database) -> None:
        held = await db.pool.getconn()
        try:
            with pytest.raises(PoolTimeout) as waited:
                await db.fetch_one("SELECT 1")
            assert unavailable(waited.value)
        finally:
            await db.pool.putconn(held)
        assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}

    _run(database_url, body, timeout_s=0.3)


def test_a_request_past_the_full_queue_is_refused_at_once(database_url: str) -> None:
    async def body(db: Database) -> None:
        held = await db.pool.getconn()
        waiting = asyncio.create_task(db.fetch_one("SELECT 2 AS two"))
        while db.pool.get_stats().get("requests_waiting", 0) < 1:
            await asyncio.sleep(0.01)
        try:
            with pytest.raises(TooManyRequests) as refused:
                await db.fetch_one("SELECT 1")
            assert unavailable(refused.value)
        finally:
            await db.pool.putconn(held)
        assert await waiting == {"two": 2}, "the one in the queue is served"

    _run(database_url, body, max_waiting=1, timeout_s=10)
