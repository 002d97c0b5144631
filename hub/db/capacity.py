"""Whether the database server has room for the connections ``hub serve`` will open.

Each server process keeps pools of up to HUB_POOL_MAX (reads), HUB_WRITE_POOL_MAX (writes)
and HUB_OGC_POOL_MAX (the OGC API) connections, so ``--workers N`` may hold N times that,
plus the one connection serve uses to migrate and load. PostgreSQL refuses connections
past max_connections (less the slots it keeps for superusers), and it would do so only
under load, one request at a time; serve asks before it starts instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


class CapacityError(ValueError):
    """The server has fewer connection slots than the hub would open; one line saying which
    settings to change."""


@dataclass(frozen=True)
class ServerSlots:
    """The connection slots of a PostgreSQL server, as it reports them."""

    max_connections: int
    #: Slots kept for superusers (and, from PostgreSQL 16, for pg_use_reserved_connections).
    reserved: int
    #: Client connections open now (other programs' and this check's own).
    in_use: int

    @property
    def free(self) -> int:
        """Slots a new ordinary client may still take (this check's own counted free)."""
        return self.max_connections - self.reserved - (self.in_use - 1)


def server_slots(url: str) -> ServerSlots:
    with psycopg.connect(url, connect_timeout=10, autocommit=True,
                         application_name="hub-capacity-check") as conn:
        def setting(name: str) -> int:
            row = conn.execute(
                "SELECT setting FROM pg_settings WHERE name = %s", (name,)).fetchone()
            return int(row[0]) if row else 0

        in_use = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        ).fetchone()
        return ServerSlots(
            max_connections=setting("max_connections"),
            reserved=setting("superuser_reserved_connections")
            + setting("reserved_connections"),
            in_use=int(in_use[0]) if in_use else 1,
        )


def needed(workers: int, pool_max: int) -> int:
    """Connections ``hub serve --workers N`` may hold at once: every pool full, plus the
    connection that migrates and loads."""
    return workers * pool_max + 1


def check(slots: ServerSlots, workers: int, pool_max: int) -> None:
    """Raise CapacityError when the pools could outgrow the server."""
    want = needed(workers, pool_max)
    if want <= slots.free:
        return
    raise CapacityError(
        f"--workers {workers} x (HUB_POOL_MAX + HUB_WRITE_POOL_MAX + HUB_OGC_POOL_MAX) {pool_max} "
        f"(+1 for migrations) = {want} "
        f"connections, but the database server has {slots.free} free "
        f"(max_connections {slots.max_connections} - {slots.reserved} reserved - "
        f"{slots.in_use - 1} in use): lower --workers or HUB_POOL_MAX, or raise "
        "max_connections in postgresql.conf")


def check_server(url: str, workers: int, pool_max: int) -> None:
    """Ask the server at ``url`` and raise CapacityError when it has too few slots."""
    check(server_slots(url), workers, pool_max)
