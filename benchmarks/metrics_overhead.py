"""What /metrics costs each request: the metrics middleware around an ASGI app that answers
at once (and notes a GraphQL operation name and code, as the GraphQL view does), against the
same app bare, in one process and in prometheus-client's multiprocess mode (values in
memory-mapped files, as under ``hub serve --workers N``).

    .venv/bin/python -m benchmarks.metrics_overhead [--requests 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Imported here, in each interpreter: prometheus-client picks its value class (in memory or
# in files) on import, from PROMETHEUS_MULTIPROC_DIR, which main() sets for the second run.
from hub.api.metrics import Metrics, MetricsMiddleware, note_errors, note_operation
from hub.config import Settings

QUERY = "query Nearest($lat: Float!) { nearestFacilities(near: {lat: $lat, lon: 141.3}) { id } }"


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    note_operation(scope, None, QUERY)
    note_errors(scope, None)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def per_request_us(app: ASGIApp, requests: int) -> float:
    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(_: Message) -> None:
        return None

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(requests):
            scope: Scope = {"type": "http", "path": "/graphql", "headers": []}
            await app(scope, receive, send)
        best = min(best, (time.perf_counter() - started) / requests * 1e6)
    return best


def measure(requests: int) -> None:
    metrics = Metrics(Settings(), {})
    wrapped = MetricsMiddleware(answer, metrics)
    base = asyncio.run(per_request_us(bare, requests))
    with_metrics = asyncio.run(per_request_us(wrapped, requests))
    mode = "multiprocess" if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else "one process"
    print(f"{mode:>13}: bare app {base:6.2f} us/request, with metrics {with_metrics:6.2f} "
          f"us/request: +{with_metrics - base:.2f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        measure(args.requests)
        return
    measure(args.requests)
    # The value class is chosen when prometheus_client is imported: a fresh interpreter.
    with tempfile.TemporaryDirectory(prefix="hub-metrics-bench-") as folder:
        subprocess.run([sys.executable, "-m", "benchmarks.metrics_overhead", "--here",
                        "--requests", str(args.requests)],
                       env=os.environ | {"PROMETHEUS_MULTIPROC_DIR": folder}, check=True)


if __name__ == "__main__":
    main()
