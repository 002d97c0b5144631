"""nearestFacilities (first 10) over 1,000,000 synthetic facilities, against the database's
own floor.

- the hub: ``hub serve`` with HUB_DATABASE_URL pointing at the synthetic database, driven by
  wrk (a C load generator) with a Lua script that sends the GraphQL query with a random
  point of Hokkaido each time, at concurrency 16;
- the floor: the very SQL the hub sends for that query, run by ``pgbench -M prepared`` at
  the same concurrency with random points from the same box.

It prints requests per second, p50 and p99 latency of both and the ratio hub/floor. Run it
by hand (it is never part of the test suite); it needs wrk and pgbench (Debian packages
wrk and postgresql-client) and makes the synthetic data first if it is missing:

    .venv/bin/python -m benchmarks.nearest [--count 1000000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks.synthetic import synthetic_url
from hub import localdb
from hub.services.reads.facilities import COLUMNS, NEAREST_CANDIDATES, where

HOKKAIDO = (41.35, 45.55, 139.3, 145.85)  # lat min/max, lon min/max: the points asked about
QUERY = ("query ($lat: Float!, $lon: Float!) { nearestFacilities(near: {lat: $lat, lon: $lon},"
         " first: 10) { distanceMeters facility { id code } } }")


def floor_sql(url: str) -> str:
    """The query the hub sends for nearestFacilities(first: 10) without a filter, as pgbench
    script text (the rare second query of a crowd at one point is left out of both sides:
    random points on 1,000,000 distinct ones never need it)."""
    condition, _ = where(None)
    query = sql.SQL(NEAREST_CANDIDATES).format(columns=COLUMNS, condition=condition)
    with psycopg.connect(url) as conn:
        text = query.as_string(conn)
    text = (text.replace("%(lon)s", ":lon").replace("%(lat)s", ":lat")
            .replace("%(candidates)s", "30").replace("%(first)s", "10")
            .replace("%(max_distance)s", "NULL"))
    return " ".join(text.split()) + ";"


def run_floor(url: str, seconds: int, clients: int) -> dict[str, float]:
    lat0, lat1, lon0, lon1 = HOKKAIDO
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "nearest.sql"
        script.write_text(
            f"\\set lat random({int(lat0 * 1e5)}, {int(lat1 * 1e5)}) / 100000.0\n"
            f"\\set lon random({int(lon0 * 1e5)}, {int(lon1 * 1e5)}) / 100000.0\n"
            + floor_sql(url) + "\n"
        )
        out = subprocess.run(
            ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
             "-T", str(seconds), "-f", str(script), "--log", "--log-prefix",
             str(Path(tmp) / "log"), url],
            capture_output=True, text=True, check=True, cwd=tmp,
        ).stdout
        tps = float(re.search(r"tps = ([\d.]+) \(without initial", out).group(1))  # type: ignore[union-attr]
        latencies = []
        for log in Path(tmp).glob("log*"):
            for line in log.read_text().splitlines():
                latencies.append(int(line.split()[2]) / 1000.0)  # microseconds -> ms
    latencies.sort()
    return {"rps": tps, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def wrk_script(path: Path, points: int = 2000) -> None:
    rng = random.Random(42)
    lat0, lat1, lon0, lon1 = HOKKAIDO
    bodies = [json.dumps({"query": QUERY, "variables": {
        "lat": round(rng.uniform(lat0, lat1), 5), "lon": round(rng.uniform(lon0, lon1), 5)}})
        for _ in range(points)]
    lua = ["wrk.method = 'POST'", "wrk.headers['Content-Type'] = 'application/json'",
           "local bodies = {"]
    lua += ["  [==[" + b + "]==]," for b in bodies]
    lua += ["}", "local n = 0", "request = function()", "  n = n % #bodies + 1",
            "  return wrk.format(nil, '/graphql', nil, bodies[n])", "end",
            "response = function(status, headers, body)",
            "  if status ~= 200 or string.find(body, '\"errors\"') then",
            "    error('bad response: ' .. status .. ' ' .. body) end", "end"]
    path.write_text("\n".join(lua) + "\n")


def run_hub(url: str, seconds: int, clients: int, workers: int) -> dict[str, float]:
    port = localdb.free_port()
    env = os.environ | {"HUB_DATABASE_URL": url, "HUB_PORT": str(port),
                        "HUB_POOL_MAX": str(clients)}
    server = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--workers", str(workers)],
                              env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        server.stdout.readline()
        _wait_ready(port)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "nearest.lua"
            wrk_script(script)
            subprocess.run(["wrk", "-t2", f"-c{clients}", "-d3s", "-s", str(script),
                            f"http://127.0.0.1:{port}"], capture_output=True, check=True)
            out = subprocess.run(
                ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script),
                 f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True,
            ).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    if "Non-2xx" in out or "Socket errors" in out:
        print(out)  # the Lua script refuses error answers; show what wrk saw
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50": _wrk_ms(out, "50%"), "p99": _wrk_ms(out, "99%")}


def _wrk_ms(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wait_ready(port: int) -> None:
    body = json.dumps({"query": QUERY, "variables": {"lat": 43.06, "lon": 141.35}}).encode()
    deadline = time.monotonic() + 60
    while True:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.load(response)
            assert "errors" not in answer, answer
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="hub serve --workers")
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install wrk postgresql-client")
    url = synthetic_url(args.count)
    floor = run_floor(url, args.seconds, args.clients)
    hub = run_hub(url, args.seconds, args.clients, args.workers)
    print(f"\nnearestFacilities(first: 10), {args.count:,} synthetic facilities, "
          f"concurrency {args.clients}, {args.seconds} s each, {os.cpu_count()} cores, "
          f"hub workers {args.workers}")
    print(f"{'':28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in (("hub (wrk -> GraphQL)", hub), ("floor (pgbench -M prepared)", floor)):
        print(f"{name:28}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}")
    print(f"ratio hub/floor (req/s): {hub['rps'] / floor['rps']:.2f}")


if __name__ == "__main__":
    main()
