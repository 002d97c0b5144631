"""The replica-lag probe: on a server that is not a replica it cannot say (None), so the
gauge of /metrics stays absent rather than reporting a lag of 0."""

from __future__ import annotations

import asyncio

from hub.db.lag import replica_lag
from hub.db.pool import Database


def test_the_probe_says_nothing_on_a_primary(database_url: str) -> None:
    async def run() -> float | None:
        db = Database(database_url, statement_timeout_ms=5_000, min_size=1, max_size=1)
        await db.pool.open(wait=True)
        try:
            return await replica_lag(db)()
        finally:
            await db.close()

    assert asyncio.run(run()) is None
