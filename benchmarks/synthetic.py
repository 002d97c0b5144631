"""The synthetic database the benchmarks run on, made with ``hub dev synth`` when needed."""

from __future__ import annotations

import subprocess
import sys

import psycopg
from sqlalchemy.engine import make_url

from hub import localdb
from hub.config import get_settings

DATABASE = "hub_synthetic"


def synthetic_url(count: int, database: str = DATABASE) -> str:
    """The URL of ``database`` (``hub_synthetic`` by default) beside the hub's database,
    holding exactly ``count`` synthetic facilities and no real ones (made, deterministically,
    when it holds another number). The hub serves them when HUB_DATABASE_URL is this URL."""
    base = localdb.database_url(get_settings(), report=lambda _: None)
    url = make_url(base).set(database=database).render_as_string(hide_password=False)
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FILTER (WHERE synthetic),"
                               " count(*) FILTER (WHERE NOT synthetic) FROM facility").fetchone()
            have, real = row if row else (None, 0)
    except psycopg.Error:
        have, real = None, 0
    if real:
        raise SystemExit(f"{database} holds {real} real facilities (a hub served it before"
                         f" synthetic databases were kept apart): drop it (DROP DATABASE"
                         f" {database}) and run again")
    if have != count:
        print(f"making {count:,} synthetic facilities (hub dev synth) ...", flush=True)
        subprocess.run([sys.executable, "-m", "hub", "dev", "synth", "--count", str(count),
                        "--database", database], check=True, stdout=subprocess.DEVNULL)
    return url
