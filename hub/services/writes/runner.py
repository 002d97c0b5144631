"""The write side of a server process: a small SQLAlchemy pool of its own, beside the async
read pool, because the writes share their code with ``hub load`` (synchronous). The API
calls ``run`` from a worker thread; each call is one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine

from hub.config import Settings
from hub.db.engine import sqlalchemy_url
from hub.db.pool import application_name

T = TypeVar("T")


class Writes:
    def __init__(self, database_url: str, settings: Settings) -> None:
        self._url = database_url
        self._settings = settings
        self._engine: Engine | None = None

    def _connected(self) -> Engine:
        """Made on first use: a read-only deployment never opens a write connection."""
        if self._engine is None:
            s = self._settings
            self._engine = create_engine(
                sqlalchemy_url(self._url), pool_pre_ping=True, pool_size=s.write_pool_max,
                max_overflow=0, pool_timeout=s.pool_timeout_s,
                connect_args={"application_name": application_name(),
                              "connect_timeout": s.pool_connect_timeout_s,
                              "options": f"-c statement_timeout={s.statement_timeout_ms}"})
        return self._engine

    def run(self, write: Callable[[Connection], T]) -> T:
        with self._connected().begin() as conn:
            return write(conn)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
