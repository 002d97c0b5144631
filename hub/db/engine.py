"""Connections to the hub's database, for the loaders, the CLI and migrations.

The request path of the server uses an async psycopg pool of its own (hub.db.pool); this
module is the synchronous SQLAlchemy side.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` URLs as users write them, with the psycopg 3 driver named."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, statement_timeout_ms: int | None = None) -> Engine:
    engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
    if statement_timeout_ms:
        @event.listens_for(engine, "connect")
        def _set_timeout(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
    return engine
