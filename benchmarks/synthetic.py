"""The synthetic database the benchmarks run on, made with ``hub dev synth`` when needed."""

from __future__ import annotations

import re
import subprocess
import sys

import psycopg

from hub import localdb
from hub.config import get_settings


def synthetic_url(count: int) -> str:
    """The URL of ``hub_synthetic`` beside the hub's database, holding exactly ``count``
    synthetic facilities (made, deterministically, when it holds another number)."""
    base = localdb.database_url(get_settings(), report=lambda _: None)
    url = re.sub(r"/[^/?]+(\?|$)", r"/hub_synthetic\1", base, count=1)
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM facility WHERE synthetic").fetchone()
            have = row[0] if row else None
    except psycopg.Error:
        have = None
    if have != count:
        print(f"making {count:,} synthetic facilities (hub dev synth) ...", flush=True)
        subprocess.run([sys.executable, "-m", "hub", "dev", "synth", "--count", str(count)],
                       check=True, stdout=subprocess.DEVNULL)
    return url
