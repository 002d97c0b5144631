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


def needed(workers: int, pool_max: int, migrations: int = 1) -> int:
    """Connections ``hub serve --workers N`` may hold at once: every pool full, plus the
    connection that migrates and loads (none on a read replica)."""
    return workers * pool_max + migrations


#: The pools serve keeps on the primary, and on a read replica (HUB_DATABASE_READ_URL).
PRIMARY_POOLS = "(HUB_POOL_MAX + HUB_WRITE_POOL_MAX + HUB_OGC_POOL_MAX)"
REPLICA_POOLS = "HUB_POOL_MAX"


def check(slots: ServerSlots, workers: int, pool_max: int, *, replica: bool = False) -> None:
    """Raise CapacityError when the pools could outgrow the server (the primary, or with
    ``replica`` the read replica, which holds only the read pools)."""
    want = needed(workers, pool_max, 0 if replica else 1)
    if want <= slots.free:
        return
    pools = (f"{REPLICA_POOLS} {pool_max} = {want} connections on the read replica" if replica
             else f"{PRIMARY_POOLS} {pool_max} (+1 for migrations) = {want} connections")
    raise CapacityError(
        f"--workers {workers} x {pools}, but the database server has {slots.free} free "
        f"(max_connections {slots.max_connections} - {slots.reserved} reserved - "
        f"{slots.in_use - 1} in use): lower --workers or HUB_POOL_MAX, or raise "
        "max_connections in postgresql.conf")


def check_server(url: str, workers: int, pool_max: int, *, replica: bool = False) -> None:
    """Ask the server at ``url`` and raise CapacityError when it has too few slots."""
    check(server_slots(url), workers, pool_max, replica=replica)
