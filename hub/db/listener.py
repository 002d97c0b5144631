"""Changes written by any server process, heard by every one: PostgreSQL LISTEN/NOTIFY.

A write sends ``pg_notify(channel, json)`` inside its transaction, so the notice goes out
when (and only if) it commits. Each server process keeps one connection of its own that
LISTENs on the hub's channels and hands each notice to the subscriptions waiting in this
process. The connection is opened when the first subscriber arrives and, when it is lost
(PostgreSQL restarting), reopened with growing pauses while subscribers wait; notices sent
while it was gone are not replayed (a subscription is live, not a log: ``alerts(since)``
and ``facilityHistory`` are the record).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from psycopg import AsyncConnection, OperationalError, sql

from hub.db.pool import application_name

log = logging.getLogger("hub.db.listener")

ALERTS = "hub_alerts"
FACILITY_CHANGES = "hub_facility_changes"
CHANNELS = (ALERTS, FACILITY_CHANGES)


class Listener:
    def __init__(self, url: str, connect_timeout_s: int = 5, queue_size: int = 256) -> None:
        self._url = url
        self._connect_timeout_s = connect_timeout_s
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {
            c: set() for c in CHANNELS}
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of the channel's notices for as long as the caller stays inside."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._subscribers[channel].add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="hub-listener")
        try:
            yield queue
        finally:
            self._subscribers[channel].discard(queue)

    def subscribers(self) -> int:
        """Subscriptions waiting in this process (a client that left is no longer one)."""
        return sum(len(queues) for queues in self._subscribers.values())

    async def _run(self) -> None:
        pause = 0.1
        while True:
            try:
                await self._listen()
                pause = 0.1
            except (OperationalError, OSError) as exc:
                self.listening.clear()
                log.warning("listening for changes failed (%s); retrying in %.1f s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _listen(self) -> None:
        async with await AsyncConnection.connect(
                self._url, autocommit=True, application_name=application_name(),
                connect_timeout=self._connect_timeout_s) as conn:
            for channel in CHANNELS:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listening.set()
            async for notice in conn.notifies():
                self._deliver(notice.channel, notice.payload)

    def _deliver(self, channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("a notice on %s is not JSON; dropped", channel)
            return
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():  # a subscriber that does not read loses its oldest notice
                queue.get_nowait()
            queue.put_nowait(message)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
