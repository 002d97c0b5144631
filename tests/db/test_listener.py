"""The listener behind the subscriptions (hub.db.listener) outlives an outage: while the
database refuses connections it retries, its subscribers keep waiting, and once the
database is back it listens again and delivers what is sent from then on."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from hub.db.listener import ALERTS, Listener


def _admin(database_url: str, statement: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(statement)


async def _until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


def test_a_listener_cut_off_by_an_outage_listens_again_once_the_database_is_back(
    database_url: str, seeded_copy_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    name = conninfo_to_dict(seeded_copy_url)["dbname"]
    caplog.set_level(logging.WARNING, logger="hub.db.listener")

    async def run() -> None:
        listener = Listener(seeded_copy_url, connect_timeout_s=2)
        try:
            async with listener.subscribe(ALERTS) as queue:
                await asyncio.wait_for(listener.listening.wait(), 10)
                # The database goes away: no new connections, and its sessions are ended.
                await asyncio.to_thread(_admin, database_url, (
                    f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                await asyncio.to_thread(_admin, database_url, (
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                    f" WHERE datname = '{name}'"))
                await _until(lambda: not listener.listening.is_set(), 10)
                await _until(lambda: sum("retrying" in r.message for r in caplog.records) >= 2,
                             10)
                assert listener.subscribers() == 1, "the subscriber waits through the outage"
                assert queue.empty()
                await asyncio.to_thread(_admin, database_url, (
                    f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
                await asyncio.wait_for(listener.listening.wait(), 15)
                await asyncio.to_thread(_admin, seeded_copy_url, (
                    f"SELECT pg_notify('{ALERTS}', '{json.dumps({'after': 'outage'})}')"))
                assert await asyncio.wait_for(queue.get(), 5) == {"after": "outage"}
        finally:
            await listener.close()
            await asyncio.to_thread(_admin, database_url, (
                f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    asyncio.run(run())
