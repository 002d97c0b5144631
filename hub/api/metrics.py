"""``/metrics`` in the Prometheus text format (prometheus-client): requests by operation and
code, their latency, the connection pools' use and the read replica's lag.

An ASGI middleware rather than a strawberry extension: it sees every route family (GraphQL,
tiles, exports, OGC) with one counter increment and one histogram observation per request,
and strawberry's extension hooks would cost more on the GraphQL path than the whole of this.
GraphQL answers most errors with HTTP 200, so the GraphQL view writes the operation name and
the error code into the request's scope (``note_operation``, ``note_errors``); the other
routes' error code is read from their (small) error body, only when the status is 4xx/5xx.

Several ``hub serve --workers`` processes share one view through prometheus-client's
multiprocess mode: ``hub serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start,
each worker writes its values to files there and any worker's ``/metrics`` reads them all.
Counters and histograms add up over the workers; the pool gauges are summed over the live
ones (``livesum``), the replica lag is the largest any live worker saw (``livemax``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping

from graphql import GraphQLError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.limits import error_body
from hub.config import Settings

log = logging.getLogger("hub.api.metrics")

#: The scope key under which a request carries what the GraphQL view learnt about it.
SCOPE_KEY = "hub.metrics"

#: A pool's statistics: psycopg_pool's ``get_stats()`` (pool_size, pool_available,
#: requests_waiting, pool_max, ...).
PoolStats = Callable[[], Mapping[str, int]]

#: The replica-lag hook: seconds the read replica is behind the primary, or None when it
#: cannot say (not a replica, nothing replayed yet). ``hub.db.lag.replica_lag`` makes one
#: for a ``Database`` on the replica; ``create_app(replica_lag=...)`` takes it.
LagProbe = Callable[[], Awaitable[float | None]]

#: Latency buckets (seconds): from the sub-millisecond fast path to the request time limit.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)

#: Route families by their first path segment; anything else (the map, static files) is
#: "web". /metrics itself is not counted (a scraper would count itself).
FAMILIES = {"graphql": "graphql", "tiles": "tiles", "export": "export", "ogc": "ogc",
            "health": "health", "ready": "ready"}

#: The contract code of an error status when the body does not say (a 404 of the router).
_STATUS_CODES = {404: "NOT_FOUND", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 409: "CONFLICT",
                 503: "UNAVAILABLE"}

#: The operation name at the head of a document (``query Nearest(...``), for requests that
#: send no ``operationName`` (after whitespace, commas and comments, which GraphQL ignores); a
#: document that starts otherwise is "anonymous".
_NAMED = re.compile(
    r"(?:[\s,\ufeff]++|#[^\n\r]*+)*+(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def route_family(path: str) -> str:
    first = path.split("/", 2)[1] if path.startswith("/") else path
    return FAMILIES.get(first, "metrics" if first == "metrics" else "web")


def note_operation(scope: Scope, operation_name: str | None, query: str | None) -> None:
    """Called by the GraphQL view once it has read the request: the operation's name."""
    note = scope.get(SCOPE_KEY)
    if note is None:
        return
    # Both come from the client as it sent them: anything but a string is no name (the
    # executor refuses such a request itself).
    if not isinstance(operation_name, str) or not operation_name:
        named = _NAMED.match(query[:500]) if isinstance(query, str) else None
        operation_name = named.group(1) if named else None
    note["operation"] = operation_name or "anonymous"


def note_errors(scope: Scope, errors: list[GraphQLError] | None) -> None:
    """Called by the GraphQL view with the classified errors: the first one's code."""
    note = scope.get(SCOPE_KEY)
    if note is None:
        return
    code = "ok"
    for error in errors or ():
        code = str((error.extensions or {}).get("code") or "INTERNAL")
        break
    note["code"] = code


def _code_from_body(status: int, body: bytes) -> str:
    try:
        code = json.loads(body)["errors"][0]["extensions"]["code"]
    except (ValueError, LookupError, TypeError):
        code = None
    if isinstance(code, str) and code.isupper() and len(code) <= 40:
        return code
    return _STATUS_CODES.get(status, "BAD_USER_INPUT" if status < 500 else "INTERNAL")


class Metrics:
    """The metrics of one app: its registry, the request middleware's instruments, the pool
    and lag gauges, and the /metrics endpoint."""

    def __init__(self, settings: Settings, pools: Mapping[str, PoolStats],
                 replica_lag: LagProbe | None = None) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry()
        self.pools = dict(pools)
        self.replica_lag = replica_lag
        self.refresh_s = settings.metrics_refresh_s
        self.lag_timeout_s = settings.ready_timeout_s
        self.max_operations = settings.metrics_max_operations
        self.operations: set[str] = set()
        self.allowed = tuple(ipaddress.ip_network(n, strict=False)
                             for n in settings.metrics_allow)
        self._task: asyncio.Task[None] | None = None
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "hub_requests", "HTTP requests by route family, operation (GraphQL operation "
            "name, else the route family) and code (contract error code, or ok)",
            ["route", "operation", "code"], registry=self.registry)
        self.latency = Histogram(
            "hub_request_duration_seconds", "Time from a request's arrival to the end of "
            "its answer", ["route", "operation"], buckets=BUCKETS, registry=self.registry)
        self.pool_size = Gauge("hub_db_pool_connections", "Connections open in the pool",
                               ["pool"], registry=self.registry, multiprocess_mode="livesum")
        self.pool_in_use = Gauge("hub_db_pool_in_use", "Connections lent to requests",
                                 ["pool"], registry=self.registry, multiprocess_mode="livesum")
        self.pool_waiting = Gauge("hub_db_pool_waiting", "Requests waiting for a connection",
                                  ["pool"], registry=self.registry,
                                  multiprocess_mode="livesum")
        self.pool_max = Gauge("hub_db_pool_max", "Most connections the pool may open",
                              ["pool"], registry=self.registry, multiprocess_mode="livesum")
        self.lag = Gauge("hub_db_replica_lag_seconds", "How far the read replica's replay "
                         "is behind the primary (0 when it has replayed all it received)",
                         ["pool"], registry=self.registry, multiprocess_mode="livemax")

    def operation_label(self, name: str) -> str:
        """Operation names come from clients: the first ``HUB_METRICS_MAX_OPERATIONS`` a
        process sees get series of their own, later ones count as "other", so that a
        client inventing names cannot grow the metrics without bound."""
        if name in self.operations:
            return name
        if len(self.operations) < self.max_operations and len(name) <= 100:
            self.operations.add(name)
            return name
        return "other"

    def record(self, route: str, operation: str, code: str, seconds: float) -> None:
        """The labelled children are kept (bounded by the operation cap): ``labels()`` takes
        a lock and builds a key each time, half the cost of counting a request."""
        key = (route, operation, code)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(route, operation, code),
                        self.latency.labels(route, operation))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def refresh_pools(self) -> None:
        for name, stats_of in self.pools.items():
            stats = stats_of()
            size = stats.get("pool_size", 0)
            self.pool_size.labels(name).set(size)
            self.pool_in_use.labels(name).set(size - stats.get("pool_available", 0))
            self.pool_waiting.labels(name).set(stats.get("requests_waiting", 0))
            self.pool_max.labels(name).set(stats.get("pool_max", 0))

    async def refresh_lag(self) -> None:
        if self.replica_lag is None:
            return
        try:
            async with asyncio.timeout(self.lag_timeout_s):
                seconds = await self.replica_lag()
        except Exception as exc:  # the replica is down: the lag is unknown, not zero
            log.warning("replica lag unknown: %s", exc)
            seconds = float("nan")
        if seconds is None and self.multiprocess:
            # A removed series stays in the multiprocess files at its last value; NaN at
            # least does not claim a lag the server cannot vouch for.
            self.lag.labels("read").set(float("nan"))
        elif seconds is None:
            with contextlib.suppress(KeyError):
                self.lag.remove("read")
        else:
            self.lag.labels("read").set(seconds)

    async def _refresh_forever(self) -> None:
        """Keeps this process's gauges current for scrapes answered by another worker."""
        while True:
            self.refresh_pools()
            await self.refresh_lag()
            await asyncio.sleep(self.refresh_s)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.multiprocess:
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    def allows(self, request: Request) -> bool:
        if not self.allowed:
            return True
        host = request.client.host if request.client else None
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.allowed)

    async def endpoint(self, request: Request) -> Response:
        if not self.allows(request):
            return Response(error_body("/metrics is not open to this address.", "FORBIDDEN"),
                            status_code=403, media_type="application/json")
        self.refresh_pools()
        await self.refresh_lag()
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            payload = generate_latest(registry)
        else:
            payload = generate_latest(self.registry)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times each HTTP request (WebSockets are long-lived subscriptions, not
    requests, and are left alone)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_family(scope["path"])
        if route == "metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        note: dict[str, str] = {}
        scope[SCOPE_KEY] = note
        status = 500
        error_chunk = b""

        async def watched(message: Message) -> None:
            nonlocal status, error_chunk
            if message["type"] == "http.response.start":
                status = message["status"]
            elif status >= 400 and not error_chunk and "code" not in note:
                error_chunk = message.get("body", b"")[:4096]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            code = note.get("code")
            if code is None or (code == "ok" and status >= 400):
                code = "ok" if status < 400 else _code_from_body(status, error_chunk)
            operation = note.get("operation")
            operation = self.metrics.operation_label(operation) if operation else route
            self.metrics.record(route, operation, code, time.perf_counter() - started)

