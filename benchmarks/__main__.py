"""The whole picture of the hub's read speed in one table (issue 12): ``python -m benchmarks``.

For each size of synthetic data (a database of its own per size, ``hub_synthetic_<N>``, made
by ``hub dev synth`` on first use) and each row (nearestFacilities with and without a
category filter, a bbox page, one facility with its relations, facilitiesServing, one
facility tile), it runs

- the floor: the SQL the hub sends for the row (the compiled fast path's one statement
  when hub.graphql.compiled plans it, else the services' statements), by
  ``pgbench -M prepared -c 16 -j 2`` over the same stream of points;
- the hub: ``hub serve --workers W`` for each W asked, driven by wrk (2 threads, 16
  connections) over the stream, a warm-up run first; the CPU seconds of the server's
  processes (and of PostgreSQL's) are read from /proc around the measured run.

Run by hand (never part of the test suite); it needs wrk and pgbench (Debian packages wrk
and postgresql-client):

    .venv/bin/python -m benchmarks [--sizes 100000 1000000] [--workers 1 2] [--seconds 15]
    .venv/bin/python -m benchmarks --quick            # a tiny run, to try it out
    .venv/bin/python -m benchmarks --only nearest --sizes 1000000 --profile
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from benchmarks import floor, load, procstat, profile
from benchmarks.operations import OPERATIONS, Operation
from benchmarks.stream import Item, make_stream
from benchmarks.synthetic import synthetic_url
from hub import localdb
from hub.config import get_settings


@dataclass(frozen=True)
class Row:
    size: int
    workers: int
    op: Operation
    hub: load.LoadResult
    hub_cpu_ms: float
    db_cpu_ms: float | None
    floor: floor.FloorResult
    floor_source: str

    @property
    def ratio(self) -> float:
        return self.hub.rps / self.floor.tps if self.floor.tps else 0.0


def start_server(url: str, workers: int, clients: int) -> tuple[subprocess.Popen[str], int]:
    port = localdb.free_port()
    env = os.environ | {"HUB_DATABASE_URL": url, "HUB_PORT": str(port),
                        "HUB_POOL_MAX": str(clients)}
    server = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--workers", str(workers)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200:
                return server, port
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit("the hub did not start: run `hub serve` by hand to see why")
        time.sleep(0.3)


def stop_server(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's pid when it runs on this machine (its backends' parent)."""
    with psycopg.connect(url) as conn:  # read while the backend lives
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        try:
            stat = Path(f"/proc/{row[0] if row else 0}/stat").read_text()
        except OSError:
            return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def measure(op: Operation, items: Sequence[Item], args: argparse.Namespace, port: int,
            server: int, postmaster: int | None) -> tuple[load.LoadResult, float, float | None]:
    script = load.lua_script(op, items, args.zoom)
    load.run(script, port, args.warmup, args.clients)
    hub0 = procstat.tree_cpu_seconds(server)
    db0 = procstat.tree_cpu_seconds(postmaster) if postmaster else 0.0
    result = load.run(script, port, args.seconds, args.clients)
    hub_cpu = procstat.tree_cpu_seconds(server) - hub0
    db_cpu = procstat.tree_cpu_seconds(postmaster) - db0 if postmaster else None
    per = 1000.0 / max(result.requests, 1)
    if result.errors:
        print(f"  {op.name}: {result.errors} errors, e.g. {result.sample[:300]}", flush=True)
    return result, hub_cpu * per, None if db_cpu is None else db_cpu * per


def run_profile(op: Operation, items: Sequence[Item], args: argparse.Namespace, port: int,
                server: int, size: int, workers: int) -> None:
    kind = "-native" if args.profile_native else ""
    output = (Path(args.profile_dir)
              / f"profile-{op.name}-{size}-w{workers}{kind}.speedscope.json")
    if not output.parent.exists():
        output.parent.mkdir(parents=True)
        (output.parent / ".gitignore").write_text("*\n")  # profiles are not committed
    script = load.lua_script(op, items, args.zoom)
    spy = profile.start(server, args.seconds, output, args.profile_native)
    result = load.run(script, port, args.seconds, args.clients)
    spy_out, _ = spy.communicate(timeout=120)
    if not output.exists():
        print(f"py-spy wrote no profile:\n{spy_out[-2000:]}")
        return
    print(f"\nprofile of {op.name}, {size:,} facilities, {workers} worker(s), under py-spy"
          f" ({result.rps:.0f} req/s while sampled): {output}")
    print(profile.top(output), flush=True)


HEADER = ("facilities", "workers", "row", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
          "hub CPU ms/req", "db CPU ms/req", "floor tx/s", "floor avg ms", "floor p50 ms",
          "floor p99 ms", "floor SQL", "hub/floor")


def cells(row: Row) -> list[str]:
    db = "" if row.db_cpu_ms is None else f"{row.db_cpu_ms:.2f}"
    return [f"{row.size:,}", str(row.workers), row.op.name, f"{row.hub.rps:,.0f}",
            f"{row.hub.p50:.1f}", f"{row.hub.p95:.1f}", f"{row.hub.p99:.1f}",
            str(row.hub.errors), f"{row.hub_cpu_ms:.2f}", db, f"{row.floor.tps:,.0f}",
            f"{row.floor.avg_ms:.2f}", f"{row.floor.p50:.2f}", f"{row.floor.p99:.2f}",
            row.floor_source, f"{row.ratio:.2f}"]


def print_tables(rows: Sequence[Row]) -> None:
    table = [list(HEADER)] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    print()
    for line in table:
        print("  ".join(c.rjust(w) if i >= 3 and i != 14 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(line, widths, strict=True))))
    print("\n| " + " | ".join(HEADER) + " |")
    print("|" + "|".join("---" if i in (2, 14) else "---:" for i in range(len(HEADER))) + "|")
    for line in table[1:]:
        print("| " + " | ".join(line) + " |")
    print("\nrows:")
    for op in dict.fromkeys(r.op for r in rows):
        print(f"  {op.name}: {op.label}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [op.name for op in OPERATIONS]
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="synthetic facilities"
                        " (default 100000 1000000; --quick: 10000)")
    parser.add_argument("--workers", type=int, nargs="+", help="hub serve --workers, each"
                        " a run of its own (default 1 2; --quick: 1)")
    parser.add_argument("--seconds", type=int, help="each measured run (default 15)")
    parser.add_argument("--warmup", type=int, help="the warm-up before each (default 3)")
    parser.add_argument("--only", nargs="+", choices=names, help="only these rows")
    parser.add_argument("--quick", action="store_true", help="a tiny run to try it out")
    parser.add_argument("--clients", type=int, default=16, help="connections (wrk -c,"
                        " pgbench -c, HUB_POOL_MAX)")
    parser.add_argument("--points", type=int, help="stream length (default 1000)")
    parser.add_argument("--zoom", type=int, default=12, help="zoom of the tile row")
    parser.add_argument("--profile", action="store_true", help="also profile the hub with"
                        " py-spy during an extra nearest run (the first of --only otherwise)")
    parser.add_argument("--profile-native", action="store_true", help="--profile with C"
                        " frames too (py-spy --native: pauses the workers to sample)")
    parser.add_argument("--profile-dir", default="benchmarks/profiles",
                        help="where the speedscope files go")
    args = parser.parse_args(argv)
    args.profile = args.profile or args.profile_native
    quick = args.quick
    args.sizes = args.sizes or ([10_000] if quick else [100_000, 1_000_000])
    args.workers = args.workers or ([1] if quick else [1, 2])
    args.seconds = args.seconds or (3 if quick else 15)
    args.warmup = args.warmup if args.warmup is not None else (1 if quick else 3)
    args.points = args.points or (200 if quick else 1000)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install wrk postgresql-client")
    ops = [op for op in OPERATIONS if not args.only or op.name in args.only]
    sql_for = floor.compiled_sql_for()
    compiled = ("on" if sql_for else "off (HUB_COMPILED_QUERIES=false)"
                if get_settings().compiled_queries is False else "absent")
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    rows: list[Row] = []
    for size in args.sizes:
        url = synthetic_url(size, f"hub_synthetic_{size}")
        items = make_stream(url, args.points, args.zoom)
        postmaster = postmaster_pid(url)
        floors = {}
        for op in ops:
            script = floor.script(op, items, args.zoom, url, sql_for)
            print(f"{size:,}: floor of {op.name} ({script.source}, {script.statements}"
                  f" statement(s)) ...", flush=True)
            floors[op.name] = (floor.run(script.text, url, args.seconds, args.warmup,
                                         args.clients), script)
        for workers in args.workers:
            server, port = start_server(url, workers, args.clients)
            try:
                for op in ops:
                    print(f"{size:,}: hub, {workers} worker(s), {op.name} ...", flush=True)
                    hub, hub_cpu, db_cpu = measure(op, items, args, port, server.pid,
                                                   postmaster)
                    result, script = floors[op.name]
                    source = ("compiled" if script.source == "compiled"
                              else f"services x{script.statements}")
                    rows.append(Row(size, workers, op, hub, hub_cpu, db_cpu, result, source))
                if args.profile and workers == args.workers[0]:
                    target = next((op for op in ops if op.name == "nearest"), ops[0])
                    run_profile(target, items, args, port, server.pid, size, workers)
            finally:
                stop_server(server)
    load_after = os.getloadavg()
    print(f"\n{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, wrk -t2 -c{args.clients}"
          f" and pgbench -M prepared -c {args.clients} -j 2, {args.seconds} s each after"
          f" {args.warmup} s of warm-up, {args.points} stream items, tiles at zoom {args.zoom};"
          f" load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
          f"; compiled path {compiled}")
    print_tables(rows)


if __name__ == "__main__":
    main()
