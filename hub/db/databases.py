"""Databases beside the hub's on the same server (``hub dev synth`` keeps its synthetic
facilities in one of their own)."""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def ensure_database(url: str, database: str) -> str:
    """The URL of ``database`` on the server of ``url``, with PostGIS; the database is
    created when missing (the role of ``url`` must be allowed to)."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    target = make_url(url).set(database=database).render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return target
