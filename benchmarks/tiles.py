"""Vector tiles over HTTP at zoom 6, 10 and 14, against the same ST_AsMVT SQL run directly.

It starts ``hub serve`` (on the embedded cluster of HUB_HOME, loaded on first use, or on
``--database-url``) and, for each layer (facilities, municipalities, municipalities with
coverage for PARK within 20 km, service areas) and zoom, requests a fixed set of tiles
- zoom 6: every tile over Hokkaido's main islands;
- zoom 10: the 4 x 4 tiles around central Sapporo;
- zoom 14: the 5 x 5 tiles around Sapporo station (street level)
``--rounds`` times over one keep-alive connection, one request at a time, without
If-None-Match (every answer is a tile made afresh). The floor is the statement the hub sends
for each tile (hub.services.reads.tiles.tile_query), run through one psycopg connection with
the pool's settings (autocommit, prepared after the first run), the same tiles in the same
order. It prints p50 and p95 of both, in milliseconds, and the ratios hub/floor; the hub's
side also holds the data-version statement behind the entity tag, the HTTP round trip and
Starlette. A warm-up round on each side comes first (prepared statements, the coverage memo).
Run it by hand (never part of the test suite):

    .venv/bin/python -m benchmarks.tiles [--rounds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from collections.abc import Callable

import httpx
import psycopg

from benchmarks.soak import start_server
from hub import localdb
from hub.config import Settings
from hub.db.pool import Database
from hub.domain.filters import make_filter
from hub.domain.tiles import Tile
from hub.services.reads.tiles import Coverage, tile_query, unit_coverage

MAIN_ISLANDS = (139.3, 41.35, 145.85, 45.55)  # west, south, east, north
SAPPORO = (141.3507, 43.0686)  # Sapporo station (lon, lat)
#: (name in the table, layer, query string)
LAYERS = (
    ("facilities", "facilities", ""),
    ("municipalities", "municipalities", ""),
    ("municipalities+coverage", "municipalities", "?category=PARK&distance=20000"),
    ("service_areas", "service_areas", ""),
)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tile_set(z: int) -> list[Tile]:
    if z <= 6:
        west, south, east, north = MAIN_ISLANDS
        (x0, y0), (x1, y1) = _tile_of(west, north, z), _tile_of(east, south, z)
        return [Tile(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    side = 4 if z <= 10 else 5
    cx, cy = _tile_of(*SAPPORO, z)
    start = -(side // 2)
    return [Tile(z, cx + dx, cy + dy) for dx in range(start, start + side)
            for dy in range(start, start + side)]


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(rounds: int, tiles: list[Tile], fetch: Callable[[Tile], int]
          ) -> tuple[list[float], int]:
    """Milliseconds of each fetch after a warm-up round, and the bytes of one round."""
    size = sum(fetch(t) for t in tiles)
    times = []
    for _ in range(rounds):
        for t in tiles:
            start = time.perf_counter()
            fetch(t)
            times.append((time.perf_counter() - start) * 1000)
    return times, size


def park_coverage(url: str) -> Coverage:
    async def run() -> Coverage:
        db = Database(url, 60_000, 1, 1)
        await db.open()
        try:
            return await unit_coverage(db, make_filter(categories=["PARK"]), 20_000.0)
        finally:
            await db.close()

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--zooms", type=int, nargs="+", default=[6, 10, 14])
    parser.add_argument("--database-url", help="serve this database, not the embedded one")
    args = parser.parse_args()

    port = localdb.free_port()
    server = start_server(port, 1, args.database_url)
    try:
        url = args.database_url or localdb.database_url(Settings(), report=lambda _: None)
        units = park_coverage(url)
        rows = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http, \
                psycopg.connect(url, autocommit=True, prepare_threshold=1) as conn:

            for name, layer, query in LAYERS:
                for z in args.zooms:
                    tiles = tile_set(z)

                    def over_http(t: Tile, layer: str = layer, query: str = query) -> int:
                        response = http.get(f"/tiles/{layer}/{t.z}/{t.x}/{t.y}.mvt{query}")
                        if response.status_code not in (200, 204):
                            raise SystemExit(f"{response.status_code}: {response.text}")
                        return len(response.content)

                    def direct(t: Tile, layer: str = layer, query: str = query) -> int:
                        statement, params = tile_query(layer, t, None,
                                                       units if query else None)
                        row = conn.execute(statement, params).fetchone()
                        return len(row[0]) if row and row[0] is not None else 0

                    hub, size = timed(args.rounds, tiles, over_http)
                    floor, floor_size = timed(args.rounds, tiles, direct)
                    assert size == floor_size, (name, z, size, floor_size)
                    rows.append((name, z, len(tiles), size, hub, floor))
                    print(f"{name} z{z}: hub p50 {statistics.median(hub):.1f} ms, "
                          f"floor p50 {statistics.median(floor):.1f} ms", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"\ntiles one at a time, {args.rounds} rounds after a warm-up (milliseconds)")
    print(f"{'layer':<24}{'z':>3}{'tiles':>6}{'kB/tile':>9}{'hub p50':>9}{'hub p95':>9}"
          f"{'SQL p50':>9}{'SQL p95':>9}{'p50 x':>7}{'p95 x':>7}")
    for name, z, count, size, hub, floor in rows:
        h50, h95 = percentile(hub, 50), percentile(hub, 95)
        f50, f95 = percentile(floor, 50), percentile(floor, 95)
        print(f"{name:<24}{z:>3}{count:>6}{size / count / 1000:>9.1f}{h50:>9.1f}{h95:>9.1f}"
              f"{f50:>9.1f}{f95:>9.1f}{h50 / f50:>7.2f}{h95 / f95:>7.2f}")


if __name__ == "__main__":
    main()
