"""The registered query texts of automatic persisted queries: kept in PostgreSQL (table
``persisted_query``), so every hub process behind a load balancer knows what any of them
registered, with a bounded LRU in front so that a hot hash costs no round trip."""

from __future__ import annotations

from collections import OrderedDict

from hub.db.pool import Database


class PersistedQueries:
    def __init__(self, db: Database, cache_size: int) -> None:
        self.db = db
        self.cache_size = cache_size
        self.cache: OrderedDict[str, str] = OrderedDict()

    def _remember(self, sha256: str, query: str) -> None:
        self.cache[sha256] = query
        self.cache.move_to_end(sha256)
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    async def get(self, sha256: str) -> str | None:
        """The text registered under ``sha256`` (lower-case hex), or None. Only hits are
        cached: a miss may be registered by another process a moment later."""
        cached = self.cache.get(sha256)
        if cached is not None:
            self.cache.move_to_end(sha256)
            return cached
        row = await self.db.fetch_one(
            "SELECT query FROM persisted_query WHERE sha256 = %s", (sha256,))
        if row is None:
            return None
        self._remember(sha256, row["query"])
        return str(row["query"])

    async def register(self, sha256: str, query: str) -> None:
        """Stores the text; the caller has checked that ``sha256`` is its hash, so a second
        registration (another process, a retry) stores the same text and changes nothing."""
        await self.db.fetch_all(
            "INSERT INTO persisted_query (sha256, query) VALUES (%s, %s) "
            "ON CONFLICT (sha256) DO NOTHING RETURNING sha256", (sha256, query))
        self._remember(sha256, query)
