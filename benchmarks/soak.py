"""A 60-second load at fixed concurrency: does the hub answer every request, and does its
memory stay flat?

It starts ``hub serve`` (on the embedded cluster of HUB_HOME, or on ``--database-url``),
sends a mix of the queries a map frontend sends (a page of facilities with municipality and
services, nearestFacilities and facilitiesServing at random points of Hokkaido, one
municipality with its facilities) from ``--clients`` concurrent connections (httpx, asyncio)
for ``--seconds``, and samples the resident memory (RSS, from /proc) of the server process
and its workers every ``--every`` seconds. It prints each sample (time, requests, errors,
RSS), then the totals, RSS first/last/max after the warm-up and whether it stayed flat.
Run it by hand (never part of the test suite):

    .venv/bin/python -m benchmarks.soak [--seconds 60] [--clients 16] [--workers 1]
        [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub import localdb

HOKKAIDO = (41.35, 45.55, 139.3, 145.85)  # lat min/max, lon min/max
PAGE = """query ($after: String) { facilities(first: 20, after: $after) {
  totalCount pageInfo { endCursor }
  edges { node { code nameJa category municipality { nameJa } services { code } } } } }"""
NEAREST = """query ($lat: Float!, $lon: Float!) {
  nearestFacilities(near: {lat: $lat, lon: $lon}, first: 10) {
    distanceMeters facility { code nameJa operator { name } } } }"""
SERVING = """query ($lat: Float!, $lon: Float!) {
  facilitiesServing(point: {lat: $lat, lon: $lon}) { code nameJa } }"""
MUNICIPALITY = """query ($code: String!) {
  municipality(code: $code) { nameJa population facilities { code category } } }"""
CODES = ("01100", "01202", "01203", "01204", "01205", "01206", "01207", "01208")
#: Samples in the first seconds are the server filling its pool and caches, not a leak.
WARM_UP_S = 10.0
#: Flat: RSS after the warm-up grows by less than this share of its first value.
FLAT_SHARE = 0.10


def request_body(rng: random.Random) -> dict[str, Any]:
    lat0, lat1, lon0, lon1 = HOKKAIDO
    point = {"lat": round(rng.uniform(lat0, lat1), 5), "lon": round(rng.uniform(lon0, lon1), 5)}
    kind = rng.randrange(4)
    if kind == 0:
        return {"query": PAGE, "variables": {}}
    if kind == 1:
        return {"query": NEAREST, "variables": point}
    if kind == 2:
        return {"query": SERVING, "variables": point}
    return {"query": MUNICIPALITY, "variables": {"code": rng.choice(CODES)}}


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the ``--workers`` processes)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(rss_kib(int(child)) for child in children)


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)

    def failed(self, what: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(what[:300])


async def client(url: str, seed: int, until: float, tally: Tally) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while time.monotonic() < until:
            try:
                response = await http.post("/graphql", json=request_body(rng))
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                tally.requests += 1
                tally.failed(repr(exc))
                continue
            tally.requests += 1
            if response.status_code != 200 or body.get("errors"):
                tally.failed(f"{response.status_code} {body.get('errors')}")


async def sample(pid: int, start: float, until: float, every: float, tally: Tally,
                 samples: list[tuple[float, int, int, int]]) -> None:
    while True:
        now = time.monotonic()
        row = (now - start, tally.requests, tally.errors, rss_kib(pid))
        samples.append(row)
        print(f"{row[0]:7.1f} s {row[1]:>9,} requests {row[2]:>5} errors "
              f"RSS {row[3] / 1024:8.1f} MiB", flush=True)
        if now >= until:
            return
        await asyncio.sleep(min(every, max(0.0, until - now)))


async def load(url: str, pid: int, seconds: float, clients: int, every: float
               ) -> tuple[Tally, list[tuple[float, int, int, int]]]:
    tally = Tally()
    samples: list[tuple[float, int, int, int]] = []
    start = time.monotonic()
    until = start + seconds
    await asyncio.gather(sample(pid, start, until, every, tally, samples),
                         *(client(url, seed, until, tally) for seed in range(clients)))
    samples.append((time.monotonic() - start, tally.requests, tally.errors, rss_kib(pid)))
    return tally, samples


def start_server(port: int, workers: int, database_url: str | None) -> subprocess.Popen[str]:
    env = os.environ | {"HUB_PORT": str(port)}
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    server = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--workers", str(workers)],
                              env=env, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    server.stdout.readline()  # "Hub is serving ...", after migrating and loading
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the hub did not start (see the lines above)")
        time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="hub serve --workers")
    parser.add_argument("--every", type=float, default=5, help="seconds between RSS samples")
    parser.add_argument("--database-url", help="serve this database, not the embedded one")
    args = parser.parse_args()

    port = localdb.free_port()
    server = start_server(port, args.workers, args.database_url)
    try:
        tally, samples = asyncio.run(load(f"http://127.0.0.1:{port}", server.pid,
                                          args.seconds, args.clients, args.every))
    finally:
        server.terminate()
        server.wait(timeout=30)

    settled = [s for s in samples if s[0] >= WARM_UP_S] or samples
    first, last = settled[0][3] / 1024, settled[-1][3] / 1024
    peak = max(s[3] for s in settled) / 1024
    growth = last - first
    elapsed = samples[-1][0]
    print(f"\n{args.seconds:.0f} s at concurrency {args.clients}, hub workers {args.workers}, "
          f"{os.cpu_count()} cores: {tally.requests:,} requests "
          f"({tally.requests / elapsed:.0f}/s), {tally.errors} errors")
    for what in tally.first_errors:
        print("  error:", what)
    print(f"RSS after {WARM_UP_S:.0f} s warm-up: first {first:.1f} MiB, last {last:.1f} MiB, "
          f"max {peak:.1f} MiB, growth {growth:+.1f} MiB ({growth / first:+.1%})")
    flat = growth < FLAT_SHARE * first
    print(f"memory flat (growth under {FLAT_SHARE:.0%}): {'yes' if flat else 'NO'}; "
          f"errors: {'none' if tally.errors == 0 else tally.errors}")


if __name__ == "__main__":
    main()
