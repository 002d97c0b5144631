"""The coverage kept for municipality tiles (hub.services.reads.tiles.CoverageMemo): one
computation per data version, filter and distance, shared by concurrent tiles, and a failed
one not kept."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import Engine

from hub.db.pool import Database
from hub.domain.filters import make_filter
from hub.services.reads import coverage
from hub.services.reads.tiles import CoverageMemo, data_version, unit_coverage


def _database(url: str, timeout_s: float = 5.0) -> Database:
    return Database(url, statement_timeout_ms=60_000, min_size=1, max_size=4, timeout_s=timeout_s,
                    reconnect_s=1, connect_timeout_s=1)


def test_concurrent_tiles_share_one_coverage_and_a_new_version_computes_again(
    seed_loaded: Engine, database_url: str
) -> None:
    park = make_filter(categories=["PARK"])

    async def run() -> None:
        db = _database(database_url)
        await db.open()
        try:
            report = await coverage.coverage(db, park, 20_000.0)
            start = db.statements
            await unit_coverage(db, park, 20_000.0)
            one = db.statements - start  # what one computation costs
            memo = CoverageMemo(size=2)
            version = await data_version(db)
            start = db.statements
            answers = await asyncio.gather(*(memo.get(db, version, park, 20_000.0)
                                             for _ in range(8)))
            assert db.statements - start == one
            assert all(a is answers[0] for a in answers)
            assert {code: u.gap for code, u in answers[0].items()} == {
                u.code: u.is_gap for u in report.units}
            start = db.statements
            await memo.get(db, version, park, 20_000.0)
            assert db.statements == start  # kept
            await memo.get(db, version + 1, park, 20_000.0)
            assert db.statements - start == one  # a new data version: computed again
            await memo.get(db, version, None, 20_000.0)
            await memo.get(db, version, park, 20_000.0)  # the oldest of three, size 2
            assert db.statements - start == 3 * one
        finally:
            await db.close()

    asyncio.run(run())


def test_a_failed_coverage_is_not_kept(seed_loaded: Engine, database_url: str) -> None:
    async def run() -> None:
        memo = CoverageMemo(size=4)
        down = _database("postgresql://nobody@127.0.0.1:1/none", timeout_s=0.5)
        await down.open()
        try:
            with pytest.raises(psycopg.Error):  # the pool's PoolTimeout
                await memo.get(down, 7, None, 20_000.0)
        finally:
            await down.close()
        db = _database(database_url)
        await db.open()
        try:
            units = await memo.get(db, 7, None, 20_000.0)
            assert len(units) == 188
        finally:
            await db.close()

    asyncio.run(run())
