"""Coverage of all 188 units over 1,000, 100,000 and 1,000,000 synthetic facilities.

For each size it makes the facilities (``hub dev synth``, deterministic), then times
- the hub's coverage computation (hub.services.reads.coverage, as the GraphQL query runs it),
- the floor: the same two SQL statements sent straight through psycopg,
and prints the median and range of each and the ratio hub/floor. Synthetic facilities have
no service area, so every unit's servedByArea is false and the work is the nearest search
and the 2SFCA pairs within the catchment. Run by hand:

    .venv/bin/python -m benchmarks.coverage [--sizes 1000 100000 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import psycopg
from psycopg import sql

from benchmarks.synthetic import synthetic_url
from hub.db.pool import Database
from hub.services.reads import coverage, facilities
from hub.services.reads.provider import Reads

REACH = 20_000.0


async def time_hub(url: str, runs: int) -> list[float]:
    db = Database(url, 3_600_000, 1, 2)
    reads = Reads(db)
    await db.open()
    try:
        await reads.coverage(None, REACH)  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            await reads.coverage(None, REACH)
            times.append(time.perf_counter() - start)
        return times
    finally:
        await db.close()


def time_floor(url: str, runs: int) -> list[float]:
    condition, params = facilities.where(None)
    params |= {"reach": REACH, "candidates": coverage.CANDIDATES, "lats": [], "lons": []}
    parts = {"units": sql.SQL(coverage.UNITS), "sites": sql.SQL(coverage.SITES),
             "condition": condition}
    statements = [sql.SQL(q).format(**parts) for q in (coverage.AREA_AND_ACCESS,
                                                        coverage.NEAREST_PER_UNIT)]
    times = []
    with psycopg.connect(url, autocommit=True) as conn:
        for query in statements:
            conn.execute(query, params).fetchall()  # warm-up
        for _ in range(runs):
            start = time.perf_counter()
            for query in statements:
                conn.execute(query, params).fetchall()
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        url = synthetic_url(size)
        hub = asyncio.run(time_hub(url, args.runs))
        floor = time_floor(url, args.runs)
        results.append((size, hub, floor))
        print(f"{size:>10,} facilities: hub {statistics.median(hub):.3f} s, "
              f"floor {statistics.median(floor):.3f} s", flush=True)
    print(f"\ncoverage of 188 units, reach {REACH / 1000:g} km, {args.runs} runs each "
          "(median [min-max] seconds)")
    print(f"{'facilities':>12}{'hub':>26}{'floor (psycopg)':>26}{'hub/floor':>11}")
    for size, hub, floor in results:
        print(f"{size:>12,}{_span(hub):>26}{_span(floor):>26}"
              f"{statistics.median(hub) / statistics.median(floor):>11.2f}")


def _span(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} [{min(times):.3f}-{max(times):.3f}]"


if __name__ == "__main__":
    main()
