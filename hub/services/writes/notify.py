"""Telling every server process about a committed write (hub.db.listener): the notice is
sent inside the write's transaction, so PostgreSQL delivers it on commit and never for a
write that was rolled back."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text


def notify(conn: Connection, channel: str, message: dict[str, Any]) -> None:
    conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                 {"channel": channel, "payload": json.dumps(message)})
